"""The FAISS vector index. faiss is imported here and nowhere else.

Vectors are L2-normalised, so inner product is cosine similarity. FAISS ids
are the chunk row ids of the SQLite store. The store keeps every vector, so the
FAISS index is only a cache that can always be rebuilt from it; that is what
makes the size-based choice below cheap to change.

Which index, by size (numbers in docs/BENCHMARKS.md "Scale"; the limits are
:class:`VectorLimits`, which tests and callers can lower):

``flat``  exact inner product (``IndexFlatIP`` under ``IndexIDMap2``), up to
          :data:`FLAT_LIMIT` vectors: a query scans every vector, 11.5 ms p50 at
          100k on the idle 2-core machine.
``ivf``   inverted lists with exact vectors (``IndexIVFFlat``) beyond it, about
          sqrt(n) lists with a quarter of them probed (:func:`ivf_params`): the only
          kind that kept recall@10 against exact >= 0.95 on every data set measured
          (real SciFact vectors and queries 0.974; synthetic 100k-1M 1.000). It removes
          natively, memory-maps on load, and trains in seconds. Up to
          :data:`COMPRESS_LIMIT` vectors.
``ivf-sq8`` the same inverted lists with each vector's 384 dimensions stored as one byte
          each (``IndexIVFScalarQuantizer``, 8-bit, per-dimension ranges trained with
          the lists) beyond it. Scores from the bytes are approximate, so a search
          takes a shortlist of ``rerank_factor`` x k from the lists and re-scores
          it exactly with the float32 vectors the caller reads from the store (a few
          dozen rows by rowid, well under a millisecond next to the list scan): the
          compressed codes are the only vectors in memory, and recall stays that of
          IVF. Memory-maps on load like ``ivf``.
``hnsw``  graph index (``IndexHNSWFlat``, M=32, efSearch=256), on request only: ~1 ms a
          query and 0.999 recall on the real vectors, but 0.848 on the synthetic 1M
          set. FAISS HNSW cannot delete, so a removal is a tombstone: the id is
          filtered out of every search. Tombstones are not written anywhere: the
          SQLite store is the truth, so the owner re-derives them on load as "ids in
          the file that the store no longer has" (:meth:`VectorIndex.hide`), and
          rebuilds from the store once they pass 10% (:meth:`needs_rebuild`).

Memory per passage (384-d float32 vectors; FAISS ids are 8-byte row ids):

==========  =======================  ============================================
kind        bytes in the file / RAM  arithmetic
==========  =======================  ============================================
flat        1,544                    384 x 4 (vector) + 8 (id in the IDMap2)
ivf         1,544                    384 x 4 (vector) + 8 (id in its list)
ivf-sq8     392 (409 in the file)    384 x 1 (code) + 8 (id in its list); the file adds the id table
hnsw        ~1,816 (measured)        384 x 4 + 2 x 32 x 4 (level-0 links) + 8 + upper levels
==========  =======================  ============================================

plus, for the IVF kinds, a hash-table id -> list entry in RAM (about 16-32 bytes a
passage, for removal) and the centroids (nlist x 1,536 bytes: 1.5 MiB at 1,024
lists), and for ``ivf-sq8`` 2 x 384 floats of trained ranges. So 10M passages take
about 3.9 GB as ``ivf-sq8`` against 15.4 GB as ``ivf``, and a memory-mapped file
is paged in as searches touch its lists, not read whole on opening. The SQLite
store keeps the one float32 copy of every vector (1,536 bytes a passage, on disk;
the re-ranking reads only the shortlist). Product quantisation (``IndexIVFPQ``, 48
bytes at 48 sub-quantisers x 8 bits) would go lower still; it is not implemented.

Filtered searches (``allowed`` ids, from metadata filters) on an approximate
index are answered exactly over the allowed vectors when there are at most
:attr:`VectorLimits.exact_filter_limit` of them: an ANN search that skips most of the corpus
would return too few hits.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from .atomic import atomic_target

__all__ = ["VectorIndex", "VectorLimits", "FLAT_LIMIT", "COMPRESS_LIMIT", "IVF_KINDS", "choose_kind", "default_limits", "ivf_params"]

# Exact search up to here: one query scans n x 384 floats. On the 2-core benchmark machine, idle,
# p50 was 2.2 ms at 20k and 11.5 ms at 100k (52 ms at 100k while other jobs loaded it; see
# docs/BENCHMARKS.md "Scale"), so ~20 ms idle falls beyond 100k. The index switches kind only on a
# rebuild, with 25% hysteresis so a corpus hovering around the limit is not rebuilt back and forth.
FLAT_LIMIT = 100_000
# Compressed (IVF + 8-bit scalar quantiser) beyond here: 1M passages as ``ivf`` take 1.5 GB of codes,
# which a machine that holds the product's models still affords; 10M would take 15 GB. Not benchmarked
# at 1M-10M yet (docs/decisions/2026-12-05-big-files-and-dedup.md says what is measured).
COMPRESS_LIMIT = 1_000_000
_HYSTERESIS = 1.25
# HNSW: tombstones beyond this share of the vectors make needs_rebuild() true.
_TOMBSTONE_SHARE = 0.1
# OpenMP threads for one query. One: on a loaded 2-core machine a second thread makes a single
# query wait at FAISS's barrier for a descheduled sibling (flat 30k: p50 24-34 ms with 1 thread,
# 130-140 ms with 2, same run). The setting is per calling thread (OpenMP ICV), so bulk adds and
# training in other threads keep every core.
SEARCH_THREADS = 1
IVF_KINDS = ("ivf", "ivf-sq8")


@dataclass(frozen=True)
class VectorLimits:
    """Where the index kind changes with the number of vectors (module docstring: what each kind costs)."""

    flat: int = FLAT_LIMIT
    """Exact search up to this many vectors (a query scans them all: ~11.5 ms at 100k on the idle machine)."""
    compressed: int = COMPRESS_LIMIT
    """IVF with float32 vectors up to this many; IVF with 8-bit codes and exact re-ranking beyond (4x less memory)."""
    nprobe: int | None = None
    """Inverted lists an IVF search scans (None: :func:`ivf_params`' rule for the index's size). Latency grows
    with it (each list holds about n / nlist vectors) and recall approaches that of exact search; applied when
    an index is built or loaded, so a saved file's own setting is overridden."""
    max_nprobe: int = 256
    """Lists an IVF search scans at most when ``nprobe`` is None (:func:`ivf_params`). A query's time grows
    with the vectors it scans, nprobe x n / nlist: a quarter of the lists is 256 at 1M vectors (1,024 lists)
    but 1,024 at 10M (4,096 lists), 4x the scan of 256 there. Synthetic 1M, ivf-sq8: 19.9 ms p50 at 256
    lists, 11.2 at 128, 6.3 at 64, recall@10 1.000 at each; synthetic 3M (2,048 lists): 27.0 ms at 256
    against 48.9 ms at 512, recall 1.000 both (docs/SCALING.md). Indexes up to about 1.5M vectors
    (1,024 lists) are unchanged by the cap."""
    rerank_factor: int = 4
    """``ivf-sq8`` scores a shortlist of this many times k from its 8-bit codes, then re-scores it exactly
    with the store's float32 vectors, so recall stays IVF's (k capped by ``rerank_limit``)."""
    rerank_limit: int | None = 25
    """Exact re-scoring rule: of an ``ivf-sq8`` search for k hits, the best ``min(k, rerank_limit)`` are found
    by exact score among ``rerank_factor`` x that many; the hits after them keep their 8-bit code scores (never
    above the last exact one). Each re-scored hit is one random read of the store; hybrid retrieval asks the
    dense route for ``candidates`` = 100, so 400 reads without the limit: 73 ms p50 at 10M passages whose
    vectors do not fit in the page cache (2026-12-06), 100 reads with it. Searches for at most 25 hits
    (``rag ask``'s k, recall@10) are unchanged; None re-scores all k (docs/SCALING.md, "Re-scoring rule")."""
    exact_filter_limit: int = 50_000
    """A filtered search on an approximate index with at most this many allowed ids is computed exactly
    over them instead: an ANN search that skips most of the corpus would return too few hits."""
    mmap_min_bytes: int = 64 * 2**20
    """Vector files at least this large are memory-mapped when loaded (read-only; the page cache is shared
    across processes and a file is paged in as searches touch its lists, not read whole on opening)."""
    hnsw_m: int = 32
    """Links per node of an ``hnsw`` graph (``IndexHNSWFlat``'s M): 2 x 32 x 4 bytes of level-0 links a
    passage (module docstring: memory per passage); 0.999 recall@10 on the real SciFact vectors."""
    hnsw_ef_construction: int = 80
    """Candidates kept while inserting into an ``hnsw`` graph (FAISS's efConstruction): build time against
    graph quality; ``hnsw`` is on request only and this value has not been tuned."""
    hnsw_ef_search: int = 256
    """Candidates an ``hnsw`` search keeps (efSearch). Recall@10 vs exact at 128 / 256: 0.954 / 0.989 on
    synthetic 100k, 0.996 / 0.999 on real SciFact vectors; 128 fell to 0.914 on synthetic 300k, so 256
    (about 1 ms a query)."""


def default_limits() -> VectorLimits:
    """The limits from this module's constants, read at call time (tests may lower them)."""
    return VectorLimits(flat=FLAT_LIMIT, compressed=COMPRESS_LIMIT)


def choose_kind(n: int, current: str | None = None, limits: VectorLimits | None = None) -> str:
    """The index kind for ``n`` vectors (``current`` adds hysteresis around each limit)."""
    limits = limits or default_limits()
    if current == "flat" and n <= limits.flat * _HYSTERESIS:
        return "flat"
    if current == "hnsw" and n >= limits.flat / _HYSTERESIS:
        return current  # on request only: it stays until the corpus shrinks to exact size
    if current == "ivf" and limits.flat / _HYSTERESIS <= n <= limits.compressed * _HYSTERESIS:
        return current
    if current == "ivf-sq8" and n >= limits.compressed / _HYSTERESIS:
        return current
    if n <= limits.flat:
        return "flat"
    return "ivf" if n <= limits.compressed else "ivf-sq8"


def ivf_params(n: int, limits: VectorLimits | None = None) -> tuple[int, int]:
    """(nlist, nprobe) for ``n`` vectors: about sqrt(n) lists, a power of two; probe a quarter of them,
    at most :attr:`VectorLimits.max_nprobe` (of ``limits``, else the defaults).

    Measured (benchmarks/bench_scale.py): on real SciFact chunk vectors and queries, recall@10
    vs exact was 0.927 probing 16 of 128 lists and 0.974 probing 32; synthetic clusters reach
    1.000 with far fewer, so the real data sets the default up to 1,024 lists (about 1.5M vectors).
    """
    nlist = max(16, 2 ** round(math.log2(max(1, math.sqrt(n)))))
    nprobe = min(nlist, max(16, nlist // 4), (limits or default_limits()).max_nprobe)
    return nlist, nprobe


class VectorIndex:
    """Inner-product search over (id, vector) pairs with add/remove by id, exact or approximate."""

    def __init__(self, dim: int, kind: str = "flat", *, nlist: int | None = None, nprobe: int | None = None,
                 limits: VectorLimits | None = None) -> None:
        import faiss

        self.dim = dim
        self._faiss = faiss
        self._tombstones: set[int] = set()
        self._read_only = False
        self._path: Path | None = None
        self.trained_size = 0
        self.limits = limits
        if kind == "flat":
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif kind in IVF_KINDS:
            if nlist is None:
                raise ValueError(f"an {kind} index needs nlist (use VectorIndex.build to choose it)")
            quantizer = faiss.IndexFlatIP(dim)
            if kind == "ivf":
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            else:
                index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                      faiss.METRIC_INNER_PRODUCT)
            index.own_fields = True
            quantizer.this.disown()
            index.nprobe = nprobe or ivf_params(nlist * nlist, limits)[1]
            if limits is not None and limits.nprobe:
                index.nprobe = min(nlist, limits.nprobe)
            # A hash table id -> list entry: remove_ids and reconstruct by chunk id both need it.
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
            self._index = index
        elif kind == "hnsw":
            knobs = limits or default_limits()
            hnsw = faiss.IndexHNSWFlat(dim, knobs.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = knobs.hnsw_ef_construction
            hnsw.hnsw.efSearch = knobs.hnsw_ef_search
            self._index = faiss.IndexIDMap2(hnsw)
        else:
            raise ValueError(f"unknown vector index kind {kind!r}; choose flat, ivf, ivf-sq8 or hnsw")
        self.kind = kind

    @classmethod
    def empty(cls, dim: int, n: int, kind: str = "auto", limits: VectorLimits | None = None) -> "VectorIndex":
        """An empty index of the kind (chosen by size unless given) for ``n`` vectors; an IVF kind
        must be trained (:meth:`train`, on :meth:`training_positions`) before vectors are added."""
        kind = choose_kind(n, limits=limits) if kind == "auto" else kind
        if kind in IVF_KINDS:
            nlist, nprobe = ivf_params(n, limits)
            return cls(dim, kind, nlist=nlist, nprobe=nprobe, limits=limits)
        return cls(dim, kind, limits=limits)

    @classmethod
    def build(cls, dim: int, ids: np.ndarray, vectors: np.ndarray, kind: str = "auto",
              limits: VectorLimits | None = None) -> "VectorIndex":
        """An index over ``vectors``, its kind chosen by size unless given (IVF is trained on them)."""
        index = cls.empty(dim, len(ids), kind, limits)
        _all_threads()
        if index.kind in IVF_KINDS:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            index.train(vectors[index.training_positions(len(vectors))], trained_size=len(vectors))
        index.add(ids, vectors)
        return index

    def training_positions(self, n: int) -> np.ndarray:
        """Which of ``n`` vectors (positions, ascending) to train on: all, or 64 per list at random (seed 0).

        The caller fetches just those, so a store of millions trains without loading every vector.
        """
        if self.kind not in IVF_KINDS or n <= 64 * self._index.nlist:
            return np.arange(n)
        return np.sort(np.random.default_rng(0).choice(n, 64 * self._index.nlist, replace=False))

    def train(self, sample: np.ndarray, trained_size: int | None = None) -> None:
        """k-means for the IVF lists (and the 8-bit ranges of ``ivf-sq8``) on ``sample``: about 50
        vectors per list is plenty. ``trained_size`` is how many vectors the sample stands for."""
        if self.kind not in IVF_KINDS:
            return
        nlist = self._index.nlist
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        if len(sample) > 64 * nlist:
            sample = sample[self.training_positions(len(sample))]
        if len(sample) < nlist:
            raise ValueError(f"an {self.kind} index with {nlist} lists needs at least {nlist} training vectors")
        _all_threads()
        self._index.train(sample)
        self.trained_size = trained_size or len(sample)

    @property
    def approximate_scores(self) -> bool:
        """Whether search scores come from compressed codes (then :meth:`search` re-ranks given ``exact``)."""
        return self.kind == "ivf-sq8"

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._tombstones)

    @property
    def tombstones(self) -> int:
        """Removed vectors still in an HNSW graph, hidden from searches until a rebuild."""
        return len(self._tombstones)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._writable()
            ids = np.asarray(ids, dtype=np.int64)
            if self._tombstones and not self._tombstones.isdisjoint(int(i) for i in ids):
                # A re-used id (SQLite may hand out a deleted rowid again) whose old vector is still in
                # the graph: the old one would answer under the new id, so drop the dead ones first.
                self._compact()
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def _compact(self) -> None:
        """Rebuild an HNSW graph from its own live vectors (tombstones dropped)."""
        live = self.ids()
        live = live[~np.isin(live, np.fromiter(self._tombstones, dtype=np.int64))]
        vectors = self.reconstruct(live)
        fresh = VectorIndex.build(self.dim, live, vectors, kind=self.kind, limits=self.limits)
        self._index, self._tombstones = fresh._index, set()
        self._owner = None

    def ids(self) -> np.ndarray:
        """Every id stored in the index (for HNSW including tombstoned ones)."""
        if self.kind in IVF_KINDS:
            invlists = self._index.invlists
            return np.concatenate([self._faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                                   for i in range(self._index.nlist)] or [np.zeros(0, np.int64)])
        return self._faiss.vector_to_array(self._index.id_map) if self._index.ntotal else np.zeros(0, np.int64)

    def hide(self, ids: Iterable[int]) -> None:
        """Tombstone ``ids`` in an HNSW index without touching its data (used when loading a file
        whose removed vectors are known only to the store). Other kinds remove them for real."""
        if self.kind == "hnsw":
            self._tombstones.update(int(i) for i in ids)
        else:
            self.remove(ids)

    def remove(self, ids: Iterable[int]) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        if not len(ids):
            return
        if self.kind == "hnsw":
            # HNSW cannot delete: hide the ids from every search until the next rebuild.
            self._tombstones.update(int(i) for i in ids)
            return
        self._writable()
        if self.kind in IVF_KINDS:
            # The hash-table direct map removes by walking an explicit id array.
            self._index.remove_ids(self._faiss.IDSelectorArray(ids))
        else:
            self._index.remove_ids(self._faiss.IDSelectorBatch(ids))

    def needs_rebuild(self) -> bool:
        """True when a rebuild from the store would give a better index: wrong kind for the size,
        an IVF that grew far beyond what it was trained on, or an HNSW full of tombstones."""
        n = len(self)
        if choose_kind(n, self.kind, self.limits) != self.kind:
            return True
        if self.kind in IVF_KINDS and self.trained_size and n > 4 * self.trained_size:
            return True
        if self.kind in IVF_KINDS and not self.trained_size and ivf_params(n, self.limits)[0] > 2 * self._index.nlist:
            return True  # loaded from disk: judge by the list count
        return self.kind == "hnsw" and len(self._tombstones) > _TOMBSTONE_SHARE * max(1, int(self._index.ntotal))

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None,
               exact: Callable[[list[int]], Mapping[int, np.ndarray]] | None = None) -> list[tuple[int, float]]:
        """Top-k (id, score); ``allowed`` restricts the search to those ids (metadata filters).

        ``exact`` gives the float32 vectors of ids (the store's): with it, an index whose scores are
        approximate (:attr:`approximate_scores`) takes a shortlist of ``limits.rerank_factor`` x k and
        returns its best k by exact score.
        """
        if len(self) == 0 or k <= 0:
            return []
        if exact is not None and self.approximate_scores:
            limits = self.limits or default_limits()
            exact_k = k if limits.rerank_limit is None else min(k, limits.rerank_limit)
            shortlist = self.search(vector, max(k, limits.rerank_factor * exact_k), allowed)
            head = shortlist[:limits.rerank_factor * exact_k]
            found = exact([i for i, _ in head])
            query = np.asarray(vector, dtype=np.float32).reshape(-1)
            rescored = [(i, float(np.dot(found[i], query))) for i, _ in head if i in found]
            best = sorted(rescored, key=lambda hit: -hit[1])[:exact_k]
            if exact_k == k:
                return best
            # rerank_limit: the rest of the k keep their code scores, below the exact ones (ordered as the codes
            # say); ids the store no longer has (a concurrent writer removed them) stay out.
            chosen = {i for i, _ in best} | {i for i, _ in head if i not in found}
            floor = best[-1][1] if best else np.inf
            return best + [(i, min(s, floor)) for i, s in shortlist if i not in chosen][:k - len(best)]
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        faiss = self._faiss
        if allowed is not None:
            if len(allowed) == 0:
                return []
            allowed = np.asarray(allowed, dtype=np.int64)
            if self._tombstones:
                allowed = allowed[~np.isin(allowed, np.fromiter(self._tombstones, dtype=np.int64))]
            if self.kind != "flat" and len(allowed) <= (self.limits or default_limits()).exact_filter_limit:
                return self._exact_subset(query[0], k, allowed)
            selector = faiss.IDSelectorBatch(allowed)
        elif self._tombstones:  # HNSW: removed ids stay in the graph but never come back
            selector = self._tombstone_selector()
        else:
            selector = None
        params = None
        if selector is not None:
            if self.kind in IVF_KINDS:
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
            elif self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self._hnsw().hnsw.efSearch, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        k = min(k, len(self))
        if faiss.omp_get_max_threads() != SEARCH_THREADS:
            faiss.omp_set_num_threads(SEARCH_THREADS)
        scores, ids = self._index.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def _tombstone_selector(self):
        key = len(self._tombstones)
        cached = getattr(self, "_tomb_cache", None)
        if cached is None or cached[0] != key or cached[1] is not self._tombstones:
            batch = self._faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64))
            cached = (key, self._tombstones, self._faiss.IDSelectorNot(batch), batch)
            self._tomb_cache = cached
        return cached[2]

    def _exact_subset(self, query: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        try:
            present, vectors = allowed, self.reconstruct(allowed)
        except RuntimeError:  # an id the index lacks (a filter computed on another generation): skip it
            keep = []
            for i in allowed:
                try:
                    self._index.reconstruct(int(i))
                    keep.append(i)
                except RuntimeError:
                    pass
            present = np.asarray(keep, dtype=np.int64)
            vectors = self.reconstruct(present)
        if not len(present):
            return []
        scores = vectors @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(present[i]), float(scores[i])) for i in top]

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (RuntimeError when one is absent)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_batch(ids)

    def _hnsw(self):
        return self._faiss.downcast_index(self._index.index)

    # ---- persistence --------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees a half-written file.

        An HNSW file keeps its tombstoned vectors; the tombstones themselves are
        not written (the store knows which ids are gone; see :meth:`hide`).
        """
        with atomic_target(path) as tmp:
            self._faiss.write_index(self._index, str(tmp))

    @classmethod
    def load(cls, path: Path, dim: int, mmap: bool | None = None, limits: VectorLimits | None = None) -> "VectorIndex":
        """Read a saved index; large files are memory-mapped (``mmap=None`` decides by size).

        A memory-mapped index is read-only: the first add or remove reads the
        file again into memory (FAISS aborts the process on writes to mapped data).
        """
        import faiss

        path = Path(path)
        if mmap is None:
            mmap = path.stat().st_size >= (limits or default_limits()).mmap_min_bytes
        flags = 0
        if mmap:
            # Flat codes map in place (MMAP_IFC); IVF lists map through FAISS's on-disk lists (MMAP).
            # The two readers exclude each other, so pick by the file's leading four-character code.
            with path.open("rb") as fh:
                fourcc = fh.read(4)
            flags = (faiss.IO_FLAG_MMAP if fourcc.startswith(b"Iw") else faiss.IO_FLAG_MMAP_IFC) | faiss.IO_FLAG_READ_ONLY
        raw = faiss.read_index(str(path), flags)
        index = cls.__new__(cls)
        index.dim = dim
        index._faiss = faiss
        index._tombstones = set()
        index._read_only = bool(mmap)
        index._path = path
        index.trained_size = 0
        index.limits = limits
        index._owner = raw  # the proxy that owns the C++ index; the downcast view below does not
        index._index, index.kind = _unwrap(faiss, raw)
        if index._index.d != dim:
            raise ValueError(f"vector file has dimension {index._index.d}, expected {dim}")
        if index.kind in IVF_KINDS and limits is not None and limits.nprobe:
            index._index.nprobe = min(index._index.nlist, limits.nprobe)
        return index

    @property
    def nprobe(self) -> int | None:
        """Lists an IVF search scans (None for the other kinds)."""
        return int(self._index.nprobe) if self.kind in IVF_KINDS else None

    def _writable(self) -> None:
        if self._read_only:
            fresh = VectorIndex.load(self._path, self.dim, mmap=False, limits=self.limits)
            self._owner, self._index, self._read_only = fresh._owner, fresh._index, False


def _all_threads() -> None:
    """Every core for bulk work in this thread (a search in it may have set one)."""
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)


def _unwrap(faiss, raw):
    """(index, kind) of a file written by :meth:`VectorIndex.save`."""
    index = faiss.downcast_index(raw)
    if isinstance(index, faiss.IndexIDMap2):
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexHNSWFlat):
            return index, "hnsw"
        if isinstance(inner, faiss.IndexFlat):
            return index, "flat"
    for ivf_class, kind in ((faiss.IndexIVFFlat, "ivf"), (faiss.IndexIVFScalarQuantizer, "ivf-sq8")):
        if isinstance(index, ivf_class):
            if index.direct_map.type != faiss.DirectMap.Hashtable:
                index.set_direct_map_type(faiss.DirectMap.Hashtable)
            return index, kind
    raise ValueError(f"unsupported vector file ({type(index).__name__})")
