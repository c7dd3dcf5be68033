"""``rag serve`` reads the BM25 postings ahead (``ServeSettings.warm_bm25_index``), on a real small index."""

from __future__ import annotations

import sqlite3

from index import CorpusIndex
from rag import Assistant, Settings
from tests.conftest import SAMPLE
from tests.fakes import HashEmbedder
from ui.api import ApiService
from ui.serve import warm_in_background


def test_serve_reads_the_bm25_postings_on_a_background_thread(tmp_path, capsys):
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True)
    index.index_paths([SAMPLE])
    with sqlite3.connect(tmp_path / "idx" / "store.sqlite") as conn:
        postings = conn.execute("SELECT sum(length(block)) FROM chunks_fts_data").fetchone()[0]
    assert postings > 0 and index.read_bm25_index() == postings
    settings = Settings(index_dir=tmp_path / "idx")
    assert settings.serve.warm_bm25_index
    service = ApiService(settings, assistant=Assistant(settings, index=index))
    thread = warm_in_background(service)
    thread.join(30)
    assert not thread.is_alive() and thread.daemon
    assert "BM25 index read into the page cache" in capsys.readouterr().err


def test_a_failed_read_ahead_is_reported_and_does_not_stop_the_server(tmp_path, capsys):
    class Broken(ApiService):
        def corpus(self):
            raise RuntimeError("no index here")

    thread = warm_in_background(Broken(Settings(index_dir=tmp_path / "none")))
    thread.join(30)
    assert "the BM25 index was not read ahead (no index here)" in capsys.readouterr().err
