"""The browser seam: the system Chromium driven by Playwright, every request through the guard.

``unavailable(settings)`` says why the browser features cannot run (no extra, no
binary); ``BrowserJob`` is one job's context; ``render_page`` loads, scrolls and
reads one page.
"""

from imgharvest.browser.host import unavailable
from imgharvest.browser.job import BrowserJob

__all__ = ["BrowserJob", "unavailable"]
