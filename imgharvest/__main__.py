"""``python -m imgharvest``: the same as the ``imgharvest`` command."""

from __future__ import annotations

from imgharvest.cli import main

main()
