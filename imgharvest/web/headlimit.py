"""The HTTP server protocol that bounds each request's head (request line and headers):
past ``MAX_HEADER_BYTES`` the client gets 431 and the connection closes.

uvicorn's httptools protocol has no such bound, and httptools grows a header value by
concatenation until the value ends, so without one a single unfinished header holds as much
memory as its sender likes. The bytes of a head are therefore counted before the parser sees
them. A head that starts in the same read as the end of a pipelined body may pass the bound
by at most that read (256 KiB).
"""

from __future__ import annotations

import asyncio
import json
import logging

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("imgharvest.web")


class HeadLimitProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that refuses a request head longer than ``max_head`` bytes."""

    max_head = 64 * 1024
    _head_room = max_head
    _in_body = False

    def data_received(self, data: bytes) -> None:
        while data and not self._in_body:
            if self._head_room <= 0:
                self._refuse_head()
                return
            piece, data = data[: self._head_room], data[self._head_room :]
            self._head_room -= len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body, self._head_room = False, self.max_head
        super().on_message_complete()

    def _refuse_head(self) -> None:
        log.warning("refused a request whose head is larger than %d bytes", self.max_head)
        if self.cycle is None or self.cycle.response_complete:
            # Only between answers: a 431 in the middle of another answer would garble both.
            self.transport.write(_answer_431(self.max_head))
        self.transport.close()


def _answer_431(limit: int) -> bytes:
    message = f"the request's headers are larger than {limit} bytes"
    body = json.dumps({"errors": {"headers": message}}).encode()
    head = (b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % len(body))  # fmt: skip
    return STATUS_LINE[431] + head + body


def head_limited(max_head: int) -> type[asyncio.Protocol]:
    """The protocol class for ``uvicorn.run(http=...)`` with this bound."""
    return type("HeadLimit", (HeadLimitProtocol,), {"max_head": max_head, "_head_room": max_head})
