"""The corpus index with the real embedder and FAISS: build, update, remove, filters, errors.

Every test here loads the real MiniLM (the ``embedder`` fixture), so conftest.py marks them all ``slow``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index import (
    CorpusIndex,
    DocumentNotFoundError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    SearchFilter,
)

NEWS = "{title}\n{date}\nhttps://{site}/a/{slug}\n{body}\n"


class CountingEmbedder:
    """Wraps the real embedder and counts the texts it embeds."""

    def __init__(self, inner):
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts)


def _write(folder, name, title, date, site, body):
    path = folder / name
    path.write_text(NEWS.format(title=title, date=date, site=site, slug=name, body=body))
    return path


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _write(folder, "a.txt", "Lighthouse restored", "20240105", "coast.example", "The old lighthouse at Kettle Point was restored for 2.1 million euros.")
    _write(folder, "b.txt", "Bakery wins award", "20240310", "town.example", "Mira's Bakery won the regional bread award for its rye loaf.")
    _write(folder, "c.txt", "Tram line opens", "20240620", "coast.example", "The new tram line to the harbour carried 9,000 passengers on its first day.")
    return folder


def _titles(index, query, flt=None):
    vector = index.embed_query(query)
    rows = index.rows([r for r, _ in index.dense_search(vector, 10, flt)])
    return [row.title for row in rows.values()]


def test_build_search_and_offsets(tmp_path, corpus, embedder):
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    report = index.index_paths([corpus])
    assert len(report.added) == 3 and report.chunks_added == 3
    hits = index.dense_search(index.embed_query("lighthouse restoration cost"), 1)
    row = index.rows([hits[0][0]])[hits[0][0]]
    assert row.title == "Lighthouse restored"
    assert open(row.path, encoding="utf-8").read()[row.chunk.start:row.chunk.end] == row.chunk.text
    lexical = index.lexical_search("rye loaf", 3)
    assert index.rows([lexical[0][0]])[lexical[0][0]].title == "Bakery wins award"
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["embedder"] == {"id": "all-MiniLM-L6-v2", "dim": 384}
    assert manifest["chunker"] == {"max_tokens": 160, "overlap_tokens": 32}


def test_incremental_update_remove_and_duplicates(tmp_path, corpus, embedder):
    counting = CountingEmbedder(embedder)
    index = CorpusIndex.open(tmp_path / "idx", counting, create=True)
    index.index_paths([corpus])
    calls = counting.calls

    # Unchanged folder: no embedding at all.
    report = index.index_paths([corpus])
    assert report.unchanged == 3 and counting.calls == calls

    # A changed file is re-embedded alone and replaces its old chunks.
    _write(corpus, "b.txt", "Bakery wins award", "20240310", "town.example", "Mira's Bakery won the national pastry prize for its almond croissant.")
    texts_before = counting.texts
    report = index.index_paths([corpus])
    assert len(report.updated) == 1 and report.unchanged == 2
    assert counting.texts - texts_before == 1
    assert index.lexical_search("rye loaf", 5) == []
    assert index.lexical_search("almond croissant", 5)

    # An identical copy under another name is stored once.
    shutil.copy(corpus / "a.txt", corpus / "a_copy.txt")
    report = index.index_paths([corpus])
    assert len(report.duplicates) == 1 and index.stats()["documents"] == 3

    # A deleted file disappears from dense and lexical results, in this process and after reopening.
    (corpus / "c.txt").unlink()
    report = index.index_paths([corpus])
    assert len(report.removed) == 1
    assert "Tram line opens" not in _titles(index, "tram passengers")
    assert index.lexical_search("tram passengers", 5) == []
    reopened = CorpusIndex.open(tmp_path / "idx", embedder)
    assert "Tram line opens" not in _titles(reopened, "tram passengers")
    assert reopened.stats()["chunks"] == 2


def test_filters_by_date_and_source(tmp_path, corpus, embedder):
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    index.index_paths([corpus])
    assert set(_titles(index, "news", SearchFilter(since="2024-03-01"))) == {"Bakery wins award", "Tram line opens"}
    assert set(_titles(index, "news", SearchFilter(until="2024-03-10", sources=("coast.example",)))) == {"Lighthouse restored"}
    assert _titles(index, "news", SearchFilter(sources=("nowhere.example",))) == []
    # The lexical search takes the same filters.
    since_june = SearchFilter(since="2024-06-01")
    assert [index.rows([r])[r].title for r, _ in index.lexical_search("harbour passengers", 5, since_june)] == [
        "Tram line opens"]
    assert index.lexical_search("lighthouse restored", 5) and index.lexical_search("lighthouse restored", 5, since_june) == []


def test_second_process_sees_writes(tmp_path, corpus, embedder):
    writer = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    writer.index_paths([corpus / "a.txt"], prune=False)
    reader = CorpusIndex.open(tmp_path / "idx", embedder)
    assert len(reader.dense_search(np.ones(384, np.float32) / 384 ** 0.5, 10)) == 1
    writer.index_paths([corpus / "b.txt"], prune=False)
    assert len(reader.dense_search(np.ones(384, np.float32) / 384 ** 0.5, 10)) == 2


def test_errors_are_specific(tmp_path, corpus, embedder):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        CorpusIndex.open(tmp_path / "missing", embedder)
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    index.index_paths([corpus])

    class Other:
        id, dim = "other-model", 384

        def embed(self, texts):  # pragma: no cover - never called
            raise AssertionError

    with pytest.raises(IndexMismatchError, match="other-model"):
        CorpusIndex.open(tmp_path / "idx", Other())
    with pytest.raises(DocumentNotFoundError):
        index.chunk("nope-0")
    with pytest.raises(DocumentNotFoundError):
        index.remove_documents(["nope"])
    (tmp_path / "idx" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError):
        CorpusIndex.open(tmp_path / "idx", embedder)


def test_stale_vector_cache_is_rebuilt(tmp_path, corpus, embedder):
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    index.index_paths([corpus])
    (tmp_path / "idx" / "vectors.faiss").write_bytes(b"garbage")
    reopened = CorpusIndex.open(tmp_path / "idx", embedder)
    assert "Lighthouse restored" in _titles(reopened, "lighthouse")
