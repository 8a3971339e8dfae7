"""The HTTP seam: what sources and robots.txt ask of the guarded fetcher, and its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A page or API answer: final URL after redirects, status, headers, decoded body."""

    url: str
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not)."""
        import json

        return json.loads(self.text)


class Http(Protocol):
    """The HTTP seam sources use (the guarded, retrying fetcher implements it).

    ``get`` returns any final status (429/5xx only after retries are spent) and
    raises ``FetchError``/``GuardError`` only when no answer could be had.
    """

    async def get(
        self,
        url: str,
        *,
        params: dict[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse: ...
