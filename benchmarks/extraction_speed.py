"""Extraction speed of the format loaders, and the PDF library comparison behind docs/FORMATS.md.

    .venv/bin/python -m benchmarks.extraction_speed [--pdf-docs 12 --pages 10 --html 200 --docx 100]

Writes its own test files into a temporary folder (PDFs with reportlab, whose
every line, hyphenation break, header and footer is known; HTML pages with
navigation and scripts; DOCX with python-docx) and reads them with the project's
loaders. Records are read from ../shared/data/beir-scifact/corpus.jsonl when
present. Needs ``reportlab`` (PDF writing) and, for the comparison, ``pymupdf``:
``.venv/bin/pip install reportlab pymupdf`` - neither is a project dependency.

PDF readers compared: pypdf ``extract_text()``; pypdf+gaps, what load_pdf uses (the same text plus
blank lines where line spacing shows a paragraph break); PyMuPDF ``get_text("text")``; and
pymupdf-b, PyMuPDF's ``get_text("blocks")`` with blocks as paragraphs.
Quality is measured on the text after the same clean-up (index.formats.pdf.pages_to_text):
  words     difflib ratio of extracted vs. true word sequence (1.0 = identical, order included)
  paras     share of true paragraphs found as an exact line of the output
  junk/1k   output words that are not in the true text, per 1000 words (broken hyphenation, merged words)
  page ok   share of paragraphs whose offset maps to the page they start on (Document.page_at)
  running   header/footer lines left in the output (should be 0)
Speeds are best-of-3 wall times on one core.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import tempfile
import time
from pathlib import Path

from benchmarks.bench_common import ROOT
from index.documents import Document
from index.formats.docx import load_docx
from index.formats.html import load_html
from index.formats.pdf import load_pdf, pages_to_text, read_pdf_pypdf
from index.formats.records import load_records

WORDS = ("the council said on Tuesday that new bridge will open in spring after two years of work and residents "
         "asked about traffic buses ferry island harbour budget mayor plan city roads cost million euros year "
         "report shows growth jobs schools water energy prices").split()
LONG = ("infrastructure administration consultation environmental transportation representatives "
        "construction neighbourhood municipality development participation responsibility").split()
COMPOUNDS = ["well-known", "long-term", "cross-border", "state-owned"]
UNICODE = ["café", "“quoted”", "naïve", "résumé", "it’s", "2024–2025"]
HEADER = "Port Alder Annual Report 2024"


def make_paragraphs(rng: random.Random, n: int, unicode: bool) -> list[str]:
    paragraphs = []
    for i in range(n):
        if i % 6 == 0:
            paragraphs.append(f"Section {i // 6 + 1}: {rng.choice(WORDS).title()} and {rng.choice(WORDS)}")
            continue
        sentences = []
        for _ in range(rng.randint(3, 6)):
            pool = WORDS * 3 + LONG + COMPOUNDS + (UNICODE if unicode else [])
            words = [rng.choice(pool) for _ in range(rng.randint(8, 20))]
            sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
        paragraphs.append(" ".join(sentences))
    return paragraphs


def write_pdf(path: Path, paragraphs: list[str], font: str, two_column_every: int = 3) -> list[int]:
    """Lay out paragraphs with hyphenation; return the page (1-based) each paragraph starts on."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    size, leading, margin = 10.5, 14, 72
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(path.stem.replace("_", " ").title())
    c.setAuthor("Benchmark Writer")
    starts: list[int] = []
    page = 1
    columns: list[tuple[float, float]] = []
    y = 0.0

    def new_page() -> None:
        nonlocal page, columns, y
        c.setFont(font, 9)
        c.drawString(margin, height - 40, HEADER)
        c.drawCentredString(width / 2, 30, f"Page {page}")
        c.setFont(font, size)
        usable = width - 2 * margin
        if page % two_column_every == 0:
            col = (usable - 20) / 2
            columns = [(margin, col), (margin + col + 20, col)]
        else:
            columns = [(margin, usable)]
        y = height - margin

    def lines_of(text: str, col_width: float) -> list[str]:
        lines, current = [], ""
        for word in text.split():
            trial = f"{current} {word}" if current else word
            if stringWidth(trial, font, size) <= col_width:
                current = trial
                continue
            if current and len(word) >= 9 and word.replace("-", "").isalpha():
                # Hyphenate: the longest prefix (>= 4 letters, >= 3 left) that fits with its hyphen.
                cuts = [word.index("-") + 1] if "-" in word else list(range(len(word) - 3, 3, -1))
                for cut in cuts:
                    head = word[:cut] if word[cut - 1] == "-" else word[:cut] + "-"
                    if stringWidth(f"{current} {head}", font, size) <= col_width:
                        lines.append(f"{current} {head}")
                        word = word[cut:]
                        break
                else:
                    lines.append(current)
                current = word
                continue
            if current:
                lines.append(current)
            current = word
        if current:
            lines.append(current)
        return lines

    new_page()
    column = 0
    for text in paragraphs:
        heading = text.startswith("Section ")
        col_x, col_w = columns[column]
        for index, line in enumerate(lines_of(text, col_w)):
            if y < margin:
                column += 1
                if column >= len(columns):
                    c.showPage()
                    page += 1
                    new_page()
                    column = 0
                else:
                    y = height - margin
                col_x, col_w = columns[column]
            if index == 0:
                starts.append(page)
            c.setFont(font, size + 2 if heading else size)
            c.drawString(col_x, y, line)
            y -= leading
        y -= leading * 0.6  # paragraph spacing
    c.showPage()
    c.save()
    return starts


def read_pdf_pypdf_plain(path: Path) -> list[str]:
    import pypdf

    return [page.extract_text() for page in pypdf.PdfReader(str(path)).pages]


def read_pdf_pymupdf(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(str(path)) as doc:
        return [page.get_text("text") for page in doc]


def read_pdf_pymupdf_blocks(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(str(path)) as doc:
        return ["\n\n".join(b[4].strip() for b in page.get_text("blocks") if b[6] == 0) for page in doc]


def quality(paragraphs: list[str], starts: list[int], raw_pages: list[str]) -> dict:
    text, pages = pages_to_text(raw_pages)
    doc = Document(id="x", title="x", text=text, pages=pages)
    true_words = " ".join(paragraphs).split()
    out_words = text.split()
    vocabulary = set(true_words) | set(HEADER.split())
    lines = set(text.split("\n"))
    page_ok = total = 0
    for para, page in zip(paragraphs, starts):
        at = text.find(para[:60])
        if at >= 0 and text.find(para[:60], at + 1) == -1:
            total += 1
            page_ok += doc.page_at(at) == page
    return {
        "words": difflib.SequenceMatcher(None, true_words, out_words, autojunk=False).ratio(),
        "paras": sum(p in lines for p in paragraphs) / len(paragraphs),
        "junk": 1000 * sum(w not in vocabulary for w in out_words) / max(1, len(out_words)),
        "page_ok": page_ok / max(1, total),
        "running": text.count(HEADER) + len(re.findall(r"(?m)^Page \d+$", text)),
    }


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_pdf(folder: Path, n_docs: int, pages_per_doc: int) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    fonts = ["Helvetica"]
    if dejavu.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(dejavu)))
        fonts.append("DejaVuSans")
    rng = random.Random(7)
    files = []
    for i in range(n_docs):
        font = fonts[i % len(fonts)]
        paragraphs = make_paragraphs(rng, 9 * pages_per_doc, unicode=font != "Helvetica")
        path = folder / f"report_{i:02d}.pdf"
        starts = write_pdf(path, paragraphs, font)
        files.append((path, paragraphs, starts, font))
    n_pages = sum(len(read_pdf_pypdf(f[0])[0]) for f in files)
    print(f"\nPDF: {n_docs} files, {n_pages} pages (reportlab; fonts {', '.join(fonts)}; every 3rd page two columns)")

    backends = {"pypdf": read_pdf_pypdf_plain, "pypdf+gaps": lambda p: read_pdf_pypdf(p)[0]}
    try:
        import pymupdf  # noqa: F401

        backends["pymupdf"] = read_pdf_pymupdf
        backends["pymupdf-b"] = read_pdf_pymupdf_blocks
    except ImportError:
        print("  (pymupdf not installed: comparison skipped)")
    print(f"  {'library':<10} {'font':<11} {'pages/s':>8} {'words':>7} {'paras':>6} {'junk/1k':>8} {'page ok':>8} {'running':>8}")
    for name, read in backends.items():
        for font in fonts:
            subset = [f for f in files if f[3] == font]
            pages = sum(len(read(f[0])) for f in subset)
            seconds = best_of(3, lambda: [read(f[0]) for f in subset])
            scores = [quality(paras, starts, read(path)) for path, paras, starts, _ in subset]
            mean = {k: sum(s[k] for s in scores) / len(scores) for k in scores[0]}
            print(f"  {name:<10} {font:<11} {pages / seconds:8.1f} {mean['words']:7.4f} {mean['paras']:6.3f} "
                  f"{mean['junk']:8.2f} {mean['page_ok']:8.3f} {mean['running']:8.1f}")
    seconds = best_of(3, lambda: [load_pdf(f[0], "x") for f in files])
    print(f"  load_pdf (pypdf + clean-up), all files: {n_pages / seconds:.1f} pages/s, {len(files) / seconds:.1f} files/s")


HTML_TEMPLATE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} | Gazette</title>
<meta property="og:site_name" content="Gazette"><meta property="article:published_time" content="2024-03-{day:02d}T08:00:00Z">
<link rel="canonical" href="https://gazette.example/news/{i}">
<script>window.dataLayer=[];function track(){{return 1}}</script><style>body{{margin:0}}</style></head>
<body><nav><ul>{nav}</ul></nav><header><div>Gazette</div></header><main><article><h1>{title}</h1>{body}</article></main>
<aside><h3>Most read</h3><ul>{nav}</ul></aside><footer><p>Copyright Gazette. Privacy. Cookies.</p></footer></body></html>"""


def bench_html(folder: Path, n: int) -> None:
    rng = random.Random(11)
    nav = "".join(f'<li><a href="/s{k}">Section {k}</a></li>' for k in range(30))
    for i in range(n):
        paragraphs = make_paragraphs(rng, 12, unicode=True)
        body = "".join(f"<h2>{p}</h2>" if p.startswith("Section ") else f"<p>{p}</p>" for p in paragraphs)
        (folder / f"page_{i:03d}.html").write_text(
            HTML_TEMPLATE.format(title=f"Article {i}", day=i % 28 + 1, nav=nav, body=body, i=i), encoding="utf-8")
    files = sorted(folder.glob("page_*.html"))
    size = sum(f.stat().st_size for f in files) / len(files)
    load_html(files[0], "warm-up")  # the trafilatura import is paid once per process, not per page
    seconds = best_of(3, lambda: [load_html(f, "x") for f in files])
    print(f"\nHTML: {n} pages of {size / 1024:.0f} KB (trafilatura): {n / seconds:.1f} docs/s")


def bench_docx(folder: Path, n: int) -> None:
    import docx

    rng = random.Random(13)
    for i in range(n):
        d = docx.Document()
        d.core_properties.title = f"Memo {i}"
        for p in make_paragraphs(rng, 15, unicode=True):
            if p.startswith("Section "):
                d.add_heading(p, level=1)
            else:
                d.add_paragraph(p)
        d.save(str(folder / f"memo_{i:03d}.docx"))
    files = sorted(folder.glob("memo_*.docx"))
    load_docx(files[0], "warm-up")
    seconds = best_of(3, lambda: [load_docx(f, "x") for f in files])
    print(f"\nDOCX: {n} documents of 15 paragraphs (python-docx): {n / seconds:.1f} docs/s")


def bench_records(folder: Path) -> None:
    corpus = ROOT.parent / "shared" / "data" / "beir-scifact" / "corpus.jsonl"
    if not corpus.exists():
        corpus = folder / "corpus.jsonl"
        rng = random.Random(17)
        with corpus.open("w", encoding="utf-8") as fh:
            for i in range(5000):
                fh.write(json.dumps({"_id": str(i), "title": f"Record {i}", "text": " ".join(make_paragraphs(rng, 2, False))}) + "\n")
    seconds = best_of(3, lambda: load_records(corpus, "x"))
    n = len(load_records(corpus, "x"))
    print(f"\nRecords: {corpus.name} ({corpus.stat().st_size / 1e6:.1f} MB, {n} records): {n / seconds:.0f} docs/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdf-docs", type=int, default=12)
    parser.add_argument("--pages", type=int, default=10, help="pages per PDF (about)")
    parser.add_argument("--html", type=int, default=200)
    parser.add_argument("--docx", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_pdf(folder, args.pdf_docs, args.pages)
        bench_html(folder, args.html)
        bench_docx(folder, args.docx)
        bench_records(folder)


if __name__ == "__main__":
    main()
