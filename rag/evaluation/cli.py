"""``rag eval``: retrieval and answer quality on public benchmarks, as numbers anyone can reproduce.

    rag eval retrieval --beir ../shared/data/beir-scifact [--split test] [--mode all] [--json]
    rag eval multihop --queries ../shared/data/multihop-rag/queries.test.json \\
                      --corpus ../shared/data/multihop-rag/excerpts [--answers --per-type 10]
    rag eval rgb --data ../shared/data/rgb/en_fact.json [--model small] [--correct-rate 0.4] [--prompt plain]
    rag eval reuters --data ../shared/data/reuters21578 --split dev [--prompt plain] [--model small]

Progress goes to stderr, the table (or ``--json``) to stdout, and a results
file with the configuration, model ids, date and machine to benchmarks/results/.
This module is imported when the parser is built, so it imports nothing heavy.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import asdict

from ..errors import RagError

__all__ = ["add_eval_parser", "run_eval"]

RETRIEVAL_FIELDS = ("candidates", "fusion", "rrf_k", "dense_weight", "lexical_weight", "duplicate_cosine", "rerank",
                    "rerank_depth", "rerank_weight")


class EvalUsageError(RagError):
    exit_code = 2


def _add_retrieval_knobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--embedder", metavar="NAME", help="embedder name or folder, optionally with a backend suffix "
                                                     "(e.g. all-MiniLM-L6-v2+torch); default: the product's")
    g = p.add_argument_group("retrieval settings (default: the product's Settings)")
    g.add_argument("--fusion", choices=["rrf", "linear"], help="fusion of dense and BM25 candidates")
    g.add_argument("--rrf-k", type=float, help="RRF constant")
    g.add_argument("--dense-weight", type=float, help="weight of the dense route in the fusion")
    g.add_argument("--lexical-weight", type=float, help="weight of the BM25 route in the fusion")
    g.add_argument("--candidates", type=int, help="chunks fetched per route before fusion")
    g.add_argument("--rerank", choices=["none", "sentences"],
                   help="rescore the fused head by best-sentence similarity (with --mode all: adds a row)")
    g.add_argument("--rerank-depth", type=int, help="fused chunks the reranker rescores")
    g.add_argument("--rerank-weight", type=float, help="share of the reranker score")


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change a product setting for this run (repeatable; 'rag settings' lists them); the named "
                        "options above win over --set")


def add_eval_parser(sub) -> None:
    p = sub.add_parser("eval", help="measure retrieval and answer quality on benchmark data")
    suites = p.add_subparsers(dest="suite", metavar="SUITE")

    r = suites.add_parser("retrieval", help="BEIR-format retrieval: nDCG@10, Recall@10/100, MRR@10, latency")
    r.add_argument("--beir", required=True, metavar="DIR", help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    r.add_argument("--split", default="test", help="qrels split to run (test, train, dev; default test)")
    r.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical", "all"],
                   help="retrieval route; 'all' runs every component side by side")
    r.add_argument("--depth", type=int, metavar="N",
                   help="chunks per route for the document ranking (default: the larger of --candidates and 100, "
                        "enough for Recall@100)")
    r.add_argument("--limit", type=int, metavar="N", help="only the first N queries (smoke runs)")
    r.add_argument("--index-dir", metavar="DIR", help="where to build/reuse the corpus index (default: a cache folder "
                                                        "named by a hash of the corpus, embedder and chunker)")
    r.add_argument("--results-dir", metavar="DIR", help="where to write the results file (default benchmarks/results)")
    r.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_retrieval_knobs(r)
    _add_set(r)

    m = suites.add_parser("multihop", help="MultiHop-RAG: Hits@4/10, MRR@10, MAP@10; with --answers, answer accuracy")
    m.add_argument("--queries", required=True, metavar="FILE", help="MultiHop-RAG query JSON (e.g. queries.test.json)")
    m.add_argument("--corpus", required=True, metavar="DIR", help="folder of the articles (e.g. multihop-rag/excerpts)")
    m.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical", "all"])
    m.add_argument("--answers", action="store_true", help="also generate answers with the local LLM and score them (slow)")
    m.add_argument("--model", help="LLM for --answers: default, small, or a GGUF path (default: the product's)")
    m.add_argument("--prompt", default="product", choices=["product", "plain"],
                   help="for --answers: product (verified and unverified) or the plain-prompt baseline over the same "
                        "evidence, unverified")
    m.add_argument("--context-tokens", type=int, metavar="N",
                   help="evidence budget for --answers in tokens (default: the product's setting)")
    m.add_argument("--limit", type=int, metavar="N", help="only the first N queries")
    m.add_argument("--per-type", type=int, metavar="N",
                   help="only the first N queries of each question type (a fixed stratified sample)")
    m.add_argument("--index-dir", metavar="DIR", help="where to build/reuse the corpus index")
    m.add_argument("--results-dir", metavar="DIR", help="where to write the results file (default benchmarks/results)")
    m.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_retrieval_knobs(m)
    _add_set(m)

    g = suites.add_parser("rgb", help="RGB en_fact: answers over true and planted passages; conflicts noticed")
    g.add_argument("--data", required=True, metavar="FILE", help="RGB en_fact.json (JSON lines)")
    g.add_argument("--model", help="LLM: default, small, or a GGUF path (default: the product's)")
    g.add_argument("--correct-rate", type=float, default=0.4,
                   help="share of the 5 passages that carry the true answer; the rest are planted (default 0.4)")
    g.add_argument("--noise-rate", type=float, default=0.0, help="share of passages without the answer (default 0)")
    g.add_argument("--prompt", default="product", choices=["product", "plain"],
                   help="product: the product's verified answer; plain: the plain-prompt baseline over the same "
                        "evidence, unverified (no conflict check)")
    g.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    g.add_argument("--index-dir", metavar="DIR", help="where to build/reuse the passages' index")
    g.add_argument("--results-dir", metavar="DIR", help="where to write the results file (default benchmarks/results)")
    g.add_argument("--json", action="store_true", help="print JSON instead of a table")
    g.add_argument("--embedder", metavar="NAME", help="embedder name or folder (default: the product's)")
    _add_set(g)

    t = suites.add_parser("reuters", help="the project's question set on a Reuters-21578 subset: answer accuracy, "
                                          "wrong-but-verified, abstention")
    t.add_argument("--data", required=True, metavar="DIR", help="the Reuters-21578 folder (reut2-000.sgm ...)")
    t.add_argument("--split", default="dev", choices=["dev", "test", "all"], help="question split (default dev)")
    t.add_argument("--questions", metavar="FILE", help="question set (default benchmarks/data/reuters_qa.json)")
    t.add_argument("--model", help="LLM: default, small, or a GGUF path (default: the product's)")
    t.add_argument("--prompt", default="product", choices=["product", "plain"],
                   help="product: the product's answer (verified) and its draft; plain: the plain-prompt baseline "
                        "over the same evidence, unverified")
    t.add_argument("--limit", type=int, metavar="N", help="only the first N questions of the split (after --offset)")
    t.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N questions of the split")
    t.add_argument("--work-dir", metavar="DIR", help="where the subset's articles are written "
                                                     "(default benchmarks/.work/reuters21578, git-ignored)")
    t.add_argument("--index-dir", metavar="DIR", help="where to build/reuse the subset's index")
    t.add_argument("--results-dir", metavar="DIR", help="where to write the results file (default benchmarks/results)")
    t.add_argument("--json", action="store_true", help="print JSON instead of a table")
    t.add_argument("--embedder", metavar="NAME", help="embedder name or folder (default: the product's)")
    _add_set(t)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace):
    from ..settings import Settings

    return Settings().with_assignments(args.set).with_overrides(fusion=args.fusion, rrf_k=args.rrf_k, dense_weight=args.dense_weight,
                                     lexical_weight=args.lexical_weight, candidates=args.candidates,
                                     rerank=args.rerank, rerank_depth=args.rerank_depth,
                                     rerank_weight=args.rerank_weight)


def _retrieval_config(settings) -> dict:
    data = asdict(settings.retrieval)
    return {k: data[k] for k in RETRIEVAL_FIELDS}


def _variants(mode: str, settings) -> list[tuple[str, str, object]]:
    """(name, route, settings) for each system to run.

    'all' runs every component: dense alone, BM25 alone, textbook RRF (k=60, 1:1),
    the configured fusion, and - when a reranker is configured - fusion + reranker.
    """
    if mode != "all":
        return [(mode if settings.retrieval.rerank == "none" else f"{mode} + {settings.retrieval.rerank} rerank", mode, settings)]
    plain = settings.with_overrides(rerank="none")
    out = [("dense", "dense", plain), ("lexical", "lexical", plain)]
    textbook = plain.with_overrides(fusion="rrf", rrf_k=60, dense_weight=1.0, lexical_weight=1.0)
    if _retrieval_config(textbook) != _retrieval_config(plain):
        out.append(("hybrid rrf k=60 1:1", "hybrid", textbook))
    default = type(settings)()
    out.append(("hybrid (default)" if _retrieval_config(plain) == _retrieval_config(default) else "hybrid", "hybrid", plain))
    if settings.retrieval.rerank != "none":
        out.append((f"hybrid + {settings.retrieval.rerank} rerank", "hybrid", settings))
    return out


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def _arguments(args: argparse.Namespace) -> dict:
    """The command-line arguments as given, for the results file."""
    return {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None), list))}


def _embedder(name: str | None):
    from index import SentenceTransformerEmbedder

    from ..settings import Settings

    return SentenceTransformerEmbedder(name or Settings.embedder)


# ---- rag eval retrieval ------------------------------------------------------------------------
def _run_retrieval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..retrieval import Retriever
    from .beir import beir_documents, evaluate_beir, load_beir, open_cached_index
    from .results import write_results

    settings = _settings(args)
    data = load_beir(args.beir, args.split)
    if args.limit:
        keep = list(data.queries)[: args.limit]
        data = type(data)(data.corpus_path, {q: data.queries[q] for q in keep}, {q: data.qrels[q] for q in keep}, data.split)
    embedder = _embedder(args.embedder)
    name = Path(args.beir).expanduser().resolve().name  # e.g. "beir-scifact": names the cache folder too
    index, info = open_cached_index([data.corpus_path], lambda: beir_documents(data.corpus_path), name, embedder,
                                    index_dir=args.index_dir, log=_log)
    depth = args.depth or max(settings.retrieval.candidates, 100)
    systems = {}
    for label, route, variant in _variants(args.mode, settings):
        _log(f"running {len(data.queries)} {data.split} queries: {label}")
        retriever = Retriever.from_settings(index, variant)
        systems[label] = {"mode": route, "settings": _retrieval_config(variant),
                          **evaluate_beir(index, data, retriever, route, depth, log=_log)}
    stats = index.stats()
    record = {
        "suite": "retrieval",
        "dataset": name,
        "split": data.split,
        "queries": len(data.queries),
        "arguments": _arguments(args),
        "config": {"retrieval": _retrieval_config(settings), "depth_per_route": depth, "mode": args.mode,
                   "chunker": stats["chunker"], "documents": stats["documents"], "chunks": stats["chunks"]},
        "models": {"embedder": stats["embedder"]},
        "index": info,
        "systems": systems,
    }
    path = write_results(record, f"retrieval-{name}-{data.split}", args.results_dir)
    if args.json:
        print(json.dumps(record | {"results_file": str(path)}, indent=2, default=str))
        return 0
    print(f"{name} {data.split}: {len(data.queries)} queries, {stats['documents']} documents / {stats['chunks']} chunks, "
          f"embedder {stats['embedder']['id']}, depth {depth} chunks per route")
    rows = [[label, f"{m['ndcg@10']:.4f}", f"{m['recall@10']:.4f}", f"{m['recall@100']:.4f}", f"{m['mrr@10']:.4f}",
             f"{m['latency']['p50_ms']:.1f}", f"{m['latency']['p95_ms']:.1f}"] for label, m in systems.items()]
    print(_table(["system", "nDCG@10", "Recall@10", "Recall@100", "MRR@10", "p50 ms", "p95 ms"], rows))
    print(f"results: {path}")
    return 0


# ---- rag eval multihop -------------------------------------------------------------------------
def _run_multihop(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..retrieval import Retriever
    from .multihop import evaluate_answers, evaluate_retrieval, load_queries, open_corpus_index
    from .results import write_results

    settings = _settings(args).with_overrides(model=args.model, context_tokens=args.context_tokens)
    queries = load_queries(args.queries, args.limit, args.per_type)
    embedder = _embedder(args.embedder)
    index, info = open_corpus_index(args.corpus, embedder, args.index_dir, log=_log)
    systems = {}
    for label, route, variant in _variants(args.mode, settings):
        _log(f"retrieval for {len(queries)} queries: {label}")
        retriever = Retriever.from_settings(index, variant)
        systems[label] = {"mode": route, "settings": _retrieval_config(variant),
                          **evaluate_retrieval(index, queries, retriever, route)}
    answers = None
    model_id = None
    if args.answers:
        from ..assistant import Assistant

        from .multihop import evaluate_plain_answers

        assistant = Assistant(settings, index=index)
        _log(f"generating {len(queries)} answers with {assistant.model_id} and the {args.prompt} prompt (slow on CPU)")
        evaluate = evaluate_answers if args.prompt == "product" else evaluate_plain_answers
        answers = evaluate(assistant, queries, log=_log)
        model_id = assistant.model_id
    stats = index.stats()
    name = Path(args.queries).stem
    record = {
        "suite": "multihop",
        "queries_file": str(Path(args.queries).expanduser().resolve()),
        "corpus": str(Path(args.corpus).expanduser().resolve()),
        "queries": len(queries),
        "arguments": _arguments(args),
        "config": {"retrieval": _retrieval_config(settings), "k": 10, "mode": args.mode, "chunker": stats["chunker"],
                   "documents": stats["documents"], "chunks": stats["chunks"],
                   "answer_settings": {"k": settings.retrieval.k, "context_tokens": settings.context.context_tokens} if args.answers else None},
        "models": {"embedder": stats["embedder"], "llm": model_id},
        "index": info,
        "systems": systems,
        "answers": answers,
    }
    path = write_results(record, f"multihop-{name}" + ("-plain" if args.answers and args.prompt == "plain" else ""),
                         args.results_dir)
    if args.json:
        print(json.dumps(record | {"results_file": str(path)}, indent=2, default=str))
        return 0
    first = next(iter(systems.values()))
    print(f"MultiHop-RAG {name}: {len(queries)} queries ({first['null_queries_excluded']} null excluded from retrieval), "
          f"{stats['documents']} documents / {stats['chunks']} chunks; chunk coverage ceiling "
          f"{first['chunk_coverage']:.4f} of {first['gold_facts']} gold facts")
    rows = [[label, f"{m['hits@4']:.4f}", f"{m['hits@10']:.4f}", f"{m['mrr@10']:.4f}", f"{m['map@10']:.4f}",
             f"{m['latency']['p50_ms']:.1f}", f"{m['latency']['p95_ms']:.1f}"] for label, m in systems.items()]
    print(_table(["system", "Hits@4", "Hits@10", "MRR@10", "MAP@10", "p50 ms", "p95 ms"], rows))
    if answers and "plain" in answers["systems"]:
        _print_plain_answers(answers, model_id)
    elif answers:
        _print_answers(answers, model_id)
    print(f"results: {path}")
    return 0


# "it names theverge.com, but ... is from techcrunch.com" -> "it names ...": the kind of reason, for a tally.
_REASON_DETAIL = re.compile(r"\b(names|gives|about) .*")


def _print_answers(answers: dict, model_id: str) -> None:
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    systems = answers["systems"]
    print(f"\nanswers by {model_id} ({answers['answerable_queries']} answerable, {answers['null_queries']} null):")
    types = list(systems["verified"]["accuracy"])
    rows = [[t, str(systems["verified"]["accuracy"][t]["queries"])]
            + [fmt(systems[s]["accuracy"][t][k]) for s in ("unverified", "verified") for k in ("lenient", "strict")]
            for t in types]
    print(_table(["question type", "n", "unverified lenient", "unverified strict", "verified lenient", "verified strict"],
                 rows))
    rows = []
    for name in ("unverified", "verified"):
        s = systems[name]
        c = s["citations"]
        rows.append([name, fmt(s["abstention_rate_null"]), fmt(s["wrong_abstention_rate_answerable"]),
                     fmt(s["abstention_precision"]), fmt(c["gold"]["precision"]), fmt(c["gold"]["recall"]),
                     fmt(c["lexical"]["precision"]), fmt(c["lexical"]["recall"]), str(c["citations"]),
                     str(c["invalid_citations"]), f"{c['left_out']} of {c['statements'] + c['left_out']}"])
    print(_table(["system", "null abstained", "answerable abstained", "abstention precision", "cit. precision (gold)",
                  "cit. recall (gold)", "cit. precision (lexical)", "cit. recall (lexical)", "citations", "invalid",
                  "sentences left out"], rows))
    reasons = Counter(_REASON_DETAIL.sub(r"\1 ...", why) for r in answers["answers"]
                      for why in ([x["reason"] for x in r["left_out"]] if "left_out" in r
                                  else r.get("unsupported_reasons", [])))  # (records before the trace)
    if reasons:
        print("why verification left sentences out (all queries, answers withdrawn included): "
              + "; ".join(f"{why}: {n}" for why, n in reasons.most_common()))
    ttft = answers["first_token"]
    print(f"verified quotes equal to the document at their offsets: {fmt(answers['quotes_exact_share'])}; "
          f"p50 {answers['seconds_per_answer']['p50_ms'] / 1000:.1f} s per answer"
          + (f", p50 time to first token {ttft['p50_ms'] / 1000:.1f} s" if ttft else ""))


def _print_plain_answers(answers: dict, model_id: str) -> None:
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    plain = answers["systems"]["plain"]
    print(f"\nplain-prompt answers by {model_id} ({answers['answerable_queries']} answerable, "
          f"{answers['null_queries']} null; no verification):")
    print(_table(["question type", "n", "lenient", "strict"],
                 [[t, str(a["queries"]), fmt(a["lenient"]), fmt(a["strict"])] for t, a in plain["accuracy"].items()]))
    print(f"null abstained {fmt(plain['abstention_rate_null'])}, answerable abstained "
          f"{fmt(plain['wrong_abstention_rate_answerable'])}; p50 "
          f"{answers['seconds_per_answer']['p50_ms'] / 1000:.1f} s per answer")


# ---- rag eval rgb ------------------------------------------------------------------------------
def _run_rgb(args: argparse.Namespace) -> int:
    from ..assistant import Assistant
    from ..settings import Settings
    from .results import write_results
    from .rgb import evaluate_rgb, load_rgb

    if not (0.0 <= args.correct_rate <= 1.0 and 0.0 <= args.noise_rate <= 1.0):
        raise EvalUsageError("--correct-rate and --noise-rate are shares between 0 and 1")
    rows = load_rgb(args.data, args.limit)
    settings = Settings().with_assignments(args.set).with_overrides(model=args.model)
    holder = {}

    def assistant_for(index):
        holder["assistant"] = Assistant(settings, index=index)
        return holder["assistant"]

    _log(f"answering {len(rows)} RGB questions with the {settings.llm.model} model (correct rate {args.correct_rate:g}, "
         f"noise rate {args.noise_rate:g})")
    embedder = _embedder(args.embedder)
    result = evaluate_rgb(assistant_for, embedder, rows, noise_rate=args.noise_rate,
                          correct_rate=args.correct_rate, index_dir=args.index_dir, prompt=args.prompt, log=_log)
    model_id = holder["assistant"].model_id
    record = {"suite": "rgb", "data": str(args.data), "arguments": _arguments(args),
              "config": {"k": settings.retrieval.k, "context_tokens": settings.context.context_tokens},
              "models": {"llm": model_id, "embedder": embedder.id}, **result}
    path = write_results(record, f"rgb-en_fact-{settings.llm.model}" + ("-plain" if args.prompt == "plain" else ""),
                         args.results_dir)
    if args.json:
        print(json.dumps(record | {"results_file": str(path)}, indent=2, default=str))
        return 0
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    both = result["when_both_shown"]
    print(f"RGB en_fact, {result['questions']} questions, {model_id}, {args.prompt} prompt, 5 passages each "
          f"(correct rate {args.correct_rate:g}, noise rate {args.noise_rate:g}):")
    print(_table(["questions", "n", "accuracy", "planted answer", "conflict noted", "abstained"],
                 [["all", str(result["questions"]), fmt(result["accuracy"]), fmt(result["planted"]),
                   fmt(result["conflict_noted"]), fmt(result["abstained"])],
                  ["true and planted both shown", str(both["questions"]), fmt(both["accuracy"]), fmt(both["planted"]),
                   fmt(both["conflict_noted"]), ""]]))
    print(f"correction rate (true answer given when a conflict was noted): {fmt(result['correction'])}; "
          f"p50 {result['seconds_per_answer']['p50_ms'] / 1000:.1f} s per answer")
    print(f"results: {path}")
    return 0


# ---- rag eval reuters --------------------------------------------------------------------------
def _run_reuters(args: argparse.Namespace) -> int:
    from ..assistant import Assistant
    from ..settings import Settings
    from .results import write_results
    from .reuters import evaluate_reuters, load_questions, open_reuters_index

    if (args.limit is not None and args.limit < 0) or args.offset < 0:
        raise EvalUsageError("--limit and --offset must be 0 or more")
    questions = load_questions(args.questions, args.split, args.limit, args.offset)
    settings = Settings().with_assignments(args.set).with_overrides(model=args.model)
    embedder = _embedder(args.embedder)
    index, info = open_reuters_index(args.data, embedder, work_dir=args.work_dir, index_dir=args.index_dir, log=_log)
    assistant = Assistant(settings, index=index)
    _log(f"answering {len(questions)} {args.split} questions with the {args.prompt} prompt and {assistant.model_id}")
    result = evaluate_reuters(assistant, questions, args.prompt, log=_log)
    stats = index.stats()
    record = {"suite": "reuters", "data": str(args.data), "split": args.split, "arguments": _arguments(args),
              "config": {"k": settings.retrieval.k, "context_tokens": settings.context.context_tokens,
                         "retrieval": _retrieval_config(settings), "chunker": stats["chunker"],
                         "documents": stats["documents"], "chunks": stats["chunks"]},
              "models": {"llm": assistant.model_id, "embedder": stats["embedder"]}, "index": info, **result}
    path = write_results(record, f"reuters-{args.split}-{args.prompt}-{settings.llm.model}", args.results_dir)
    if args.json:
        print(json.dumps(record | {"results_file": str(path)}, indent=2, default=str))
        return 0
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    print(f"Reuters-21578 subset ({info['articles']} articles, {stats['chunks']} chunks), {len(questions)} "
          f"{args.split} questions, {assistant.model_id}, {args.prompt} prompt:")
    rows = [[name, f"{m['answerable']}+{m['unanswerable']}", fmt(m["answerable_accuracy"]), fmt(m["wrong_when_answered"]),
             fmt(m["answerable_abstained"]), fmt(m["unanswerable_abstained"]), fmt(m["accuracy"])]
            for name, m in result["systems"].items()]
    print(_table(["system", "questions", "answerable accuracy", "wrong when answered", "answerable abstained",
                  "unanswerable abstained", "all accuracy"], rows))
    print(f"gold article retrieved: {fmt(result['gold_article_retrieved'])}; "
          f"p50 {result['seconds_per_answer']['p50_ms'] / 1000:.1f} s per answer")
    print(f"results: {path}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    if args.suite == "reuters":
        return _run_reuters(args)
    if args.suite == "rgb":
        return _run_rgb(args)
    if args.suite == "retrieval":
        return _run_retrieval(args)
    if args.suite == "multihop":
        return _run_multihop(args)
    raise EvalUsageError("name a suite: rag eval retrieval --beir DIR, rag eval multihop --queries FILE --corpus DIR, "
                         "rag eval rgb --data FILE, or rag eval reuters --data DIR")
