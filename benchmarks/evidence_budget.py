"""How much of the answer survives evidence compression, at several prompt budgets (no LLM).

    .venv/bin/python -m benchmarks.evidence_budget --budgets 160,240,320,400,480
    .venv/bin/python -m benchmarks.evidence_budget --multihop ../shared/data/multihop-rag/queries.dev.json \\
        --corpus ../shared/data/multihop-rag/excerpts --budgets 160,240,320,400,480 [--index DIR]
    .venv/bin/python -m benchmarks.evidence_budget --multihop ../shared/data/multihop-rag/queries.dev.json \\
        --corpus ../shared/data/multihop-rag/excerpts --budgets 480 --k 4,5,6

For each question the product retrieves its passages and builds the prompt's
evidence exactly as ``ask`` does, at each budget, and checks what the model
would be shown:

* sample corpus (``tests/data/sample_questions.json``): the share of
  answerable questions whose expected strings are all in the evidence;
  with ``--conversations RESULTS``, also the turns of the conversation set
  (``tests/data/sample_conversations.json``), each searched with the
  standalone question recorded in a ``benchmarks.conversations`` results
  file (so the LLM's rewrite is replayed, not re-run);
* MultiHop-RAG: the share of gold evidence facts found in the evidence
  (METRICS.md's normalisation: spaces and newlines dropped), over answerable
  queries, and the share of queries with all their facts shown; also the
  share found in the retrieved passages before compression (``--k``: at
  several numbers of passages).

It measures the retrieval + compression ceiling, not the model: an answer whose
sentence was cut cannot be right. Prints a table and writes a results file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from rag import Assistant
from rag.evaluation.metrics import contains_fact


def _retrieved_and_shown(assistant: Assistant, question: str) -> tuple[str, str]:
    """The retrieved passages' whole text, and what of it the prompt shows."""
    stream = assistant.stream(question)
    shown = "" if stream.evidence is None else "\n".join(stream.evidence.texts)
    return "\n".join(p.text for p in stream.passages), shown


def _all_shown(assistant: Assistant, question: str, expected: list[str]) -> bool:
    shown = _retrieved_and_shown(assistant, question)[1].lower()
    return all(e.lower() in shown for e in expected)


def _conversation_turns(results: Path) -> list[dict]:
    """Turns with expected strings, each with the standalone question a conversations run recorded."""
    recorded = {r["id"]: r["turns"] for r in json.loads(results.read_text())["rows"]}
    turns = []
    for conv in json.loads((ROOT / "tests/data/sample_conversations.json").read_text()):
        for i, (turn, run) in enumerate(zip(conv["turns"], recorded.get(conv["id"], []))):
            if turn["expected"]:
                turns.append({"id": f"{conv['id']}.{i + 1}", "standalone": run["standalone"], "expected": turn["expected"]})
    return turns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", default="160,240,320,400,480")
    parser.add_argument("--multihop", help="MultiHop-RAG queries file (else: the sample corpus questions)")
    parser.add_argument("--corpus", help="MultiHop-RAG excerpts folder")
    parser.add_argument("--index", help="index to reuse (built or brought up to date; default: a new one in a temp dir)")
    parser.add_argument("--conversations", help="a conversations.py results file: also check its turns' standalone questions")
    parser.add_argument("--k", default="4", help="passages per question, comma-separated (MultiHop only)")
    args = parser.parse_args()
    ks = [int(k) for k in args.k.split(",")]
    budgets = [int(b) for b in args.budgets.split(",")]
    rows = []
    started = time.perf_counter()
    if args.multihop:
        from rag.evaluation.multihop import load_queries

        if not args.corpus:
            parser.error("--multihop needs --corpus (the MultiHop-RAG excerpts folder)")
        built = benchmark_assistant([args.corpus], index_dir=args.index, prefix="rag-budget-")
        queries = [q for q in load_queries(args.multihop) if q["facts"]]
        for budget, k in ((b, k) for b in budgets for k in ks):
            assistant = Assistant(built.settings.with_overrides(context_tokens=budget, k=k), index=built.index)
            facts = found = complete = retrieved = 0
            for q in queries:
                passages, shown = _retrieved_and_shown(assistant, q["query"])
                hits = sum(contains_fact(shown, f) for f in q["facts"])
                retrieved += sum(contains_fact(passages, f) for f in q["facts"])
                facts, found, complete = facts + len(q["facts"]), found + hits, complete + (hits == len(q["facts"]))
            rows.append({"budget": budget, "k": k, "queries": len(queries),
                         "facts_retrieved": retrieved / facts, "facts_shown": found / facts,
                         "queries_all_facts_shown": complete / len(queries)})
        name = f"evidence-budget-{Path(args.multihop).stem}"
    else:
        built = benchmark_assistant(index_dir=args.index, prefix="rag-budget-")
        questions = [q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text()) if q.get("answerable", True)]
        turns = _conversation_turns(Path(args.conversations)) if args.conversations else []
        for budget in budgets:
            assistant = Assistant(built.settings.with_overrides(context_tokens=budget), index=built.index)
            missing = [q["id"] for q in questions if not _all_shown(assistant, q["question"], q["expected"])]
            row = {"budget": budget, "questions": len(questions),
                   "answer_shown": 1 - len(missing) / len(questions), "missing": missing}
            if turns:
                missed_turns = [t["id"] for t in turns if not _all_shown(assistant, t["standalone"], t["expected"])]
                row.update({"turns": len(turns), "turn_answer_shown": 1 - len(missed_turns) / len(turns),
                            "missing_turns": missed_turns})
            rows.append(row)
        name = "evidence-budget-sample"
    for row in rows:
        print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    path = write_results(name, {"rows": rows, "wall_s": time.perf_counter() - started})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
