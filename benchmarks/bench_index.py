"""Index build throughput, memory and size, and the cost of an incremental re-run, per embedder backend.

    nice -n 10 .venv/bin/python -m benchmarks.bench_index [--corpus DIR ...] [--backends torch,onnx-int8] [--rounds 2]

Defaults: ../shared/data/multihop-rag/excerpts (326 news articles) and the seed
corpus ../shared/corpus/seed. For each corpus and backend, in a fresh process
(so peak RSS is that build's own) and a fresh index folder, it measures:

  full build      ``CorpusIndex.index_paths`` on the folder: seconds, documents/s, chunks/s,
                  the share of the time spent embedding, peak RSS
  disk            index folder size (SQLite store with vectors and FTS5, FAISS file),
                  bytes per chunk
  unchanged run   the same call again: seconds, and its ratio to the full build (target < 5%)
  one changed     one file rewritten: seconds (only that file is re-chunked and re-embedded)

Model loading is done before the clock starts (one warm-up embedding), and the
export of an ONNX backend is cached beforehand, so the numbers are indexing alone.
Backends run one after the other on the same machine in one invocation, so
their ratio is meaningful even on a loaded machine; absolute numbers are not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, SEED, SHARED_DATA, peak_rss_mib, write_results

DEFAULT_CORPORA = [SHARED_DATA / "multihop-rag" / "excerpts", SEED]


def folder_bytes(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in path.iterdir() if p.is_file()}


def run_case(corpus: Path, backend: str, workdir: Path) -> dict:
    from index import CorpusIndex
    from index.embedder import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(backend=backend)
    t0 = time.perf_counter()
    emb.embed(["warm-up"])
    load = time.perf_counter() - t0
    rss_model = peak_rss_mib()
    # A private copy of the corpus: the changed-file step rewrites one file.
    docs = workdir / "docs"
    shutil.copytree(corpus, docs)
    idx_dir = workdir / "index"
    index = CorpusIndex.open(idx_dir, emb, create=True)
    t0 = time.perf_counter()
    report = index.index_paths([docs])
    full = time.perf_counter() - t0
    stats = index.stats()
    sizes = folder_bytes(idx_dir)
    # SQLite keeps the write-ahead log beside the database; checkpoint so sizes are the settled ones.
    index.checkpoint()
    sizes = folder_bytes(idx_dir)
    total = sum(sizes.values())
    t0 = time.perf_counter()
    again = index.index_paths([docs])
    unchanged = time.perf_counter() - t0
    # One changed file: append a paragraph to the first file.
    first = sorted(p for p in docs.rglob("*") if p.is_file())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nA late paragraph added for the incremental benchmark.\n",
                     encoding="utf-8")
    t0 = time.perf_counter()
    changed = index.index_paths([docs])
    one_changed = time.perf_counter() - t0
    # A fresh process opening the finished index for a query: what `rag ask` pays before retrieval.
    return {
        "corpus": str(corpus), "backend": emb.backend, "embedder_id": emb.id,
        "commit_batch": {"documents": index.indexing.commit_docs, "chunks": index.indexing.commit_chunks},
        "files": len(list(docs.rglob("*"))), "documents": stats["documents"], "chunks": stats["chunks"],
        "model_load_seconds": round(load, 2), "rss_after_model_load_mib": round(rss_model, 1),
        "full_build": {"seconds": round(full, 2), "embed_seconds": round(report.embed_seconds, 2),
                       "embed_share": round(report.embed_seconds / full, 3) if full else None,
                       "documents_per_s": round(stats["documents"] / full, 2),
                       "chunks_per_s": round(stats["chunks"] / full, 2)},
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "disk": {"files": sizes, "total_bytes": total, "bytes_per_chunk": round(total / max(1, stats["chunks"]))},
        "unchanged_rerun": {"seconds": round(unchanged, 3), "ratio_to_full": round(unchanged / full, 4),
                            "unchanged": again.unchanged, "embedded_chunks": again.chunks_added},
        "one_file_changed": {"seconds": round(one_changed, 3), "ratio_to_full": round(one_changed / full, 4),
                             "updated": len(changed.updated), "embedded_chunks": changed.chunks_added},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="append", help="folder to index (repeatable); default: MultiHop-RAG excerpts and the seed corpus")
    p.add_argument("--backends", default="torch,onnx-int8", help="embedder backends, side by side")
    p.add_argument("--rounds", type=int, default=1, help="repeat every case, interleaved (default 1)")
    p.add_argument("--case", nargs=3, metavar=("CORPUS", "BACKEND", "WORKDIR"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(Path(args.case[0]), args.case[1], Path(args.case[2]))))
        return 0
    corpora = [Path(c).expanduser() for c in args.corpus] if args.corpus else DEFAULT_CORPORA
    backends = [b for b in args.backends.split(",") if b]
    # Build any ONNX export first, so no case pays for it.
    from index.embedder import SentenceTransformerEmbedder

    for backend in backends:
        SentenceTransformerEmbedder(backend=backend).backend
    cases = [(corpus, backend) for corpus in corpora for _ in range(args.rounds) for backend in backends]
    results = []
    for corpus, backend in cases:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_index", "--case", str(corpus), backend, tmp],
                                  capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{corpus.name} {backend}: failed\n{proc.stderr[-2000:]}", flush=True)
            results.append({"corpus": str(corpus), "backend": backend, "error": proc.stderr[-2000:]})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(row)
        b, u, c = row["full_build"], row["unchanged_rerun"], row["one_file_changed"]
        batch = row["commit_batch"]
        print(f"{corpus.name:10s} {row['embedder_id']:28s} batch {batch['documents']}:{batch['chunks']} "
              f"{row['documents']:4d} docs {row['chunks']:5d} chunks  "
              f"build {b['seconds']:7.1f} s ({b['documents_per_s']:5.1f} docs/s, {b['chunks_per_s']:6.1f} chunks/s, "
              f"embedding {100 * (b['embed_share'] or 0):.0f}%)  peak RSS {row['peak_rss_mib']:6.0f} MiB  "
              f"disk {row['disk']['total_bytes'] / 2**20:5.1f} MiB ({row['disk']['bytes_per_chunk']} B/chunk)  "
              f"unchanged re-run {u['seconds']:.2f} s = {100 * u['ratio_to_full']:.2f}%  "
              f"one file changed {c['seconds']:.2f} s", flush=True)
    by = {}
    for row in results:
        if "error" not in row:
            by.setdefault(row["corpus"], {})[row["backend"]] = row["full_build"]["seconds"]
    speedups = {corpus: {b: round(times["torch"] / s, 2) for b, s in times.items()}
                for corpus, times in by.items() if "torch" in times}
    if speedups:
        print("build speed-up vs torch:", json.dumps(speedups))
    path = write_results("index", {"config": {"corpora": [str(c) for c in corpora], "backends": backends,
                                              "rounds": args.rounds},
                                   "results": results, "speedup_vs_torch": speedups})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
