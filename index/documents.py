"""The nouns of the corpus side: documents and chunks.

A :class:`Document` holds the full decoded text of its source. For text formats
(news, .txt, .md) that is exactly what ``open(path, encoding=...).read()``
returns, so character offsets into ``Document.text`` are offsets into the file.
A :class:`Chunk` is a span of that text: ``doc.text[chunk.start:chunk.end] ==
chunk.text`` always holds.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Document", "Chunk", "capped", "MAX_TITLE_CHARS", "MAX_URL_CHARS", "MAX_SOURCE_CHARS", "MAX_METADATA_CHARS", "chunk_id_for", "content_hash", "document_id_for", "file_sha256"]


def content_hash(text: str) -> str:
    """sha256 of the UTF-8 text: used to skip unchanged documents and store duplicates once."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_id_for(source: str) -> str:
    """Stable document id: the first 16 hex digits of sha256 of the source key.

    The source key is the resolved file path (plus ``#n`` for the n-th record of
    a multi-record file), so re-indexing the same file after an edit keeps its
    id, and the edit replaces the old version instead of adding a second one.
    """
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def chunk_id_for(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}-{ordinal}"


@dataclass(frozen=True)
class Document:
    """One source document.

    ``body_start`` marks where the body begins in ``text`` (after a news header
    of title / date / URL lines); chunks never cover the header, but their
    offsets are still into the full ``text``.
    """

    id: str
    title: str
    text: str
    path: str = ""
    date: str | None = None  # ISO 8601 date, YYYY-MM-DD
    url: str | None = None
    source: str | None = None  # site or publisher, used by the --source filter
    body_start: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pages: tuple[tuple[int, int], ...] = ()  # (page number, start offset) for paged formats

    @property
    def hash(self) -> str:
        return content_hash(self.text)

    def page_at(self, offset: int) -> int | None:
        """Page number that holds character ``offset`` (None for unpaged formats)."""
        page = None
        for number, start in self.pages:
            if start > offset:
                break
            page = number
        return page


@dataclass(frozen=True)
class Chunk:
    """A span of a document's text, the unit that is embedded and retrieved.

    ``id`` is ``"<doc_id>-<ordinal>"``: readable, stable while the document is
    unchanged, and enough to find the passage again (``rag lookup ID``).
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    n_tokens: int
    ordinal: int = 0  # position of the chunk within its document


# Length caps on metadata read from files (a front matter or JSON record can hold a 100 KB
# "title"): every search result, citation and the UI would carry it. The text itself is not capped.
MAX_TITLE_CHARS = 300
MAX_URL_CHARS = 2_000
MAX_SOURCE_CHARS = 200
MAX_METADATA_CHARS = 1_000  # each other string value in Document.metadata
_ISO_DAY = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")  # ASCII digits only


def is_iso_day(text: str) -> bool:
    """True if ``text`` is a real calendar day written exactly ``YYYY-MM-DD``: the one spelling
    that date filters, which compare strings, order correctly (the one check the index and the
    CLI/UI filters share)."""
    if not _ISO_DAY.fullmatch(text):
        return False
    try:
        datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False
    return True


def capped(doc: Document) -> Document:
    """``doc`` with its metadata within the caps: title 300 chars, url 2,000 (longer is dropped, a
    cut URL would be wrong), source 200, other metadata strings 1,000; a date that is not
    ``YYYY-MM-DD`` is dropped (date filters compare strings)."""
    fields: dict[str, Any] = {}
    if len(doc.title) > MAX_TITLE_CHARS:
        fields["title"] = doc.title[:MAX_TITLE_CHARS]
    if doc.url is not None and len(doc.url) > MAX_URL_CHARS:
        fields["url"] = None
    if doc.source is not None and len(doc.source) > MAX_SOURCE_CHARS:
        fields["source"] = doc.source[:MAX_SOURCE_CHARS]
    if doc.date is not None and not is_iso_day(str(doc.date)):
        fields["date"] = None
    if any(isinstance(v, str) and len(v) > MAX_METADATA_CHARS for v in doc.metadata.values()):
        fields["metadata"] = {k: v[:MAX_METADATA_CHARS] if isinstance(v, str) else v for k, v in doc.metadata.items()}
    return replace(doc, **fields) if fields else doc
