"""Follow-up latency with and without the generator's KV snapshots, one process, same questions.

    .venv/bin/python -m benchmarks.ab_kv_snapshots --model default [--index DIR] [--ids c01,c03,c08]

A follow-up runs two prompts with different system messages: the rewrite (rules and worked
examples) and the answer. ``rag.generator.KVSnapshots`` keeps the llama.cpp state reached under
each and restores it on a switch; a generator given ``KVSnapshots(keep=0)`` keeps nothing, so every
switch evaluates the prompt's fixed part again (the behaviour before the snapshots). Runs the chosen conversations of
``tests/data/sample_conversations.json`` twice, snapshots on then off, and reports per follow-up
turn the rewrite time and the answer's time to first token, their medians, and whether the
answers were word for word the same (they should be: greedy decoding from the same state).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from rag import Assistant
from rag.generator import KVSnapshots


def _run(assistant: Assistant, conversations: list[dict], keep: int) -> list[dict]:
    # A fresh store per arm: the variant is KVSnapshots' own constructor argument, not a patched global.
    assistant.generator.snapshots = KVSnapshots(keep=keep)
    rows = []
    for conv in conversations:
        chat = assistant.conversation(persist=False)
        for i, turn in enumerate(conv["turns"]):
            before = chat.rewrites
            answer = chat.ask(turn["question"])
            rows.append({"turn": f"{conv['id']}.{i + 1}", "rewritten": chat.rewrites > before,
                         "rewrite_s": answer.timings.get("rewrite", 0.0), "first_token_s": answer.timings.get("first_token"),
                         "answer": answer.text})
            print(f"keep={keep} {rows[-1]['turn']} rewrite {rows[-1]['rewrite_s']:.1f} s, first token "
                  f"{rows[-1]['first_token_s'] or 0:.1f} s | {answer.text[:80]}", flush=True)
    return rows


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r["rewritten"] and r[key] is not None]
    return statistics.median(values) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--index", help="index of the sample corpus (built in a temp dir when absent)")
    parser.add_argument("--ids", default="c01,c03,c05,c08", help="conversations to run, comma-separated")
    args = parser.parse_args()
    conversations = [c for c in json.loads((ROOT / "tests/data/sample_conversations.json").read_text())
                     if c["id"] in args.ids.split(",")]
    assistant = benchmark_assistant(index_dir=args.index, prefix="rag-kv-", model=args.model)
    assistant.ask("Who is the lead engineer on the Alder Harbour Bridge project?")  # load the model outside the timings
    on = _run(assistant, conversations, keep=3)
    off = _run(assistant, conversations, keep=0)
    summary = {
        "model": args.model,
        "follow_ups_rewritten": sum(r["rewritten"] for r in on),
        "rewrite_median_s": {"snapshots": _median(on, "rewrite_s"), "no_snapshots": _median(off, "rewrite_s")},
        "first_token_after_rewrite_median_s": {"snapshots": _median(on, "first_token_s"),
                                               "no_snapshots": _median(off, "first_token_s")},
        "same_answers": sum(a["answer"] == b["answer"] for a, b in zip(on, off)),
        "turns": len(on),
    }
    print(json.dumps(summary, indent=2))
    print(f"results: {write_results(f'kv-snapshots-{args.model}', {'summary': summary, 'on': on, 'off': off})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
