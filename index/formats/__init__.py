"""Every document format the index reads, in one static registry.

:data:`LOADERS` maps a file extension to its loader: plain text and the seed
news format, Markdown, HTML, PDF, DOCX, ODT and record files (JSON, JSON lines,
CSV). :func:`sniff` looks at a file's first bytes before its name, so a ``.txt``
that is really HTML, a PDF saved without extension, or a DOCX named ``.bin`` is
read by the right loader. :func:`loader_for` combines the two, and
:func:`supported_extensions` is the one list of readable extensions (the CLI,
the UI's upload check and the docs use it). Each loader imports its library
(trafilatura, pypdf, python-docx) inside the function, so ``import index``
stays fast. See docs/FORMATS.md for what each format yields.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from ..documents import Document
from .docx import load_docx
from .html import load_html
from .markdown import load_markdown
from .odt import load_odt
from .pdf import load_pdf
from .records import load_records
from .text import load_text, parse_news, read_text_file

__all__ = ["LOADERS", "Loader", "SNIFF_BYTES", "loader_for", "sniff", "supported_extensions", "load_docx",
           "load_html", "load_markdown", "load_odt", "load_pdf", "load_records", "load_text", "parse_news",
           "read_text_file"]

# A loader takes (path, document id) and returns documents (several for record files).
Loader = Callable[[Path, str], "Document | list[Document]"]

# Read-only, so that nothing can add a format behind the registry's back at import time.
LOADERS: Mapping[str, Loader] = MappingProxyType({
    ".txt": load_text,
    ".text": load_text,
    ".news": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".xhtml": load_html,
    ".shtml": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".odt": load_odt,
    ".json": load_records,
    ".jsonl": load_records,
    ".ndjson": load_records,
    ".csv": load_records,
    ".tsv": load_records,
})

# How much of a file the sniffer reads.
SNIFF_BYTES = 8192

# An array of objects or an object with a quoted key: not a TOML/INI "[section]" header.
_JSON_RECORDS = re.compile(rb'\s*(?:\[\s*\{|\{\s*")')
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body")


def supported_extensions() -> tuple[str, ...]:
    """Every file extension a loader accepts (``.txt``, ``.md``, ``.odt``, ``.tsv``, ``.ndjson``...), sorted."""
    return tuple(sorted(LOADERS))


def _looks_like_html(head: bytes) -> bool:
    for bom in (b"\xef\xbb\xbf",):
        head = head.removeprefix(bom)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[2:].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    text = text.lstrip().lower()
    while text.startswith("<!--"):  # leading comments ("saved from url=...")
        end = text.find("-->")
        if end == -1:
            return False
        text = text[end + 3:].lstrip()
    if text.startswith("<?xml"):
        return "<html" in text[:2048]
    return text.startswith(_HTML_STARTS)


def sniff(path: Path, head: bytes) -> Loader | None:
    """The loader that the file's content calls for, or None to go by extension.

    Content wins over the extension only when it is unambiguous: a PDF or
    ZIP signature, or markup that opens an HTML document. JSON is recognised
    only in files whose extension names no format (``[`` could begin a .txt).
    """
    if head.lstrip()[:5] == b"%PDF-":
        return load_pdf
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "word/document.xml" in names:
                    return load_docx
                if "mimetype" in names and archive.read("mimetype").strip() == _ODT_MIMETYPE:
                    return load_odt
        except Exception:  # noqa: BLE001 - a damaged archive raises zlib.error, EOFError, NotImplementedError...
            return None  # sniffing never fails a file: it goes by its extension, and its loader reports the damage
        return None
    if _looks_like_html(head):
        return load_html
    if path.suffix.lower() not in LOADERS and _JSON_RECORDS.match(head.removeprefix(b"\xef\xbb\xbf")):
        return load_records
    return None


def loader_for(path: Path) -> Loader | None:
    """The loader for ``path``: by content when :func:`sniff` recognises it, else by extension."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        head = b""
    return sniff(path, head) or LOADERS.get(path.suffix.lower())
