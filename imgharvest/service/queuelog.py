"""One log line per queue outage. Huey's consumer logs a traceback each time a read of the
queue fails (every worker thread and the scheduler, about once a second); while the queue is
away, this filter lets the first through as one warning line and drops the rest."""

from __future__ import annotations

import logging
import math
import threading
import time

# An error this soon after the last one belongs to the same outage (the consumer retries the
# queue at least once a second).
SAME_OUTAGE_SECONDS = 5.0
HUEY_LOGGERS = ("huey.consumer", "huey.consumer.Worker", "huey.consumer.Scheduler")
OUTAGE_MESSAGES = frozenset(
    {"Error reading from queue", "Error reading schedule.", "Error enqueueing %s."}
)


class QueueOutage(logging.Filter):
    """Turns a queue outage's stream of tracebacks into one line."""

    def __init__(self) -> None:
        super().__init__()
        self._last = -math.inf
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in OUTAGE_MESSAGES or not record.exc_info:
            return True
        with self._lock:
            now = time.monotonic()
            first, self._last = now - self._last > SAME_OUTAGE_SECONDS, now
        if first:
            _one_line(record)
        return first


def _one_line(record: logging.LogRecord) -> None:
    exc = record.exc_info[1] if record.exc_info else None
    why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    record.msg = "queue unreachable (%s); jobs wait in the database until it is back"
    record.args = (why.rstrip(": "),)
    record.levelno, record.levelname = logging.WARNING, "WARNING"
    record.exc_info, record.exc_text = None, None


def quiet_queue_outages() -> QueueOutage:
    """Install the filter on Huey's consumer loggers (``remove`` takes it off again)."""
    outage = QueueOutage()
    for name in HUEY_LOGGERS:
        logging.getLogger(name).addFilter(outage)
    return outage


def remove(outage: QueueOutage) -> None:
    """Take the filter off Huey's loggers."""
    for name in HUEY_LOGGERS:
        logging.getLogger(name).removeFilter(outage)
