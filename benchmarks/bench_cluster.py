"""Cluster embedding: a local Dask cluster of one-thread workers against the build in one process, side by side.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_cluster [--corpus multihop,reuters] [--rounds 1]
                                                [--reuters-files reut2-000.sgm] [--data ../shared/data]

For each corpus, in one process and one after the other (so the ratio holds on a shared machine):

  single     ``CorpusIndex.index_paths`` with the default ONNX embedder using every core (2 intra-op threads
             here), into a fresh index
  cluster    the same call with ``cluster=`` a local cluster of ``--workers`` worker processes of one thread
             each (what ``rag index --cluster auto`` starts), into another fresh index

Both embedders are loaded before the clock starts (the cluster's workers by a warm-up task), so the
times are indexing alone; the cluster's start-up (``auto``: start, connect, load the model in every
worker) is timed on its own. Reported: passages (chunks) per second and the cluster/single ratio (target
>= 0.9) over the whole build and in its steady middle (the commits between the first and the last
``--workers`` ones: without the start and the end, when some workers wait), whether the two indexes
hold the same bytes (documents, chunks with their vectors), the scheduling overhead per batch (a task that carries a batch's texts and returns its vectors but does no
work, round trip, one at a time; and the workers' time not spent embedding per batch in the real
build: loading, chunking, waiting), and the driver's own CPU time per passage, which bounds how many
machines one driver can feed (the projection in docs/SCALING.md).

Corpora: ``multihop`` = ../shared/data/multihop-rag/excerpts (326 articles, 329 chunks); ``reuters`` =
the articles of ``--reuters-files`` of ../shared/data/reuters21578 written as news files into a temp folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_common import SAMPLE_CORPUS, SHARED_DATA, write_results

BATCH_TEXT_CHARS = 900  # a typical embedded text (header + 160-token chunk) for the no-op round trip


def _noop_batch(texts: list[str], dim: int):
    """What an embed task moves (texts in, a float32 matrix out), without the embedding."""
    return np.zeros((len(texts), dim), dtype=np.float32), 0.0, "noop", None


def _content(index_dir: Path) -> tuple:
    """Documents (all fields but the clock of their adding), chunks and vectors of an index, in store order."""
    from index import CorpusIndex

    index = CorpusIndex.open(index_dir)
    listed = index.documents()
    docs = sorted((d["doc_id"], index.document(d["doc_id"])) for d in listed)
    chunks = [(c.id, c.doc_id, c.ordinal, c.start, c.end, c.n_tokens, c.text)
              for doc_id, _ in docs for c in index.chunks_of(doc_id)]
    rowids, matrix = index.all_vectors()
    order = index.chunk_documents()
    index.close()
    return docs, chunks, (rowids.tobytes(), [order[int(r)] for r in rowids]), matrix


def compare(single_dir: Path, cluster_dir: Path) -> dict:
    """Byte equality of the two indexes' content and vectors; the largest vector difference when they differ."""
    d1, c1, r1, v1 = _content(single_dir)
    d2, c2, r2, v2 = _content(cluster_dir)
    out = {"documents_identical": d1 == d2, "chunks_identical": c1 == c2 and r1 == r2,
           "vectors_identical": v1.shape == v2.shape and v1.tobytes() == v2.tobytes()}
    if v1.shape == v2.shape and not out["vectors_identical"]:
        out["vectors_max_abs_difference"] = float(np.abs(v1 - v2).max())
        out["vectors_differing"] = int((v1 != v2).any(axis=1).sum())
    return out


def steady_rate(commits: list[tuple[float, int]], workers: int) -> float | None:
    """Passages/s between the ``workers``-th commit and the ``workers``-th from the end: the build without the
    start (the first batches formed and sent) and the end (the last batches, when some workers idle).
    None when the build has too few commits for it."""
    if len(commits) < 2 * workers + 3:
        return None
    (t1, n1), (t2, n2) = commits[workers], commits[-1 - workers]
    return round((n2 - n1) / (t2 - t1), 2) if t2 > t1 else None


def corpus_paths(name: str, reuters_files: list[str], work: Path, data: Path) -> list[Path]:
    if name == "multihop":
        folder = data / "multihop-rag" / "excerpts"
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing (the shared MultiHop-RAG excerpts)")
        return [folder]
    if name == "sample":  # a quick check of the script itself
        return [SAMPLE_CORPUS]
    if name == "reuters":
        from rag.evaluation.reuters import write_subset

        out = work / "reuters-articles"
        write_subset(data / "reuters21578", out, reuters_files)
        return [out]
    raise SystemExit(f"unknown corpus {name!r}: multihop, reuters or sample")


def run(args) -> dict:
    from distributed import Client, LocalCluster

    from index import CorpusIndex
    from index.cluster import ClusterSession, ClusterSettings, EmbedderSpec, _warm_up
    from index.embedder import SentenceTransformerEmbedder

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # as rag index runs
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    settings = ClusterSettings(workers=args.workers, threads_per_worker=1)
    single_embedder = SentenceTransformerEmbedder()  # threads=None: ONNX uses every core
    single_embedder.embed(["warm up"])
    record: dict = {"workers": args.workers, "threads_per_worker": 1, "single_threads": "onnxruntime default (all cores)",
                    "cores": os.cpu_count(), "corpora": {}}
    try:
        # ---- start-up of --cluster auto, on its own ------------------------------------------------
        probe = CorpusIndex.open(work / "probe", single_embedder, create=True)
        probe.index_paths([SAMPLE_CORPUS])  # the first build of a process imports FAISS: not in the timed ones
        t0 = time.perf_counter()
        session = ClusterSession.start("auto", probe, settings)
        started = time.perf_counter() - t0
        session.warm_up()
        record["auto_start_seconds"] = round(started, 2)
        record["auto_start_and_model_load_seconds"] = round(time.perf_counter() - t0, 2)
        session.close()
        probe.close()
        print(f"--cluster auto: cluster up in {started:.1f} s, models loaded in every worker after "
              f"{record['auto_start_and_model_load_seconds']:.1f} s")

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster, set_as_default=False)
        spec = EmbedderSpec.of(single_embedder, 1)
        client.run(_warm_up, spec)

        # ---- scheduling overhead: a batch's payload there and back, no work -------------------------
        texts = ["x" * BATCH_TEXT_CHARS] * 256
        trips = []
        for _ in range(args.noop_tasks):
            t0 = time.perf_counter()
            client.submit(_noop_batch, texts, single_embedder.dim, pure=False).result()
            trips.append(time.perf_counter() - t0)
        record["noop_batch_round_trip_ms"] = {"median": round(1000 * statistics.median(trips), 2),
                                              "p90": round(1000 * float(np.percentile(trips, 90)), 2),
                                              "tasks": len(trips), "texts_per_task": len(texts),
                                              "chars_per_text": BATCH_TEXT_CHARS}
        print(f"no-op batch round trip: median {record['noop_batch_round_trip_ms']['median']} ms")

        for name in args.corpus.split(","):
            paths = corpus_paths(name, args.reuters_files.split(","), work, Path(args.data))
            rounds = []
            for r in range(args.rounds):
                row = {}
                for mode in ("single", "cluster"):
                    folder = work / f"{name}-{mode}-{r}"
                    index = CorpusIndex.open(folder, single_embedder, create=True)
                    batches: list[tuple[float, int]] = []
                    cpu0, t0 = time.process_time(), time.perf_counter()
                    report = index.index_paths(paths, cluster=None if mode == "single" else cluster.scheduler_address,
                                               cluster_settings=settings,
                                               progress=lambda p: batches.append((time.perf_counter(), p.chunks_added)))
                    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                    index.close()
                    row[mode] = {"seconds": round(wall, 2), "chunks": report.chunks_added,
                                 "texts_embedded": report.texts_embedded, "documents": len(report.added),
                                 "passages_per_second": round(report.chunks_added / wall, 2),
                                 "embed_seconds": round(report.embed_seconds, 2), "driver_cpu_seconds": round(cpu, 2),
                                 "commits": len(batches),
                                 "steady_passages_per_second": steady_rate(batches, args.workers)}
                    if mode == "cluster":
                        busy = report.embed_seconds  # summed over the workers; the rest is loading, chunking, waiting, transfer
                        row[mode]["worker_seconds_not_embedding_per_batch"] = round(
                            max(0.0, wall * args.workers - busy) / max(1, len(batches)), 3)
                        row[mode]["driver_cpu_ms_per_passage"] = round(1000 * cpu / max(1, report.chunks_added), 3)
                    print(f"{name} round {r + 1} {mode}: {report.chunks_added} passages in {wall:.1f} s = "
                          f"{report.chunks_added / wall:.1f}/s, steady {row[mode]['steady_passages_per_second']}/s "
                          f"(driver CPU {cpu:.1f} s)")
                row["ratio_cluster_to_single"] = round(row["cluster"]["passages_per_second"]
                                                       / row["single"]["passages_per_second"], 3)
                if row["cluster"]["steady_passages_per_second"] and row["single"]["steady_passages_per_second"]:
                    row["steady_ratio_cluster_to_single"] = round(row["cluster"]["steady_passages_per_second"]
                                                                  / row["single"]["steady_passages_per_second"], 3)
                row["identical"] = compare(work / f"{name}-single-{r}", work / f"{name}-cluster-{r}")
                print(f"{name} round {r + 1}: cluster/single = {row['ratio_cluster_to_single']}, same bytes: {row['identical']}")
                rounds.append(row)
            record["corpora"][name] = {"paths": [str(p) for p in paths], "rounds": rounds}
        client.close()
        cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="multihop,reuters", help="comma-separated: multihop, reuters, sample (a quick check)")
    parser.add_argument("--reuters-files", default="reut2-000.sgm", help="Reuters-21578 files for the reuters corpus")
    parser.add_argument("--data", default=str(SHARED_DATA), help=f"the shared data folder (default {SHARED_DATA})")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop-tasks", type=int, default=50)
    args = parser.parse_args()
    record = run(args)
    path = write_results("bench_cluster", record)
    print(f"wrote {path}")


if __name__ == "__main__":  # the workers re-import this module: nothing may run on import
    main()
