"""``MailPump``: a process's own mail threads, so emails never queue behind job runs."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("imgharvest.mail")

THREADS = 2


class MailPump:
    """Sends outbox messages by id on a few threads; an id already waiting is not added twice."""

    def __init__(self, send: Callable[[int], None], threads: int = THREADS) -> None:
        self.send = send
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._waiting: set[int] = set()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, name=f"mail-{i}", daemon=True)
            for i in range(threads)
        ]

    def put(self, email_id: int) -> None:
        """Send this message soon (the outbox claim decides whether it really goes)."""
        with self._lock:
            if email_id in self._waiting:
                return
            self._waiting.add(email_id)
        self._queue.put(email_id)

    def start(self) -> None:
        """Start the mail threads."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the threads finish what they hold, then end them."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def _loop(self) -> None:
        while (email_id := self._queue.get()) is not None:
            with self._lock:
                self._waiting.discard(email_id)
            try:
                self.send(email_id)
            except Exception:  # a mail problem never stops the pump; the sweep retries
                log.exception("sending email %s failed", email_id)
