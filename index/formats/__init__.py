"""Loaders for extracted formats: HTML, PDF, DOCX, ODT and record files (JSON, JSON lines, CSV).

Importing this package registers the loaders in :data:`index.loaders.LOADERS`
by extension and a content sniffer in :data:`index.loaders.SNIFFERS`, so a
``.txt`` that is really HTML, a PDF saved without extension, or a DOCX named
``.bin`` is read by the right loader. Each loader imports its library
(trafilatura, pypdf, python-docx) inside the function, so ``import index``
stays fast. See docs/FORMATS.md for what each format yields.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..loaders import LOADERS, SNIFFERS, Loader
from .docx import load_docx
from .html import load_html
from .odt import load_odt
from .pdf import load_pdf
from .records import load_records

__all__ = ["FORMAT_LOADERS", "sniff", "load_docx", "load_html", "load_odt", "load_pdf", "load_records"]

FORMAT_LOADERS: dict[str, Loader] = {
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
}

# An array of objects or an object with a quoted key: not a TOML/INI "[section]" header.
_JSON_RECORDS = re.compile(rb'\s*(?:\[\s*\{|\{\s*")')
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body")


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


for _suffix, _loader in FORMAT_LOADERS.items():
    LOADERS.setdefault(_suffix, _loader)
if sniff not in SNIFFERS:
    SNIFFERS.append(sniff)
