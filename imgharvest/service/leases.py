"""Leases in the database: one holder of a named duty (e.g. housekeeping) at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.store.models import Lease


class Leases:
    """Take, renew and give back named leases; a lease lapses at ``expires_at``."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock

    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew ``name`` for ``seconds``; False while another holder's lease runs."""
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        with self.sessions.begin() as session:
            result = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
                .values(holder=holder, expires_at=until)
            )
            if getattr(result, "rowcount", 0) == 1:
                return True
        try:
            with self.sessions.begin() as session:
                session.add(Lease(name=name, holder=holder, expires_at=until))
        except IntegrityError:
            return False  # the row exists and somebody else holds it
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease back (only if still held by ``holder``)."""
        with self.sessions.begin() as session:
            session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))

    def holder(self, name: str) -> str | None:
        """Who holds ``name`` now, if anybody."""
        with self.sessions() as session:
            lease = session.get(Lease, name)
        return lease.holder if lease and lease.expires_at >= self.clock.now() else None
