"""Scale on real text: build time, disk per passage and IVF recall on real embeddings.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_real_text build --dir /tmp/realtext
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_real_text query --dir /tmp/realtext
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.bench_real_text levers --dir /tmp/realtext

The synthetic series (:mod:`benchmarks.bench_scale_index`) measures latency and memory at millions
of passages, but its clustered vectors are easier for IVF than real ones. This run checks the
synthetic figures against real news and science text (issue #24):

``build``
    writes every Reuters-21578 article with a body (all 22 SGML files of
    ``../shared/data/reuters21578``) as news files, then runs the product's own ``rag index`` on
    them together with the SciFact abstracts (``beir-scifact/corpus.jsonl``, read as JSON records)
    and the 326 MultiHop-RAG excerpts, in a fresh process with the default embedder, into a fresh
    index. Reported: wall time (model load included; the index report's own time beside it),
    documents and passages, passages per second, peak RSS of the indexing process, bytes per
    passage on disk (SQLite store, FAISS file).

``query``
    embeds real questions (MultiHop-RAG dev queries, SciFact test queries, the Reuters question
    set) with the default embedder; computes the exact top-10 over every stored vector; then builds
    ``ivf`` and ``ivf-sq8`` indexes over the same vectors with the product's list count for this
    size (:func:`index.vectors.ivf_params`) and measures recall@10 against exact at several probe
    shares, searched as the product searches (``VectorIndex.search`` with the exact re-rank for
    ``ivf-sq8``). The product probes a quarter of the lists up to ~1.5M vectors, then at most 256
    lists: a share of 1/8 at 3M (2,048 lists) and 1/16 at 10M (4,096 lists), so recall at 1/8 and
    1/16 here is the real-data check on the synthetic 3M / 10M recall. Also reported: hybrid
    retrieval p50/p95 through ``Retriever.search`` on the index the product chose (excluding the
    query's embedding, as in the synthetic series).

``levers``
    what would raise real-data recall at the same scan cost, on the same vectors and queries, with
    raw FAISS indexes (not the product's): 4x more lists at the same probe share (the same number of
    codes scanned, finer cells), and 4-bit product-quantisation codes scanned with FAISS's
    SIMD "fast-scan" kernels (``PQ48x4fs``: 24 bytes a vector, ``PQ96x4fs``: 48 bytes) re-ranked
    exactly over a 10 x k shortlist, against the product's 8-bit codes (``SQ8``, 384 bytes,
    4 x k re-ranked). Search time per query with one thread is printed beside each recall.

The index kind the product chooses for ~45k passages is ``flat`` (exact); the IVF indexes here are
built in memory for the measurement only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, SHARED_DATA, percentile, write_results

REUTERS = SHARED_DATA / "reuters21578"
SCIFACT = SHARED_DATA / "beir-scifact"
MULTIHOP = SHARED_DATA / "multihop-rag"
SHARES = (1, 4, 8, 16, 32)
"""Probe shares measured: 1/1 (every list: exact, a check of the harness), 1/4 (the product up to ~1.5M
vectors), 1/8 (3M), 1/16 (10M), 1/32."""
QUERIES_PER_SET = 150


def _require_data() -> None:
    missing = [str(p) for p in (REUTERS, SCIFACT / "corpus.jsonl", MULTIHOP / "excerpts") if not p.exists()]
    if missing:
        raise SystemExit(f"the shared evaluation data is missing ({', '.join(missing)}): this benchmark needs it")


def build(folder: Path) -> dict:
    from rag.evaluation.reuters import write_subset

    _require_data()
    articles = folder / "reuters"
    files = sorted(p.name for p in REUTERS.glob("reut2-*.sgm"))
    t0 = time.perf_counter()
    written = write_subset(REUTERS, articles, files)
    write_seconds = time.perf_counter() - t0
    index_dir = folder / "index"
    if index_dir.exists():
        raise SystemExit(f"{index_dir} exists: this measures a fresh build; remove it first")
    cmd = [sys.executable, "-m", "ui.cli", "index", str(articles), str(SCIFACT / "corpus.jsonl"),
           str(MULTIHOP / "excerpts"), "--index", str(index_dir), "--json"]
    print(f"wrote {len(written)} Reuters articles in {write_seconds:.1f} s; indexing ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"rag index failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
    report = json.loads(proc.stdout)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sizes = {p.name: p.stat().st_size for p in index_dir.iterdir() if p.is_file()}
    passages = _passages(index_dir)
    return {
        "reuters_articles": len(written), "sgml_files": len(files),
        "command": " ".join(cmd[1:]), "wall_seconds": round(wall, 1), "report": report,
        "passages": passages, "passages_per_second_wall": round(passages / wall, 1),
        "peak_rss_mib": round(peak_mib), "disk_bytes": sizes,
        "bytes_per_passage": {k: round(v / passages) for k, v in sizes.items() if v > 4096},
        "bytes_per_passage_total": round(sum(sizes.values()) / passages),
    }


def _passages(index_dir: Path) -> int:
    from index import CorpusIndex

    index = CorpusIndex.open(index_dir)
    try:
        return int(index.stats()["chunks"])
    finally:
        index.close()


def _questions() -> dict[str, list[str]]:
    from rag.evaluation.multihop import load_queries
    from rag.evaluation.reuters import load_questions

    scifact = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").read_text().splitlines() if line.strip()]
    return {
        "multihop_dev": [q["query"] for q in load_queries(MULTIHOP / "queries.dev.json")][:QUERIES_PER_SET],
        "scifact": scifact[:QUERIES_PER_SET],
        "reuters_qa": [q["question"] for q in load_questions()][:QUERIES_PER_SET],
    }


def query(folder: Path) -> dict:
    import numpy as np

    from index import CorpusIndex
    from index.embedder import SentenceTransformerEmbedder
    from index.vectors import VectorIndex, VectorLimits, ivf_params
    from rag.retrieval import Retriever
    from rag.settings import Settings

    _require_data()
    embedder = SentenceTransformerEmbedder()
    index = CorpusIndex.open(folder / "index", embedder)
    ids, vectors = index.all_vectors()
    n = len(ids)
    sets = _questions()
    out: dict = {"n": n, "kind_chosen": index._current_vectors().kind, "queries": {k: len(v) for k, v in sets.items()}}

    # Hybrid latency on the index the product chose, query embeddings computed beforehand.
    texts = [t for qs in sets.values() for t in qs]
    qvectors = embedder.embed(texts)
    by_text = dict(zip(texts, qvectors))
    index.embed_query = lambda text: by_text[text] if text in by_text else embedder.embed([text])[0]
    settings = Settings()
    retriever = Retriever.from_settings(index, settings)
    retriever.search(texts[0], settings.retrieval.k)
    seconds = []
    for text in texts:
        t0 = time.perf_counter()
        retriever.search(text, settings.retrieval.k)
        seconds.append(time.perf_counter() - t0)
    out["hybrid_ms"] = {"p50": round(1000 * percentile(seconds, 50), 1), "p95": round(1000 * percentile(seconds, 95), 1)}
    print(f"hybrid retrieval over {n} passages: {out['hybrid_ms']}", flush=True)

    # Exact top-10 of every query over every stored vector.
    exact = {}
    for name, qs in sets.items():
        q = np.stack([by_text[t] for t in qs]).astype(np.float32)
        exact[name] = ids[np.argsort(-(q @ vectors.T), axis=1)[:, :10]]
    nlist, product_nprobe = ivf_params(n)
    out["nlist"], out["product_nprobe"] = nlist, product_nprobe
    lookup = {int(i): vectors[p] for p, i in enumerate(ids)}
    rows = []
    for kind in ("ivf", "ivf-sq8"):
        t0 = time.perf_counter()
        vindex = VectorIndex.build(index.dim, ids, vectors, kind=kind, limits=VectorLimits(flat=0, compressed=0 if kind == "ivf-sq8" else 10**12))
        built = time.perf_counter() - t0
        for share in SHARES:
            nprobe = max(1, nlist // share)
            vindex._index.nprobe = nprobe
            row = {"kind": kind, "nlist": nlist, "nprobe": nprobe, "share": f"1/{share}", "build_seconds": round(built, 1)}
            for name, qs in sets.items():
                hits = 0
                for t, want in zip(qs, exact[name]):
                    got = vindex.search(by_text[t], 10, exact=lambda wanted: {i: lookup[i] for i in wanted})
                    hits += len({int(i) for i in want} & {i for i, _ in got})
                row[f"recall@10_{name}"] = round(hits / (10 * len(qs)), 4)
            row["recall@10_all"] = round(sum(row[f"recall@10_{k}"] * len(v) for k, v in sets.items()) / len(texts), 4)
            print(f"  {row}", flush=True)
            rows.append(row)
    out["recall"] = rows
    index.close()
    return out


def levers(folder: Path) -> dict:
    import faiss
    import numpy as np

    from index import CorpusIndex
    from index.embedder import SentenceTransformerEmbedder

    _require_data()
    embedder = SentenceTransformerEmbedder()
    index = CorpusIndex.open(folder / "index", embedder)
    _, vectors = index.all_vectors()
    index.close()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    texts = [t for qs in _questions().values() for t in qs]
    queries = embedder.embed(texts).astype(np.float32)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    faiss.omp_set_num_threads(1)

    def recall(ann, rerank: int) -> float:
        _, found = ann.search(queries, 10 * rerank)
        hits = 0
        for q, cand in enumerate(found):
            cand = cand[cand >= 0]
            top = cand[np.argsort(-(vectors[cand] @ queries[q]))[:10]]
            hits += len(set(top.tolist()) & set(exact[q].tolist()))
        return hits / (10 * len(queries))

    rows = []
    base = 2 ** round(np.log2(np.sqrt(len(vectors))))  # the product's list count (ivf_params)
    for nlist in (base, 4 * base):
        for codes, rerank in (("SQ8", 4), ("PQ48x4fs", 10), ("PQ96x4fs", 10)):
            ann = faiss.index_factory(vectors.shape[1], f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
            t0 = time.perf_counter()
            ann.train(vectors)
            ann.add(vectors)
            built = time.perf_counter() - t0
            for share in (4, 8, 16):
                ann.nprobe = nlist // share
                t0 = time.perf_counter()
                r = recall(ann, rerank)
                row = {"nlist": nlist, "codes": codes, "rerank": f"{rerank} x k", "share": f"1/{share}",
                       "nprobe": ann.nprobe, "recall@10_all": round(r, 4),
                       "ms_per_query_1_thread": round(1000 * (time.perf_counter() - t0) / len(queries), 2),
                       "build_seconds": round(built, 1)}
                print(f"  {row}", flush=True)
                rows.append(row)
    return {"n": len(vectors), "queries": len(queries), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    """Run one step; the result goes to benchmarks/results/real-text-<step>-<time>.json."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=("build", "query", "levers"))
    p.add_argument("--dir", type=Path, required=True, help="work folder (reuters/ articles and index/ go here)")
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    result = {"build": build, "query": query, "levers": levers}[args.step](args.dir)
    record = {"result": result}
    path = write_results(f"real-text-{args.step}", record)
    print(json.dumps(result, indent=1)[:4000])
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
