"""Vector index at scale: build time, memory, query latency and recall@10 of each FAISS index kind.

    nice -n 10 .venv/bin/python -m benchmarks.bench_scale [--sizes 10000,100000,1000000 --kinds flat,ivf,hnsw]

Synthetic data shaped like sentence embeddings rather than uniform noise (on
which every ANN index looks bad and every exact one looks good): 384-d unit
vectors drawn around ~sqrt(n) topic centres with a per-topic spread, the
topics grouped in 32 broad areas that overlap and all leaning towards one shared
direction (embedding spaces are anisotropic), so neighbours are topical but
cross topic borders.
Queries (200 by default) are fresh draws from the same mixture, not indexed
points. Recall@10 is measured against exact search (IndexFlatIP) on the same data.

Each (size, kind) runs in its own process, so "peak RSS" is that case's own
(it includes the float32 data matrix the index is built from: n x 384 x 4 bytes);
"index MiB" is the RSS growth while building. Latency is one query at a time, as
the product issues them, through ``index.vectors.VectorIndex.search``. Load
times and RSS are given for a plain read and a memory-mapped read of the saved file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, current_rss_mib, peak_rss_mib, percentile, write_results

DIM = 384


def clustered(n: int, dim: int, seed: int, centres: "np.ndarray", spreads: "np.ndarray") -> "np.ndarray":
    import numpy as np

    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        topic = rng.integers(0, len(centres), m)
        block = rng.standard_normal((m, dim), dtype=np.float32)
        block *= spreads[topic, None]
        block += centres[topic]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:start + m] = block
    return out


def make_data(n: int, queries: int, folder: Path) -> dict:
    """Write base vectors, queries and the exact top-10 for ``n`` into ``folder``."""
    import faiss
    import numpy as np

    rng = np.random.default_rng(42)
    topics = max(64, int(n ** 0.5))
    centres, spreads = mixture(topics, rng)
    t0 = time.perf_counter()
    base = clustered(n, DIM, 1, centres, spreads)
    query = clustered(queries, DIM, 2, centres, spreads)
    exact = faiss.IndexFlatIP(DIM)
    exact.add(base)
    _, truth = exact.search(query, 10)
    np.save(folder / "base.npy", base)
    np.save(folder / "queries.npy", query)
    np.save(folder / "truth.npy", truth)
    return {"n": n, "topics": topics, "generate_and_truth_seconds": round(time.perf_counter() - t0, 1)}


def mixture(topics: int, rng) -> tuple["np.ndarray", "np.ndarray"]:
    """(centres, spreads) of the topic mixture the synthetic vectors are drawn from."""
    import numpy as np

    # Topics inside 32 broad areas, all leaning towards one shared direction (real embedding spaces
    # are anisotropic), and wide spreads, so topics overlap and neighbours cross topic borders.
    areas = rng.standard_normal((32, DIM)).astype(np.float32)
    areas /= np.linalg.norm(areas, axis=1, keepdims=True)
    shared = rng.standard_normal(DIM).astype(np.float32)
    shared /= np.linalg.norm(shared)
    centres = areas[rng.integers(0, 32, topics)] + 0.5 * rng.standard_normal((topics, DIM)).astype(np.float32) / DIM ** 0.5
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    centres += 0.4 * shared
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    spreads = (rng.uniform(1.05, 1.95, topics) / DIM ** 0.5).astype(np.float32)
    return centres, spreads


def run_case(folder: Path, kind: str, sweep: bool) -> dict:
    """One (size, kind) case, in this (child) process."""
    import numpy as np

    from index.vectors import VectorIndex, ivf_params

    base = np.load(folder / "base.npy")
    queries = np.load(folder / "queries.npy")
    truth = np.load(folder / "truth.npy")
    n = len(base)
    ids = np.arange(n, dtype=np.int64)
    rss0 = current_rss_mib()
    t0 = time.perf_counter()
    index = VectorIndex.build(DIM, ids, base, kind=kind)
    build = time.perf_counter() - t0
    rss1 = current_rss_mib()
    out = {"kind": index.kind, "n": n, "build_seconds": round(build, 2), "build_vectors_per_s": round(n / build),
           "index_mib": round(rss1 - rss0, 1)}
    if kind == "ivf":
        out["nlist"], out["nprobe"] = int(index._index.nlist), int(index._index.nprobe)
    if kind == "hnsw":
        out["M"], out["efSearch"] = int(index._hnsw().hnsw.nb_neighbors(0)), int(index._hnsw().hnsw.efSearch)
    out.update(_measure(index, queries, truth))
    if sweep and kind in ("ivf", "hnsw"):
        rows = []
        if kind == "ivf":
            default = index._index.nprobe
            for nprobe in sorted({4, 8, 16, 32, 64, 128, default} & set(range(1, index._index.nlist + 1))):
                index._index.nprobe = nprobe
                rows.append({"nprobe": nprobe, **_measure(index, queries, truth)})
            index._index.nprobe = default
        else:
            hnsw = index._hnsw().hnsw
            default = hnsw.efSearch
            for ef in (16, 32, 64, 96, 128, 256):
                hnsw.efSearch = ef
                rows.append({"efSearch": ef, **_measure(index, queries, truth)})
            hnsw.efSearch = default
        out["sweep"] = rows
    # Removal by id: 1% of the vectors, then recall again (removed ids are excluded from the truth).
    gone = ids[:: 100]
    t0 = time.perf_counter()
    index.remove(gone)
    out["remove_1pct_seconds"] = round(time.perf_counter() - t0, 3)
    kept_truth = np.where(np.isin(truth, gone), -1, truth)
    out["recall@10_after_removal"] = _measure(index, queries[:50], kept_truth[:50])["recall@10"]
    removed_found = sum(int(i) in set(gone.tolist()) for q in queries[:50] for i, _ in index.search(q, 10))
    out["removed_ids_returned"] = removed_found
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "vectors.faiss"
        if index.tombstones:
            index = VectorIndex.build(DIM, np.delete(ids, gone), np.delete(base, gone, axis=0), kind=kind)
        t0 = time.perf_counter()
        index.save(path)
        out["save_seconds"] = round(time.perf_counter() - t0, 2)
        out["file_mib"] = round(path.stat().st_size / 2**20, 1)
        out["file_bytes_per_vector"] = round(path.stat().st_size / len(index))
        del index, base
        for mmap in (False, True):
            before = current_rss_mib()
            t0 = time.perf_counter()
            loaded = VectorIndex.load(path, DIM, mmap=mmap)
            load_s = time.perf_counter() - t0
            after_load = current_rss_mib()
            lat = _measure(loaded, queries[:50], np.where(np.isin(truth, gone), -1, truth)[:50])
            out["load_mmap" if mmap else "load_ram"] = {
                "seconds": round(load_s, 3), "rss_growth_mib": round(after_load - before, 1),
                "rss_growth_after_50_queries_mib": round(current_rss_mib() - before, 1),
                "p50_ms_first_50_queries": lat["p50_ms"], "read_only": loaded.read_only}
            del loaded
    out["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return out


def _measure(index, queries, truth) -> dict:
    import numpy as np

    index.search(queries[0], 10)  # warm-up
    seconds, hits, total = [], 0, 0
    for q, t in zip(queries, truth):
        t0 = time.perf_counter()
        got = index.search(q, 10)
        seconds.append(time.perf_counter() - t0)
        want = {int(i) for i in t if i >= 0}
        hits += len(want & {i for i, _ in got})
        total += len(want)
    ms = np.array(seconds) * 1000
    return {"recall@10": round(hits / max(1, total), 4), "p50_ms": round(percentile(list(ms), 50), 3),
            "p95_ms": round(percentile(list(ms), 95), 3)}


def run_real(index_dir: Path, beir: Path, kinds: list[str]) -> dict:
    """Recall@10 of each kind on real vectors: a built index's chunk vectors, queried with BEIR test queries.

    Real embeddings are lumpier than any synthetic mixture, so this checks that the
    nprobe / efSearch defaults chosen on synthetic data hold. The index is small
    (SciFact: ~13k chunks), so the ANN kinds are forced, with the list count
    ``ivf_params`` gives for that size.
    """
    import numpy as np

    from index import CorpusIndex
    from index.embedder import SentenceTransformerEmbedder
    from index.vectors import VectorIndex
    from rag.evaluation.beir import load_beir

    manifest = json.loads((index_dir / "manifest.json").read_text())
    emb = SentenceTransformerEmbedder(manifest["embedder"]["id"])
    corpus = CorpusIndex.open(index_dir, emb)
    ids, base = corpus.all_vectors()
    data = load_beir(beir, "test")
    queries = emb.embed(list(data.queries.values()))
    order = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    truth = ids[order]
    out = {"index_dir": str(index_dir), "embedder": emb.id, "vectors": len(ids), "queries": len(queries)}
    for kind in kinds:
        index = VectorIndex.build(base.shape[1], ids, base, kind=kind)
        row = _measure(index, queries, truth)
        if kind == "ivf":
            row |= {"nlist": int(index._index.nlist), "nprobe": int(index._index.nprobe)}
            sweep = []
            for nprobe in (1, 2, 4, 8, 16, 32):
                index._index.nprobe = nprobe
                sweep.append({"nprobe": nprobe, **_measure(index, queries, truth)})
            row["sweep"] = sweep
        if kind == "hnsw":
            sweep = []
            hnsw = index._hnsw().hnsw
            for ef in (32, 64, 128, 256):
                hnsw.efSearch = ef
                sweep.append({"efSearch": ef, **_measure(index, queries, truth)})
            row["sweep"] = sweep
        out[kind] = row
        print(f"  real {kind:5s} recall@10 {row['recall@10']:.4f}  p50 {row['p50_ms']:.2f} ms"
              + (f"  nlist {row['nlist']} nprobe {row['nprobe']}" if kind == "ivf" else ""), flush=True)
        for s in row.get("sweep", []):
            knob = f"nprobe {s['nprobe']}" if "nprobe" in s else f"efSearch {s['efSearch']}"
            print(f"        {knob:14s} recall@10 {s['recall@10']:.4f}  p50 {s['p50_ms']:.2f} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--kinds", default="flat,ivf,hnsw")
    p.add_argument("--hnsw-max", type=int, default=100_000, help="skip hnsw above this size (its build is slow here)")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--no-sweep", action="store_true", help="skip the nprobe / efSearch sweeps")
    p.add_argument("--workdir", default=None, help="where the temporary data goes (default: system temp)")
    p.add_argument("--real-index", metavar="DIR", help="also measure recall on the vectors of this built index "
                   "(e.g. the SciFact index of rag eval retrieval) with its BEIR test queries")
    p.add_argument("--real-beir", metavar="DIR", default=str(ROOT.parent / "shared" / "data" / "beir-scifact"))
    p.add_argument("--case", nargs=2, metavar=("FOLDER", "KIND"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(Path(args.case[0]), args.case[1], not args.no_sweep)))
        return 0
    from index.vectors import FLAT_LIMIT, VectorLimits, ivf_params

    results = []
    real = None
    if args.real_index:
        print(f"real vectors from {args.real_index}", flush=True)
        real = run_real(Path(args.real_index).expanduser(), Path(args.real_beir).expanduser(),
                        [k for k in args.kinds.split(",") if k])
    for n in [int(s) for s in args.sizes.split(",") if s]:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            folder = Path(tmp)
            data = make_data(n, args.queries, folder)
            print(f"n={n:,}: {data['topics']} topics, data + exact top-10 in {data['generate_and_truth_seconds']} s", flush=True)
            for kind in [k for k in args.kinds.split(",") if k]:
                if kind == "hnsw" and n > args.hnsw_max:
                    print(f"  {kind}: skipped above --hnsw-max {args.hnsw_max:,}", flush=True)
                    continue
                cmd = [sys.executable, "-m", "benchmarks.bench_scale", "--case", str(folder), kind] + (["--no-sweep"] if args.no_sweep else [])
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                if proc.returncode != 0:
                    print(f"  {kind}: failed\n{proc.stderr[-2000:]}", flush=True)
                    results.append({"n": n, "kind": kind, "error": proc.stderr[-2000:]})
                    continue
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                row["data"] = data
                results.append(row)
                extra = f" nlist {row['nlist']} nprobe {row['nprobe']}" if kind == "ivf" else ""
                print(f"  {kind:5s} build {row['build_seconds']:8.2f} s  index {row['index_mib']:8.1f} MiB  peak RSS "
                      f"{row['peak_rss_mib']:8.1f} MiB  p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms  "
                      f"recall@10 {row['recall@10']:.4f}  file {row['file_mib']:.0f} MiB  "
                      f"load {row['load_ram']['seconds']:.2f} s / mmap {row['load_mmap']['seconds']:.2f} s "
                      f"(+{row['load_ram']['rss_growth_mib']:.0f} / +{row['load_mmap']['rss_growth_mib']:.0f} MiB){extra}",
                      flush=True)
                for s in row.get("sweep", []):
                    knob = f"nprobe {s['nprobe']}" if "nprobe" in s else f"efSearch {s['efSearch']}"
                    print(f"        {knob:14s} p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f} ms  recall@10 {s['recall@10']:.4f}", flush=True)
    path = write_results("scale", {"config": {k: v for k, v in vars(args).items() if k != "case"} | {
        "dim": DIM, "FLAT_LIMIT": FLAT_LIMIT, "EXACT_FILTER_LIMIT": VectorLimits().exact_filter_limit,
        "ivf_params": {n: ivf_params(n) for n in (10_000, 100_000, 1_000_000, 10_000_000)}}, "results": results, "real": real})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
