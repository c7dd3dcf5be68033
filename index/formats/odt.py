"""ODT (OpenDocument text) with the standard library: it is a ZIP of XML files.

Headings (``text:h``) and paragraphs (``text:p``, also inside lists and table
cells) become one line each, in document order; ``meta.xml`` gives title,
author and creation date. Annotations (comments) are left out.
"""

from __future__ import annotations

import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import clean_line, normalize_date
from .docx import check_zip

__all__ = ["load_odt"]

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_P, _H = f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"
_SPACE, _TAB, _BREAK = f"{{{_TEXT}}}s", f"{{{_TEXT}}}tab", f"{{{_TEXT}}}line-break"
_MAX_SPACES = 16
_SKIP = {f"{{{_OFFICE}}}annotation", f"{{{_TEXT}}}note-citation", f"{{{_TEXT}}}tracked-changes"}


def _inline_text(element: ET.Element, out: list[str]) -> None:
    if element.text:
        out.append(element.text)
    for child in element:
        if child.tag == _SPACE:
            # text:c repeats the space; clean_line collapses runs anyway, and a huge count
            # ("1000000000") must not allocate gigabytes.
            out.append(" " * min(_MAX_SPACES, max(1, int(child.get(f"{{{_TEXT}}}c", "1")))))
        elif child.tag in (_TAB, _BREAK):
            out.append(" ")
        elif child.tag not in _SKIP and child.tag not in (_P, _H):
            _inline_text(child, out)
        if child.tail:
            out.append(child.tail)


def _blocks(element: ET.Element, lines: list[str], headings: list[str]) -> None:
    for child in element:
        if child.tag in _SKIP:
            continue
        if child.tag in (_P, _H):
            parts: list[str] = []
            _inline_text(child, parts)
            text = clean_line("".join(parts))
            if text:
                lines.append(text)
                if child.tag == _H:
                    headings.append(text)
            _blocks(child, lines, headings)  # a frame or note body can nest paragraphs
        else:
            _blocks(child, lines, headings)


def load_odt(path: Path, doc_id: str) -> Document:
    check_zip(path, "content.xml", "ODT")
    try:
        with zipfile.ZipFile(path) as archive:
            content = ET.fromstring(archive.read("content.xml"))
            meta = ET.fromstring(archive.read("meta.xml")) if "meta.xml" in archive.namelist() else None
    except (OSError, RecursionError, MemoryError):
        raise  # load_file reports these with their own reason
    except Exception as exc:  # noqa: BLE001 - zipfile raises zlib.error, EOFError, NotImplementedError... on damage
        raise LoaderError(f"{path}: broken ODT ({type(exc).__name__}: {exc})") from None
    body = content.find(f"{{{_OFFICE}}}body")
    lines: list[str] = []
    headings: list[str] = []
    _blocks(body if body is not None else content, lines, headings)
    if not lines:
        raise LoaderError(f"{path}: ODT has no text")

    def meta_field(tag: str) -> str | None:
        node = meta.find(f".//{tag}") if meta is not None else None
        return clean_line(node.text) if node is not None and node.text else None

    created = normalize_date(meta_field(f"{{{_META}}}creation-date"))
    author = meta_field(f"{{{_META}}}initial-creator") or meta_field(f"{{{_DC}}}creator")
    metadata: dict = {"format": "odt"}
    if author:
        metadata["author"] = author
    if created:
        metadata["created"] = created
    if headings:
        metadata["headings"] = headings[:50]
    title = meta_field(f"{{{_DC}}}title") or (headings[0] if headings else None) or (lines[0] if len(lines[0]) <= 150 else path.stem)
    return Document(id=doc_id, title=title, text="\n".join(lines), path=str(path), date=created, metadata=metadata)
