"""``Runtime``: what runs jobs in a process: Huey's threads and scheduler, mail threads, upkeep."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imgharvest.service import queuelog
from imgharvest.service.mailpump import MailPump
from imgharvest.service.recovery import Upkeep

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from imgharvest.service.services import Services


def consumer(services: Services, workers: int) -> Consumer:
    """Huey workers (threads) plus its scheduler; polls at least every second."""
    return services.queue.create_consumer(
        workers=workers, worker_type="thread", periodic=False, initial_delay=0.1,
        max_delay=1.0, scheduler_interval=1, check_worker_health=True, shutdown_timeout=30,
    )  # fmt: skip


class Runtime:
    """The worker side of one process; ``start``/``stop`` around a web server, or ``run``."""

    def __init__(self, services: Services, workers: int) -> None:
        self.services = services
        self.pump = MailPump(services.tasks._send_email)
        services.tasks.dispatch.pump = self.pump
        self.upkeep = Upkeep(services, self.pump, "worker")
        self.consumer = consumer(services, workers)
        self.quiet = queuelog.quiet_queue_outages()

    def start(self) -> None:
        """Start every part in the background."""
        self.pump.start()
        self.upkeep.start()
        self.consumer.start()

    def run(self) -> None:
        """Run in the foreground until SIGINT/SIGTERM (Huey's consumer owns the signals)."""
        self.pump.start()
        self.upkeep.start()
        try:
            self.consumer.run()
        finally:
            self._stop_rest()

    def stop(self) -> None:
        """Stop taking work, let running tasks end, then stop mail and upkeep."""
        self.consumer.stop(graceful=True)
        self._stop_rest()

    def _stop_rest(self) -> None:
        self.upkeep.stop()
        self.pump.stop()
        queuelog.remove(self.quiet)
