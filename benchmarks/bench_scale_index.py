"""Scale through the product: a real index (SQLite store + FTS5 + the FAISS file the product chooses)
of 1M-10M synthetic passages, queried through the product's hybrid retrieval.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_scale_index build --dir /tmp/scale/series --size 1000000
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_scale_index query --dir /tmp/scale/series
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_scale_index query --dir /tmp/scale/series --kind ivf-sq8

``build`` grows the index at ``--dir/index`` to ``--size`` passages: the data is a function of the
passage's position, so building 1M, measuring, then building 3M in the same folder adds passages
1M..3M (the 1M index is the 3M one's prefix; the FAISS file is rebuilt for the new size, as the
product does). Nothing is embedded: each passage arrives with its vector through
``CorpusIndex.add_embedded``, which writes the same store rows, FTS5 entries and FAISS file as
``rag index``. The embedding time a real corpus adds is :mod:`benchmarks.bench_embed`'s rate.

Vectors: 384-d unit vectors from the topic mixture of :mod:`benchmarks.bench_scale` (topic
centres in 32 overlapping areas with a shared direction), with a fixed 3,162 (sqrt 10M) topics so
every size draws from the same mixture. Queries are fresh draws from it.
Text: each passage is 20-150 words (normal, mean 105, sd 25: a 160-token chunk holds about 120
words) drawn at random from the word frequencies of the Reuters-21578 article bodies
(``../shared/data/reuters21578``), so FTS5 sees a real vocabulary with its real skew. Five
passages make a document (title: its first words; a date in 2015-2024; one of 40 sources).
A query's text is 7 words drawn from the same frequencies, leaving out the 100 most frequent
(function words that the product's BM25 query drops anyway), so its words have real posting-list
lengths. Text and vectors are independent: BM25 and dense results do not agree, which changes
nothing measured here (latency, sizes, the dense part's recall).

``query`` measures, for the index kind the product chose (or ``--kind``, which rebuilds the FAISS
file as that kind first and times the rebuild):
- cold start: a fresh process (``first``) that imports, opens the index and answers one hybrid
  retrieval, timed from the outside; once with the OS page cache warm, once after the index's
  files were evicted from it (``posix_fadvise DONTNEED``), the worst case after a reboot;
- p50/p95 of hybrid retrieval (``Retriever.search``, as ``rag ask`` retrieves: BM25 on a worker
  thread, FAISS search and exact re-rank, fusion, near-duplicate removal, row fetch), excluding
  the query's embedding (a lookup here; the real embedder's cost is in docs/BENCHMARKS.md);
  and of the dense and BM25 routes alone;
- recall@10 of ``CorpusIndex.dense_search`` against exact search over every vector (the exact
  top-10 is computed while the data is generated);
- RSS after the queries (anonymous and file-backed: a memory-mapped FAISS file counts as it is
  paged in), and the nprobe sweep (``VectorLimits.nprobe``);
- for ``ivf-sq8``, the exact re-scoring rule (``VectorLimits.rerank_limit``) against re-scoring every hit:
  the dense route's latency at hybrid depth and how far the two agree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, current_rss_mib, percentile, write_results

DIM = 384
TOPICS = 3162  # sqrt(10M): one mixture for the whole series
BLOCK = 100_000  # passages generated (and their exact top-10 merged) at a time, by default
PER_DOC = 5
SOURCES = 40
QUERIES = 200
EMBEDDER_ID = "synthetic-clustered-384"
# ../shared/data from the repository (a worktree one level deeper finds it too).
REUTERS = next((p for p in (ROOT.parent / "shared" / "data" / "reuters21578",
                            ROOT.parent.parent / "shared" / "data" / "reuters21578") if p.exists()),
               ROOT.parent / "shared" / "data" / "reuters21578")


class SyntheticEmbedder:
    """Stands in for the embedder: the index records its id, and queries map to their prepared vectors."""

    id, dim = EMBEDDER_ID, DIM

    def __init__(self, table: dict[str, "np.ndarray"] | None = None) -> None:
        self.table = table or {}

    def embed(self, texts):
        import numpy as np

        return np.stack([self.table[t] if t in self.table else _text_vector(t) for t in texts]).astype(np.float32)


def _text_vector(text: str):
    import numpy as np

    v = np.random.default_rng(abs(hash(text)) % 2**32).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


# ---- data ------------------------------------------------------------------------------------------
def vocabulary(cache: Path) -> tuple[list[str], "np.ndarray"]:
    """Words of the Reuters-21578 article bodies and their counts, most frequent first."""
    import numpy as np

    path = cache / "vocab.json"
    if not path.exists() or not json.loads(path.read_text())["words"]:
        if not any(REUTERS.glob("reut2-*.sgm")):
            raise SystemExit(f"no Reuters-21578 files in {REUTERS}")
        counts: dict[str, int] = {}
        for sgm in sorted(REUTERS.glob("reut2-*.sgm")):
            raw = sgm.read_bytes().decode("latin-1")
            for body in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S):
                for w in re.findall(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)?", body):
                    counts[w] = counts.get(w, 0) + 1
        words = sorted(counts, key=lambda w: -counts[w])
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"words": words, "counts": [counts[w] for w in words]}))
    data = json.loads(path.read_text())
    return data["words"], np.asarray(data["counts"], dtype=np.float64)


class Data:
    """The synthetic series: everything is a function of a passage's position."""

    def __init__(self, cache: Path) -> None:
        import numpy as np

        from benchmarks.bench_scale import mixture

        self.np = np
        self.centres, self.spreads = mixture(TOPICS, np.random.default_rng(42))
        words, counts = vocabulary(cache)
        self.words = np.asarray(words, dtype=object)
        self.cdf = np.cumsum(counts) / counts.sum()
        rest = counts[100:]
        self.query_cdf = np.cumsum(rest) / rest.sum()

    def vectors(self, n: int, seed: int):
        np = self.np
        rng = np.random.default_rng(seed)
        topic = rng.integers(0, len(self.centres), n)
        block = rng.standard_normal((n, DIM), dtype=np.float32)
        block *= self.spreads[topic, None]
        block += self.centres[topic]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        return block

    def texts(self, n: int, seed: int) -> list[str]:
        np = self.np
        rng = np.random.default_rng(seed)
        lengths = np.clip(rng.normal(105, 25, n).round().astype(int), 20, 150)
        ids = np.searchsorted(self.cdf, rng.random(int(lengths.sum())))
        ids = np.minimum(ids, len(self.words) - 1)
        words = self.words[ids].tolist()
        out, at = [], 0
        for length in lengths.tolist():
            out.append(" ".join(words[at:at + length]) + ".")
            at += length
        return out

    def block(self, b: int, size: int = BLOCK):
        """(texts, vectors) of passages b*size .. (b+1)*size."""
        return self.texts(size, 1_000_000 + b), self.vectors(size, 1 + b)

    def queries(self):
        np = self.np
        vectors = self.vectors(QUERIES, 10**9)
        rng = np.random.default_rng(7)
        rest = self.words[100:]
        texts = []
        for _ in range(QUERIES):
            ids = np.minimum(np.searchsorted(self.query_cdf, rng.random(7)), len(rest) - 1)
            texts.append(" ".join(rest[ids].tolist()))
        return texts, vectors


def documents(start: int, texts: list[str], vectors):
    """(Document, chunks, vectors) for passages start .. start+len(texts), PER_DOC to a document."""
    import datetime

    from index import Chunk, Document

    day0 = datetime.date(2015, 1, 1)
    for i in range(0, len(texts), PER_DOC):
        d = (start + i) // PER_DOC
        parts = texts[i:i + PER_DOC]
        doc_id = format(d, "016x")
        text = "\n\n".join(parts)
        chunks, at = [], 0
        for ordinal, part in enumerate(parts):
            chunks.append(Chunk(id=f"{doc_id}-{ordinal}", doc_id=doc_id, text=part, start=at, end=at + len(part),
                                n_tokens=int(1.3 * part.count(" ")) + 2, ordinal=ordinal))
            at += len(part) + 2
        source = f"source{d % SOURCES}.example"
        doc = Document(id=doc_id, title=" ".join(parts[0].split()[:8]), text=text, path=f"/synthetic/{d}.txt",
                       date=(day0 + datetime.timedelta(days=d % 3650)).isoformat(), url=f"https://{source}/{d}",
                       source=source)
        yield doc, chunks, vectors[i:i + PER_DOC]


# ---- build -----------------------------------------------------------------------------------------
def build(folder: Path, size: int, block: int = BLOCK) -> dict:
    import numpy as np

    from index import CorpusIndex

    series = folder / "series.json"  # the block size is part of the data: one per series folder
    if series.exists():
        block = json.loads(series.read_text())["block"]
    else:
        series.write_text(json.dumps({"block": block}))
    if size % block or block % PER_DOC:
        raise SystemExit(f"--size must be a multiple of the block, {block:,}")
    data = Data(folder.parent)
    qtexts, qvectors = data.queries()
    index = CorpusIndex.open(folder / "index", SyntheticEmbedder(), create=True)
    have = index.stats()["chunks"]
    rowids_path, truth_path = folder / "rowids.npy", folder / "truth.npz"
    rowids = np.load(rowids_path) if rowids_path.exists() else np.zeros(0, np.int64)
    if len(rowids) != have or have % block:
        raise SystemExit(f"{folder}: the store holds {have:,} passages but rowids.npy {len(rowids):,}; start afresh")
    if truth_path.exists():
        t = np.load(truth_path)
        top_pos, top_score = t["positions"], t["scores"]
    else:
        top_pos = np.full((QUERIES, 10), -1, np.int64)
        top_score = np.full((QUERIES, 10), -np.inf, np.float32)
    timing = {"generate": 0.0, "exact_top10": 0.0}
    added = [rowids]
    started = time.perf_counter()

    def items():
        nonlocal top_pos, top_score
        for b in range(have // block, size // block):
            t0 = time.perf_counter()
            texts, vectors = data.block(b, block)
            t1 = time.perf_counter()
            scores = qvectors @ vectors.T  # exact top-10 of every query, merged block by block
            part = np.argpartition(-scores, 10, axis=1)[:, :10]
            cand_pos = np.concatenate([top_pos, part + b * block], axis=1)
            cand_score = np.concatenate([top_score, np.take_along_axis(scores, part, axis=1)], axis=1)
            order = np.argsort(-cand_score, axis=1)[:, :10]
            top_pos, top_score = np.take_along_axis(cand_pos, order, axis=1), np.take_along_axis(cand_score, order, axis=1)
            timing["generate"] += t1 - t0
            timing["exact_top10"] += time.perf_counter() - t1
            yield from documents(b * block, texts, vectors)

    def progress(done: int) -> None:
        if done % 200_000 < 8192:
            print(f"  {have + done:,} passages, {time.perf_counter() - started:.0f} s", flush=True)

    added.append(index.add_embedded(items(), save=False, progress=progress))
    store_seconds = time.perf_counter() - started
    t0 = time.perf_counter()
    index.add_embedded([], save=True)  # the FAISS file for the new size, as rag index leaves it
    faiss_seconds = time.perf_counter() - t0
    index.checkpoint()
    rowids = np.concatenate(added)
    np.save(rowids_path, rowids)
    np.savez(truth_path, positions=top_pos, scores=top_score)
    vectors = index._current_vectors()
    usage = index.disk_usage()
    n = len(rowids)
    out = {"n": n, "added": n - have, "kind": vectors.kind, "nprobe": vectors.nprobe,
           "nlist": int(vectors._index.nlist) if vectors.nprobe else None,
           "store_write_seconds": round(store_seconds - timing["generate"] - timing["exact_top10"], 1),
           "generate_seconds": round(timing["generate"], 1), "exact_top10_seconds": round(timing["exact_top10"], 1),
           "faiss_build_seconds": round(faiss_seconds, 1), "passages_per_second_store": round((n - have) / max(1e-9, store_seconds - timing["generate"] - timing["exact_top10"])),
           "disk": usage, "bytes_per_passage": {k: round(v / n) for k, v in usage.items() if isinstance(v, int)}}
    print(json.dumps(out), flush=True)
    return out


# ---- query -----------------------------------------------------------------------------------------
def _limits(kind: str | None, n: int, nprobe: int | None = None):
    from index.vectors import COMPRESS_LIMIT, FLAT_LIMIT, VectorLimits

    if kind == "ivf":
        return VectorLimits(flat=FLAT_LIMIT, compressed=10**12, nprobe=nprobe)
    if kind == "ivf-sq8":
        return VectorLimits(flat=FLAT_LIMIT, compressed=min(COMPRESS_LIMIT, n // 2), nprobe=nprobe)
    return VectorLimits(nprobe=nprobe) if nprobe else None


def _rss() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS", "RssAnon", "RssFile", "VmHWM")):
            key, value = line.split(":")
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def first(folder: Path, kind: str | None) -> dict:
    """A fresh process: import, open, answer one hybrid retrieval (what rag ask does before the LLM)."""
    t0 = time.perf_counter()
    import numpy as np

    from index import CorpusIndex
    from rag.retrieval import Retriever
    from rag.settings import Settings

    t1 = time.perf_counter()
    n = len(np.load(folder / "rowids.npy", mmap_mode="r"))
    text, vector = "interest rates bundesbank march", _text_vector("cold")
    index = CorpusIndex.open(folder / "index", SyntheticEmbedder({text: vector}), vector_limits=_limits(kind, n))
    t2 = time.perf_counter()
    result = Retriever.from_settings(index, Settings()).search(text, Settings().retrieval.k)
    t3 = time.perf_counter()
    return {"import_s": round(t1 - t0, 3), "open_s": round(t2 - t1, 3), "first_retrieval_s": round(t3 - t2, 3),
            "passages": len(result.passages), "rss": _rss()}


def _evict(folder: Path) -> None:
    """Drop the index's files from the OS page cache (clean pages only; nothing else is touched)."""
    for path in (folder / "index").iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd) if os.access(path, os.W_OK) else None
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def cold_start(folder: Path, kind: str | None) -> dict:
    out = {}
    for label, evict in (("page_cache_evicted", True), ("page_cache_warm", False)):
        if evict:
            _evict(folder)
        cmd = [sys.executable, "-m", "benchmarks.bench_scale_index", "first", "--dir", str(folder)] + (["--kind", kind] if kind else [])
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if proc.returncode:
            raise SystemExit(proc.stderr[-3000:])
        out[label] = {"process_wall_s": round(wall, 2), **json.loads(proc.stdout.strip().splitlines()[-1])}
        print(f"  cold start ({label}): {wall:.2f} s in all, {out[label]}", flush=True)
    return out


def measure(folder: Path, kind: str | None, sweep: list[int]) -> dict:
    """Latency, recall and memory in this process (a fresh one: the caller runs it as a subprocess)."""
    import numpy as np

    from index import CorpusIndex
    from rag.retrieval import Retriever
    from rag.settings import Settings

    data = Data(folder.parent)
    qtexts, qvectors = data.queries()
    rowids = np.load(folder / "rowids.npy")
    truth = rowids[np.load(folder / "truth.npz")["positions"]]
    n = len(rowids)
    embedder = SyntheticEmbedder(dict(zip(qtexts, qvectors)))
    rss_start = _rss()

    def run(nprobe: int | None, queries: int, full: bool = True) -> dict:
        index = CorpusIndex.open(folder / "index", embedder, vector_limits=_limits(kind, n, nprobe))
        retriever = Retriever.from_settings(index, Settings())
        k = Settings().retrieval.k
        retriever.search(qtexts[0], k)  # warm-up: the index is loaded (memory-mapped) by the first search
        hybrid, dense, lexical, hits = [], [], [], 0
        for text, vector, want in zip(qtexts[:queries], qvectors[:queries], truth[:queries]):
            t0 = time.perf_counter()
            if full:
                retriever.search(text, k)
            t1 = time.perf_counter()
            got = index.dense_search(vector, 10)
            t2 = time.perf_counter()
            if full:
                index.lexical_search(text, Settings().retrieval.candidates)
            t3 = time.perf_counter()
            hybrid.append(t1 - t0)
            dense.append(t2 - t1)
            lexical.append(t3 - t2)
            hits += len({int(i) for i in want} & {i for i, _ in got})
        vectors = index._current_vectors()
        ms = lambda xs, q: round(1000 * percentile(xs, q), 1)  # noqa: E731
        rss_now = _rss()  # while this index is open (it is released when run returns)
        row = {"kind": vectors.kind, "nlist": int(vectors._index.nlist) if vectors.nprobe else None,
               "nprobe": vectors.nprobe, "queries": queries, "recall@10": round(hits / (10 * queries), 4),
               "dense_p50_ms": ms(dense, 50), "dense_p95_ms": ms(dense, 95)}
        if full:
            row |= {"hybrid_p50_ms": ms(hybrid, 50), "hybrid_p95_ms": ms(hybrid, 95),
                    "bm25_p50_ms": ms(lexical, 50), "bm25_p95_ms": ms(lexical, 95), "rss_mib": rss_now}
            row["bm25_rule"] = bm25_rule(index, ms)
        print(f"  {row}", flush=True)
        return row

    def bm25_rule(index, ms) -> list[dict]:
        """BM25 with the frequent-term limit at several values against every word kept (None), 100 queries."""
        from index.settings import IndexingSettings

        depth = Settings().retrieval.candidates
        full = {}
        rows = []
        for cap in (None, 20_000, IndexingSettings().bm25_max_term_postings, 100_000):
            seconds, overlap, whole, words = [], 0, 0, 0
            for text in qtexts[:100]:
                t0 = time.perf_counter()
                got = index.lexical_search(text, depth, max_postings=cap)
                seconds.append(time.perf_counter() - t0)
                if cap is None:
                    full[text] = {i for i, _ in got}
                overlap += len(full[text] & {i for i, _ in got})
                kept = index.bm25_terms(text, cap)
                words += len(kept)
                whole += cap is not None and len(kept) == len(index.bm25_terms(text, None))
            rows.append({"max_postings": cap, "p50_ms": ms(seconds, 50), "p95_ms": ms(seconds, 95),
                         "overlap@100_with_every_word": round(overlap / sum(len(v) for v in full.values()), 3),
                         "words_kept_per_query": round(words / 100, 2), "queries_kept_whole": int(whole)})
            print(f"    bm25 {rows[-1]}", flush=True)
        return rows

    def rerank_rule() -> dict:
        """VectorLimits.rerank_limit against re-scoring every hit (None): the dense route at hybrid depth
        (``candidates``), timed on fresh query vectors (100 each, disjoint, so neither warms the other's
        store pages), and the agreement of the two on the benchmark's queries (dense top 100, hybrid top k)."""
        from dataclasses import replace

        from index.vectors import VectorLimits

        depth, k = Settings().retrieval.candidates, Settings().retrieval.k
        base = _limits(kind, n) or VectorLimits()
        if index_kind(base) != "ivf-sq8":
            return {"applies": False}
        fresh = data.vectors(200, 10**9 + 1)
        out: dict = {"rerank_limit": base.rerank_limit, "depth": depth}
        indexes = {}
        for label, limits, queries in (("every_hit", replace(base, rerank_limit=None), fresh[:100]),
                                       ("limited", base, fresh[100:])):
            index = indexes[label] = CorpusIndex.open(folder / "index", embedder, vector_limits=limits)
            index.dense_search(queries[0], depth)
            seconds = []
            for vector in queries:
                t0 = time.perf_counter()
                index.dense_search(vector, depth)
                seconds.append(time.perf_counter() - t0)
            out[f"dense{depth}_{label}_p50_ms"] = round(1000 * percentile(seconds, 50), 1)
            out[f"dense{depth}_{label}_p95_ms"] = round(1000 * percentile(seconds, 95), 1)
        same_dense = same_top = same_hybrid = 0
        retrievers = {label: Retriever.from_settings(ix, Settings()) for label, ix in indexes.items()}
        for text, vector in zip(qtexts[:100], qvectors[:100]):
            a, b = (indexes[label].dense_search(vector, depth) for label in ("every_hit", "limited"))
            same_dense += len({i for i, _ in a} & {i for i, _ in b})
            same_top += [i for i, _ in a[:base.rerank_limit]] == [i for i, _ in b[:base.rerank_limit]]
            ha, hb = (retrievers[label].search(text, k) for label in ("every_hit", "limited"))
            same_hybrid += [p.chunk_id for p in ha.passages] == [p.chunk_id for p in hb.passages]
        out |= {"dense_top100_overlap": round(same_dense / (100 * depth), 4), "queries_same_exact_head": same_top,
                "queries_same_hybrid_top_k": same_hybrid}
        print(f"  rerank rule {out}", flush=True)
        return out

    def index_kind(limits) -> str:
        index = CorpusIndex.open(folder / "index", embedder, vector_limits=limits)
        return index._current_vectors().kind

    main_row = run(None, QUERIES)
    rows = [run(p, 100, full=False) for p in sweep if p != main_row["nprobe"]]  # dense only: recall and latency
    return {"n": n, "main": main_row, "rss_before_mib": rss_start, "sweep": rows, "rerank_rule": rerank_rule()}


def query(folder: Path, kind: str | None, sweep: list[int]) -> dict:
    import numpy as np

    from index import CorpusIndex

    n = len(np.load(folder / "rowids.npy", mmap_mode="r"))
    out: dict = {"n": n, "requested_kind": kind}
    if kind:
        t0 = time.perf_counter()
        index = CorpusIndex.open(folder / "index", SyntheticEmbedder(), vector_limits=_limits(kind, n))
        index.add_embedded([], save=True)  # rebuilds the FAISS file as that kind (the product's save path)
        out["rebuild_seconds"] = round(time.perf_counter() - t0, 1)
        out["disk"] = index.disk_usage()
        out["bytes_per_passage"] = {k: round(v / n) for k, v in out["disk"].items() if isinstance(v, int)}
        index.close()
        del index
        print(f"  rebuilt as {kind} in {out['rebuild_seconds']} s; {out['bytes_per_passage']}", flush=True)
    out["cold_start"] = cold_start(folder, kind)
    cmd = [sys.executable, "-m", "benchmarks.bench_scale_index", "measure", "--dir", str(folder),
           "--sweep", ",".join(map(str, sweep))] + (["--kind", kind] if kind else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    sys.stdout.write(proc.stdout[:-1] if proc.stdout else "")
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    out["measure"] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("build", "query", "first", "measure"))
    p.add_argument("--dir", required=True, help="the series folder (index/, rowids.npy, truth.npz; vocab.json in its parent)")
    p.add_argument("--size", type=int, help="build: grow the index to this many passages (a multiple of 100,000)")
    p.add_argument("--block", type=int, default=BLOCK, help="build: passages generated at a time, fixed for a "
                   "series folder by its first build (a smaller one for series under 100,000)")
    p.add_argument("--kind", choices=("ivf", "ivf-sq8"), help="query: rebuild the FAISS file as this kind first "
                   "(default: measure the kind the product chose)")
    p.add_argument("--sweep", default="16,32,64,128", help="query: nprobe values also measured (dense route, 100 queries each)")
    args = p.parse_args(argv)
    folder = Path(args.dir)
    sweep = [int(s) for s in args.sweep.split(",") if s]
    if args.action == "first":
        print(json.dumps(first(folder, args.kind)))
        return 0
    if args.action == "measure":
        print(json.dumps(measure(folder, args.kind, sweep)))
        return 0
    rss0 = current_rss_mib()
    if args.action == "build":
        if not args.size:
            raise SystemExit("build needs --size")
        folder.mkdir(parents=True, exist_ok=True)
        record = build(folder, args.size, args.block)
    else:
        record = query(folder, args.kind, sweep)
    record["driver_rss_mib"] = round(current_rss_mib() - rss0, 1)
    name = f"scale-index-{args.action}-{record['n'] // 1000}k"
    path = write_results(name, {"config": vars(args), "result": record})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
