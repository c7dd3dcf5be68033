"""The FAISS vector index. faiss is imported here and nowhere else.

Vectors are L2-normalised, so inner product is cosine similarity. FAISS ids
are the chunk row ids of the SQLite store. Up to ``EXACT_LIMIT`` vectors the
index is exact (flat inner product); the store keeps every vector, so the
FAISS index is a cache that can always be rebuilt from it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["VectorIndex"]


class VectorIndex:
    """Exact inner-product search over (id, vector) pairs with add/remove by id."""

    def __init__(self, dim: int) -> None:
        import faiss

        self.dim = dim
        self._faiss = faiss
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        if len(ids):
            self._index.remove_ids(self._faiss.IDSelectorBatch(ids))

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (id, score); ``allowed`` restricts the search to those ids (metadata filters)."""
        if len(self) == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = self._faiss.SearchParameters(sel=self._faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        k = min(k, len(self))
        scores, ids = self._index.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees a half-written file."""
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        self._faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int) -> "VectorIndex":
        import faiss

        index = cls.__new__(cls)
        index.dim = dim
        index._faiss = faiss
        index._index = faiss.read_index(str(path))
        if index._index.d != dim:
            raise ValueError(f"vector file has dimension {index._index.d}, expected {dim}")
        return index
