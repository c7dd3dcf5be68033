"""The index's public surface: what rag, ui and the benchmarks may use instead of the store or SQL,
the format registry, and the atomic writer. Fast, with the hashing fake embedder."""

from __future__ import annotations

import ast
import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import index.formats as formats
import index.loaders as loaders
from index import CorpusIndex, embedding_header
from index.atomic import atomic_target, write_atomic
from index.store import Store
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
NEWS = "{title}\n{date}\nhttps://{site}/a/{slug}\n{body}\n"


@pytest.fixture
def built(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for slug, title, date, site in (("a", "Lighthouse restored", "20240105", "www.coast.example"),
                                    ("b", "Bakery wins award", "20240310", "town.example"),
                                    ("c", "Tram line opens", "20240620", "coast.example")):
        (folder / f"{slug}.txt").write_text(NEWS.format(title=title, date=date, site=site, slug=slug,
                                                         body=f"The {title.lower()} story, told in one line."))
    (folder / "notes.md").write_text("# Undated notes\nNo date and no source here.\n")
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True)
    index.index_paths([folder])
    return index


def test_corpus_index_answers_what_callers_used_to_ask_the_store(built):
    assert built.dim == 64
    assert built.sources() == ["coast.example", "town.example"]  # distinct, sorted, www. dropped, no None
    assert built.date_range() == ("2024-01-05", "2024-06-20")
    texts = built.chunk_texts()
    owners = built.chunk_documents()
    ids, matrix = built.all_vectors()
    assert len(texts) == len(owners) == len(ids) == built.stats()["chunks"] == 4
    assert matrix.shape == (4, 64) and matrix.dtype == np.float32
    assert list(ids) == sorted(ids) and set(ids) == set(owners)
    assert set(owners.values()) == {d["doc_id"] for d in built.documents()}
    rows = built.rows([int(r) for r in ids])
    assert texts == [rows[int(r)].chunk.text for r in ids]  # rowid order
    vectors = built.vectors_for([int(ids[0]), int(ids[2]), 10**9])  # an id that is gone is left out
    assert set(vectors) == {int(ids[0]), int(ids[2])}
    np.testing.assert_array_equal(vectors[int(ids[2])], matrix[2])
    assert built.vectors_for([]) == {}


def test_checkpoint_settles_the_write_ahead_log(built):
    wal = built.path / "store.sqlite-wal"
    built.checkpoint()
    assert not wal.exists() or wal.stat().st_size == 0
    assert built.stats()["documents"] == 4  # still readable afterwards


def test_exists_is_what_open_needs(tmp_path, built):
    assert CorpusIndex.exists(built.path) and CorpusIndex.exists(str(built.path))
    assert not CorpusIndex.exists(tmp_path / "nowhere")
    assert loaders.is_index_dir(built.path)


def test_empty_index_has_no_dates_or_sources(tmp_path):
    empty = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True)
    assert empty.sources() == [] and empty.date_range() == (None, None)
    assert empty.chunk_texts() == [] and empty.chunk_documents() == {}
    ids, matrix = empty.all_vectors()
    assert len(ids) == 0 and matrix.shape == (0, 64)


def test_assistant_says_whether_build_left_an_index(tmp_path):
    from rag import Assistant

    (tmp_path / "empty.txt").write_text("")
    assistant = Assistant(index_dir=str(tmp_path / "idx"))
    assistant._embedder = HashEmbedder()
    assert not assistant.has_index
    assistant.build([tmp_path / "empty.txt"])  # nothing readable: no index is left behind
    assert not assistant.has_index and not (tmp_path / "idx").exists()
    (tmp_path / "a.txt").write_text(NEWS.format(title="T", date="20240101", site="x.example", slug="a", body="Body."))
    assistant.build([tmp_path / "a.txt"])
    assert assistant.has_index and assistant.index.stats()["documents"] == 1


def test_prompt_heading_is_the_embedding_header():
    from rag.context import passage_heading
    from rag.types import Passage

    passage = Passage(chunk_id="d-0", doc_id="d", title="Tram line opens", date="2024-06-20", url=None, path="p",
                      source="coast.example", text="x", start=0, end=1, score=1.0)
    assert passage_heading(passage) == embedding_header(passage) == "Tram line opens | 2024-06-20 | coast.example"


# ---- nothing outside index/ reaches the store or SQL ------------------------------------------
_STORE_METHODS = sorted(n for n in dir(Store) if not n.startswith("_")) + ["read_only", "path"]
_STORE_USE = re.compile(r"\.store\.(?:%s)\b" % "|".join(_STORE_METHODS))
_SQL = re.compile(r"\b(?:SELECT\b.+\bFROM|INSERT\s+INTO|DELETE\s+FROM|PRAGMA)\b", re.I | re.S)


def _python_files(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_store_or_sql_outside_index():
    offenders = []
    for path in _python_files("rag", "ui", "benchmarks", "scripts"):
        source = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in _STORE_USE.finditer(source)]
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "sqlite3" in names or "index.store" in names:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {' '.join(filter(None, names))}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: SQL {node.value[:40]!r}")
    assert offenders == []


# ---- the format registry --------------------------------------------------------------------
def test_supported_extensions_are_every_loader_and_the_upload_list():
    from ui.uploads import ALLOWED_EXTENSIONS

    import rag

    assert formats.supported_extensions() == tuple(sorted(formats.LOADERS))
    assert loaders.supported_extensions is rag.supported_extensions is formats.supported_extensions
    assert tuple(ALLOWED_EXTENSIONS) == formats.supported_extensions()
    assert {".txt", ".text", ".news", ".md", ".markdown", ".html", ".pdf", ".docx", ".odt", ".json", ".jsonl",
            ".ndjson", ".csv", ".tsv"} <= set(formats.supported_extensions())
    assert all(ext.startswith(".") and ext == ext.lower() for ext in formats.LOADERS)
    # Every loader lives in index/formats, and every function the sniffer can return is registered.
    assert all(loader.__module__.startswith("index.formats.") for loader in formats.LOADERS.values())
    assert {formats.load_pdf, formats.load_docx, formats.load_odt, formats.load_html, formats.load_records} <= set(
        formats.LOADERS.values())


def test_registry_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        formats.LOADERS[".xyz"] = formats.load_text  # type: ignore[index]
    assert not hasattr(loaders, "SNIFFERS")


def test_loader_for_sniffs_content_then_goes_by_extension(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("<!doctype html><html><body><p>Hello</p></body></html>")
    plain = tmp_path / "plain.txt"
    plain.write_text("Just text.\n")
    records = tmp_path / "dump.data"
    records.write_text('[{"title": "t", "text": "x"}]')
    assert formats.loader_for(page) is formats.load_html
    assert formats.loader_for(plain) is formats.load_text
    assert formats.loader_for(tmp_path / "notes.md") is formats.load_markdown  # missing: by extension
    assert formats.loader_for(records) is formats.load_records
    assert formats.loader_for(tmp_path / "image.png") is None


def test_formats_import_nothing_from_loaders():
    # The registry is below the loaders: index/formats never imports index.loaders (no cycle).
    for path in (ROOT / "index" / "formats").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any(m == "loaders" or m.endswith(".loaders") for m in modules), path.name


def test_load_files_reports_every_failure_and_goes_on(tmp_path, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_text(NEWS.format(title="T", date="20240101", site="x.example", slug="g", body="Body."))
    empty = tmp_path / "empty.md"
    empty.write_text("---\ntitle: only front matter\n---\n")
    skipped: list = []
    got = list(loaders.load_files([tmp_path / "missing.txt", empty, good], skipped))
    assert [(p.name, len(docs)) for p, docs in got] == [("missing.txt", 0), ("empty.md", 0), ("good.txt", 1)]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [("missing.txt", "No such file or directory"),
                                                                 ("empty.md", "no text to index")]
    # Even a loader's own bug (not a LoaderError) costs only its file.
    real = loaders.load_file
    monkeypatch.setattr(loaders, "load_file", lambda p, *limit: real(p, *limit) if p != empty else {}["boom"])
    skipped.clear()
    got = list(loaders.load_files([empty, good], skipped))
    assert [len(docs) for _, docs in got] == [0, 1] and [s.reason for s in skipped] == ["'boom'"]


# ---- atomic writes --------------------------------------------------------------------------
def test_write_atomic_text_and_bytes(tmp_path):
    target = tmp_path / "out.json"
    write_atomic(target, json.dumps({"a": "é"}), encoding="utf-8")
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é"}
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "vectors.faiss"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_target(target) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".")  # hidden: the indexer skips it
            tmp.write_text("half")
            raise RuntimeError("disk trouble")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]


def test_two_threads_never_share_a_temporary(tmp_path):
    target = tmp_path / "gen"
    names = []

    def write(value: str) -> None:
        with atomic_target(target) as tmp:
            names.append(tmp.name)
            tmp.write_text(value)

    threads = [threading.Thread(target=write, args=(str(i),)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 2 and target.read_text() in {"0", "1"}
