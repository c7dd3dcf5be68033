"""``rag index --cluster``: a local Dask cluster of 2 one-thread workers builds the same index as one process.

"The same" is checked on the store itself: documents, chunks (text, offsets, vectors, embed keys),
the BM25 index's own pages, the generation counter and the FAISS file, byte for byte. Commit
batches are lowered (8 chunks, 3 documents) so the sample corpus makes many batches and a few
dozen paragraphs make a big, staged document. Each build with ``cluster="auto"`` starts its own
local cluster (2-3 s). Without Dask (the optional extra) the cluster tests skip, and the CLI must
fail with one line naming ``pip install -e .[cluster]`` and exit code 17.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from index import CorpusIndex
from index.cluster import ClusterSettings
from index.settings import IndexingSettings
from tests.conftest import SAMPLE
from tests.fakes import HashEmbedder, KillOnceEmbedder

HAVE_DASK = importlib.util.find_spec("distributed") is not None and importlib.util.find_spec("dask") is not None
needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="Dask is not installed (the optional extra: pip install -e .[cluster])")
TWO_WORKERS = ClusterSettings(workers=2, threads_per_worker=1)


class Kill(Exception):
    """Stands for the driver process dying between two commits."""


SMALL_BATCHES = IndexingSettings(commit_chunks=8, commit_docs=3)


def paragraph(i: int) -> str:
    return (f"Paragraph {i} of the port report says that berth {i} handled {i * 37} containers last week, "
            f"that crane {i % 9} was repaired, and that pilots boarded {i % 13} ships before dawn.")


@pytest.fixture
def corpus(tmp_path) -> Path:
    """The sample corpus, a big document (repeating paragraphs, so vectors are reused) and an unreadable file."""
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE, folder)
    body = [paragraph(i % 4) for i in range(40)] + [paragraph(i) for i in range(40)]
    (folder / "00_big.txt").write_text("Port report\n20240105\nhttps://port.example/report\n" + "\n".join(body) + "\n")
    (folder / "empty.txt").write_text("   \n")
    return folder


def dump(index_dir: Path) -> dict:
    """Every stored byte a build writes, in a comparable form (the documents' added_at clock aside)."""
    with sqlite3.connect(index_dir / "store.sqlite") as conn:
        tables = {
            "documents": conn.execute("SELECT id, title, path, date, url, source, body_start, hash, text, metadata, pages"
                                      " FROM documents ORDER BY rowid").fetchall(),
            "chunks": conn.execute("SELECT rowid, * FROM chunks ORDER BY rowid").fetchall(),
            "vectors": conn.execute("SELECT rowid, vector FROM chunk_vectors ORDER BY rowid").fetchall(),
            "fts": conn.execute("SELECT * FROM chunks_fts_data ORDER BY id").fetchall(),
            "meta": conn.execute("SELECT * FROM meta ORDER BY key").fetchall(),
            "staged": conn.execute("SELECT * FROM staged_vectors ORDER BY embed_hash").fetchall(),
        }
    tables["faiss"] = (index_dir / "vectors.faiss").read_bytes()
    return tables


def build(path: Path, embedder, corpus: Path, cluster: str | None = None, **kwargs):
    index = CorpusIndex.open(path, embedder, create=True, indexing=SMALL_BATCHES)
    report = index.index_paths([corpus], cluster=cluster, cluster_settings=TWO_WORKERS, **kwargs)
    index.close()
    return report


def comparable(report) -> dict:
    """A report without its clocks."""
    return {k: v for k, v in report.to_dict().items() if k not in ("seconds", "embed_seconds")}


@needs_dask
def test_a_cluster_build_equals_a_build_in_one_process(tmp_path, corpus):
    single = build(tmp_path / "single", HashEmbedder(), corpus)
    clustered = build(tmp_path / "cluster", HashEmbedder(), corpus, cluster="auto")
    assert comparable(clustered) == comparable(single)
    assert single.chunks_added > 40 and single.texts_embedded < single.chunks_added  # repeats reused
    assert [s.path for s in single.skipped] == [str(corpus / "empty.txt")]
    expected = dump(tmp_path / "single")
    assert len(expected["chunks"]) == single.chunks_added and not expected["staged"]
    assert dump(tmp_path / "cluster") == expected

    # An update after an edit and a deletion is decided and written the same way too.
    (corpus / "00_big.txt").write_text((corpus / "00_big.txt").read_text() + paragraph(99) + "\n")
    (corpus / "03_library_reopens.txt").unlink()
    single = build(tmp_path / "single", HashEmbedder(), corpus)
    clustered = build(tmp_path / "cluster", HashEmbedder(), corpus, cluster="auto")
    assert comparable(clustered) == comparable(single)
    assert len(single.updated) == 1 and len(single.removed) == 1 and single.unchanged > 10
    assert dump(tmp_path / "cluster") == dump(tmp_path / "single")


@needs_dask
def test_a_killed_worker_is_replaced_and_the_build_completes_unchanged(tmp_path, corpus):
    marker = tmp_path / "killed"
    clustered = build(tmp_path / "cluster", KillOnceEmbedder(marker), corpus, cluster="auto")
    assert marker.exists()  # one worker died by SIGKILL in the middle of an embed task
    single = build(tmp_path / "single", HashEmbedder(), corpus)
    assert comparable(clustered) == comparable(single)
    assert dump(tmp_path / "cluster") == dump(tmp_path / "single")


@needs_dask
def test_a_killed_driver_resumes_and_embeds_nothing_committed_twice(tmp_path, corpus):
    commits = []

    def die_after_three(state):  # 00_big.txt comes first: three of its batches are staged, none written
        commits.append(state.chunks_added)
        if len(commits) == 3:
            raise Kill("driver killed")

    index = CorpusIndex.open(tmp_path / "cluster", HashEmbedder(), create=True, indexing=SMALL_BATCHES)
    with pytest.raises(Kill):
        index.index_paths([corpus], cluster="auto", cluster_settings=TWO_WORKERS, progress=die_after_three)
    index.close()
    with sqlite3.connect(tmp_path / "cluster" / "store.sqlite") as conn:
        kept = conn.execute("SELECT count(*) FROM (SELECT embed_hash FROM chunks UNION SELECT embed_hash FROM staged_vectors)"
                            ).fetchone()[0]
        staged = conn.execute("SELECT count(*) FROM staged_vectors").fetchone()[0]
    assert kept > 0 and staged > 0

    resumed = build(tmp_path / "cluster", HashEmbedder(), corpus, cluster="auto")
    single = build(tmp_path / "single", HashEmbedder(), corpus)
    assert resumed.texts_embedded == single.texts_embedded - kept  # only what was in flight is embedded again
    assert dump(tmp_path / "cluster")["chunks"] == dump(tmp_path / "single")["chunks"]


def test_without_dask_the_cli_names_the_extra_and_exits_17(tmp_path, monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.setitem(sys.modules, "dask", None)  # an import of dask now fails, as when it is not installed
    monkeypatch.setitem(sys.modules, "distributed", None)
    code = main(["index", str(SAMPLE), "--cluster", "auto", "--index", str(tmp_path / "idx")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 17
    assert len(err) == 1 and "pip install -e .[cluster]" in err[0] and err[0].startswith("rag index: error:")
    assert not (tmp_path / "idx").exists()  # refused before a new index folder was made


def test_a_cluster_that_is_neither_auto_nor_an_address_is_a_usage_error(tmp_path, capsys):
    from rag.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["index", str(SAMPLE), "--cluster", "localhost", "--index", str(tmp_path / "idx")])
    assert exit_.value.code == 2 and "tcp://host:8786" in capsys.readouterr().err


@needs_dask
def test_the_real_embedder_on_two_workers_gives_the_same_bytes_and_rankings(tmp_path, corpus, embedder):
    build(tmp_path / "single", embedder, corpus)
    build(tmp_path / "cluster", embedder, corpus, cluster="auto")
    expected = dump(tmp_path / "single")
    assert dump(tmp_path / "cluster") == expected  # vectors included: ONNX with 1 thread == with 2
    single, clustered = CorpusIndex.open(tmp_path / "single", embedder), CorpusIndex.open(tmp_path / "cluster", embedder)
    for question in ("When will the harbour bridge open?", "ferry strike", "How many containers did berth 7 handle?"):
        vector = embedder.embed([question])[0]
        assert clustered.dense_search(vector, 10) == single.dense_search(vector, 10)
        assert clustered.lexical_search(question, 10) == single.lexical_search(question, 10)
