"""How a downloaded body goes to disk, the same for both download backends."""

from __future__ import annotations

# A body up to SPOOL bytes stays in memory and is written in one go (creating a file costs
# far more than writing it); a larger one spills to its file through a WRITE_BUFFER.
SPOOL = 256 * 1024
WRITE_BUFFER = 256 * 1024
