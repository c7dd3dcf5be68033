"""Hybrid retrieval with and without the BM25 (FTS5) index in the page cache, on fresh questions.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_fts_warm --dir /tmp/scale/series

On a series folder of :mod:`benchmarks.bench_scale_index`: evicts the index's files from the OS page
cache, times hybrid retrieval (``Retriever.search``, as that benchmark does) and BM25 alone on 100 fresh
questions each (drawn like the benchmark's, from other seeds, so no earlier run has read their pages),
reads every page of the FTS5 index through SQLite (``CorpusIndex.read_bm25_index``, what ``rag serve``
does at start, timed), then times 100 + 100 other fresh questions. ``free -m`` is recorded after each phase. The
question this answers: how much of hybrid latency at a size is the BM25 postings being read from disk
(docs/decisions/2026-12-06-store-hot-set.md).
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from benchmarks.bench_common import percentile, write_results
from benchmarks.bench_scale_index import Data, SyntheticEmbedder, _evict

QUESTIONS = 100


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from index import CorpusIndex
    from rag.retrieval import Retriever
    from rag.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="a bench_scale_index series folder (index/; vocab.json in its parent)")
    p.add_argument("--seed", type=int, default=300, help="first of the four question seeds (other than the benchmark's)")
    args = p.parse_args(argv)
    folder = Path(args.dir)
    data = Data(folder.parent)
    rest = data.words[100:]

    def fresh(seed: int):
        rng = np.random.default_rng(seed)
        texts = [" ".join(rest[np.minimum(np.searchsorted(data.query_cdf, rng.random(7)), len(rest) - 1)].tolist())
                 for _ in range(QUESTIONS)]
        return texts, data.vectors(QUESTIONS, 10**9 + seed)

    sets = [fresh(args.seed + i) for i in range(4)]
    table = {t: v for texts, vectors in sets for t, v in zip(texts, vectors)}
    _evict(folder)
    index = CorpusIndex.open(folder / "index", SyntheticEmbedder(table))
    retriever = Retriever.from_settings(index, Settings())
    k, depth = Settings().retrieval.k, Settings().retrieval.candidates
    ms = lambda xs, q: round(1000 * percentile(xs, q), 1)  # noqa: E731

    def free() -> str:
        return subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.splitlines()[1]

    def phase(label: str, hybrid_set, bm25_set) -> dict:
        hybrid, bm25 = [], []
        for text in hybrid_set[0]:
            t0 = time.perf_counter()
            retriever.search(text, k)
            hybrid.append(time.perf_counter() - t0)
        for text in bm25_set[0]:
            t0 = time.perf_counter()
            index.lexical_search(text, depth)
            bm25.append(time.perf_counter() - t0)
        row = {"phase": label, "hybrid_p50_ms": ms(hybrid, 50), "hybrid_p95_ms": ms(hybrid, 95),
               "bm25_p50_ms": ms(bm25, 50), "bm25_p95_ms": ms(bm25, 95), "free_m": free()}
        print(row, flush=True)
        return row

    out = {"n": index.stats()["chunks"], "questions": QUESTIONS, "phases": [phase("index files evicted", sets[0], sets[1])]}
    t0 = time.perf_counter()
    fts_bytes = index.read_bm25_index()
    out["read_fts"] = {"seconds": round(time.perf_counter() - t0, 1), "bytes": int(fts_bytes or 0), "free_m": free()}
    print(out["read_fts"], flush=True)
    out["phases"].append(phase("FTS5 index read", sets[2], sets[3]))
    path = write_results(f"fts-warm-{out['n'] // 1000}k", {"config": vars(args), "result": out})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
