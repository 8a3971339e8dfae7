"""Runs icrawler's BingImageCrawler against the fake Bing (executed with the bench-only venv's
Python): ``icrawler_get.py BING_URL QUERY COUNT OUT_DIR THREADS``."""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup
from icrawler.builtin import BingImageCrawler
from icrawler.builtin.bing import BingFeeder, BingParser

PAGE = 20  # icrawler steps ``first`` by 20; the fake is asked for pages of 20 to match
# The fake's ``m`` JSON has a space after each colon (real Bing's has none): icrawler's own
# pattern, with optional spaces.
MURL = re.compile(r"murl\"\s*:\s*\"(.*?)\.jpg")


class SpacedBingParser(BingParser):  # type: ignore[misc]
    """icrawler's Bing parser, reading ``murl`` whether or not a space follows the colon."""

    def parse(self, response: Any) -> Iterator[dict[str, str]]:
        soup = BeautifulSoup(response.content.decode("utf-8", "ignore"), "lxml")
        for div in soup.find_all("div", class_="imgpt"):
            if div.a is None or not div.a.get("m"):
                continue
            match = MURL.search(html.unescape(div.a["m"]))
            if match:
                yield {"file_url": f"{match.group(1)}.jpg"}


def feeder_for(base: str) -> type[BingFeeder]:
    """icrawler's Bing feeder with its hard-coded host replaced by the fake's."""

    class LocalBingFeeder(BingFeeder):  # type: ignore[misc]
        def feed(self, keyword: str, offset: int, max_num: int, filters: Any = None) -> None:
            for first in range(offset, offset + max_num, PAGE):
                url = f"{base}/images/async?q={quote(keyword)}&first={first + 1}&count={PAGE}"
                self.out_queue.put(url)

    return LocalBingFeeder


def main(base: str, query: str, count: int, out_dir: str, threads: int) -> None:
    """Search the fake Bing for ``query`` and download up to ``count`` images."""
    crawler = BingImageCrawler(
        feeder_cls=feeder_for(base),
        parser_cls=SpacedBingParser,
        downloader_threads=threads,
        storage={"root_dir": out_dir},
        log_level=logging.WARNING,
    )
    crawler.crawl(query, max_num=count)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
