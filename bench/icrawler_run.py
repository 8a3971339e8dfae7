"""Runs icrawler's UrlListCrawler on a URL file (executed with the bench-only venv's Python)."""

from __future__ import annotations

import logging
import sys

from icrawler.builtin import UrlListCrawler


def main(urls_file: str, out_dir: str, threads: int) -> None:
    """Download every URL in ``urls_file`` into ``out_dir`` with ``threads`` downloader threads."""
    with open(urls_file, encoding="utf-8") as f:
        count = sum(1 for line in f if line.strip())
    crawler = UrlListCrawler(
        downloader_threads=threads,
        storage={"root_dir": out_dir},
        log_level=logging.WARNING,
    )
    crawler.crawl(urls_file, max_num=count)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
