"""Hybrid retrieval: dense (FAISS) and lexical (BM25) fused by reciprocal rank.

Both routes run over the same metadata filter. Near-duplicate passages (news
repeats itself across outlets and in overlapping chunks) are dropped so the
few passages the model sees carry different evidence.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from index import CorpusIndex, SearchFilter

from .types import Passage

__all__ = ["Retriever", "RetrievalResult", "key_terms"]

_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it
    its me my not of on or our she so than that the their them then there these they this those to was we were what
    when where which who whom whose why will with would you your about after before between during said says say
    tell told any some more most other such only own same both each few all also just over under again further once
    here very s t don should now according article report reported news""".split()
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


def key_terms(text: str) -> list[str]:
    """Content words of a question, lower-cased, without stopwords (for coverage checks)."""
    return [w for w in (t.lower().strip("'’.") for t in _WORD.findall(text)) if w and w not in _STOPWORDS]


@dataclass(frozen=True)
class RetrievalResult:
    passages: tuple[Passage, ...]
    query_vector: np.ndarray
    seconds: float
    top_dense: float
    """Highest cosine similarity of any chunk to the question (the abstention signal)."""


class Retriever:
    def __init__(self, index: CorpusIndex, candidates: int = 30, rrf_k: int = 60, duplicate_cosine: float = 0.95) -> None:
        self.index = index
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.duplicate_cosine = duplicate_cosine

    def search(self, query: str, k: int, flt: SearchFilter | None = None, mode: str = "hybrid") -> RetrievalResult:
        """Top ``k`` passages for ``query``. ``mode`` is ``hybrid``, ``dense`` or ``lexical``."""
        started = time.perf_counter()
        vector = self.index.embed_query(query)
        dense = self.index.dense_search(vector, self.candidates, flt) if mode in ("hybrid", "dense") else []
        lexical = self.index.lexical_search(query, self.candidates, flt) if mode in ("hybrid", "lexical") else []
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, (rowid, _) in enumerate(ranking):
                fused[rowid] = fused.get(rowid, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        order = sorted(fused, key=lambda r: (-fused[r], -dense_scores.get(r, -1.0)))
        chosen = self._diverse(order, k)
        rows = self.index.rows(chosen)
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
                )
            )
        top_dense = max(dense_scores.values(), default=0.0)
        return RetrievalResult(tuple(passages), vector, time.perf_counter() - started, top_dense)

    def _diverse(self, order: list[int], k: int) -> list[int]:
        """Walk the fused ranking and skip chunks nearly identical to one already chosen."""
        head = order[: max(k * 3, k)]
        if len(head) <= 1:
            return head[:k]
        dim = int(self.index.manifest["embedder"]["dim"])
        vectors = self.index.store.vectors_for(head, dim)
        chosen: list[int] = []
        chosen_vectors: list[np.ndarray] = []
        for rowid, vector in zip(head, vectors):
            if chosen_vectors and float(np.max(np.stack(chosen_vectors) @ vector)) >= self.duplicate_cosine:
                continue
            chosen.append(rowid)
            chosen_vectors.append(vector)
            if len(chosen) == k:
                break
        return chosen
