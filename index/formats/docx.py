"""DOCX (python-docx): paragraphs, headings and tables in document order, core properties as metadata.

``Document.text`` has one line per paragraph, heading or table row (cells
joined by `` | ``); empty paragraphs are dropped. The title is the core
property ``title``, else the first Title/Heading paragraph, else the first line.
Core properties ``author`` and ``created`` become metadata, and ``created``
the document date (the only date a DOCX reliably has).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import clean_line, normalize_date

__all__ = ["load_docx", "check_zip"]

# Uncompressed size allowed for one archive member: a 50 MB file limit means
# nothing if a 1 MB "zip bomb" inflates to gigabytes.
MAX_MEMBER_BYTES = 256 * 1024 * 1024


def check_zip(path: Path, member: str, kind: str) -> None:
    """Raise LoaderError unless ``path`` is a ZIP with ``member`` of a sane size."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise LoaderError(f"{path}: not a {kind} file (no {member} inside the archive)") from None
            if info.file_size > MAX_MEMBER_BYTES:
                raise LoaderError(f"{path}: {member} inflates to {info.file_size / 1e6:.0f} MB; refusing to read it")
    except zipfile.BadZipFile as exc:
        raise LoaderError(f"{path}: not a {kind} file ({exc})") from None
    except NotImplementedError as exc:  # a damaged header claims a zip version or feature zipfile lacks
        raise LoaderError(f"{path}: broken {kind} file ({exc})") from None


def load_docx(path: Path, doc_id: str) -> Document:
    check_zip(path, "word/document.xml", "DOCX")
    import docx  # python-docx; lazy import
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises assorted lxml/KeyError/ValueError on broken parts
        raise LoaderError(f"{path}: broken DOCX ({type(exc).__name__}: {exc})") from None

    # Paragraph.style resolves the style through XPath on every call (60% of load time):
    # resolve each style id once; a paragraph without one has the default (body) style.
    style_names: dict[str, str] = {}
    lines: list[str] = []
    headings: list[str] = []
    styled_title: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = clean_line(" ".join(p.text for p in cell.paragraphs))
                    if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
            continue
        text = clean_line(block.text)
        if not text:
            continue
        style = _style_name(block, style_names)
        if style == "Title" or style.startswith("Heading"):
            headings.append(text)
            if styled_title is None and style in ("Title", "Heading 1"):
                styled_title = text
        lines.append(text)
    if not lines:
        raise LoaderError(f"{path}: DOCX has no text")
    text = "\n".join(lines)

    props = document.core_properties
    created = normalize_date(props.created)
    metadata: dict = {"format": "docx"}
    if props.author:
        metadata["author"] = props.author
    if created:
        metadata["created"] = created
    if props.modified:
        metadata["modified"] = normalize_date(props.modified)
    for key in ("subject", "keywords", "category"):
        value = getattr(props, key, None)
        if value:
            metadata[key] = value
    if headings:
        metadata["headings"] = headings[:50]
    title = clean_line(props.title or "") or styled_title or (lines[0] if len(lines[0]) <= 150 else path.stem)
    return Document(id=doc_id, title=title, text=text, path=str(path), date=created, metadata=metadata)


def _style_name(paragraph, style_names: dict[str, str]) -> str:
    style_id = getattr(getattr(paragraph, "_p", None), "style", None)  # the w:pStyle value, or None
    if style_id is None:
        return ""
    if style_id not in style_names:
        style = paragraph.style
        style_names[style_id] = (style.name if style is not None else "") or ""
    return style_names[style_id]
