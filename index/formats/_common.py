"""Helpers shared by the format loaders: dates, sites, text clean-up."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

__all__ = ["normalize_date", "site_of", "clean_line", "fix_ligatures"]

_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
# 20211118, and PDF's D:20240315120000Z (date then up to six digits of time)
_COMPACT = re.compile(r"^\s*(?:D:)?(\d{4})(\d{2})(\d{2})(?:\d{2}){0,3}(?!\d)")
_DOTTED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def normalize_date(value: object) -> str | None:
    """An ISO ``YYYY-MM-DD`` date from the many ways documents write one, or None.

    Accepts datetime/date objects, ISO 8601 (``2023-09-26T14:00:00+00:00``), PDF dates
    (``D:20230926...``), ``20230926``, ``26.09.2023`` (day first), RFC 2822 (RSS ``pubDate``), "26 September 2023",
    "Sep 26, 2023" and Unix timestamps in seconds or milliseconds. The date is taken as
    written, in the document's own time zone: "published on the 26th" stays the 26th.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        seconds = float(value)
        if 1e12 <= seconds < 1e13:  # milliseconds, as JavaScript writes them
            seconds /= 1000
        if 1e8 <= seconds < 1e10:
            return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit() and len(text) in (10, 13):
        return normalize_date(int(text))
    for pattern in (_ISO, _COMPACT):
        match = pattern.match(text)
        if match:
            return _valid(*(int(g) for g in match.groups()))
    if "," in text[:5] or re.match(r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d", text):
        try:
            return parsedate_to_datetime(text).date().isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    match = _DOTTED.match(text)  # 05.03.2024: the dotted form is day first wherever it is used
    if match:
        return _valid(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    match = _DAY_MONTH_YEAR.search(text)
    if match and match.group(2)[:3].lower() in _MONTHS:
        return _valid(int(match.group(3)), _MONTHS[match.group(2)[:3].lower()], int(match.group(1)))
    match = _MONTH_DAY_YEAR.search(text)
    if match and match.group(1)[:3].lower() in _MONTHS:
        return _valid(int(match.group(3)), _MONTHS[match.group(1)[:3].lower()], int(match.group(2)))
    return None


def site_of(url: str | None) -> str | None:
    """The host of ``url`` without ``www.``: what the ``--source`` filter matches."""
    if not url:
        return None
    host = urlparse(url if "://" in url else f"http://{url}").hostname or ""
    return host.removeprefix("www.") or None


# PDF fonts often map ligature glyphs to these code points; readers and the
# tokenizer expect the plain letters ("ﬁnancial" would never match "financial").
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad]")  # soft hyphens are invisible: drop them too
_INLINE_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def fix_ligatures(text: str) -> str:
    return text.translate(_LIGATURES)


def clean_line(line: str) -> str:
    """One line with runs of spaces/tabs collapsed and control characters dropped."""
    return _INLINE_SPACE.sub(" ", _CONTROL.sub("", line)).strip()
