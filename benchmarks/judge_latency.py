"""What the LLM entailment judge adds to an answer's time, measured in one run with the default model.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.judge_latency [--n 10] [--model default]

Asks the first ``--n`` answerable sample-corpus questions (tests/data/sample_questions.json) with
``verify_entailment`` on and ``entailment_judge = "llm"``, in one process, and records per answer: the
answer's total time, its verification time, and the judge's pairs and seconds (:class:`rag.judge.LLMJudge`
counts them; its time includes switching the model's KV state to the judge prompt). The answer without
the judge is the same draft (greedy decoding), so its time is the total less the judge's seconds.
Reports the median answer time without the judge, the median judge time, their ratio (the issue's
latency target: verification adds at most 25% to the median answer time), and seconds per pair.
Writes benchmarks/results/judge-latency-<UTC>.json (numbers only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timezone

from benchmarks.bench_common import ROOT, RESULTS, benchmark_assistant, git_commit, machine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--model", default="default")
    parser.add_argument("--index", help="reuse this sample-corpus index folder (built when missing)")
    args = parser.parse_args()
    questions = [q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text()) if q["answerable"]][: args.n]
    assistant = benchmark_assistant(index_dir=args.index, model=args.model, verify_entailment=True, entailment_judge="llm")
    judge = assistant.judge
    assistant.ask(questions[0]["question"])  # load the model and the embedder; warm both prompts' KV states
    rows = []
    for q in questions:
        pairs, seconds = judge.pairs, judge.seconds
        started = time.perf_counter()
        answer = assistant.ask(q["question"])
        total = time.perf_counter() - started
        judged = judge.seconds - seconds
        rows.append({"id": q["id"], "total_s": round(total, 3), "verification_s": round(answer.timings.get("verification", 0.0), 3),
                     "judge_pairs": judge.pairs - pairs, "judge_s": round(judged, 3), "without_judge_s": round(total - judged, 3),
                     "abstained": answer.abstained})
        print(json.dumps(rows[-1]), flush=True)
    without = statistics.median(r["without_judge_s"] for r in rows)
    added = statistics.median(r["judge_s"] for r in rows)
    pairs = sum(r["judge_pairs"] for r in rows)
    summary = {"answers": len(rows), "median_answer_without_judge_s": round(without, 2), "median_judge_s": round(added, 2),
               "ratio_of_medians": round(added / without, 3),
               "median_of_ratios": round(statistics.median(r["judge_s"] / r["without_judge_s"] for r in rows), 3),
               "pairs_per_answer": round(pairs / len(rows), 2),
               "seconds_per_pair": round(sum(r["judge_s"] for r in rows) / pairs, 3) if pairs else None}
    print(json.dumps(summary))
    out = RESULTS / f"judge-latency-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"model": args.model, "commit": git_commit(), "machine": machine(), "summary": summary,
                               "answers": rows}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
