"""``JobService``: the job service's concerns (submissions, views, the run lifecycle, expiry),
each a class of its own over one data seam, as the one object the web, the API, the CLI and
the workers hold."""

from __future__ import annotations

from imgharvest.service.expiry import Expiry
from imgharvest.service.fetchsubmit import FetchSubmissions
from imgharvest.service.keptparts import KeptParts
from imgharvest.service.parts import PartLifecycle


class JobService(FetchSubmissions, KeptParts, PartLifecycle):
    """Every concern of the job service on one ``JobData`` seam."""

    def expire_due(self) -> list[str]:
        """Ended jobs past their link's lifetime become tombstones; old tombstones go."""
        return Expiry(self.sessions, self.settings, self.clock, self.store).sweep().expired
