"""How much the answering model's Yes/No verdict knows: its first-token margin on MultiHop-RAG yes/no questions.

    .venv/bin/python -m benchmarks.verdict_margin benchmarks/results/multihop-queries.dev-<UTC>.json \
        --readings benchmarks/results/verdict-margin-dev-<UTC>.json [--limit N]
    .venv/bin/python -m benchmarks.verdict_margin --readings FILE          # the table again, from the readings

For every answerable question of the record whose gold answer is "yes" or "no", the product's own prompt
(retrieval, evidence, the yes/no hint: exactly what the draft was written from) is given to the model and
the margin logit("Yes") - logit("No") at the first reply position is read
(:meth:`rag.generator.LlamaGenerator.yes_no`), once with the passages (``m_ev``) and once with the
passages replaced by "N/A" (``m_cf``, a content-free prompt: contextual calibration's reference,
Zhao et al. 2021). It prints the AUC of each reading against the gold verdict and the accuracy of
"Yes when the margin is above t" for a few t. Only margins and ids are written (no corpus text).

Why: the verdict of a yes/no answer is not a fact a passage can state, so the verifier cannot check it;
if the model's own margin separated right verdicts from wrong ones, a calibrated margin could choose or
withhold the verdict. Decision record: docs/decisions/2026-12-06-verdict-margin.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

THRESHOLDS = (-0.5, 0.0, 0.25, 0.5, 0.75, 1.0)


def auc(scored: list[tuple[float, bool]]) -> float | None:
    """P(a gold-yes question's score > a gold-no question's), ties half."""
    pos = [s for s, yes in scored if yes]
    neg = [s for s, yes in scored if not yes]
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def summary(rows: list[dict]) -> dict:
    out = {}
    for kind in (None, "comparison_query", "temporal_query"):
        part = [r for r in rows if kind is None or r["type"] == kind]
        if not part:
            continue
        gold = [r["gold"] == "yes" for r in part]
        out[kind or "all"] = {
            "questions": len(part), "gold_yes": sum(gold),
            "auc_m_ev": auc([(r["m_ev"], g) for r, g in zip(part, gold)]),
            "auc_m_cf": auc([(r["m_cf"], g) for r, g in zip(part, gold)]),
            "auc_calibrated": auc([(r["m_ev"] - r["m_cf"], g) for r, g in zip(part, gold)]),
            "always_yes_accuracy": sum(gold) / len(part),
            "accuracy_by_threshold": {f"{t:g}": sum((r["m_ev"] > t) == g for r, g in zip(part, gold)) / len(part)
                                      for t in THRESHOLDS},
            "calibrated_accuracy": sum((r["m_ev"] - r["m_cf"] > 0) == g for r, g in zip(part, gold)) / len(part),
        }
    return out


def read_margins(record_path: str, readings: Path, limit: int | None) -> list[dict]:
    from benchmarks.replay_multihop import RecordedDrafts, _queries
    from index import CorpusIndex
    from rag import Assistant, Settings
    from rag.generator import loaded

    record = json.loads(Path(record_path).read_text())
    index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
    settings = Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"])
    prompts = Assistant(settings, index=index, generator=RecordedDrafts({}))  # builds prompts, never generates
    model = loaded(Assistant(settings.with_overrides(model="default")).generator)
    gold = {r["id"]: r["gold"].strip().lower() for r in record["answers"]["answers"]}
    rows = json.loads(readings.read_text())["readings"] if readings.is_file() else []
    done = {r["id"] for r in rows}
    asked = 0
    for q in _queries(record):
        if gold[q["id"]] not in ("yes", "no") or q["id"] in done:
            continue
        messages = list(prompts.stream(q["query"]).messages)
        if not messages:  # the retrieval gate: no prompt, no verdict
            continue
        if limit is not None and asked >= limit:
            break
        asked += 1
        t0 = time.perf_counter()
        with_passages = model.yes_no(messages)
        seconds = time.perf_counter() - t0
        question = messages[-1]["content"].split("\n\nQuestion: ", 1)[1]
        content_free = model.yes_no(messages[:-1] + [{"role": "user", "content": "Passages:\n[1] N/A\n\nQuestion: " + question}])
        rows.append({"id": q["id"], "type": q["question_type"], "gold": gold[q["id"]], "m_ev": with_passages.margin,
                     "m_cf": content_free.margin, "seconds": round(seconds, 2)})
        print(json.dumps(rows[-1]), flush=True)
        readings.write_text(json.dumps({"record": record_path, "model": model.id, "readings": rows}, indent=0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("record", nargs="?", help="results file of rag eval multihop --answers (omit to re-read --readings)")
    parser.add_argument("--readings", required=True, help="margins file: read if present, extended and written back")
    parser.add_argument("--limit", type=int, help="read at most N new questions")
    args = parser.parse_args()
    readings = Path(args.readings)
    if args.record:
        rows = read_margins(args.record, readings, args.limit)
    elif readings.is_file():
        rows = json.loads(readings.read_text())["readings"]
    else:
        parser.error("give a record to read margins from, or an existing --readings file")
    from rag.evaluation.results import machine_info

    result = summary(rows)
    print(json.dumps(result, indent=1))
    data = json.loads(readings.read_text()) if readings.is_file() else {"readings": rows}
    data.update(summary=result, machine=data.get("machine") or machine_info())
    readings.write_text(json.dumps(data, indent=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
