"""What some verifier rules cost per answer: verification time with them on and off, on recorded drafts.

    .venv/bin/python -m benchmarks.verifier_rule_cost --rules figure_with_its_item,name_with_its_name \
        [--answers 120] [--rounds 2]

Replays the default model's recorded MultiHop-RAG dev drafts (the record ``benchmarks.ablate_verifier``
uses) through ``AnswerPipeline.finish``, once with every rule and once with ``--rules`` switched off
(``VerifierSettings.disabled_rules``), alternating for ``--rounds`` rounds, and prints the mean
verification time per answer (``Answer.timings["verification"]``, milliseconds) of each round. Run it
alone on the machine: the difference is a few milliseconds. Results:
``benchmarks/results/verifier-rule-cost-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from benchmarks.ablate_verifier import MULTIHOP
from benchmarks.bench_common import write_results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", required=True, help="comma-separated rule names to switch off")
    parser.add_argument("--answers", type=int, default=120, help="the first N recorded answers the model gave")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from index import CorpusIndex
    from rag import Settings
    from rag.evaluation.multihop import load_queries
    from rag.pipeline import AnswerPipeline
    from rag.verification import RULES

    rules = frozenset(r.strip() for r in args.rules.split(",") if r.strip())
    unknown = rules - {rule.name for rule in RULES}
    if unknown:
        parser.error(f"unknown rules: {', '.join(sorted(unknown))}")
    record = json.loads(MULTIHOP.read_text())
    drafts = {r["id"]: r["draft"] for r in record["answers"]["answers"] if r.get("draft")}
    index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
    settings = Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"])
    pipelines = {"on": AnswerPipeline(index, settings),
                 "off": AnswerPipeline(index, settings.with_overrides(disabled_rules=rules))}
    items = []
    for q in load_queries(record["queries_file"]):
        if q["id"] in drafts and len(items) < args.answers:
            prepared = pipelines["on"].prepare(q["query"])
            if prepared.abstain_reason is None:
                items.append((prepared, drafts[q["id"]]))
    rounds: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for name, pipeline in pipelines.items():
            times = [answer.timings["verification"] * 1000 for answer in
                     (pipeline.finish(p, draft, model="recorded") for p, draft in items)
                     if "verification" in answer.timings]
            rounds[name].append(round(statistics.mean(times), 1))
    print(f"{len(items)} answers; mean verification ms per answer, each round: with every rule {rounds['on']}, "
          f"without {', '.join(sorted(rules))} {rounds['off']}")
    print(write_results("verifier-rule-cost", {"rules_off": sorted(rules), "answers": len(items), "ms_per_answer": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
