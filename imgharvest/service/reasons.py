"""Why images were not kept, in words: one map from reason code to text, for pages and emails."""

from __future__ import annotations

from collections.abc import Mapping

WORDS = {
    "http_error": "HTTP errors", "timeout": "timed out", "connection": "connection failed",
    "too_large": "too large", "too_many_redirects": "too many redirects",
    "blocked_address": "blocked address", "not_image": "not an image", "truncated": "truncated",
    "too_many_pixels": "too many pixels", "too_small": "too small",
    "format_filtered": "format filtered out", "duplicate_exact": "exact duplicates",
    "duplicate_near": "near duplicates", "robots_disallowed": "disallowed by robots.txt",
    "invalid_url": "invalid URL", "surplus": "surplus (more than asked)",
}  # fmt: skip


def count_of(n: int, noun: str) -> str:
    """``"1 image link"``, ``"2 image links"``: a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def words(code: str) -> str:
    """The words for one reason code (unknown codes lose their underscores)."""
    return WORDS.get(code, code.replace("_", " "))


def rows(rejected: Mapping[str, int]) -> list[tuple[str, int]]:
    """Rejection counts by reason in words, biggest first, zeros left out."""
    ordered = sorted(rejected.items(), key=lambda item: (-item[1], item[0]))
    return [(words(code), n) for code, n in ordered if n]


def sentence(rejected: Mapping[str, int]) -> str:
    """``"3 not an image, 2 exact duplicates"`` (empty when nothing was rejected)."""
    return ", ".join(f"{n} {text}" for text, n in rows(rejected))


def failure_text(error: str | None) -> str:
    """A failed job's reason as shown to people."""
    return error or "no reason was recorded"


def kept_summary(kept: int, wanted: int, tried: int, source_errors: Mapping[str, str]) -> str:
    """A finished harvest in one line of words (rejections are listed on their own)."""
    if kept >= wanted:
        return f"{kept} of {wanted} images kept from {tried} candidates"
    line = f"only {kept} of {wanted} images could be found after trying {tried} candidates"
    return line + _source_failures(source_errors)


def all_summary(kept: int, found: int, tried: int, capped: bool) -> str:
    """A crawl that downloads every image found (no maximum asked)."""
    line = (
        f"{count_of(kept, 'image')} kept of {count_of(found, 'image link')} found "
        f"({count_of(tried, 'download')} tried)"
    )
    return line + ("; the rest is beyond the per-job maximum" if capped else "")


def nothing_kept(tried: int, source_errors: Mapping[str, str]) -> str:
    """Why a run ended with no image at all (the job fails with this reason); the reasons per
    image are listed on their own, once."""
    if not tried:
        line = "no image was found: the sources returned no candidates"
    else:
        line = f"no image could be kept from {tried} candidates"
    return line + _source_failures(source_errors)


def _source_failures(source_errors: Mapping[str, str]) -> str:
    return "; source failures: " + "; ".join(source_errors.values()) if source_errors else ""
