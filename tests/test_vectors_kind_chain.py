"""The index-kind chain through the product: a CorpusIndex grown and shrunk with pre-embedded
passages (``add_embedded``, as the scale benchmark loads them) goes flat -> ivf -> ivf-sq8 and
back at the lowered limits, with hysteresis; the nprobe knob; a memory-mapped open.

Small synthetic data with the thresholds lowered (:class:`VectorLimits`), so this runs in seconds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index import Chunk, CorpusIndex, Document
from index.vectors import VectorIndex, VectorLimits

DIM = 32
LIMITS = VectorLimits(flat=100, compressed=200)


class LookupEmbedder:
    """The index's embedder id; queries are never embedded in these tests."""

    id, dim = "lookup-test", DIM

    def embed(self, texts):
        raise AssertionError("add_embedded must not embed")


def unit_vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((12, DIM))
    x = centres[rng.integers(0, 12, n)] + 0.5 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def items(start: int, n: int, per_doc: int = 2):
    """(document, chunks, vectors) for passages start .. start+n, ``per_doc`` to a document."""
    x = unit_vectors(n, seed=start)
    for i in range(0, n, per_doc):
        d = start + i
        texts = [f"passage {d + j} about topic{(d + j) % 7} and word{d + j}" for j in range(min(per_doc, n - i))]
        text = "\n\n".join(texts)
        chunks, at = [], 0
        for o, t in enumerate(texts):
            chunks.append(Chunk(id=f"doc{d:05d}-{o}", doc_id=f"doc{d:05d}", text=t, start=at, end=at + len(t),
                                n_tokens=8, ordinal=o))
            at += len(t) + 2
        yield Document(id=f"doc{d:05d}", title=f"Story {d}", text=text, path=f"/x/{d}.txt"), chunks, x[i:i + len(texts)]


def saved_kind(path) -> str:
    return VectorIndex.load(path / "vectors.faiss", DIM).kind


def test_the_product_goes_flat_ivf_sq8_and_back_with_hysteresis(tmp_path):
    index = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), create=True, vector_limits=LIMITS)
    kinds = []
    total = 0
    # 80 flat; 120 stays flat (within 25% of 100); 140 ivf; 240 stays ivf (within 25% of 200); 300 ivf-sq8.
    for size in (80, 120, 140, 240, 300):
        rowids = index.add_embedded(items(total, size - total))
        assert len(rowids) == size - total and list(rowids) == sorted(rowids)
        total = size
        kinds.append(saved_kind(tmp_path / "idx"))
    assert kinds == ["flat", "flat", "ivf", "ivf", "ivf-sq8"]
    reopened = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), vector_limits=LIMITS)
    # The compressed index re-ranks its shortlist exactly: scores are the stored vectors' inner products.
    query = unit_vectors(1, seed=999)[0]
    hits = reopened.dense_search(query, 10)
    stored = reopened.vectors_for([i for i, _ in hits])
    assert len(hits) == 10 and all(abs(s - float(stored[i] @ query)) < 1e-5 for i, s in hits)
    assert reopened.lexical_search("word5", 3)  # the same passages are in BM25
    # Shrinking: 170 documents' passages stay compressed (within 25% of 200), 150 go back to ivf.
    def shrink_to(n: int) -> str:
        docs = [d["doc_id"] for d in reopened.documents()]
        keep = sorted(docs)[: n // 2]
        reopened.remove_documents([d for d in docs if d not in keep])
        return saved_kind(tmp_path / "idx")

    assert shrink_to(170) == "ivf-sq8"
    assert shrink_to(150) == "ivf"
    assert shrink_to(60) == "flat"


def test_add_embedded_checks_shapes_and_replaces_documents(tmp_path):
    index = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), create=True, vector_limits=LIMITS)
    doc, chunks, x = next(items(0, 2))
    with pytest.raises(ValueError, match="vector array"):
        index.add_embedded([(doc, chunks, x[:1])])
    assert index.stats()["chunks"] == 0
    first = index.add_embedded([(doc, chunks, x)])
    again = index.add_embedded([(doc, chunks, x[::-1])])  # same document id: replaced, not added twice
    assert index.stats()["chunks"] == 2 and len(first) == len(again) == 2
    assert index.dense_search(x[1], 1)[0][0] == again[0]


def test_nprobe_knob_applies_on_build_and_on_load(tmp_path):
    x = unit_vectors(3000, seed=1)
    ids = np.arange(len(x), dtype=np.int64)
    built = VectorIndex.build(DIM, ids, x, kind="ivf", limits=VectorLimits(nprobe=3))
    assert built.nprobe == 3
    built.save(tmp_path / "v.faiss")
    assert VectorIndex.load(tmp_path / "v.faiss", DIM).nprobe == 3  # the file keeps its setting
    loaded = VectorIndex.load(tmp_path / "v.faiss", DIM, mmap=True, limits=VectorLimits(nprobe=40))
    assert loaded.nprobe == 40 and loaded.read_only
    assert VectorIndex.load(tmp_path / "v.faiss", DIM, limits=VectorLimits(nprobe=10**6)).nprobe == built._index.nlist
    # More lists probed, recall against exact no lower (and here strictly higher than 1 list).
    queries = unit_vectors(50, seed=2)
    truth = [set(np.argsort(-(x @ q))[:10].tolist()) for q in queries]

    def recall(nprobe: int) -> float:
        index = VectorIndex.load(tmp_path / "v.faiss", DIM, limits=VectorLimits(nprobe=nprobe))
        return sum(len(t & {i for i, _ in index.search(q, 10)}) for q, t in zip(queries, truth)) / 500

    assert recall(1) < recall(16) <= 1.0


def test_a_large_vector_file_is_memory_mapped_by_the_product(tmp_path):
    index = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), create=True, vector_limits=LIMITS)
    index.add_embedded(items(0, 300))
    # this file is small; the rule is "at least mmap_min_bytes"
    reopened = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), vector_limits=replace(LIMITS, mmap_min_bytes=0))
    query = unit_vectors(1, seed=5)[0]
    assert len(reopened.dense_search(query, 5)) == 5
    current = reopened._current_vectors()
    assert current.kind == "ivf-sq8" and current.read_only
    # A write to the mapped index reads the file into memory first, then goes on.
    reopened.add_embedded(items(300, 10))
    assert reopened.stats()["chunks"] == 310 and len(reopened._current_vectors()) == 310
