"""Answer accuracy, abstention and latency on a question file (default: the sample corpus questions).

    .venv/bin/python -m benchmarks.sample_qa --model small [--index DIR] [--json OUT]
    .venv/bin/python -m benchmarks.sample_qa --questions benchmarks/data/seed_questions.json --corpus ../shared/corpus/seed
    .venv/bin/python -m benchmarks.sample_qa --prompt plain   # the plain-prompt baseline, same evidence, unverified

Correct (rag.evaluation.metrics.judge_answer with require_all, the judge of ``rag eval reuters``) =
every expected string appears in the answer (normalised: case, punctuation and articles ignored, on
word boundaries) for an answerable question, or an abstention for an unanswerable one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, SAMPLE_CORPUS, benchmark_assistant
from rag.evaluation.citations import quote_is_exact
from rag.evaluation.metrics import judge_answer
from rag.evaluation.plain import plain_answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--index", help="index of the sample corpus (built in a temp dir when absent)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--context-tokens", type=int, help="evidence budget (default: the Settings default)")
    parser.add_argument("--questions", default=str(ROOT / "tests/data/sample_questions.json"), help="question file")
    parser.add_argument("--corpus", default=str(SAMPLE_CORPUS), help="folder the questions are about")
    parser.add_argument("--prompt", default="product", choices=["product", "plain"],
                        help="plain: the plain-prompt baseline over the same evidence, no verification")
    parser.add_argument("--json", help="write results here")
    args = parser.parse_args()
    questions = json.loads(Path(args.questions).read_text())[: args.limit]
    assistant = benchmark_assistant([args.corpus], index_dir=args.index, prefix="rag-sample-", model=args.model,
                                    context_tokens=args.context_tokens)
    rows = []
    file_texts: dict[str, str] = {}
    for q in questions:
        t0 = time.perf_counter()
        a = assistant.ask(q["question"]) if args.prompt == "product" else plain_answer(assistant, q["question"])
        wall = time.perf_counter() - t0
        ok = judge_answer(a.text, a.abstained, q["expected"], q["answerable"], require_all=True)
        offsets_ok = all(quote_is_exact(c, file_texts) for c in getattr(a, "citations", ()))
        rows.append({"id": q["id"], "answerable": q["answerable"], "ok": ok, "abstained": a.abstained,
                     "offsets_ok": offsets_ok, "answer": a.text, "wall": wall, "timings": a.timings,
                     "outcome": getattr(a, "outcome", None),  # the plain baseline has no verification
                     "left_out": [c.sentence for c in getattr(a, "left_out", ())]})
        print(f"{q['id']} {'OK ' if ok else 'BAD'} abst={a.abstained!s:5} {wall:5.1f}s ttft={a.timings.get('first_token', 0):4.1f}s | {a.text[:140]}", flush=True)
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    ttft = [r["timings"]["first_token"] for r in rows if "first_token" in r["timings"]]
    summary = {
        "model": args.model,
        "prompt": args.prompt,
        "context_tokens": assistant.settings.context.context_tokens,
        "questions": len(rows),
        "accuracy": sum(r["ok"] for r in rows) / len(rows),
        "answerable_correct": sum(r["ok"] for r in answerable) / max(1, len(answerable)),
        "answerable_wrongly_abstained": sum(r["abstained"] for r in answerable) / max(1, len(answerable)),
        "unanswerable_abstained": sum(r["abstained"] for r in unanswerable) / max(1, len(unanswerable)),
        "citation_offsets_exact": sum(r["offsets_ok"] for r in rows) / len(rows),
        "median_first_token_s": statistics.median(ttft) if ttft else None,
        "median_answer_s": statistics.median(r["wall"] for r in rows[1:] or rows),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
