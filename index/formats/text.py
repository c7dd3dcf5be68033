"""Plain text and the seed news format (``.txt``, ``.text``, ``.news``), and the text decoding every text format shares.

A text file whose first three lines are a title, a ``YYYYMMDD`` date and a URL
is read as a news article; any other text file is plain text titled by its
first non-empty line.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import site_of

__all__ = ["load_text", "parse_news", "read_text_file"]

_DATE_LINE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_URL_LINE = re.compile(r"^\s*(https?://\S+|www\.\S+)\s*$")


def read_text_file(path: Path) -> str:
    """Decode a text file the way ``open(path).read()`` would with the right encoding.

    UTF-8 first (with or without BOM); then UTF-16 when a BOM says so; then
    cp1252, which decodes any byte sequence that is plausibly Western text.
    Newlines are translated like text-mode ``open`` so offsets match what a
    user gets from ``open(path, encoding=...).read()``.
    """
    raw = path.read_bytes()
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoaderError(f"{path}: looks like a binary file (NUL bytes), not text")
    for encoding in ("utf-8-sig", "utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise LoaderError(f"{path}: not valid UTF-8 or cp1252 text ({exc.reason})") from None
    # Universal newlines, as text-mode open() does.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_news(text: str, path: str, doc_id: str) -> Document | None:
    """Parse the seed news format, or return None when the header does not match.

    Line 1 title, line 2 date ``YYYYMMDD``, line 3 URL, then one paragraph per line.
    """
    lines = text.split("\n", 3)
    if len(lines) < 3:
        return None
    title, date_line, url_line = lines[0].strip(), lines[1], lines[2]
    date_match = _DATE_LINE.match(date_line)
    if not title or not date_match or not _URL_LINE.match(url_line):
        return None
    year, month, day = (int(g) for g in date_match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    body_start = len(lines[0]) + len(lines[1]) + len(lines[2]) + 3
    body_start = min(body_start, len(text))
    url = url_line.strip()
    return Document(
        id=doc_id,
        title=title,
        text=text,
        path=path,
        date=f"{year:04d}-{month:02d}-{day:02d}",
        url=url,
        source=site_of(url),
        body_start=body_start,
        metadata={"format": "news"},
    )


def load_text(path: Path, doc_id: str) -> Document:
    """A news article when the header says so, else plain text titled by its first line."""
    text = read_text_file(path)
    if not text.strip():
        raise LoaderError(f"{path}: file is empty")
    news = parse_news(text, str(path), doc_id)
    if news is not None:
        return news
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), path.stem)
    return Document(id=doc_id, title=first_line[:200], text=text, path=str(path), metadata={"format": "text"})
