"""Embedding throughput of the embedder backends, side by side in one run, and their retrieval quality.

    nice -n 10 .venv/bin/python -m benchmarks.bench_embed [--docs 150 --rounds 3]
    nice -n 10 .venv/bin/python -m benchmarks.bench_embed --quality [--backends torch,onnx-int8]

Speed: the texts are exactly what indexing embeds (SciFact abstracts from
../shared/data/beir-scifact, chunked by the product's chunker, each chunk with
its embedding header), so "documents/s" is comparable with the issue's 12.9
abstracts/s. Every configuration embeds the same texts; the rounds are
interleaved (A B C, A B C, ...) so load from other users hits all of them alike,
and the ratios use each configuration's best round. CPU seconds (all threads of
the process) are reported beside wall time: on a machine shared with other jobs
they move less than wall time does. The cosine of each
configuration's vectors to the torch fp32 vectors is reported too.

Quality (``--quality``): SciFact nDCG@10 over the 300 test queries against the
whole corpus (5,183 abstracts), dense route only, through the product's own
indexing (chunks, max-pooled per document) and ``Retriever``. Each backend's
index is cached by ``rag.evaluation.beir.open_cached_index`` (keyed by the
embedder id), so the fp32 index built by ``rag eval retrieval`` is reused.
"""

from __future__ import annotations

import argparse
import statistics

from benchmarks.bench_common import SHARED_DATA, Timer, peak_rss_mib, write_results

SCIFACT = SHARED_DATA / "beir-scifact"

# label -> (backend, intra-op threads or None for the library default, batch size)
CONFIGS = {
    "torch": ("torch", None, 32),
    "torch-t1": ("torch", 1, 32),
    "torch-t2": ("torch", 2, 32),
    "onnx": ("onnx", None, 32),
    "onnx-int8": ("onnx-int8", None, 32),
    "onnx-int8-t1": ("onnx-int8", 1, 32),
    "onnx-int8-b8": ("onnx-int8", None, 8),
    "onnx-int8-b64": ("onnx-int8", None, 64),
    "openvino": ("openvino", None, 32),
}
DEFAULT_CONFIGS = "torch,torch-t1,onnx,onnx-int8,onnx-int8-t1,openvino"


def pipeline_texts(n_docs: int) -> tuple[list[str], int]:
    """The strings indexing would embed for the first ``n_docs`` SciFact abstracts."""
    from index.chunker import ChunkerSettings, chunk_document
    from index.corpus_index import embedding_header
    from rag.evaluation.beir import beir_documents

    texts, docs = [], 0
    for doc in beir_documents(SCIFACT / "corpus.jsonl"):
        header = embedding_header(doc)
        texts.extend(f"{header}\n{c.text}" for c in chunk_document(doc, ChunkerSettings()))
        docs += 1
        if docs >= n_docs:
            break
    return texts, docs


def run_speed(args: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    from index.embedder import SentenceTransformerEmbedder

    labels = [c for c in args.configs.split(",") if c]
    texts, n_docs = pipeline_texts(args.docs)
    default_threads = torch.get_num_threads()
    print(f"{n_docs} SciFact documents -> {len(texts)} chunks; torch default threads {default_threads}", flush=True)
    embedders, load_seconds, skipped = {}, {}, {}
    for label in labels:
        backend, threads, batch = CONFIGS[label]
        with Timer() as t:
            emb = SentenceTransformerEmbedder(backend=backend, threads=threads, batch_size=batch)
            if emb.backend != backend:
                skipped[label] = f"fell back to {emb.backend}"
                print(f"  {label}: skipped ({skipped[label]})", flush=True)
                continue
            _set_torch_threads(torch, backend, threads, default_threads)
            emb.embed(texts[:8])  # load the model and warm up outside the timings
        embedders[label], load_seconds[label] = emb, t.seconds
    times: dict[str, list[float]] = {label: [] for label in embedders}
    cpu: dict[str, list[float]] = {label: [] for label in embedders}
    vectors = {}
    for r in range(args.rounds):
        for label, emb in embedders.items():
            backend, threads, _ = CONFIGS[label]
            _set_torch_threads(torch, backend, threads, default_threads)
            c0 = _cpu_seconds()
            with Timer() as t:
                out = emb.embed(texts)
            cpu[label].append(_cpu_seconds() - c0)
            times[label].append(t.seconds)
            vectors.setdefault(label, out)
            print(f"  round {r + 1} {label:14s} {t.seconds:7.2f} s  {n_docs / t.seconds:6.1f} docs/s", flush=True)
    torch.set_num_threads(default_threads)
    base = "torch" if "torch" in times else next(iter(times))
    reference = vectors.get("torch")
    rows = {}
    for label, seconds in times.items():
        best = min(seconds)
        row = {
            "backend": CONFIGS[label][0], "threads": CONFIGS[label][1], "batch_size": CONFIGS[label][2],
            "seconds_rounds": [round(s, 3) for s in seconds], "best_seconds": round(best, 3),
            "median_seconds": round(statistics.median(seconds), 3),
            "docs_per_s": round(n_docs / best, 2), "chunks_per_s": round(len(texts) / best, 2),
            "speedup_vs_torch_best": round(min(times[base]) / best, 2),
            "speedup_vs_torch_median": round(statistics.median(times[base]) / statistics.median(seconds), 2),
            "load_seconds": round(load_seconds[label], 2), "embedder_id": embedders[label].id,
            "cpu_seconds_rounds": [round(c, 2) for c in cpu[label]],
            "docs_per_cpu_s": round(n_docs / min(cpu[label]), 2),
            "speedup_vs_torch_cpu": round(min(cpu[base]) / min(cpu[label]), 2),
        }
        if reference is not None:
            cos = np.sum(vectors[label] * reference, axis=1)
            row["cosine_to_torch_fp32"] = {"mean": round(float(cos.mean()), 5), "min": round(float(cos.min()), 5)}
        rows[label] = row
    print(f"\n{'config':14s} {'best s':>8s} {'docs/s':>8s} {'chunks/s':>9s} {'x torch':>8s} {'x (median)':>10s} "
          f"{'docs/cpu-s':>10s} {'x (cpu)':>8s} {'cos min':>8s}")
    for label, row in rows.items():
        cos = row.get("cosine_to_torch_fp32", {}).get("min", float("nan"))
        print(f"{label:14s} {row['best_seconds']:8.2f} {row['docs_per_s']:8.1f} {row['chunks_per_s']:9.1f} "
              f"{row['speedup_vs_torch_best']:8.2f} {row['speedup_vs_torch_median']:10.2f} "
              f"{row['docs_per_cpu_s']:10.2f} {row['speedup_vs_torch_cpu']:8.2f} {cos:8.4f}")
    return {"texts": {"source": "beir-scifact corpus.jsonl, first documents, product chunker + header",
                      "documents": n_docs, "chunks": len(texts),
                      "mean_chars": round(sum(map(len, texts)) / len(texts), 1)},
            "rounds": args.rounds, "torch_default_threads": default_threads,
            "configs": rows, "skipped": skipped, "peak_rss_mib": round(peak_rss_mib(), 1)}


def _cpu_seconds() -> float:
    """CPU time of this process, all threads: less sensitive than wall time to other users' load."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _set_torch_threads(torch, backend: str, threads: int | None, default: int) -> None:
    if backend == "torch":
        torch.set_num_threads(threads or default)


def run_quality(args: argparse.Namespace) -> dict:
    from index.embedder import SentenceTransformerEmbedder
    from rag.evaluation.beir import beir_documents, evaluate_beir, load_beir, open_cached_index
    from rag.retrieval import Retriever
    from rag.settings import Settings

    data = load_beir(SCIFACT, "test")
    if args.queries:
        keep = list(data.queries)[: args.queries]
        data = type(data)(data.corpus_path, {q: data.queries[q] for q in keep}, {q: data.qrels[q] for q in keep}, data.split)
    settings = Settings()
    out = {}
    for backend in [b for b in args.backends.split(",") if b]:
        emb = SentenceTransformerEmbedder(backend=backend)
        print(f"{backend}: embedder id {emb.id}", flush=True)
        with Timer() as t:
            index, info = open_cached_index([data.corpus_path], lambda: beir_documents(data.corpus_path),
                                            "beir-scifact", emb, log=lambda m: print("  " + m, flush=True))
        stats = index.stats()
        metrics = evaluate_beir(index, data, Retriever.from_settings(index, settings), "dense", max(settings.retrieval.candidates, 100))
        out[backend] = {"embedder_id": emb.id, "ndcg@10": round(metrics["ndcg@10"], 4),
                        "recall@10": round(metrics["recall@10"], 4), "recall@100": round(metrics["recall@100"], 4),
                        "mrr@10": round(metrics["mrr@10"], 4), "query_latency": metrics["latency"],
                        "documents": stats["documents"], "chunks": stats["chunks"], "index": info,
                        "open_or_build_seconds_this_run": round(t.seconds, 1)}
        print(f"  nDCG@10 {metrics['ndcg@10']:.4f}  Recall@100 {metrics['recall@100']:.4f}  "
              f"({stats['documents']} documents, {stats['chunks']} chunks; index reused: {info['reused']}, "
              f"built in {info.get('build_seconds')} s)", flush=True)
    ref = out.get("torch")
    if ref:
        for backend, row in out.items():
            row["ndcg@10_minus_torch"] = round(row["ndcg@10"] - ref["ndcg@10"], 4)
    return {"dataset": "beir-scifact test", "queries": len(data.queries), "route": "dense",
            "documents_pooling": "max over chunks (rag.evaluation.metrics.max_pool)", "backends": out}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=100, help="SciFact documents to embed per configuration (speed)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per configuration (speed)")
    p.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"comma-separated, from: {', '.join(CONFIGS)}")
    p.add_argument("--quality", action="store_true", help="measure SciFact nDCG@10 per backend instead of speed")
    p.add_argument("--backends", default="torch,onnx-int8", help="backends for --quality")
    p.add_argument("--queries", type=int, help="only the first N test queries (tuning; the pick uses all 300)")
    args = p.parse_args(argv)
    if args.quality:
        record = run_quality(args)
        path = write_results("embed-quality", {"config": vars(args), "results": record})
    else:
        record = run_speed(args)
        path = write_results("embed-speed", {"config": vars(args), "results": record})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
