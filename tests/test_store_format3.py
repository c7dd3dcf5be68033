"""Store format 3: vectors in their own table, and the upgrade of a real format 2 store.

``tests/data/format2-index`` is a real format 2 index (store and manifest; the FAISS file, a cache, left
out): four files of the sample corpus and a 40-paragraph port report, indexed with ``HashEmbedder`` by the
format 2 code of commit fcb8b93 (``git archive fcb8b93``, then ``CorpusIndex.open(..., create=True)
.index_paths([folder])``, checkpointed and vacuumed).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import index.corpus_index as corpus_index
import index.store as store_module
from index import CorpusIndex
from index.errors import IndexCorruptError, IndexFullError
from tests.fakes import HashEmbedder

FORMAT2 = Path(__file__).parent / "data" / "format2-index"
DOC_COLUMNS = "id, title, path, date, url, source, body_start, hash, metadata, pages, added_at, text"
CHUNK_COLUMNS = "rowid, id, doc_id, ordinal, start, end, n_tokens, header, text, embed_hash"


def snapshot(store_path: Path, vectors_from: str) -> dict:
    """Every row a search or an update can see, by column name (independent of column order and table layout)."""
    with sqlite3.connect(store_path) as conn:
        return {
            "documents": conn.execute(f"SELECT {DOC_COLUMNS} FROM documents ORDER BY id").fetchall(),
            "chunks": conn.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY rowid").fetchall(),
            "vectors": conn.execute(f"SELECT rowid, vector FROM {vectors_from} ORDER BY rowid").fetchall(),
            "fts": conn.execute("SELECT * FROM chunks_fts_data ORDER BY id").fetchall(),
            "meta": conn.execute("SELECT * FROM meta ORDER BY key").fetchall(),
        }


def columns(store_path: Path, table: str) -> list[str]:
    with sqlite3.connect(store_path) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


@pytest.fixture
def format2(tmp_path) -> Path:
    folder = tmp_path / "idx"
    shutil.copytree(FORMAT2, folder)
    assert "vector" in columns(folder / "store.sqlite", "chunks")  # really format 2
    return folder


def searches(index: CorpusIndex) -> list:
    queries = ["ferry strike", "harbour bridge approved", "berth containers crane"]
    lexical = [index.lexical_search(q, 5) for q in queries]
    dense = [[(r, round(s, 5)) for r, s in index.dense_search(index.embed_query(q), 5)] for q in queries]
    return [lexical, dense]


def test_a_new_store_keeps_vectors_out_of_the_chunk_rows(tmp_path):
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True)
    index.index_paths([FORMAT2.parent.parent.parent / "rag" / "sample_corpus"])
    store = tmp_path / "idx" / "store.sqlite"
    assert "vector" not in columns(store, "chunks")
    assert columns(store, "documents")[-1] == "text"
    ids, matrix = index.all_vectors()
    with sqlite3.connect(store) as conn:
        assert [r[0] for r in conn.execute("SELECT rowid FROM chunk_vectors ORDER BY rowid")] == ids.tolist()
    # Removing a document removes its vectors in the same transaction (trigger).
    doc_id = index.documents()[0]["doc_id"]
    index.store.write([], removals=[doc_id])
    with sqlite3.connect(store) as conn:
        left = conn.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0]
        chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM chunk_vectors WHERE rowid NOT IN (SELECT rowid FROM chunks)").fetchone()[0]
    assert left == chunks < len(ids) and orphans == 0


def test_a_format_2_store_is_upgraded_in_place_in_one_transaction(format2, tmp_path, capsys):
    store = format2 / "store.sqlite"
    before = snapshot(store, "chunks")
    # The same index opened read-only is searched as format 2 (vectors read from the chunk rows), not upgraded.
    readonly = tmp_path / "ro"
    shutil.copytree(FORMAT2, readonly)
    # Root ignores file modes, so the read-only state is what os.access reports (as in test_hostile_index).
    real_access, ro = os.access, {str(readonly), str(readonly / "store.sqlite")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_module.os, "access", lambda path, mode, *a, **kw: False if mode & os.W_OK and str(path) in ro
                   else real_access(path, mode, *a, **kw))
        old = CorpusIndex.open(readonly, HashEmbedder())
        assert old.store.read_only and old.store._vectors == "chunks"
        expected = searches(old)
        old.close()
    assert "vector" in columns(readonly / "store.sqlite", "chunks")

    embedder = HashEmbedder()
    index = CorpusIndex.open(format2, embedder)
    assert "upgrading the index store" in capsys.readouterr().err
    manifest = json.loads((format2 / "manifest.json").read_text())
    assert manifest["format_version"] == corpus_index.FORMAT_VERSION == 3 and manifest["upgraded_from"] == 2
    assert "vector" not in columns(store, "chunks") and columns(store, "documents")[-1] == "text"
    assert snapshot(store, "chunk_vectors") == before
    assert searches(index) == expected and embedder.texts == 3  # the three query embeddings, nothing re-embedded
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchone() is None
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"chunks_fts_insert", "chunks_fts_delete", "chunks_vector_delete", "chunks_doc", "chunks_embed_hash",
            "documents_hash", "documents_path", "documents_date", "documents_source"} <= names
    assert not {n for n in names if n.endswith("_3")}
    with index.store.connection() as conn:
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1

    # Updates after the upgrade: an edited file replaces its chunks and vectors, and the FTS5 index follows.
    docs = tmp_path / "docs"
    shutil.copytree(FORMAT2.parent.parent.parent / "rag" / "sample_corpus", docs)
    report = index.index_paths([docs])
    assert report.added
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0] == conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM chunk_vectors WHERE rowid NOT IN (SELECT rowid FROM chunks)").fetchone()[0] == 0
        conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")
    index.close()
    # Opening it again upgrades nothing.
    CorpusIndex.open(format2, HashEmbedder()).close()
    assert "upgrading" not in capsys.readouterr().err


def test_an_upgrade_that_fails_half_way_leaves_the_format_2_store(format2, monkeypatch):
    store = format2 / "store.sqlite"
    before = snapshot(store, "chunks")
    # Fail after the old tables were dropped and the copies renamed: everything must roll back.
    monkeypatch.setattr(store_module, "_UPGRADE_3", store_module._UPGRADE_3 + "\nSELECT no_such_function();\n")
    with pytest.raises(IndexCorruptError, match="no_such_function.*rolled back: the store is unchanged"):
        CorpusIndex.open(format2, HashEmbedder())
    assert "vector" in columns(store, "chunks")
    assert snapshot(store, "chunks") == before
    assert json.loads((format2 / "manifest.json").read_text())["format_version"] == 2
    monkeypatch.undo()
    index = CorpusIndex.open(format2, HashEmbedder())
    assert snapshot(store, "chunk_vectors") == before
    index.close()


def test_an_old_store_without_the_disk_to_upgrade_stays_searchable_and_refuses_writes(format2, tmp_path, monkeypatch,
                                                                                        capsys):
    """Searching must not depend on free disk: the upgrade stops before writing, the old store is searched
    as it is, and only a write fails, with the message saying how much disk the upgrade needs."""
    store = format2 / "store.sqlite"
    before = snapshot(store, "chunks")
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 10, 10))
    index = CorpusIndex.open(format2, HashEmbedder())
    assert "must be upgraded once before it is written to; that needs about" in capsys.readouterr().err
    assert all(searches(index))  # lexical and dense searches answer from the old rows
    doc = tmp_path / "new"
    doc.mkdir()
    (doc / "new.txt").write_text("A new article about the harbour bridge.", encoding="utf-8")
    with pytest.raises(IndexFullError, match="must be upgraded once before it is written to"):
        index.index_paths([doc])
    index.close()
    assert snapshot(store, "chunks") == before
    assert "vector" in columns(store, "chunks")


def test_vectors_of_the_upgraded_store_match_the_old_rows(format2):
    with sqlite3.connect(format2 / "store.sqlite") as conn:
        old = {r: np.frombuffer(v, dtype=np.float32) for r, v in conn.execute("SELECT rowid, vector FROM chunks")}
    index = CorpusIndex.open(format2, HashEmbedder())
    got = index.vectors_for(list(old))
    assert set(got) == set(old) and all(np.array_equal(got[r], old[r]) for r in old)
    index.close()
