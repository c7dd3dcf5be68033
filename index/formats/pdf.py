"""PDF: the text layer page by page, with page offsets for citations.

Text comes from pypdf (pure Python, BSD; see docs/FORMATS.md for the comparison
with PyMuPDF that chose it). A PDF has lines, not paragraphs, so the raw page
text is rebuilt into one paragraph per line, the layout the chunker expects:

* line-end hyphenation is undone ("exam-" + "ple" -> "example"), unless the
  hyphenated form is the one the document itself uses elsewhere ("well-known");
* a line clearly shorter than the page's full lines ends its paragraph, and so
  does a blank line; a bullet or number starts a new one;
* running headers and footers (the same line at the top or bottom of most
  pages, digits ignored) and bare page numbers are dropped;
* a sentence that runs on to the next page is joined across the page break.

Multi-column pages are read in the order the PDF stores its text, which for the
usual generators is column after column.

``Document.pages`` lists ``(page number, offset)`` for every page with text, so
``Document.page_at(chunk.start)`` gives the page a citation points to.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document
from ..errors import LoaderError
from ._common import clean_line, fix_ligatures, normalize_date

__all__ = ["load_pdf", "pages_to_text", "read_pdf_pypdf"]

# A page with fewer extractable characters than this is treated as having no text layer.
_MIN_CHARS = 20
# A line shorter than this share of the page's full line width ends its paragraph.
_SHORT_LINE = 0.7

_BULLET = re.compile(r"^(?:[-\u2022\u25aa\u25e6\u2023\u2043*\u00b7\u2013]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s)")
_PAGE_NUMBER = re.compile(r"^[-\u2013\u2014\s]*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?[-\u2013\u2014\s]*$", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_TRAILING_WORD = re.compile(r"([^\W\d_]+)-$")
# _TRAILING_WORD is only tried on a line's last characters: searched over a whole long
# line or paragraph it retries from every letter, quadratic in the length.
_TAIL_CHARS = 64
_LEADING_WORD = re.compile(r"^([^\W\d_]+)")
_SENTENCE_END = re.compile(r"[.!?:;\"'\u201d\u2019)\]]$")


def read_pdf_pypdf(path: Path) -> tuple[list[str], dict]:
    """Raw text of each page and the document info (title, author, creation date) via pypdf."""
    import pypdf  # lazy: only PDF indexing pays for the import
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to set permissions.
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # unsupported algorithm, or AES without the cryptography package
                raise LoaderError(f"{path}: encrypted PDF cannot be read ({exc})") from None
            if not opened:
                raise LoaderError(f"{path}: PDF is password-protected")
        pages = []
        for page in reader.pages:
            try:
                pages.append(_page_text(page))
            except Exception:  # one unreadable page (bad font program, broken stream) is left empty
                pages.append("")
        info = {}
        try:
            meta = reader.metadata
        except Exception:
            meta = None
        if meta:
            info["title"] = _info_str(meta.get("/Title"))
            info["author"] = _info_str(meta.get("/Author"))
            info["created"] = normalize_date(_info_str(meta.get("/CreationDate")))
    except LoaderError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files (PdfReadError, KeyError, zlib.error...)
        raise LoaderError(f"{path}: broken PDF ({type(exc).__name__}: {exc})") from None
    return pages, info


def _page_text(page) -> str:
    """The page's text with a blank line wherever the layout shows a paragraph break.

    pypdf's plain text has lines but no spacing; its visitor reports where each
    piece of text sits. A gap between baselines clearly wider than the page's
    usual line spacing, or a change of font size (a heading), marks a new
    paragraph. When the pieces do not add up to the returned text (a pypdf
    version that post-processes it), the text is used as it is.
    """
    pieces: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list, tm: list, font: object, size: float) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (abs(tm[3]) or abs(tm[1]) or 1.0) * (abs(cm[3]) or abs(cm[1]) or 1.0)
        pieces.append((text, y, float(size or 0) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(p[0] for p in pieces) != text:
        return text
    lines: list[tuple[str, float | None, float]] = []  # (text, baseline y, font size)
    current, y, size = [], None, 0.0
    for piece, piece_y, piece_size in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:  # a newline inside the piece ends the current line
                lines.append(("".join(current), y, size))
                current, y, size = [], None, 0.0
            if part.strip():
                if y is None:
                    y = piece_y
                size = max(size, piece_size)
            current.append(part)
    lines.append(("".join(current), y, size))
    gaps = [a[1] - b[1] for a, b in zip(lines, lines[1:])
            if a[1] is not None and b[1] is not None and 0 < a[1] - b[1] < 4 * max(a[2], b[2], 1.0)]
    if not gaps:
        return text
    # The usual line spacing is the most common gap (ties: the smaller); the median would be
    # a paragraph gap on a page of short paragraphs.
    counts: dict[float, int] = {}
    for gap in gaps:
        counts[round(gap * 2) / 2] = counts.get(round(gap * 2) / 2, 0) + 1
    usual = min(counts, key=lambda g: (-counts[g], g))
    out = [lines[0][0]]
    for (_, prev_y, prev_size), (line, line_y, line_size) in zip(lines, lines[1:]):
        if prev_y is not None and line_y is not None and (
                prev_y - line_y > 1.3 * usual or (prev_size and line_size and abs(line_size - prev_size) > 0.5)):
            out.append("")  # paragraph break; an upward jump (next column) says nothing
        out.append(line)
    return "\n".join(out)


def _info_str(value: object) -> str | None:
    if value is None:
        return None
    try:
        text = str(value.get_object() if hasattr(value, "get_object") else value)
    except Exception:
        return None
    text = clean_line(text)
    return text or None


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop bare page numbers, and headers/footers repeated on most pages."""
    tops: dict[str, int] = {}
    bottoms: dict[str, int] = {}
    for lines in pages:
        content = [ln for ln in lines if ln]
        if content:
            tops[_key(content[0])] = tops.get(_key(content[0]), 0) + 1
            bottoms[_key(content[-1])] = bottoms.get(_key(content[-1]), 0) + 1
    with_text = sum(1 for lines in pages if any(lines))
    threshold = max(3, (with_text + 1) // 2)
    running_top = {k for k, n in tops.items() if n >= threshold}
    running_bottom = {k for k, n in bottoms.items() if n >= threshold}
    result = []
    for lines in pages:
        lines = list(lines)
        for _ in range(2):  # a header line and a page number line, in either order
            idx = next((i for i, ln in enumerate(lines) if ln), None)
            if idx is not None and (_key(lines[idx]) in running_top or _PAGE_NUMBER.match(lines[idx])):
                del lines[idx]
            idx = next((i for i in range(len(lines) - 1, -1, -1) if lines[i]), None)
            if idx is not None and (_key(lines[idx]) in running_bottom or _PAGE_NUMBER.match(lines[idx])):
                del lines[idx]
        result.append(lines)
    return result


def _trailing_word(line: str) -> re.Match | None:
    """The word broken by a hyphen at the end of ``line`` ("exam-"), or None."""
    if not line.endswith("-"):
        return None
    return _TRAILING_WORD.search(line, max(0, len(line) - _TAIL_CHARS))


def _join(left: str, right: str, vocabulary: set[str]) -> str:
    """Join two lines of one paragraph, undoing line-end hyphenation."""
    if not left:
        return right
    if left.endswith("-") and left[-2:-1].isalnum():
        before, after = _trailing_word(left), _LEADING_WORD.match(right)
        if not right[:1].islower() or not (before and after):
            return left + right  # "COVID-" + "19", "Anglo-" + "Saxon": the hyphen belongs to the text
        joined, hyphenated = (before.group(1) + after.group(1)).lower(), f"{before.group(1)}-{after.group(1)}".lower()
        if hyphenated in vocabulary and joined not in vocabulary:
            return left + right  # a real compound that happened to break at its hyphen
        return left[:-1] + right
    return f"{left} {right}"


def _paragraphs(lines: list[str], vocabulary: set[str]) -> list[str]:
    widths = sorted(len(ln) for ln in lines if ln)
    if not widths:
        return []
    full = widths[int(0.8 * (len(widths) - 1))]
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current and _BULLET.match(line):
            paragraphs.append(current)
            current = ""
        current = _join(current, line, vocabulary)
        if len(line) < _SHORT_LINE * full and not _trailing_word(line):  # "exam-" goes on
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def pages_to_text(raw_pages: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Rebuild paragraphs from raw page texts; returns the text and its (page, offset) list.

    Pages are numbered from 1 as printed by viewers (the PDF's page index + 1).
    """
    split_pages = []
    for raw in raw_pages:
        raw = fix_ligatures(raw).replace("\r\n", "\n").replace("\r", "\n")
        # A soft hyphen at a line end is a hyphenation point: make it visible to _join.
        raw = re.sub("\u00ad[ \t]*\n", "-\n", raw)
        split_pages.append([clean_line(ln) for ln in raw.split("\n")])
    split_pages = _strip_running_lines(split_pages)
    vocabulary = {w.lower() for lines in split_pages for ln in lines for w in _WORD.findall(ln)}

    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    length = 0
    for number, lines in enumerate(split_pages, start=1):
        paragraphs = _paragraphs(lines, vocabulary)
        if not paragraphs:
            continue
        page_text = "\n".join(paragraphs)
        if parts:
            previous = parts[-1]
            if not _SENTENCE_END.search(previous) and page_text[:1].islower():
                # The sentence runs on across the page break: keep it whole for the chunker.
                joined = _join(previous, page_text, vocabulary)
                base = length - len(previous)
                parts[-1] = joined
                length = base + len(joined)
                pages.append((number, length - len(page_text)))  # _join keeps the right side whole
                continue
            parts.append("\n")
            length += 1
        pages.append((number, length))
        parts.append(page_text)
        length += len(page_text)
    text = "".join(parts)
    assert length == len(text)
    return text, tuple(pages)


def load_pdf(path: Path, doc_id: str) -> Document:
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise LoaderError(f"{path}: not a PDF (no %PDF header)")
    raw_pages, info = read_pdf_pypdf(path)
    if not raw_pages:
        raise LoaderError(f"{path}: PDF has no pages")
    if sum(len(p.strip()) for p in raw_pages) < _MIN_CHARS:
        raise LoaderError(f"{path}: no text layer (scanned PDF?); run OCR first, e.g. ocrmypdf")
    text, pages = pages_to_text(raw_pages)
    if not text.strip():
        raise LoaderError(f"{path}: no text layer (scanned PDF?); run OCR first, e.g. ocrmypdf")
    title = info.get("title")
    if not title or _is_junk_title(title):
        first = text[: text.find("\n")] if "\n" in text else text
        title = first if 0 < len(first) <= 150 else path.stem
    metadata: dict = {"format": "pdf", "page_count": len(raw_pages)}
    blank = [n for n, raw in enumerate(raw_pages, start=1) if len(raw.strip()) < _MIN_CHARS]
    if blank:  # scanned pages inside a text PDF, or empty ones: their content is not indexed
        metadata["pages_without_text"] = blank[:100]
    if info.get("author"):
        metadata["author"] = info["author"]
    if info.get("created"):
        metadata["created"] = info["created"]
    return Document(id=doc_id, title=title, text=text, path=str(path), date=info.get("created"),
                    metadata=metadata, pages=pages)


def _is_junk_title(title: str) -> bool:
    """Titles that word processors fill in by themselves say nothing about the document."""
    lowered = title.lower()
    return (lowered in {"untitled", "title", "document", "slide 1", "pdf"} or lowered.startswith("microsoft word - ")
            or bool(re.fullmatch(r"[\w\-. ]+\.(?:docx?|pdf|odt|rtf|tex|indd|qxd)", lowered)))
