"""Metric functions for ``rag eval``: pure, dependency-free, and each defined once.

Definitions follow ``shared/data/METRICS.md``:

* MultiHop-RAG retrieval (section 2.1): Hits@k, MRR@10 and the benchmark's own,
  non-standard MAP@10, all by substring matching of gold evidence facts in
  retrieved chunk texts after removing spaces and newlines.
* MultiHop-RAG answers (section 2.2): the official lenient score (any shared
  whitespace token) and a strict one (see :func:`strict_correct`).
* BEIR (section 2.5): nDCG@10 as ``trec_eval -m ndcg_cut.10`` computes it with
  binary qrels, Recall@k and MRR@10, over documents ranked by max-pooling
  their chunks' scores.
"""

from __future__ import annotations

import math
import re
import string
from typing import Iterable, Mapping, Sequence

__all__ = [
    "norm_evidence",
    "contains_fact",
    "multihop_retrieval_scores",
    "multihop_retrieval_metrics",
    "chunk_coverage",
    "max_pool",
    "ndcg_at_k",
    "recall_at_k",
    "mrr_at_k",
    "beir_metrics",
    "extract_official_answer",
    "lenient_correct",
    "strict_correct",
    "contains_answer",
    "judge_answer",
    "normalize_answer",
    "is_null_answer",
    "citation_matches_gold",
    "percentile",
    "latency_summary",
]


# ---- MultiHop-RAG retrieval (METRICS.md 2.1) --------------------------------------------
def norm_evidence(text: str) -> str:
    """The benchmark's normalisation: drop spaces and newlines, nothing else (case is kept)."""
    return text.replace(" ", "").replace("\n", "")


def contains_fact(chunk_text: str, fact: str) -> bool:
    return norm_evidence(fact) in norm_evidence(chunk_text)


def multihop_retrieval_scores(retrieved: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Per-query Hits@4, Hits@10, MRR@10 and MAP@10 of one ranked list of chunk texts.

    MAP@10 is the benchmark's variant: at rank i add (gold facts first found at
    rank i) / i, then divide by min(len(gold), 10). ``gold`` is used as given,
    duplicates included, exactly as the reference script does.
    """
    gold_n = [norm_evidence(g) for g in gold]
    found: list[str] = []
    hits4 = hits10 = False
    first_rank: int | None = None
    ap_sum = 0.0
    for rank, text in enumerate(retrieved[:10], start=1):
        chunk = norm_evidence(text)
        if not any(g in chunk for g in gold_n):
            continue
        hits10 = True
        hits4 = hits4 or rank <= 4
        if first_rank is None:
            first_rank = rank
        new = 0
        for g in gold_n:
            if g in chunk and g not in found:
                new += 1
                found.append(g)
        ap_sum += new / rank
    return {
        "hits@4": float(hits4),
        "hits@10": float(hits10),
        "mrr@10": 1.0 / first_rank if first_rank else 0.0,
        "map@10": ap_sum / min(len(gold), 10) if gold else 0.0,
    }


def multihop_retrieval_metrics(retrieved_lists: Sequence[Sequence[str]], gold_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mean of :func:`multihop_retrieval_scores` over queries; queries without gold (null) are skipped."""
    rows = [multihop_retrieval_scores(r, g) for r, g in zip(retrieved_lists, gold_lists, strict=True) if g]
    keys = ("hits@4", "hits@10", "mrr@10", "map@10")
    if not rows:
        return {k: 0.0 for k in keys} | {"queries": 0}
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys} | {"queries": len(rows)}


def chunk_coverage(facts: Iterable[str], chunk_texts: Iterable[str]) -> float:
    """Share of gold facts that lie wholly inside at least one chunk (the ceiling on Hits)."""
    facts = [norm_evidence(f) for f in facts]
    if not facts:
        return 0.0
    chunks = [norm_evidence(c) for c in chunk_texts]
    return sum(any(f in c for c in chunks) for f in facts) / len(facts)


# ---- BEIR (METRICS.md 2.5) ----------------------------------------------------------------
def max_pool(ranked: Iterable[tuple[str, float]]) -> list[str]:
    """Document ids ranked by the best score of any of their chunks (BEIR scores documents)."""
    best: dict[str, float] = {}
    for doc_id, score in ranked:
        if doc_id not in best or score > best[doc_id]:
            best[doc_id] = score
    # Stable sort: ties keep the order in which the documents were first seen.
    return sorted(best, key=lambda d: -best[d])


def ndcg_at_k(ranked_docs: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k as trec_eval's ndcg_cut: gain = relevance, discount 1/log2(rank+1), ideal from the qrels."""
    dcg = sum(qrels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked_docs[:k]) if qrels.get(d, 0) > 0)
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked_docs: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    relevant = {d for d, r in qrels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked_docs[:k])) / len(relevant)


def mrr_at_k(ranked_docs: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked_docs[:k], start=1):
        if qrels.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def beir_metrics(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, Recall@10, Recall@100 and MRR@10 over the queries of ``qrels``.

    A query with no ranking scores 0 (as in BEIR), so the denominator is always
    the number of judged queries.
    """
    n = len(qrels)
    if n == 0:
        return {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "queries": 0}
    totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for qid, judged in qrels.items():
        ranked = list(rankings.get(qid, ()))
        totals["ndcg@10"] += ndcg_at_k(ranked, judged, 10)
        totals["recall@10"] += recall_at_k(ranked, judged, 10)
        totals["recall@100"] += recall_at_k(ranked, judged, 100)
        totals["mrr@10"] += mrr_at_k(ranked, judged, 10)
    return {k: v / n for k, v in totals.items()} | {"queries": n}


# ---- MultiHop-RAG answers (METRICS.md 2.2) ----------------------------------------------
_OFFICIAL_ANSWER = re.compile(r'The answer to the question is "(.*?)"')
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "“”‘’"})
_NULL_GOLD = re.compile(r"^\s*insufficient information\.?\s*$", re.I)
_ABSTENTION = re.compile(
    r"insufficient information|not enough information|documents do not (?:answer|contain|say)|"
    r"cannot (?:be )?(?:answer|determine)|can't (?:answer|determine)|unable to (?:answer|determine)|"
    r"(?:do|does) not (?:contain|provide|mention|say)",
    re.I,
)
_LABELS = ("yes", "no", "before", "after")
_CITATION_MARK = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def extract_official_answer(output: str) -> str:
    """The reference extraction: the quoted span of 'The answer to the question is "..."', else everything."""
    match = _OFFICIAL_ANSWER.search(output)
    return match.group(1) if match else output


def lenient_correct(prediction: str, gold: str) -> bool:
    """The official MultiHop-RAG score: any whitespace token shared, case-insensitively."""
    return bool(set(prediction.lower().split()) & set(gold.lower().split()))


def normalize_answer(text: str) -> str:
    """Lower-case, drop citation markers, punctuation and English articles, collapse spaces."""
    text = _CITATION_MARK.sub(" ", text.lower())
    text = _ARTICLES.sub(" ", text.translate(_PUNCT))
    return " ".join(text.split())


def is_null_answer(gold: str) -> bool:
    """The gold answer of a null query ('Insufficient information.')."""
    return bool(_NULL_GOLD.match(gold))


def strict_correct(prediction: str, gold: str, abstained: bool = False) -> bool:
    """The strict score (METRICS.md 2.2 recommendation), judged on normalised text.

    * null query (gold 'Insufficient information'): correct iff the system
      abstained (``abstained``) or its text is an abstention phrase;
    * an abstention on any other query is wrong;
    * gold yes/no/before/after: the answer must *be* that word - the whole
      normalised prediction, or its first word ("Yes, both reports ..."); a
      hedge that names the label later on does not count;
    * otherwise (an entity): the normalised gold must occur in the normalised
      prediction on word boundaries.
    """
    said_no_answer = abstained or bool(_ABSTENTION.search(prediction))
    if is_null_answer(gold):
        return said_no_answer
    if abstained:
        return False
    pred = normalize_answer(extract_official_answer(prediction))
    target = normalize_answer(gold)
    if not pred or not target:
        return False
    if target in _LABELS:
        return pred == target or pred.split()[0] == target
    return contains_answer(pred, [gold])


def contains_answer(prediction: str, accepted: Iterable[str]) -> bool:
    """Any accepted answer string occurs in the prediction, both normalised (:func:`normalize_answer`),
    on word boundaries: "1.5 mln" is found in "It paid 1.5 mln dlrs [1]." but "15" is not found in "150"."""
    pred = f" {normalize_answer(prediction)} "
    return any(f" {target} " in pred for target in map(normalize_answer, accepted) if target)


def judge_answer(prediction: str, abstained: bool, accepted: Sequence[str], answerable: bool,
                 require_all: bool = False) -> bool:
    """The strict judge of a question with a list of accepted answers (the Reuters set, the sample questions).

    Answerable: correct iff the system answered and the text contains an accepted answer
    (:func:`contains_answer`), or every one of them with ``require_all`` (the sample questions list
    the facts an answer needs, not alternatives). Unanswerable: correct iff it abstained. Whether a system
    abstained is its own signal (the product's ``Answer.abstained``; for a raw generation,
    :func:`rag.evaluation.plain.declines`), decided once by the caller for every score.
    """
    if not answerable:
        return abstained
    if require_all:
        return not abstained and bool(accepted) and all(contains_answer(prediction, [a]) for a in accepted)
    return not abstained and contains_answer(prediction, accepted)


def citation_matches_gold(quote: str, facts: Iterable[str]) -> bool:
    """A citation points at gold evidence when its quote contains, or lies inside, a gold fact.

    Compared after the benchmark's normalisation (spaces and newlines removed);
    a quote shorter than 20 characters only counts when it equals a fact, so a
    fragment like "He said" cannot match by accident.
    """
    q = norm_evidence(quote)
    if not q:
        return False
    for fact in facts:
        f = norm_evidence(fact)
        if not f:
            continue
        if f in q or (q in f and (len(q) >= 20 or q == f)):
            return True
    return False


# ---- latency ------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/max in milliseconds."""
    if not seconds:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "mean_ms": 0.0, "max_ms": 0.0}
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "mean_ms": sum(ms) / len(ms), "max_ms": max(ms)}
