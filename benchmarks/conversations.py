"""Multi-turn accuracy on the project's own conversation set (tests/data/sample_conversations.json).

    .venv/bin/python -m benchmarks.conversations --model default [--index DIR] [--json OUT]
    (without --json the run is written to benchmarks/results/conversations-<model>-<UTC>.json)
        [--context-tokens N] [--ids c01,c05] [--plain]

Final-turn accuracy: the last turn's answer contains every expected string
(case-insensitive). Also reports all-turn accuracy, the share of follow-up
turns that needed an LLM rewrite, and the rewrite's added latency.

``--plain`` also answers every turn with the plain-prompt baseline (``rag.evaluation.plain``: the
product's evidence, a plain prompt, no verification). The plain prompt has no conversation, so it is
given the product's standalone rewrite of the turn: the baseline is "a plain RAG prompt with this
product's rewriting", scored by the same judge.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from rag.evaluation.plain import plain_answer


def _ok(answer, expected) -> bool:
    return not answer.abstained and all(e.lower() in answer.text.lower() for e in expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--index")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json")
    parser.add_argument("--context-tokens", type=int, help="evidence budget (default: the product's)")
    parser.add_argument("--ids", help="only these conversations, comma-separated (for looking at failures)")
    parser.add_argument("--plain", action="store_true",
                        help="also answer each turn's standalone question with the plain-prompt baseline")
    parser.add_argument("--set", default="tests/data/sample_conversations.json",
                        help="conversation file (tests/data/sample_conversations_heldout.json: the held-out set, written "
                             "after the rewrite and verifier changes of 2026-11-28 and never tuned on)")
    args = parser.parse_args()
    set_path = ROOT / args.set  # (an absolute --set stays as given)
    if not set_path.is_file():
        parser.error(f"--set: no such file: {set_path}")
    conversations = json.loads(set_path.read_text())
    if args.ids:
        conversations = [c for c in conversations if c["id"] in args.ids.split(",")]
    conversations = conversations[: args.limit]
    assistant = benchmark_assistant(index_dir=args.index, prefix="rag-conv-", model=args.model,
                                    context_tokens=args.context_tokens)
    rows, rewrite_times, followups, rewritten, rejected = [], [], 0, 0, 0
    started = time.perf_counter()
    first_tokens, answer_times = [], []
    for conv in conversations:
        chat = assistant.conversation(persist=False)
        turns = []
        for i, turn in enumerate(conv["turns"]):
            before, rejected_before = chat.rewrites, chat.rewrites_rejected
            answer = chat.ask(turn["question"])
            rejected += chat.rewrites_rejected - rejected_before
            if i > 0:
                followups += 1
                if chat.rewrites > before:
                    rewritten += 1
                    rewrite_times.append(answer.timings.get("rewrite", 0.0))
            if "first_token" in answer.timings:
                first_tokens.append(answer.timings["first_token"])
            answer_times.append(answer.timings.get("total", 0.0) + answer.timings.get("rewrite", 0.0))
            turns.append({"question": turn["question"], "standalone": answer.standalone_question, "answer": answer.text,
                          "ok": _ok(answer, turn["expected"]) if turn["expected"] else None})
            if args.plain:
                plain = plain_answer(assistant, answer.standalone_question)
                turns[-1].update(plain=plain.text, plain_ok=_ok(plain, turn["expected"]) if turn["expected"] else None)
            print(f"{conv['id']}.{i + 1} {'OK ' if turns[-1]['ok'] else '-- ' if turns[-1]['ok'] is None else 'BAD'} "
                  f"[{answer.standalone_question}] {answer.text[:110]}", flush=True)
        rows.append({"id": conv["id"], "turns": turns, "final_ok": turns[-1]["ok"]})
    scored = [t for r in rows for t in r["turns"] if t["ok"] is not None]
    summary = {
        "model": args.model,
        "context_tokens": assistant.settings.context.context_tokens,
        "conversations": len(rows),
        "final_turn_accuracy": sum(bool(r["final_ok"]) for r in rows) / len(rows),
        "all_turn_accuracy": sum(t["ok"] for t in scored) / len(scored),
        "follow_up_turns": followups,
        "rewritten_share": rewritten / followups if followups else 0.0,
        "rewrite_median_s": statistics.median(rewrite_times) if rewrite_times else 0.0,
        "rewrites_rejected_for_the_fallback": rejected,
        "median_first_token_s": statistics.median(first_tokens) if first_tokens else None,
        "median_answer_s": statistics.median(answer_times) if answer_times else None,
        "wall_s": time.perf_counter() - started,
    }
    if args.plain:
        summary.update(plain_final_turn_accuracy=sum(bool(r["turns"][-1]["plain_ok"]) for r in rows) / len(rows),
                       plain_all_turn_accuracy=sum(t["plain_ok"] for t in scored) / len(scored),
                       note="median times include nothing of the plain answers, which are generated between turns")
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    else:  # always keep the run: benchmarks/results/conversations-<model>-<UTC>.json, with machine and commit
        name = f"conversations-{args.model}" + ("-heldout" if "heldout" in args.set else "") + ("-plain" if args.plain else "")
        print(f"results: {write_results(name, {'summary': summary, 'rows': rows, 'set': args.set})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
