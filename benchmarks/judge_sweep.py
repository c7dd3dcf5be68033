"""Verifier variants with the LLM judge replayed from its cached readings (no LLM), on MultiHop-RAG and Reuters.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.judge_sweep --split dev [--per-type 15] \\
        --variant off --variant "verify_entailment=true,entailment_judge=llm,judge_reject=0.35" ...

Each ``--variant`` is a comma-separated list of Settings assignments (``off``: none, the product's
default). The recorded drafts are those benchmarks.replay_multihop and benchmarks.replay_reuters replay
(MultiHop dev/test: the default model's records; Reuters: ``reuters-SPLIT-product-default-*.json``); the
judge's readings come from benchmarks/results/judge-readings-{multihop,reuters}-SPLIT-default.json,
filled by those scripts with ``--judge-live``. A variant that needs a reading the cache lacks stops with
an error (read it first). Prints one row per variant and writes benchmarks/results/judge-sweep-SPLIT-<UTC>.json:
strict accuracy, answerable abstained, null/unanswerable abstained, answered-but-wrong count, gold citation
precision/recall (MultiHop), and the judge's pairs per query.
"""

from __future__ import annotations

import argparse
import glob
import json
from datetime import datetime, timezone

from benchmarks.bench_common import ROOT, RESULTS, git_commit, machine
from benchmarks.judge_cache import CachedReader, MissingReading
from benchmarks.replay_multihop import RecordedDrafts, _queries, with_settings
from benchmarks.replay_reuters import count, new_tally, replayed
from index import CorpusIndex
from rag import Assistant, Settings
from rag.evaluation.multihop import evaluate_answers
from rag.judge import LLMJudge

MULTIHOP = {"dev": "multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json",
            "test": "multihop-queries.test-20261128T144716Z.json"}


def _variant(text: str) -> list[tuple[str, object]]:
    if text == "off":
        return []
    out = []
    for part in text.split(","):
        name, _, value = part.partition("=")
        out.append(Settings().parse_value(name.strip(), value.strip()))
    return out


def multihop(split: str, variants: list[str], per_type: int | None) -> list[dict]:
    record = json.loads((RESULTS / MULTIHOP[split]).read_text())
    drafts = {r["query"]: r["draft"] for r in record["answers"]["answers"]}
    index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
    queries = _queries(record, per_type)
    cache = CachedReader(RESULTS / f"judge-readings-multihop-{split}-default.json")
    rows = []
    for text in variants:
        settings = with_settings(Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"]), _variant(text))
        judge = LLMJudge(cache)
        try:
            replayed = evaluate_answers(Assistant(settings, index=index, generator=RecordedDrafts(drafts), judge=judge), queries)
        except MissingReading:
            rows.append({"set": f"multihop-{split}", "variant": text, "incomplete": "a judge reading is not in the cache"})
            print(json.dumps(rows[-1]), flush=True)
            continue
        summary = replayed["systems"]["verified"]
        answers = replayed["answers"]
        wrong = sum(1 for r in answers if not r["null"] and not r["verified"]["abstained"] and not r["verified"]["strict"])
        gold = summary["citations"]["gold"]
        rows.append({"set": f"multihop-{split}", "variant": text, "queries": len(answers),
                     "strict": round(summary["accuracy"]["all"]["strict"], 3),
                     "answerable_abstained": _r(summary["wrong_abstention_rate_answerable"]),
                     "null_abstained": _r(summary["abstention_rate_null"]), "answered_wrong": wrong,
                     "gold_precision": _r(gold["precision"]), "gold_recall": _r(gold["recall"]),
                     "judge_pairs": judge.pairs, "pairs_per_query": round(judge.pairs / max(1, len(answers)), 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def reuters(split: str, variants: list[str]) -> list[dict]:
    questions = {q["id"]: q for q in json.loads((ROOT / "benchmarks/data/reuters_qa.json").read_text())["questions"]}
    files = sorted(glob.glob(str(RESULTS / f"reuters-{split}-product-default-*.json")))
    cache = CachedReader(RESULTS / f"judge-readings-reuters-{split}-default.json")
    rows = []
    for text in variants:
        tally = new_tally()
        judge = LLMJudge(cache)
        try:
            _reuters_variant(files, questions, text, judge, tally)
        except MissingReading:
            rows.append({"set": f"reuters-{split}", "variant": text, "incomplete": "a judge reading is not in the cache"})
            print(json.dumps(rows[-1]), flush=True)
            continue
        n = tally["answerable"] + tally["unanswerable"]
        rows.append({"set": f"reuters-{split}", "variant": text, "queries": n, **tally, "judge_pairs": judge.pairs,
                     "pairs_per_query": round(judge.pairs / max(1, n), 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _reuters_variant(files, questions, text, judge, tally) -> None:
    for path in files:
        record = json.loads(open(path).read())
        settings = with_settings(Settings(index_dir=record["index"]["index_dir"]), _variant(text))
        for row, answer, right in replayed(record, questions, settings, judge):
            count(tally, questions[row["id"]], answer, right)


def _r(x):
    return None if x is None else round(x, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test"], required=True)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--per-type", type=int, help="MultiHop: the first N queries of each type")
    parser.add_argument("--sets", default="multihop,reuters")
    args = parser.parse_args()
    rows = []
    if "multihop" in args.sets:
        rows += multihop(args.split, args.variant, args.per_type)
    if "reuters" in args.sets:
        rows += reuters(args.split, args.variant)
    out = RESULTS / f"judge-sweep-{args.split}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"commit": git_commit(), "machine": machine(), "per_type": args.per_type, "rows": rows},
                              indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
