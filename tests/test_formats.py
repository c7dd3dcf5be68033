"""HTML, PDF, DOCX, ODT and record files: real files written here with the same libraries, indexed for real.

One index (real MiniLM embedder, FAISS, SQLite) is built per module from a
folder holding one file of each format plus mislabelled, scanned and broken
ones; the tests read documents and chunks back from it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from index import CorpusIndex, LoaderError, SearchFilter, load_file, load_path
from index.documents import document_id_for
from index.formats import load_records, sniff
from index.formats._common import normalize_date
from index.formats.html import basic_extract
from index.formats.pdf import pages_to_text

REAL_MODEL_FIXTURES = {"corpus"}  # its index embeds with the real MiniLM: conftest.py marks its tests slow

# ---- writers ------------------------------------------------------------------------------

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbour bridge opens in spring | Port Alder Gazette</title>
<meta property="og:title" content="Harbour bridge opens in spring">
<meta property="og:site_name" content="Port Alder Gazette">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<meta name="author" content="Jane Reporter">
<link rel="canonical" href="https://gazette.example/news/bridge">
<script>var tracking = "TRACKING-CODE-XYZ";</script>
<style>body { color: #333 }</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport section</a></li><li><a href="/weather">Weather</a></li></ul></nav>
<header><div class="logo">Port Alder Gazette</div></header>
<main><article>
<h1>Harbour bridge opens in spring</h1>
<p>The new harbour bridge in Port Alder will open to traffic in April, the city council said on Tuesday. Construction began two years ago and cost 42 million euros.</p>
<h2>Traffic plans</h2>
<p>Buses will use the bridge from the first day. The old ferry line will close at the end of May, after more than sixty years of service to the island.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Cat rescued from tree</a></li></ul></aside>
<footer><p>Copyright 2019 Port Alder Gazette. Cookie settings.</p></footer>
<script>trackPageView("TRACKING-CODE-XYZ");</script>
</body></html>
"""

SAVED_PAGE_HTML = """<html><head><title>Library extends opening hours</title>
<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-11-02T10:00:00+01:00", "headline": "Library extends opening hours"}</script>
</head><body><nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article><h1>Library extends opening hours</h1>
<p>The central library in Port Alder will stay open until nine in the evening from December, the library board announced. Students had asked for longer hours during the exam weeks.</p>
<p>The extra hours cost about 80,000 euros a year and are paid by the regional education fund.</p>
</article></body></html>
"""

HEADER = "Port Alder Council - Annual Report"
PDF_PAGES = [
    ["Harbour Report 2024",
     "",
     "The harbour board met in March to review the year. Ship traffic grew by",
     "twelve percent and the new container crane was delivered on time.",
     "",
     "Dredging of the outer basin will start in the autumn and is paid by the",
     "port authority."],
    ["The board approved a plan to renew the quay walls, a long-standing infra-",
     "structure problem that has delayed larger ships for a decade.",
     "",
     "Ferry passengers rose to a record of 1.2 million on the island line."],
    ["Fishing quotas were cut again, and the fish auction lost two of its",
     "buyers. The board will publish its next report in the spring."],
]


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def write_pdf(path: Path, pages: list[list[str]], *, info: dict | None = None, text: bool = True) -> None:
    """A PDF written with pypdf: Helvetica lines 14 pt apart; "" is a blank line (paragraph gap)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"),
                             NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    for number, lines in enumerate(pages, start=1):
        page = writer.add_blank_page(width=612, height=792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        if text:
            ops = [f"BT /F1 9 Tf 72 760 Td {_pdf_string(HEADER)} Tj ET",
                   f"BT /F1 9 Tf 300 40 Td {_pdf_string(str(number))} Tj ET",
                   "BT /F1 11 Tf 14 TL 72 720 Td"]
            ops += [f"{_pdf_string(line)} Tj T*" if line else "T*" for line in lines]
            ops.append("ET")
        else:  # a "scan": drawing only, no text operators
            ops = ["0.5 g 72 72 468 648 re f"]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page.replace_contents(stream)
    if info:
        writer.add_metadata(info)
    with open(path, "wb") as fh:
        writer.write(fh)


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = "Bridge opening memo"
    props.author = "City Engineering Office"
    props.created = datetime(2024, 2, 20, 9, 30)
    document.add_heading("Bridge opening memo", level=0)
    document.add_paragraph("This memo sets out the steps before the harbour bridge opens to the public.")
    document.add_heading("Safety inspection", level=1)
    document.add_paragraph("The load test of the main span is planned for the second week of March.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Step", (0, 1): "Owner", (1, 0): "Load test", (1, 1): "Inspectorate"}.items():
        table.cell(r, c).text = value
    document.add_paragraph("")
    document.add_paragraph("Signs for the cycle lane are ordered.")
    document.save(str(path))


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:text>
<text:h text:outline-level="1">Ferry timetable change</text:h>
<text:p>The island ferry<text:s text:c="2"/>leaves <text:span>every forty minutes</text:span> from June.<office:annotation><text:p>internal comment</text:p></office:annotation></text:p>
<text:list><text:list-item><text:p>Extra sailings on Saturdays.</text:p></text:list-item></text:list>
</office:text></office:body></office:document-content>"""
ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:meta><dc:title>Ferry notice</dc:title><meta:initial-creator>Ferry Company</meta:initial-creator>
<meta:creation-date>2024-05-14T08:00:00</meta:creation-date></office:meta></office:document-meta>"""


def write_odt(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")  # stored, first
        archive.writestr("content.xml", ODT_CONTENT, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", ODT_META, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')


MULTIHOP = [
    {"title": "Tech giant unveils folding phone", "author": "Sam Writer", "source": "The Verge",
     "published_at": "2023-09-26T14:00:00+00:00", "category": "technology",
     "url": "https://www.theverge.com/2023/9/26/phone",
     "body": "The company showed a phone that folds twice. It will cost 1,999 dollars.\n\nSales start in November."},
    {"title": "Striker joins rival club", "author": "Alex Sport", "source": "ESPN",
     "published_at": "2023-10-03T09:15:00+00:00", "category": "sports",
     "url": "https://www.espn.com/soccer/story/striker", "body": "The striker signed a four-year contract on Monday."},
]
BEIR = [
    {"_id": "4983", "title": "Microstructural development of white matter",
     "text": "Diffusion tensor imaging measured the white matter of newborn infants.", "metadata": {}},
    {"_id": "5836", "title": "", "text": "Induction of myelodysplasia by myeloid-derived suppressor cells."},
]
CSV_TEXT = (
    "id,headline,content,pubDate,link,publisher\n"
    '7,Council approves budget,"The council approved the 2025 budget, with more money for schools.",'
    '"Tue, 03 Dec 2024 18:00:00 GMT",https://news.example/budget,Port Alder Post\n'
    "8,Empty row,,2024-12-04,https://news.example/empty,Port Alder Post\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    (folder / "article.html").write_text(ARTICLE_HTML, encoding="utf-8")
    write_pdf(folder / "report.pdf", PDF_PAGES,
              info={"/Title": "Harbour Report 2024", "/Author": "Harbour Board", "/CreationDate": "D:20240315120000Z"})
    write_docx(folder / "memo.docx")
    write_odt(folder / "ferry.odt")
    (folder / "corpus.json").write_text(json.dumps(MULTIHOP), encoding="utf-8")
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in BEIR), encoding="utf-8")
    (folder / "feed.csv").write_text(CSV_TEXT, encoding="utf-8")
    # Mislabelled: HTML saved as .txt, a PDF without extension, a DOCX called .bin.
    (folder / "saved.txt").write_text(SAVED_PAGE_HTML, encoding="utf-8")
    write_pdf(folder / "download", [["Water prices rise by four percent next year, the utility said."]])
    write_docx(folder / "letter.bin")
    # Reported and skipped.
    write_pdf(folder / "scanned.pdf", [[], []], text=False)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage that is not a PDF")
    (folder / "fake.docx").write_bytes(b"this is not a zip archive")
    (folder / "bad.jsonl").write_text('{"title": "ok", "text": "fine"}\n{"title": broken\n', encoding="utf-8")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))

    index = CorpusIndex.open(tmp_path_factory.mktemp("index"), create=True)
    report = index.index_paths([folder])
    by_name: dict[str, list] = {}
    for row in index.documents():
        by_name.setdefault(Path(row["path"]).name, []).append(index.document(row["doc_id"]))
    return {"folder": folder, "index": index, "report": report, "docs": by_name}


def only(corpus, name):
    (doc,) = corpus["docs"][name]
    return doc


# ---- indexing through the real CorpusIndex ------------------------------------------------------

def test_every_format_is_indexed_and_bad_files_are_reported(corpus):
    names = set(corpus["docs"])
    assert {"article.html", "report.pdf", "memo.docx", "ferry.odt", "corpus.json", "corpus.jsonl", "feed.csv",
            "saved.txt", "download", "letter.bin"} <= names
    reasons = {Path(s.path).name: s.reason for s in corpus["report"].skipped}
    assert reasons["scanned.pdf"].startswith("no text layer (scanned PDF?)")
    assert "broken PDF" in reasons["broken.pdf"]
    assert "not a DOCX" in reasons["fake.docx"]
    assert "line 2" in reasons["bad.jsonl"]
    assert "unsupported" in reasons["photo.png"]
    assert not names & {"scanned.pdf", "broken.pdf", "fake.docx", "bad.jsonl", "photo.png"}


def test_chunk_offsets_are_into_the_extracted_text(corpus):
    index = corpus["index"]
    checked = 0
    for docs in corpus["docs"].values():
        for doc in docs:
            chunks = index.chunks_of(doc.id)
            assert chunks, doc.path
            for chunk in chunks:
                assert doc.text[chunk.start:chunk.end] == chunk.text
                assert chunk.start >= doc.body_start
                checked += 1
    assert checked >= 12


def test_html_main_text_and_metadata(corpus):
    doc = only(corpus, "article.html")
    assert "open to traffic in April" in doc.text and "sixty years of service" in doc.text
    for boilerplate in ("TRACKING-CODE-XYZ", "Sport section", "Most read", "Cat rescued", "Cookie settings", "color: #333"):
        assert boilerplate not in doc.text
    assert doc.title == "Harbour bridge opens in spring"
    assert doc.date == "2024-03-05"  # from article:published_time, not the footer's 2019
    assert doc.url == "https://gazette.example/news/bridge"
    assert doc.source == "Port Alder Gazette"
    assert doc.metadata["format"] == "html" and doc.metadata["author"] == "Jane Reporter"
    assert doc.metadata["hostname"] == "gazette.example"


def test_pdf_pages_hyphenation_and_metadata(corpus):
    doc = only(corpus, "report.pdf")
    assert doc.title == "Harbour Report 2024"
    assert doc.date == "2024-03-15"
    assert doc.metadata["author"] == "Harbour Board" and doc.metadata["page_count"] == 3
    assert "pages_without_text" not in doc.metadata
    assert [number for number, _ in doc.pages] == [1, 2, 3]
    # Line-end hyphenation undone; lines joined into paragraphs, one per line; running header and page numbers gone.
    assert "long-standing infrastructure problem" in doc.text
    assert ("Ship traffic grew by twelve percent and the new container crane was delivered on time.\n"
            "Dredging of the outer basin") in doc.text
    assert HEADER not in doc.text and "\n2\n" not in doc.text
    # Each page's text starts at its recorded offset.
    starts = dict(doc.pages)
    assert doc.text[starts[2]:].startswith("The board approved a plan")
    assert doc.text[starts[3]:].startswith("Fishing quotas were cut")


def test_pdf_citation_page_of_a_chunk_on_page_two(corpus):
    index, doc = corpus["index"], only(corpus, "report.pdf")
    hits = index.lexical_search("ferry passengers record island line", 5, SearchFilter(doc_ids=(doc.id,)))
    rows = index.rows([rowid for rowid, _ in hits])
    chunk = next(rows[r].chunk for r, _ in hits if "Ferry passengers rose" in rows[r].chunk.text)
    quote_at = doc.text.index("Ferry passengers rose")
    assert chunk.start <= quote_at < chunk.end
    assert doc.page_at(quote_at) == 2
    assert doc.page_at(doc.text.index("Fishing quotas")) == 3
    assert doc.page_at(doc.text.index("Dredging")) == 1
    assert rows[hits[0][0]].page == doc.page_at(rows[hits[0][0]].chunk.start)  # pages reach retrieval results


def test_pdf_passages_and_citations_carry_pages(corpus):
    from rag import Assistant, Settings

    index, doc = corpus["index"], only(corpus, "report.pdf")
    assistant = Assistant(Settings(index_dir=index.path), index=index)
    passages = [p for p in assistant.search("ferry passengers record island line", k=5) if p.doc_id == doc.id]
    assert passages and all(p.page == doc.page_at(p.start) for p in passages)
    cites = [c for c in assistant.sources_for("Ferry passengers rose") if c.doc_id == doc.id]
    assert cites and cites[0].page == 2


def test_docx_headings_tables_and_core_properties(corpus):
    doc = only(corpus, "memo.docx")
    lines = doc.text.split("\n")
    assert lines[:3] == ["Bridge opening memo",
                         "This memo sets out the steps before the harbour bridge opens to the public.",
                         "Safety inspection"]
    assert "Load test | Inspectorate" in lines and "" not in lines
    assert doc.title == "Bridge opening memo"
    assert doc.date == "2024-02-20"
    assert doc.metadata["author"] == "City Engineering Office"
    assert doc.metadata["headings"] == ["Bridge opening memo", "Safety inspection"]


def test_odt(corpus):
    doc = only(corpus, "ferry.odt")
    assert doc.text == ("Ferry timetable change\nThe island ferry leaves every forty minutes from June.\n"
                        "Extra sailings on Saturdays.")
    assert doc.title == "Ferry notice" and doc.date == "2024-05-14" and doc.metadata["author"] == "Ferry Company"


def test_multihop_style_json_records(corpus):
    docs = sorted(corpus["docs"]["corpus.json"], key=lambda d: d.date)
    assert [d.title for d in docs] == ["Tech giant unveils folding phone", "Striker joins rival club"]
    phone = docs[0]
    path = str((corpus["folder"] / "corpus.json").resolve())
    assert phone.id == document_id_for(f"{path}#0") and docs[1].id == document_id_for(f"{path}#1")
    assert phone.text == "Tech giant unveils folding phone\n\n" + MULTIHOP[0]["body"]
    assert phone.text[phone.body_start:] == MULTIHOP[0]["body"]
    assert (phone.date, phone.source, phone.url) == ("2023-09-26", "The Verge", "https://www.theverge.com/2023/9/26/phone")
    assert phone.metadata["author"] == "Sam Writer" and phone.metadata["category"] == "technology"
    assert phone.metadata["format"] == "json" and phone.metadata["record"] == "0"


def test_records_flow_into_filters(corpus):
    index = corpus["index"]
    hits = index.lexical_search("phone folds striker contract", 10, SearchFilter(sources=("ESPN",)))
    titles = {index.rows([r])[r].title for r, _ in hits}
    assert titles == {"Striker joins rival club"}
    hits = index.lexical_search("phone folds striker contract", 10, SearchFilter(since="2023-10-01", until="2023-10-31"))
    assert {index.rows([r])[r].date for r, _ in hits} == {"2023-10-03"}


def test_beir_style_jsonl_records(corpus):
    docs = {d.metadata["record"]: d for d in corpus["docs"]["corpus.jsonl"]}
    path = str((corpus["folder"] / "corpus.jsonl").resolve())
    assert set(docs) == {"4983", "5836"}
    assert docs["4983"].id == document_id_for(f"{path}#4983")
    assert docs["4983"].title == "Microstructural development of white matter"
    assert docs["4983"].text[docs["4983"].body_start:] == BEIR[0]["text"]
    untitled = docs["5836"]  # no title: the text is the body alone, titled by its first line
    assert untitled.body_start == 0 and untitled.text == BEIR[1]["text"] and untitled.title == BEIR[1]["text"]


def test_csv_records(corpus):
    (doc,) = corpus["docs"]["feed.csv"]  # the row without content is left out
    assert doc.title == "Council approves budget"
    assert doc.text[doc.body_start:] == "The council approved the 2025 budget, with more money for schools."
    assert (doc.date, doc.url, doc.source) == ("2024-12-03", "https://news.example/budget", "Port Alder Post")
    assert doc.metadata["record"] == "7" and doc.metadata["format"] == "csv"


def test_content_sniffing(corpus):
    saved = only(corpus, "saved.txt")
    assert saved.metadata["format"] == "html" and saved.title == "Library extends opening hours"
    assert saved.date == "2023-11-02" and "<p>" not in saved.text and "Home" not in saved.text
    download = only(corpus, "download")
    assert download.metadata["format"] == "pdf" and download.page_at(0) == 1
    assert only(corpus, "letter.bin").metadata["format"] == "docx"


# ---- loaders without an index ---------------------------------------------------------------

def test_skip_reason_names_the_path_as_given(tmp_path, monkeypatch):
    (tmp_path / "empty.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    monkeypatch.chdir(tmp_path)
    _, skipped = load_path(["empty.pdf"])
    assert skipped[0].path == "empty.pdf" and skipped[0].reason.startswith("broken PDF")


def test_record_field_override(tmp_path, monkeypatch):
    f = tmp_path / "papers.jsonl"
    f.write_text(json.dumps({"subject": "On rivers", "summary": "Rivers flow downhill.", "text": "ignored"}) + "\n")
    monkeypatch.setenv("RAG_RECORD_FIELDS", "text=summary,title=subject")
    (doc,) = load_file(f)
    assert doc.text == "On rivers\n\nRivers flow downhill."
    monkeypatch.setenv("RAG_RECORD_FIELDS", "body=summary")
    with pytest.raises(LoaderError, match="RAG_RECORD_FIELDS"):
        load_file(f)


def test_news_api_style_nested_source(tmp_path):
    f = tmp_path / "newsapi.json"
    f.write_text(json.dumps({"status": "ok", "articles": [
        {"source": {"id": None, "name": "BBC News"}, "title": "Rain", "content": "It rained.", "publishedAt": "2024-01-09T07:00:00Z",
         "url": "https://www.bbc.co.uk/news/1"}]}))
    (doc,) = load_file(f)
    assert doc.source == "BBC News" and doc.text == "Rain\n\nIt rained." and doc.date == "2024-01-09"


def test_records_without_text_field_say_what_they_expected(tmp_path):
    f = tmp_path / "people.json"
    f.write_text(json.dumps([{"name": "Ann", "age": 3}]))
    _, skipped = load_path([f])
    assert "no record has a text field" in skipped[0].reason and "RAG_RECORD_FIELDS" in skipped[0].reason


def test_sniffer_leaves_plain_text_alone(tmp_path):
    text = tmp_path / "list.txt"
    text.write_text("[Reuters] Markets fell on Monday.\n")
    assert sniff(text, text.read_bytes()) is None
    toml = tmp_path / "settings.toml"
    toml.write_text('[tool]\nname = "x"\n')
    assert sniff(toml, toml.read_bytes()) is None
    data = tmp_path / "export"
    data.write_text('[{"title": "A", "body": "B."}]')
    assert sniff(data, data.read_bytes()) is load_records  # no extension: the content says JSON records


def test_encrypted_pdfs(tmp_path):
    from pypdf import PdfWriter

    plain = tmp_path / "plain.pdf"
    write_pdf(plain, [["Quay wall repairs start in June and take two summers."]])
    for name, user_password in (("locked.pdf", "secret"), ("permissions.pdf", "")):
        writer = PdfWriter(clone_from=str(plain))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        with open(tmp_path / name, "wb") as fh:
            writer.write(fh)
    plain.unlink()
    docs, skipped = load_path([tmp_path])
    assert [Path(d.path).name for d in docs] == ["permissions.pdf"]  # empty user password: readable
    assert "Quay wall repairs" in docs[0].text
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("locked.pdf", "PDF is password-protected")]


def test_semicolon_csv_with_commas_in_text(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text('title;text;date\nRain;"Rain, wind, and more rain, said the forecast.";05.03.2024\n', encoding="utf-8")
    (doc,) = load_file(f)
    assert doc.text == "Rain\n\nRain, wind, and more rain, said the forecast." and doc.date == "2024-03-05"


def test_dehyphenation_keeps_real_compounds():
    text, pages = pages_to_text(["A well-known fact about the exam-\nple is that it is well-\nknown to all of us here.\n"])
    assert "example" in text and "well-known to all" in text and pages == ((1, 0),)


def test_hyphen_before_a_digit_or_capital_is_kept():
    text, _ = pages_to_text(["Cases of COVID-\n19 fell among Anglo-\nSaxon and other groups in the region today.\n"])
    assert "COVID-19 fell among Anglo-Saxon and" in text


def test_sentence_running_over_a_page_break_is_joined():
    text, pages = pages_to_text(["The harbour board decided that the new\n", "crane will be bought next year.\n"])
    assert text == "The harbour board decided that the new crane will be bought next year."
    assert pages == ((1, 0), (2, text.index("crane")))


def test_stdlib_html_fallback_drops_boilerplate():
    page = basic_extract(ARTICLE_HTML)
    assert "open to traffic in April" in page["text"] and "TRACKING" not in page["text"] and "Most read" not in page["text"]
    assert (page["date"], page["url"], page["site"]) == ("2024-03-05", "https://gazette.example/news/bridge", "Port Alder Gazette")


@pytest.mark.parametrize("value, expected", [
    ("2023-09-26T14:00:00+00:00", "2023-09-26"), ("D:20240315120000Z", "2024-03-15"), ("20211118", "2021-11-18"),
    ("Tue, 03 Dec 2024 18:00:00 GMT", "2024-12-03"), ("26 September 2023", "2023-09-26"),
    ("Sep 26, 2023", "2023-09-26"), ("26.09.2023", "2023-09-26"), ("09/26/2023", None), (1695736800, "2023-09-26"), ("2023-02-30", None), ("soon", None), (None, None),
])
def test_normalize_date(value, expected):
    assert normalize_date(value) == expected


def test_import_index_does_not_load_format_libraries():
    code = "import sys, index; print(sorted(m for m in ('pypdf', 'docx', 'trafilatura', 'lxml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
