"""The size-based FAISS index choice: each kind adds, removes, filters, persists and memory-maps.

Small synthetic clustered data, so this runs in seconds; the real sizes are in
benchmarks/bench_scale.py and docs/BENCHMARKS.md "Scale".
"""

from __future__ import annotations

import numpy as np
import pytest

import index.vectors as vectors
from index.vectors import FLAT_LIMIT, VectorIndex, choose_kind, ivf_params
from fakes import HashEmbedder

DIM = 32
KINDS = ["flat", "ivf", "ivf-sq8", "hnsw"]


def clustered(n: int, seed: int = 0, topics: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, DIM))
    x = centres[rng.integers(0, topics, n)] + 0.6 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    x = clustered(3000)
    ids = np.arange(len(x), dtype=np.int64) * 7 + 3  # ids are store row ids: not 0..n-1
    queries = clustered(60, seed=1)
    return ids, x, queries


def exact_top(ids, x, q, k=10):
    return [int(i) for i in ids[np.argsort(-(x @ q))[:k]]]


def test_choice_switches_at_the_limit_with_hysteresis():
    assert choose_kind(FLAT_LIMIT) == "flat"
    assert choose_kind(FLAT_LIMIT + 1) == "ivf"
    # An existing index keeps its kind near the limit, so it is not rebuilt back and forth.
    assert choose_kind(FLAT_LIMIT + 1, current="flat") == "flat"
    assert choose_kind(int(FLAT_LIMIT * 1.3), current="flat") == "ivf"
    assert choose_kind(FLAT_LIMIT - 1, current="hnsw") == "hnsw"
    assert choose_kind(FLAT_LIMIT // 2, current="hnsw") == "flat"
    assert choose_kind(FLAT_LIMIT - 1, current="ivf") == "ivf"
    assert choose_kind(FLAT_LIMIT // 2, current="ivf") == "flat"
    nlist, nprobe = ivf_params(1_000_000)
    assert nlist == 1024 and 16 <= nprobe <= nlist


def test_build_auto_picks_by_size(monkeypatch, data):
    ids, x, _ = data
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 1000)
    assert VectorIndex.build(DIM, ids[:800], x[:800]).kind == "flat"
    big = VectorIndex.build(DIM, ids, x)
    assert big.kind == "ivf" and len(big) == len(ids)
    assert not big.needs_rebuild()
    big.remove(ids[:2500])  # shrank far below the limit: a rebuild would make it exact again
    assert big.needs_rebuild()


@pytest.mark.parametrize("kind", KINDS)
def test_recall_against_exact_is_high(kind, data):
    ids, x, queries = data
    index = VectorIndex.build(DIM, ids, x, kind=kind)
    hits = sum(len(set(exact_top(ids, x, q)) & {i for i, _ in index.search(q, 10)}) for q in queries)
    assert hits / (10 * len(queries)) >= 0.95


@pytest.mark.parametrize("kind", KINDS)
def test_remove_and_filter_work_for_every_kind(kind, data):
    ids, x, queries = data
    index = VectorIndex.build(DIM, ids, x, kind=kind)
    target = 123
    assert index.search(x[target], 1)[0][0] == ids[target]
    index.remove([ids[target], ids[target + 1]])
    assert len(index) == len(ids) - 2
    assert ids[target] not in {i for i, _ in index.search(x[target], 50)}
    # A filter returns only allowed ids, never a removed one, and enough of them.
    allowed = ids[100:400]
    got = index.search(queries[0], 10, allowed=allowed)
    assert len(got) == 10 and {i for i, _ in got} <= set(allowed.tolist()) - {ids[target], ids[target + 1]}
    assert got == sorted(got, key=lambda r: -r[1])
    assert index.search(queries[0], 10, allowed=np.array([], dtype=np.int64)) == []
    # Re-adding a removed id makes it findable again (an HNSW tombstone must not hide it).
    index.add(ids[target:target + 1], x[target:target + 1])
    assert index.search(x[target], 1)[0][0] == ids[target]


def test_hnsw_removals_are_tombstones_until_rebuilt(tmp_path, monkeypatch, data):
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 1000)  # so the size alone does not call for a rebuild
    ids, x, _ = data
    index = VectorIndex.build(DIM, ids, x, kind="hnsw")
    index.remove(ids[:10])
    assert index.tombstones == 10 and not index.needs_rebuild() and len(index) == len(ids) - 10
    # The file keeps the dead vectors; whoever loads it re-derives the tombstones from its store.
    index.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss", DIM)
    assert len(loaded) == len(ids) and ids[3] in {i for i, _ in loaded.search(x[3], 1)}
    loaded.hide(np.setdiff1d(loaded.ids(), ids[10:]))
    assert loaded.tombstones == 10 and ids[3] not in {i for i, _ in loaded.search(x[3], 20)}
    # A re-used id gets its new vector, not the dead one still in the graph.
    loaded.add(ids[3:4], x[500:501])
    assert loaded.tombstones == 0 and loaded.search(x[500], 2)[0][0] in (ids[3], ids[500])
    assert ids[3] not in {i for i, _ in loaded.search(x[3], 5)} or loaded.search(x[3], 1)[0][1] < 0.99
    loaded.remove(ids[10:600])  # over 10% of the graph is dead weight now
    assert loaded.needs_rebuild()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_and_mmap_then_write(tmp_path, kind, mmap, data):
    ids, x, _ = data
    index = VectorIndex.build(DIM, ids[:2000], x[:2000], kind=kind)
    path = tmp_path / "vectors.faiss"
    index.save(path)
    loaded = VectorIndex.load(path, DIM, mmap=mmap)
    assert loaded.kind == kind and len(loaded) == 2000 and loaded.read_only == mmap
    assert loaded.search(x[5], 1)[0][0] == ids[5]
    # Writing to a memory-mapped FAISS index would abort the process; the index copies itself first.
    loaded.remove([ids[5]])
    loaded.add(ids[2000:2010], x[2000:2010])
    assert not loaded.read_only and len(loaded) == 2009
    assert loaded.search(x[2004], 1)[0][0] == ids[2004]
    assert ids[5] not in {i for i, _ in loaded.search(x[5], 20)}
    with pytest.raises(ValueError, match="dimension"):
        VectorIndex.load(path, DIM + 1, mmap=mmap)


def saved_vectors(index_dir) -> VectorIndex:
    """The vector index as the corpus index saved it (its on-disk format: vectors.faiss)."""
    return VectorIndex.load(index_dir / "vectors.faiss", DIM)


def test_corpus_index_switches_kind_on_save_and_removes(tmp_path, monkeypatch):
    from index import CorpusIndex

    monkeypatch.setattr(vectors, "FLAT_LIMIT", 40)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"{i:03d}.txt").write_text(f"Story {i}\n20240101\nhttps://x.example/{i}\nParagraph about item {i}.\n")
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(dim=DIM), create=True)
    index.index_paths([docs])
    assert saved_vectors(tmp_path / "idx").kind == "flat"
    for i in range(30, 90):
        (docs / f"{i:03d}.txt").write_text(f"Story {i}\n20240101\nhttps://x.example/{i}\nParagraph about item {i}.\n")
    index.index_paths([docs])
    # Grown past the limit (plus hysteresis): the save rebuilt it as IVF from the store.
    saved = saved_vectors(tmp_path / "idx")
    assert saved.kind == "ivf" and len(saved) == 90
    reopened = CorpusIndex.open(tmp_path / "idx", HashEmbedder(dim=DIM))
    (docs / "007.txt").unlink()
    report = reopened.index_paths([docs])
    assert len(report.removed) == 1
    vector = HashEmbedder(dim=DIM).embed(["story"])[0]

    def titles(idx):
        return {row.title for row in idx.rows([r for r, _ in idx.dense_search(vector, 100)]).values()}

    assert "Story 7" not in titles(reopened) and len(titles(reopened)) == 89
    third = CorpusIndex.open(tmp_path / "idx", HashEmbedder(dim=DIM))
    assert "Story 7" not in titles(third) and len(titles(third)) == 89


def test_corpus_index_hnsw_tombstones_survive_a_reload(tmp_path, monkeypatch):
    """HNSW on request: a removed chunk stays in the saved graph, and a fresh process hides it from the store."""
    from index import CorpusIndex

    monkeypatch.setattr(vectors, "choose_kind", lambda n, current=None, limits=None: "flat" if n <= 40 else "hnsw")
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(60):
        (docs / f"{i:03d}.txt").write_text(f"Story {i}\n20240101\nhttps://x.example/{i}\nParagraph about item {i}.\n")
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(dim=DIM), create=True)
    index.index_paths([docs])
    assert saved_vectors(tmp_path / "idx").kind == "hnsw"
    (docs / "007.txt").unlink()
    index.index_paths([docs])
    saved = saved_vectors(tmp_path / "idx")  # the graph on disk still holds the removed chunk's vector
    assert saved.kind == "hnsw" and len(saved) == 60 and saved.tombstones == 0
    vector = HashEmbedder(dim=DIM).embed(["story"])[0]
    reopened = CorpusIndex.open(tmp_path / "idx", HashEmbedder(dim=DIM))
    hits = reopened.dense_search(vector, 100)
    assert len(hits) == 59  # the removed chunk's vector is in the file, but the search never returns it
    titles = {row.title for row in reopened.rows([r for r, _ in hits]).values()}
    assert "Story 7" not in titles and len(titles) == 59
