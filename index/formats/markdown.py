"""Markdown (``.md``, ``.markdown``): the file as decoded, titled by its front matter or first heading.

Only flat ``key: value`` front matter lines are read (no YAML parser needed);
``title``, ``date``, ``url`` and ``source`` fill the document's fields and the
other keys its metadata.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import site_of
from .text import read_text_file

__all__ = ["load_markdown"]

# One ATX heading line: up to 3 spaces, 1-6 '#', a space, the rest of the line. Possessive
# quantifiers and the closing '#'s stripped in Python keep it linear: the former pattern
# "\s+(.+?)\s*#*\s*$" backtracked for minutes over a heading with a long run of spaces.
_MD_HEADING = re.compile(r"^[ \t]{0,3}+#{1,6}+[ \t]++(.+)$", re.M)
# "key: value" front matter lines (the value is stripped in Python, for the same reason).
_FRONT_MATTER_FIELD = re.compile(r"^(\w++):[ \t]*+(.*)$", re.M)
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _first_heading(text: str, start: int) -> str | None:
    """Text of the first Markdown heading at or after ``start``, without its closing '#'s."""
    for match in _MD_HEADING.finditer(text, start):
        line = match.group(1).rstrip()
        title = line.rstrip("#").rstrip() or line
        if title:
            return title
    return None


def _iso_date(value: str) -> str | None:
    match = _ISO_DATE.search(value or "")
    if not match:
        return None
    year, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{year}-{month}-{day}"


def load_markdown(path: Path, doc_id: str) -> Document:
    text = read_text_file(path)
    if not text.strip():
        raise LoaderError(f"{path}: file is empty")
    meta: dict[str, str] = {}
    body_start = 0
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            fields = ((k, v.strip()) for k, v in _FRONT_MATTER_FIELD.findall(text[4:end]))
            meta = {k.lower(): v.strip("\"'") for k, v in fields if v}
            body_start = min(len(text), end + 4)
    title = meta.get("title") or _first_heading(text, body_start) or path.stem
    date = _iso_date(meta.get("date", ""))
    url = meta.get("url")
    return Document(
        id=doc_id,
        title=title,
        text=text,
        path=str(path),
        date=date,
        url=url,
        source=meta.get("source") or site_of(url),
        body_start=body_start,
        metadata={"format": "markdown", **{k: v for k, v in meta.items() if k not in {"title", "date", "url"}}},
    )
