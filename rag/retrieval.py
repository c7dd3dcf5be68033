"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused into one ranking.

Both routes run over the same metadata filter. Near-duplicate passages (news
repeats itself across outlets and in overlapping chunks) are dropped so the
few passages the model sees carry different evidence.

How the defaults were chosen (fusion method, weights, candidate depth) is in
docs/BENCHMARKS.md, section "Retrieval": every knob was tuned on the SciFact
train split and the MultiHop-RAG dev split and is reported on their test splits
with ``rag eval retrieval`` / ``rag eval multihop``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index import CorpusIndex, SearchFilter, split_sentences

from .settings import FUSIONS, RERANKERS, RetrievalSettings, Settings
from .types import Passage

__all__ = ["Retriever", "RetrievalResult", "fuse", "MODES", "FUSIONS", "RERANKERS"]

MODES = ("hybrid", "dense", "lexical")

def fuse(dense: Sequence[tuple[int, float]], lexical: Sequence[tuple[int, float]], *, method: str = "rrf",
         rrf_k: float = 60.0, dense_weight: float = 1.0, lexical_weight: float = 1.0) -> dict[int, float]:
    """Combine two ranked candidate lists (id, score), best first, into id -> fused score.

    ``rrf``: sum of weight / (rrf_k + rank). Uses ranks only, so it needs no
    calibration between cosine and BM25 scores.
    ``linear``: sum of weight * min-max normalised score, each list normalised
    over its own candidates (a candidate missing from a list gets 0 from it).
    Uses the score gaps that RRF throws away.
    """
    fused: dict[int, float] = {}
    for weight, ranking in ((dense_weight, dense), (lexical_weight, lexical)):
        if not ranking or weight == 0:
            continue
        if method == "rrf":
            for rank, (rowid, _) in enumerate(ranking):
                fused[rowid] = fused.get(rowid, 0.0) + weight / (rrf_k + rank + 1)
        elif method == "linear":
            scores = [s for _, s in ranking]
            lo, hi = min(scores), max(scores)
            span = hi - lo
            for rowid, s in ranking:
                fused[rowid] = fused.get(rowid, 0.0) + weight * ((s - lo) / span if span > 0 else 1.0)
        else:
            raise ValueError(f"unknown fusion method {method!r}; use one of {', '.join(FUSIONS)}")
    return fused


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _bm25_pool() -> ThreadPoolExecutor:
    """One small worker pool per process for BM25 queries, created on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rag-bm25")
        return _POOL


@dataclass(frozen=True)
class RetrievalResult:
    passages: tuple[Passage, ...]
    query_vector: np.ndarray
    seconds: float
    top_dense: float
    """Highest cosine similarity of any chunk to the question (the abstention signal)."""
    ranking: tuple[tuple[int, float], ...] = ()
    """The whole fused ranking (chunk row id, fused score), best first, before near-duplicate
    removal: what evaluation pools into document rankings."""


class Retriever:
    """Dense + BM25 retrieval with fusion and near-duplicate removal.

    Its knobs are :class:`RetrievalSettings` (``settings.retrieval``); ``Retriever.from_settings``
    is the usual way to build one.
    """

    def __init__(self, index: CorpusIndex, settings: RetrievalSettings | None = None) -> None:
        self.index = index
        self.settings = settings or RetrievalSettings()  # RetrievalSettings checks fusion and rerank

    @classmethod
    def from_settings(cls, index: CorpusIndex, settings: Settings) -> "Retriever":
        return cls(index, settings.retrieval)

    def search(self, query: str, k: int, flt: SearchFilter | None = None, mode: str = "hybrid",
               candidates: int | None = None) -> RetrievalResult:
        """Top ``k`` passages for ``query``. ``mode`` is ``hybrid``, ``dense`` or ``lexical``.

        ``candidates`` overrides how many chunks each route contributes (evaluation
        needs 100 documents for Recall@100).
        """
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}")
        started = time.perf_counter()
        depth = max(candidates or self.settings.candidates, k)
        # In hybrid mode BM25 runs on a worker thread while the question is embedded: SQLite and
        # the embedder both release the GIL, so the two routes overlap instead of adding up.
        pending = _bm25_pool().submit(self.index.lexical_search, query, depth, flt) if mode == "hybrid" else None
        try:
            # BM25 alone needs no query embedding (the slowest step on a CPU).
            vector = self.index.embed_query(query) if mode != "lexical" else np.zeros(0, dtype=np.float32)
            dense = self.index.dense_search(vector, depth, flt) if mode in ("hybrid", "dense") else []
        finally:
            lexical = pending.result() if pending is not None else []
        if mode == "lexical":
            lexical = self.index.lexical_search(query, depth, flt)
        fused = fuse(dense, lexical, method=self.settings.fusion, rrf_k=self.settings.rrf_k,
                     dense_weight=self.settings.dense_weight if mode != "lexical" else 1.0,
                     lexical_weight=self.settings.lexical_weight if mode != "dense" else 1.0)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        order = sorted(fused, key=lambda r: (-fused[r], -dense_scores.get(r, -1.0), r))
        rows: dict = {}
        if self.settings.rerank == "sentences" and mode != "lexical" and len(order) > 1:
            order, fused, rows = self._rerank_sentences(vector, order, fused)
        chosen = self._diverse(order, k)
        missing = [r for r in chosen if r not in rows]
        if missing:
            rows = {**rows, **self.index.rows(missing)}
        passages = []
        for rowid in chosen:
            row = rows.get(rowid)
            if row is None:  # removed by a concurrent writer between search and fetch
                continue
            c = row.chunk
            passages.append(
                Passage(
                    chunk_id=c.id, doc_id=c.doc_id, title=row.title, date=row.date, url=row.url, path=row.path,
                    source=row.source, text=c.text, start=c.start, end=c.end, score=fused[rowid],
                    dense=dense_scores.get(rowid, 0.0), lexical=lexical_scores.get(rowid, 0.0),
                    page=row.page,
                )
            )
        top_dense = max(dense_scores.values(), default=0.0)
        ranking = tuple((r, fused[r]) for r in order)
        return RetrievalResult(tuple(passages), vector, time.perf_counter() - started, top_dense, ranking)

    def _rerank_sentences(self, vector: np.ndarray, order: list[int], fused: dict[int, float]):
        """Rescore the head of the ranking by each chunk's best sentence (cosine to the question).

        A chunk embedding averages all its sentences; a claim is usually backed by one.
        Final score of a head chunk = (1 - w) * normalised fused score + w * normalised
        best-sentence cosine; the head stays above the tail.
        """
        head = order[: self.settings.rerank_depth]
        rows = self.index.rows(head)
        head = [r for r in head if r in rows]
        sentences: list[str] = []
        owners: list[int] = []
        for rowid in head:
            text = rows[rowid].chunk.text
            for span in split_sentences(text):
                sentences.append(text[span.start:span.end])
                owners.append(rowid)
        if not sentences:
            return order, fused, rows
        sims = self.index.embedder.embed(sentences) @ vector
        best: dict[int, float] = {}
        for rowid, sim in zip(owners, sims):
            best[rowid] = max(best.get(rowid, -1.0), float(sim))
        f = np.array([fused[r] for r in head])
        b = np.array([best.get(r, -1.0) for r in head])
        norm = lambda x: (x - x.min()) / (x.max() - x.min()) if x.max() > x.min() else np.ones_like(x)  # noqa: E731
        combined = (1 - self.settings.rerank_weight) * norm(f) + self.settings.rerank_weight * norm(b)
        tail_top = max((fused[r] for r in order[len(head):]), default=0.0)
        # Map the head's new scores above every tail score so pooling and callers see one ordering.
        rescored = {r: tail_top + 1.0 + float(c) for r, c in zip(head, combined)}
        new_order = sorted(head, key=lambda r: -rescored[r]) + [r for r in order if r not in rescored]
        return new_order, {**fused, **rescored}, rows

    def _diverse(self, order: list[int], k: int) -> list[int]:
        """Walk the fused ranking and skip chunks nearly identical to one already chosen."""
        head = order[: max(k * 3, k)]
        if len(head) <= 1:
            return head[:k]
        vectors = self.index.vectors_for(head)
        chosen: list[int] = []
        chosen_vectors: list[np.ndarray] = []
        for rowid in head:
            vector = vectors.get(rowid)
            if vector is None:  # removed by a concurrent writer since the search
                continue
            if chosen_vectors and float(np.max(np.stack(chosen_vectors) @ vector)) >= self.settings.duplicate_cosine:
                continue
            chosen.append(rowid)
            chosen_vectors.append(vector)
            if len(chosen) == k:
                break
        return chosen
