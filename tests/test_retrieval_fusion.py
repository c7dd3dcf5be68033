"""Fusion of dense and BM25 candidates, retrieval modes, and the optional sentence reranker."""

from __future__ import annotations


import pytest

from index import CorpusIndex, Document
from index.store import fts_query
from rag.retrieval import Retriever, fuse
from rag.settings import RetrievalSettings, Settings
from fakes import HashEmbedder as CountingHashEmbedder


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = fuse([(1, 0.9), (2, 0.8)], [(2, 12.0), (3, 7.0)], method="rrf", rrf_k=60)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)
    weighted = fuse([(1, 0.9)], [(3, 7.0)], method="rrf", rrf_k=0, dense_weight=2.0, lexical_weight=1.0)
    assert weighted == {1: 2.0, 3: 1.0}


def test_linear_fusion_min_max_normalises_each_route():
    dense = [(1, 0.9), (2, 0.7), (3, 0.5)]
    lexical = [(3, 20.0), (4, 10.0)]
    fused = fuse(dense, lexical, method="linear", dense_weight=0.5, lexical_weight=0.5)
    assert fused[1] == pytest.approx(0.5)  # best dense, absent from BM25
    assert fused[2] == pytest.approx(0.25)
    assert fused[3] == pytest.approx(0.5)  # worst dense (0) + best BM25 (0.5)
    assert fused[4] == pytest.approx(0.0)
    # the score gaps matter, not only the ranks: a close second stays close
    close = fuse([(1, 0.90), (2, 0.89), (3, 0.10)], [], method="linear")
    assert close[2] > 0.95 * close[1]


def test_fusion_edge_cases():
    assert fuse([], [], method="linear") == {}
    assert fuse([(1, 0.5)], [], method="linear") == {1: 1.0}  # a single candidate is the best one
    assert fuse([(1, 0.5)], [(2, 3.0)], dense_weight=0.0) == {2: pytest.approx(1 / 61)}
    with pytest.raises(ValueError):
        fuse([(1, 0.5)], [], method="max")


def test_fts_query_drops_stopwords_but_never_everything():
    assert fts_query("What did the council say about the bridge?") == '"council" OR "say" OR "bridge"'
    assert fts_query("the") == '"the"'  # nothing else to search for
    assert fts_query("Who won in the US?") == '"won" OR "us"'  # content words in news are kept
    assert fts_query('a "quoted" OR NEAR(x) query') == '"quoted" OR "near" OR "query"'  # no FTS syntax gets through


@pytest.fixture()
def toy_index(tmp_path):
    embedder = CountingHashEmbedder()
    index = CorpusIndex.open(tmp_path / "idx", embedder, create=True)
    bodies = {
        "a": "The harbour bridge was approved. Construction starts in spring. The council voted eight to one.",
        "b": "A ferry strike stopped all crossings. Unions and the operator met on Monday.",
        "c": "The library reopened after repairs. Visitors praised the new reading room.",
        "d": "Bridge tolls will fund the harbour project, the mayor said. Critics called the tolls unfair.",
    }
    docs = [Document(id=k, title=f"Story {k}", text=f"Story {k}\n\n{v}", body_start=len(f"Story {k}\n\n"))
            for k, v in bodies.items()]
    index.add_documents(docs)
    return index


def test_retriever_modes_and_full_ranking(toy_index):
    retriever = Retriever(toy_index)
    assert retriever.settings == Settings().retrieval
    hybrid = retriever.search("harbour bridge tolls", 2)
    assert len(hybrid.passages) == 2
    assert {p.doc_id for p in hybrid.passages} <= {"a", "d"}
    assert [r for r, _ in hybrid.ranking[:2]] != []
    assert len(hybrid.ranking) >= len(hybrid.passages)
    before = toy_index.embedder.texts
    lexical = retriever.search("ferry strike", 3, mode="lexical")
    assert toy_index.embedder.texts == before  # BM25 alone embeds nothing
    assert lexical.passages[0].doc_id == "b" and lexical.top_dense == 0.0
    dense = retriever.search("ferry strike", 3, mode="dense")
    assert dense.passages[0].doc_id == "b" and dense.top_dense > 0
    with pytest.raises(ValueError):
        retriever.search("x", 3, mode="fancy")


def test_sentence_reranker_keeps_every_candidate(toy_index):
    plain = Retriever(toy_index).search("tolls unfair critics", 4)
    reranked = Retriever(toy_index, RetrievalSettings(rerank="sentences", rerank_depth=3)).search("tolls unfair critics", 4)
    assert reranked.passages[0].doc_id == "d"
    assert sorted(r for r, _ in reranked.ranking) == sorted(r for r, _ in plain.ranking)
    scores = [s for _, s in reranked.ranking]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ValueError):
        Retriever(toy_index, RetrievalSettings(rerank="llm"))
