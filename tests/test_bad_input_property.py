"""Property-based reliability test: random bytes and odd text through every loader and the chunker.

For every extension in ``index.formats.LOADERS`` (so a newly registered loader is covered
without touching this file), Hypothesis writes real files holding

* random bytes,
* a valid file of the format with random byte edits (truncated, overwritten, inserted), and
* the format wrapped around random text: any code point (NUL and other controls,
  unassigned, private use, lone surrogates, BOMs, line and paragraph separators), CRLF or
  CR line ends, in UTF-8, UTF-8 with BOM, UTF-16 or cp1252, malformed news headers,
  JSON with escaped lone surrogates, markup that is not closed,

and loads them through ``load_file`` (what ``rag index`` calls) and ``iter_files``. The
property: either documents come out, or ``LoaderError`` says why the file is skipped;
never another exception. Every document is storable (valid UTF-8) and every chunk holds
``doc.text[chunk.start:chunk.end] == chunk.text``.

docs/RELIABILITY.md records how many examples ran and what they found.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from index import ChunkerSettings, LoaderError, chunk_document, load_file
from index.formats import LOADERS
from index.loaders import iter_files

# 40 keeps the whole file near ten seconds; RAG_PROPERTY_EXAMPLES=300 for a longer hunt.
EXAMPLES_PER_EXTENSION = int(os.environ.get("RAG_PROPERTY_EXAMPLES", "40"))
# A small budget so that documents of a few hundred characters already make several chunks.
CHUNKER = ChunkerSettings(max_tokens=40, overlap_tokens=8)

# ---- text -----------------------------------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=())  # includes Cs (lone surrogates), Cc, Cn, Co
PIECES = ["The council met on Monday. ", "Mr. ", "U.S. ", "e.g. ", "No. 5 ", "...", "?! ", "\u201cQuoted.\u201d ",
          "\n", "\r\n", "\r", "\n\n", "\t", " " * 40, "\x00", "\ufeff", "\u2028", "\u2029", "\ud800", "\udfff",
          "\u00ad", "\ufb01", "\U0001f600", "\u202e", "\u0301", "caf\u00e9 ", "\u4e2d\u6587\u3002", "#", "---\n"]
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=300),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(ANY_CHARACTER, max_size=8)), max_size=60).map("".join),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
NEWLINES = ["\n", "\r\n", "\r"]


def encode(text: str, encoding: str, newline: str) -> bytes:
    """Bytes as a careless writer would save them: lone surrogates pass through as invalid UTF-8/16."""
    text = text.replace("\n", newline)
    if encoding == "cp1252":
        return text.encode("cp1252", "replace")
    return text.encode(encoding, "surrogatepass")


def xml_safe(text: str) -> str:
    """Only the characters XML 1.0 allows (python-docx refuses the others when writing)."""
    return "".join(c for c in text if c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
                   or c >= "\U00010000")


# ---- format wrappers: the format around random text ----------------------------------------------

def news_file(path: Path, parts: dict) -> None:
    header = f"{parts['title']}\n{parts['date']}\n{parts['url']}\n" if parts["header"] else ""
    path.write_bytes(encode(header + parts["body"], parts["encoding"], parts["newline"]))


def markdown_file(path: Path, parts: dict) -> None:
    front = f"---\ntitle: {parts['title']}\ndate: {parts['date']}\nurl: {parts['url']}\n---\n" if parts["header"] else ""
    path.write_bytes(encode(f"{front}# {parts['title']}\n{parts['body']}", parts["encoding"], parts["newline"]))


def html_file(path: Path, parts: dict) -> None:
    body = parts["body"] if parts["header"] else escape(parts["body"])  # raw text may open tags it never closes
    page = (f"<!DOCTYPE html><html><head><meta charset=\"{parts['encoding']}\"><title>{parts['title']}</title>"
            f"<meta property=\"article:published_time\" content=\"{parts['date']}\"></head><body><nav>Home</nav>"
            f"<article><h1>{parts['title']}</h1><p>{body}</p></article></body></html>")
    path.write_bytes(encode(page, parts["encoding"], parts["newline"]))


def records_file(path: Path, parts: dict) -> None:
    record = {"title": parts["title"], "text": parts["body"], "date": parts["date"], "url": parts["url"]}
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if suffix == ".tsv" else ",")
        writer.writerow(list(record))
        writer.writerow(list(record.values()))
        writer.writerow([parts["body"][::-1], "", parts["title"]])  # a ragged row
        text = out.getvalue()
    elif suffix in (".jsonl", ".ndjson"):
        text = "".join(json.dumps(r, ensure_ascii=parts["header"]) + "\n" for r in (record, {"text": parts["title"]}))
    else:  # escaped lone surrogates ("\ud800") survive json.loads: the loader must not pass them on
        text = json.dumps([record, {"body": parts["title"], "_id": 1}], ensure_ascii=parts["header"])
    path.write_bytes(encode(text, "utf-8" if parts["encoding"] == "cp1252" else parts["encoding"], "\n"))


def pdf_file(path: Path, parts: dict) -> None:
    from test_formats import write_pdf

    latin = (parts["title"] + "\n" + parts["body"]).encode("latin-1", "replace").decode("latin-1")
    lines = latin.replace("\r", "\n").split("\n")
    write_pdf(path, [lines[: len(lines) // 2 + 1], lines[len(lines) // 2 + 1:]],
              info={"/Title": parts["title"].encode("latin-1", "replace").decode("latin-1"),
                    "/CreationDate": parts["date"]})


def docx_file(path: Path, parts: dict) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = xml_safe(parts["title"])[:200]
    document.add_heading(xml_safe(parts["title"]), level=1)
    for paragraph in parts["body"].split("\n"):
        document.add_paragraph(xml_safe(paragraph))
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = xml_safe(parts["url"])
    document.save(str(path))


def odt_file(path: Path, parts: dict) -> None:
    text = xml_safe(parts["body"]) if parts["header"] else parts["body"]  # unfiltered: not well-formed XML
    paragraphs = "".join(f"<text:p>{escape(line)}<text:s text:c=\"{len(line)}\"/></text:p>" for line in text.split("\n"))
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               f"<text:h>{escape(xml_safe(parts['title']))}</text:h>{paragraphs}</office:text></office:body>"
               "</office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content.encode("utf-8", "surrogatepass"), compress_type=zipfile.ZIP_DEFLATED)


def plain_file(path: Path, parts: dict) -> None:
    """For a loader this file does not know yet: its text, encoded."""
    path.write_bytes(encode(parts["title"] + "\n" + parts["body"], parts["encoding"], parts["newline"]))


WRITERS = {"load_text": news_file, "load_markdown": markdown_file, "load_html": html_file,
           "load_records": records_file, "load_pdf": pdf_file, "load_docx": docx_file, "load_odt": odt_file}


def writer_for(suffix: str):
    return WRITERS.get(getattr(LOADERS[suffix], "__name__", ""), plain_file)


PARTS = st.fixed_dictionaries({
    "title": TEXT,
    "body": TEXT,
    "date": st.sampled_from(["20240131", "20241340", "2024-01-31", "", "99999999", "D:20240315120000Z", "yesterday"]),
    "url": st.sampled_from(["https://news.example/a/1", "www.example.org", "not a url", "", "http://[bad"]),
    "header": st.booleans(),  # news header / front matter present; for HTML/ODT/JSON: the cleaner variant
    "encoding": st.sampled_from(ENCODINGS),
    "newline": st.sampled_from(NEWLINES),
})
GOOD = {"title": "Harbour bridge opens in spring", "body": "The bridge opens in April, the council said. "
        "Construction cost 42 million euros.\nBuses use it from the first day.", "date": "20240305",
        "url": "https://news.example/a/1", "header": True, "encoding": "utf-8", "newline": "\n"}

# ---- byte edits of a valid file ---------------------------------------------------------------

EDITS = st.lists(st.tuples(st.sampled_from(["truncate", "overwrite", "insert", "delete"]),
                           st.floats(min_value=0, max_value=1), st.binary(min_size=1, max_size=32)),
                 min_size=1, max_size=6)


def edited(data: bytes, edits) -> bytes:
    buffer = bytearray(data)
    for op, where, noise in edits:
        at = int(where * len(buffer))
        if op == "truncate":
            del buffer[at:]
        elif op == "overwrite":
            buffer[at:at + len(noise)] = noise
        elif op == "insert":
            buffer[at:at] = noise
        else:
            del buffer[at:at + len(noise)]
    return bytes(buffer)


# ---- the property ------------------------------------------------------------------------------

OUTCOMES: dict[str, dict[str, int]] = {}


def check_file(path: Path) -> str:
    """Load and chunk ``path``; fail on anything but documents or a LoaderError. Returns the outcome."""
    skipped: list = []
    assert list(iter_files([path], skipped)) in ([path], [])  # sniffing must not fail either
    try:
        documents = load_file(path)
    except LoaderError as exc:
        assert str(exc).strip(), "a skip needs a reason"
        return "skipped"
    for doc in documents:
        doc.text.encode("utf-8")  # storable: SQLite and the tokenizer reject lone surrogates
        doc.title.encode("utf-8")
        assert 0 <= doc.body_start <= len(doc.text) and doc.text[doc.body_start:].strip()
        for chunk in chunk_document(doc, CHUNKER):
            assert doc.text[chunk.start:chunk.end] == chunk.text
            assert doc.body_start <= chunk.start < chunk.end <= len(doc.text)
            assert chunk.text.strip()
    return "loaded" if documents else "empty"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property")


@pytest.mark.parametrize("suffix", sorted(LOADERS))
def test_any_file_loads_or_is_skipped_with_a_reason(suffix, workdir):
    folder = workdir / suffix.lstrip(".")
    folder.mkdir(exist_ok=True)
    seed_path = folder / f"seed{suffix}"
    writer_for(suffix)(seed_path, GOOD)
    seed = seed_path.read_bytes()
    assert check_file(seed_path) == "loaded", "the unedited file of this format must load"
    outcomes = OUTCOMES.setdefault(suffix, {})

    @settings(max_examples=EXAMPLES_PER_EXTENSION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        path = folder / f"case{suffix}"
        kind = data.draw(st.sampled_from(["bytes", "edited", "text"]))
        if kind == "bytes":
            path.write_bytes(data.draw(st.binary(max_size=2048)))
        elif kind == "edited":
            path.write_bytes(edited(seed, data.draw(EDITS)))
        else:
            writer_for(suffix)(path, data.draw(PARTS))
        outcome = check_file(path)
        outcomes[f"{kind}:{outcome}"] = outcomes.get(f"{kind}:{outcome}", 0) + 1

    run()
    assert sum(outcomes.values()) >= EXAMPLES_PER_EXTENSION // 2
    print(f"\n{suffix}: {dict(sorted(outcomes.items()))}")
