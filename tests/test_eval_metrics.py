"""Metric code of ``rag eval``: the official MultiHop-RAG fixture and hand-computed cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rag.evaluation.metrics import (
    beir_metrics,
    chunk_coverage,
    citation_matches_gold,
    contains_fact,
    extract_official_answer,
    is_null_answer,
    latency_summary,
    lenient_correct,
    max_pool,
    mrr_at_k,
    multihop_retrieval_metrics,
    multihop_retrieval_scores,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    strict_correct,
)

SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"
FIXTURE = SHARED_DATA / "multihop-rag" / "official_retrieval_output_llm-embedder_8q.json"


@pytest.mark.skipif(not FIXTURE.exists(), reason=f"shared evaluation data not found at {FIXTURE} "
                                                 "(the MultiHop-RAG fixture lives outside the repository)")
def test_official_multihop_fixture_reproduces_published_values():
    rows = json.loads(FIXTURE.read_text())
    retrieved = [[r["text"] for r in row["retrieval_list"]] for row in rows]
    gold = [[e["fact"] for e in row["gold_list"]] for row in rows]
    m = multihop_retrieval_metrics(retrieved, gold)
    assert m["queries"] == 8
    assert f"{m['hits@10']:.4f}" == "0.7500"
    assert f"{m['hits@4']:.4f}" == "0.6250"
    assert f"{m['map@10']:.4f}" == "0.2746"
    assert f"{m['mrr@10']:.4f}" == "0.5491"


# ---- MultiHop-RAG retrieval, by hand -------------------------------------------------------
def test_fact_matching_ignores_spaces_and_newlines_but_not_case():
    assert contains_fact("The  bridge\nopened in May.", "bridge opened in May")
    assert not contains_fact("The bridge opened in May.", "Bridge opened in May")
    assert not contains_fact("The bridge opened", "The bridge opened in May.")  # a partial sentence is no hit


def test_multihop_scores_count_newly_found_facts_only():
    gold = ["Fact A.", "Fact B."]
    retrieved = ["nothing here", "x Fact A. y", "Fact A. and Fact B.", "Fact B."]
    s = multihop_retrieval_scores(retrieved, gold)
    assert s["hits@4"] == 1.0 and s["hits@10"] == 1.0
    assert s["mrr@10"] == 0.5
    # rank 2 finds A (1/2), rank 3 finds only B as new (1/3), rank 4 finds nothing new.
    assert s["map@10"] == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_multihop_hit_only_within_k_and_null_queries_excluded():
    retrieved = ["a"] * 4 + ["Fact A."] + ["b"] * 5 + ["Fact A."]  # rank 5 and rank 11
    s = multihop_retrieval_scores(retrieved, ["Fact A."])
    assert (s["hits@4"], s["hits@10"], s["mrr@10"]) == (0.0, 1.0, 0.2)
    m = multihop_retrieval_metrics([retrieved, ["Fact A."]], [["Fact A."], []])
    assert m["queries"] == 1 and m["hits@10"] == 1.0


def test_chunk_coverage_ceiling():
    chunks = ["One. Two.", "Three is here."]
    assert chunk_coverage(["One.", "Two.", "Three is here.", "Four."], chunks) == 0.75
    assert chunk_coverage(["Two. Three is here."], chunks) == 0.0  # split across two chunks


# ---- BEIR, by hand --------------------------------------------------------------------------
def test_ndcg_binary_trec_eval_style():
    qrels = {"a": 1, "b": 1}
    ranked = ["x", "a", "y", "b"]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, qrels, 10) == pytest.approx(dcg / idcg)
    assert round(ndcg_at_k(ranked, qrels, 10), 4) == 0.6509
    assert ndcg_at_k(["a", "b"], qrels) == pytest.approx(1.0)
    assert ndcg_at_k(["x"] * 10 + ["a"], qrels) == 0.0  # beyond the cut-off
    # the ideal ranking is limited to k even when there are more relevant documents
    many = {str(i): 1 for i in range(12)}
    assert ndcg_at_k([str(i) for i in range(10)], many, 10) == pytest.approx(1.0)


def test_recall_mrr_and_max_pooling():
    qrels = {"a": 1, "b": 1, "c": 0}
    assert recall_at_k(["a", "x", "b"], qrels, 2) == 0.5
    assert recall_at_k(["a", "x", "b"], qrels, 3) == 1.0
    assert mrr_at_k(["c", "x", "b"], qrels) == pytest.approx(1 / 3)  # relevance 0 is not relevant
    # chunks (doc, score) -> documents by their best chunk
    assert max_pool([("d1", 0.2), ("d2", 0.9), ("d1", 0.95), ("d3", 0.1)]) == ["d1", "d2", "d3"]
    m = beir_metrics({"q1": ["a", "b"]}, {"q1": {"a": 1}, "q2": {"z": 1}})
    assert m["queries"] == 2 and m["ndcg@10"] == 0.5  # a query without a ranking scores 0


# ---- answers, by hand -----------------------------------------------------------------------
def test_official_extraction_and_lenient_score():
    assert extract_official_answer('Sure. The answer to the question is "Sam Bankman-Fried". Done') == "Sam Bankman-Fried"
    assert extract_official_answer("Just Yes") == "Just Yes"
    assert lenient_correct("the dog", "The Verge")  # any shared token: very lenient, as published
    assert lenient_correct("YES", "Yes")
    assert not lenient_correct("Yes,", "Yes")  # whitespace tokens only: punctuation sticks
    assert not lenient_correct("No", "Yes")


def test_strict_score():
    assert normalize_answer("The Verge [1], said: yes!") == "verge said yes"
    assert strict_correct("Yes, both reports agree [1].", "Yes")
    assert strict_correct("yes", "Yes")
    assert not strict_correct("No.", "Yes")
    assert not strict_correct("It is not clear, but probably yes.", "Yes")  # the label must lead
    assert strict_correct("After.", "after")
    assert strict_correct("It was Sam Bankman-Fried [2].", "Sam Bankman-Fried")
    assert not strict_correct("Sam", "Sam Bankman-Fried")
    assert not strict_correct("The Vergeous", "The Verge")  # word boundaries
    # null queries: only an abstention is right; an abstention elsewhere is wrong
    assert is_null_answer("Insufficient information.")
    assert strict_correct("The documents do not answer this question.", "Insufficient information.", abstained=True)
    assert strict_correct("Insufficient information", "Insufficient information.")
    assert not strict_correct("Yes", "Insufficient information.")
    assert not strict_correct("The documents do not answer this question.", "Yes", abstained=True)


def test_citation_matches_gold_both_ways():
    facts = ["The bridge will open in May 2024, the council said."]
    assert citation_matches_gold("The bridge will open in May 2024, the council said.", facts)
    assert citation_matches_gold("Officials met. The bridge will open in May 2024, the council said. More.", facts)
    assert citation_matches_gold("The bridge will open in May 2024", facts)  # a quote inside the fact
    assert not citation_matches_gold("the council", facts)  # too short to count as inside
    assert not citation_matches_gold("The tunnel will open in June.", facts)
    assert not citation_matches_gold("anything", [])


def test_latency_percentiles():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 50) == 0.0
    s = latency_summary([0.010, 0.020, 0.030])
    assert s["p50_ms"] == pytest.approx(20.0) and s["max_ms"] == pytest.approx(30.0)
