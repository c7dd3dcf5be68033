"""Score the recorded Reuters drafts again under the current verifier, without the LLM.

    .venv/bin/python -m benchmarks.replay_reuters [--split dev|test]

``rag eval reuters`` keeps each question's raw model output (``draft``). This puts every recorded
product draft (``benchmarks/results/reuters-SPLIT-product-default-*.json``) back through the real
pipeline (retrieval, evidence, verification) over the cached index of the subset that ``rag eval
reuters`` built, with a generator that returns the recorded draft, and judges the answers with the
set's judge. Use it while changing the verifier; retrieval and the prompt must be unchanged (the
recorded draft is what the model wrote for that prompt).
"""

from __future__ import annotations

import argparse
import glob
import json

from benchmarks.bench_common import ROOT
from benchmarks.replay_multihop import RecordedDrafts, _setting, llm_judge, with_settings
from rag import Assistant, Settings
from rag.evaluation.metrics import judge_answer

def new_tally() -> dict:
    """The counts :func:`replayed` answers are added to (:func:`count`)."""
    return dict(answerable=0, right=0, answerable_abstained=0, answered_wrong=0, unanswerable=0,
                unanswerable_abstained=0)


def replayed(record: dict, questions: dict, settings: Settings, judge=None):
    """(recorded row, answer, right) for each question of one recorded Reuters run, re-verified under
    ``settings`` with the recorded draft as the model's output."""
    drafts = {questions[row["id"]]["question"]: row["draft"] for row in record["records"]}
    assistant = Assistant(settings, generator=RecordedDrafts(drafts), judge=judge)
    for row in record["records"]:
        q = questions[row["id"]]
        answer = assistant.ask(q["question"])
        yield row, answer, judge_answer(answer.text, answer.abstained, q["answers"], q["answerable"])


def count(tally: dict, question: dict, answer, right: bool) -> None:
    """Add one judged answer to ``tally`` (:func:`new_tally`)."""
    if question["answerable"]:
        tally["answerable"] += 1
        tally["right"] += right
        tally["answerable_abstained"] += answer.abstained
        tally["answered_wrong"] += not answer.abstained and not right
    else:
        tally["unanswerable"] += 1
        tally["unanswerable_abstained"] += answer.abstained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test"], action="append")
    parser.add_argument("--set", type=_setting, action="append", default=[], metavar="NAME=VALUE", dest="overrides",
                        help="a Settings field changed for the replay (as in benchmarks.replay_multihop)")
    parser.add_argument("--judge-cache", metavar="FILE", help="with --set entailment_judge=llm: the judge's readings (read and written back)")
    parser.add_argument("--judge-live", action="store_true", help="read the pairs the cache lacks with the real model (--model)")
    parser.add_argument("--model", default="default", help="the live judge's model")
    args = parser.parse_args()
    questions = {q["id"]: q for q in json.loads((ROOT / "benchmarks/data/reuters_qa.json").read_text())["questions"]}
    for split in args.split or ["dev", "test"]:
        files = sorted(glob.glob(str(ROOT / f"benchmarks/results/reuters-{split}-product-default-*.json")))
        if not files:
            print(f"{split}: no recorded product run")
            continue
        tally = new_tally()
        changed = []
        for path in files:
            record = json.loads(open(path).read())
            settings = with_settings(Settings(index_dir=record["index"]["index_dir"]), args.overrides)
            judge = cached = None
            if settings.verification.entailment_judge == "llm":
                judge, cached = llm_judge(args.judge_cache, args.model if args.judge_live else None)
            for row, answer, right in replayed(record, questions, settings, judge):
                count(tally, questions[row["id"]], answer, right)
                if answer.abstained != row["abstained"]:
                    changed.append(f"{row['id']} abstained {row['abstained']} -> {answer.abstained} (right: {right})")
            if cached is not None:
                cached.save()
                tally["judge_pairs"] = tally.get("judge_pairs", 0) + judge.pairs
                tally["judge"] = cached.stats()
        print(f"{split}: {json.dumps(tally)}")
        for line in changed:
            print("   ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
