"""Big documents commit in batches and resume after a kill; identical embedded texts are embedded once.

The fake embedder counts what it is given, so "nothing embedded twice" is checked exactly.
Commit batches are lowered to 8 chunks so a document of a few dozen paragraphs is "big".
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

import index.corpus_index as corpus_index
from index import CorpusIndex
from index.embedded_text import embed_key, embedded_text
from index.settings import IndexingSettings
from tests.fakes import HashEmbedder

BATCH = 8


class Kill(Exception):
    """Stands for the process dying in the middle of an embedder call."""


class DyingEmbedder(HashEmbedder):
    """A :class:`HashEmbedder` whose call number ``die_at`` raises: the build stops there."""

    def __init__(self, die_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.die_at = die_at

    def embed(self, texts):
        self.calls += 1
        if self.calls == self.die_at:
            raise Kill(f"killed in embedder call {self.calls}")
        return super().embed(texts)


def paragraph(i: int) -> str:
    # About 40 tokens: a 160-token chunk holds three or four of them.
    return (f"Paragraph {i} of the port report says that berth {i} handled {i * 37} containers last week, "
            f"that crane {i % 9} was repaired, and that pilots boarded {i % 13} ships before dawn.")


def write_big(folder, name="big.txt", paragraphs=200, repeat_every=None):
    folder.mkdir(exist_ok=True)
    body = [paragraph(i if repeat_every is None else i % repeat_every) for i in range(paragraphs)]
    path = folder / name
    path.write_text("Port report\n20240105\nhttps://port.example/report\n" + "\n".join(body) + "\n")
    return path


SMALL_BATCHES = IndexingSettings(commit_chunks=BATCH)


def content(index: CorpusIndex) -> tuple:
    """Everything a search can see, in a comparable form (row ids aside)."""
    docs = sorted((d["doc_id"], d["title"], d["path"], d["chunks"]) for d in index.documents())
    chunks = []
    for doc_id, *_ in docs:
        for c in index.chunks_of(doc_id):
            chunks.append((c.id, c.start, c.end, c.text, c.n_tokens, c.ordinal))
    ids, matrix = index.all_vectors()
    texts = index.chunk_texts()
    vectors = sorted((t, m.tobytes()) for t, m in zip(texts, matrix))
    return docs, chunks, vectors


def staged_rows(index_dir) -> int:
    with sqlite3.connect(index_dir / "store.sqlite") as conn:
        return conn.execute("SELECT count(*) FROM staged_vectors").fetchone()[0]


def test_a_kill_inside_a_big_document_resumes_without_embedding_twice(tmp_path):
    docs = tmp_path / "docs"
    write_big(docs)
    (docs / "small.txt").write_text("Ferry timetable\n20240106\nhttps://port.example/ferry\nThe ferry runs hourly.\n")

    reference = CorpusIndex.open(tmp_path / "reference", HashEmbedder(), create=True, indexing=SMALL_BATCHES)
    reference.index_paths([docs])
    n_chunks = reference.stats()["chunks"]
    big_chunks = len(reference.chunks_of(reference.documents()[0]["doc_id"] if reference.documents()[0]["title"] == "Port report"
                                         else reference.documents()[1]["doc_id"]))
    assert big_chunks > 4 * BATCH

    dying = DyingEmbedder(die_at=4)  # small.txt sorts after big.txt: the kill lands in the big document's 4th batch
    index = CorpusIndex.open(tmp_path / "idx", dying, create=True, indexing=SMALL_BATCHES)
    with pytest.raises(Kill):
        index.index_paths([docs])
    # Nothing of the unfinished document is searchable, but three batches of its vectors are committed.
    assert index.stats()["documents"] == 0 and index.stats()["chunks"] == 0
    assert index.lexical_search("containers berth", 5) == []
    assert staged_rows(tmp_path / "idx") == 3 * BATCH

    counting = HashEmbedder()
    resumed = CorpusIndex.open(tmp_path / "idx", counting, indexing=SMALL_BATCHES)
    report = resumed.index_paths([docs])
    assert counting.texts == n_chunks - 3 * BATCH  # only what the kill lost
    assert report.texts_embedded == counting.texts and report.chunks_added == n_chunks
    assert content(resumed) == content(reference)
    assert staged_rows(tmp_path / "idx") == 0
    # A fresh process sees the same, through the saved FAISS file.
    assert content(CorpusIndex.open(tmp_path / "idx", HashEmbedder(), indexing=SMALL_BATCHES)) == content(reference)


def test_a_search_during_a_big_document_sees_none_of_it(tmp_path):
    docs = tmp_path / "docs"
    write_big(docs)
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True, indexing=SMALL_BATCHES)
    seen = []

    def progress(state):
        seen.append((state.chunks_added, index.stats()["chunks"], len(index.lexical_search("containers", 5))))

    index.index_paths([docs], progress=progress)
    total = index.stats()["chunks"]
    during = seen[:-2]  # the last two calls come after the final transaction
    assert len(during) >= 4 and [p for p, _, _ in during] == sorted(p for p, _, _ in during)  # progress moves
    assert all(stored == 0 and hits == 0 for _, stored, hits in during)
    assert seen[-1][:2] == (total, total)


def test_repeated_paragraphs_are_embedded_once(tmp_path):
    docs = tmp_path / "docs"
    write_big(docs, paragraphs=400, repeat_every=4)  # 4 paragraphs, 100 times over
    embedder = HashEmbedder()
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True, indexing=SMALL_BATCHES)
    report = index.index_paths([docs])
    chunks = index.chunks_of(index.documents()[0]["doc_id"])
    distinct = {c.text for c in chunks}
    assert len(chunks) > 50 and len(distinct) <= 4
    assert embedder.texts == len(distinct) == report.texts_embedded
    # Every chunk got the vector of its own text.
    ids, matrix = index.all_vectors()
    expected = HashEmbedder().embed([embedded_text("Port report | 2024-01-05 | port.example", c.text) for c in chunks])
    assert np.array_equal(matrix, expected)


def test_texts_are_reused_across_documents_and_runs(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shared = "\n".join(paragraph(i) for i in (1, 2, 3))  # one chunk: the next line would not fit
    head = "Wire story\n20240107\nhttps://wire.example/story\n"
    (docs / "a.txt").write_text(head + shared + "\n" + " ".join(paragraph(i) for i in (4, 5, 6)) + "\n")
    embedder = HashEmbedder()
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True, indexing=SMALL_BATCHES)
    index.index_paths([docs])
    first = embedder.texts
    # Another file with the same header (title, date, site) and the same first chunk: that chunk is reused.
    (docs / "b.txt").write_text(head + shared + "\n" + " ".join(paragraph(i) for i in (7, 8, 9)) + "\n")
    report = index.index_paths([docs])
    assert len(report.added) == 1 and report.chunks_added == 2
    assert embedder.texts - first == report.texts_embedded == 1
    # Two copies of that text in one batch are embedded once too.
    other = HashEmbedder()
    fresh = CorpusIndex.open(tmp_path / "fresh", other, create=True, indexing=SMALL_BATCHES)
    fresh.index_paths([docs])
    assert other.texts == 3 and fresh.stats()["chunks"] == 4


def test_staged_vectors_of_a_vanished_file_are_dropped(tmp_path):
    docs = tmp_path / "docs"
    big = write_big(docs)
    index = CorpusIndex.open(tmp_path / "idx", DyingEmbedder(die_at=3), create=True, indexing=SMALL_BATCHES)
    with pytest.raises(Kill):
        index.index_paths([docs])
    assert staged_rows(tmp_path / "idx") == 2 * BATCH
    big.unlink()
    (docs / "other.txt").write_text("Other\n20240101\nhttps://x.example/o\nA short note.\n")
    CorpusIndex.open(tmp_path / "idx", HashEmbedder(), indexing=SMALL_BATCHES).index_paths([docs])
    assert staged_rows(tmp_path / "idx") == 0


def test_a_format_1_index_is_upgraded_in_place(tmp_path):
    docs = tmp_path / "docs"
    write_big(docs, paragraphs=30)
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True, indexing=SMALL_BATCHES)
    index.index_paths([docs])
    before = content(index)
    index.close()
    # Make it what format 1 wrote: no key column, no staging table, manifest version 1.
    with sqlite3.connect(tmp_path / "idx" / "store.sqlite") as conn:
        keys = dict(conn.execute("SELECT rowid, embed_hash FROM chunks"))
        conn.executescript("DROP INDEX chunks_embed_hash; ALTER TABLE chunks DROP COLUMN embed_hash;"
                           " DROP TABLE staged_vectors;")
    manifest_path = tmp_path / "idx" / "manifest.json"
    manifest_path.write_text(json.dumps({**json.loads(manifest_path.read_text()), "format_version": 1}))

    embedder = HashEmbedder()
    upgraded = CorpusIndex.open(tmp_path / "idx", embedder, indexing=SMALL_BATCHES)
    assert json.loads(manifest_path.read_text())["format_version"] == corpus_index.FORMAT_VERSION
    with sqlite3.connect(tmp_path / "idx" / "store.sqlite") as conn:
        assert dict(conn.execute("SELECT rowid, embed_hash FROM chunks")) == keys
    assert content(upgraded) == before
    # The back-filled keys are found: an edited copy of the document re-embeds only its new chunk.
    text = (docs / "big.txt").read_text()
    (docs / "big.txt").write_text(text + paragraph(999) + "\n")
    upgraded.index_paths([docs])
    assert embedder.texts == 1


def test_embed_key_is_the_hash_of_exactly_the_embedded_text():
    assert embedded_text("T | 2024-01-01 | s", "Body.") == "T | 2024-01-01 | s\nBody."
    assert embed_key("a") != embed_key("a ") and len(embed_key("a")) == 16
    assert embed_key("lone \udc80 surrogate")  # texts decoded with surrogateescape still hash
