"""Each verifier rule taken out in turn, over recorded drafts, without the LLM.

    .venv/bin/python -m benchmarks.ablate_verifier [--sets multihop,reuters,sample,conversations]
        [--rules NAME,NAME] [--json OUT]

Every switchable rule of the verifier's table (``rag.verification.rules.RULES``) is switched off in
turn (``VerifierSettings.disabled_rules``) and the recorded drafts of four sets are verified again:

- ``multihop``: MultiHop-RAG dev, all 250 queries (the default model's drafts,
  ``benchmarks/results/multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json``), scored
  with ``strict_correct``;
- ``reuters``: the Reuters dev questions (``benchmarks/results/reuters-dev-product-default-*.json``),
  judged as ``rag eval reuters`` judges them;
- ``sample``: the sample-corpus questions (``sample_qa_default_ctx480-20261128T111126Z.json``);
- ``conversations``: the final turn of each conversation of the sample conversation set
  (``conversations-default-20261128T114438Z.json``, its standalone questions).

Each question's retrieval and evidence are prepared once (``AnswerPipeline.prepare``); only
verification and what follows it (``AnswerPipeline.finish``) run per variant. The sample and
conversation records keep the verified answer, not the model's raw draft: that text (before any
conflict note) is verified again, as ``benchmarks.replay_verifier`` does, and a recorded abstention
stays one in every variant. Columns per set: questions, right (answerable: a right answer;
unanswerable: an abstention), answerable questions abstained on, unanswerable ones abstained on,
and answerable questions answered wrong. Prints a table; ``--json`` writes the numbers
(default ``benchmarks/results/ablate-verifier-<UTC>.json``).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from rag import Assistant, Settings, VerifierSettings
from rag.pipeline import AnswerPipeline, Prepared
from rag.prompts import CONFLICT_NOTE, NO_ANSWER
from rag.verification import RULES

RESULTS = ROOT / "benchmarks" / "results"
MULTIHOP = RESULTS / "multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json"
SAMPLE = RESULTS / "sample_qa_default_ctx480-20261128T111126Z.json"
CONVERSATIONS = RESULTS / "conversations-default-20261128T114438Z.json"
SETS = ("multihop", "reuters", "sample", "conversations")


@dataclass
class Item:
    """One recorded question: its prepared prompt, the draft to verify (None: a recorded abstention that
    stays one), whether it is answerable, and how an answer to it is judged."""

    id: str
    prepared: Prepared | None
    draft: str | None
    answerable: bool
    right: Callable[[str, bool], bool]


@dataclass
class Replay:
    pipeline: AnswerPipeline
    items: list[Item]


def _multihop(path: Path) -> Replay:
    from index import CorpusIndex
    from rag.evaluation.metrics import is_null_answer, strict_correct
    from rag.evaluation.multihop import load_queries

    record = json.loads(path.read_text())
    answers = {r["id"]: r for r in record["answers"]["answers"]}
    index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
    pipeline = AnswerPipeline(index, Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"]))
    items = []
    for q in load_queries(record["queries_file"]):
        if q["id"] not in answers:
            continue
        null = is_null_answer(q["answer"]) or not q["facts"]
        items.append(Item(q["id"], pipeline.prepare(q["query"]), answers[q["id"]]["draft"], not null,
                          lambda text, abstained, gold=q["answer"]: strict_correct(text, gold, abstained=abstained)))
    return Replay(pipeline, items)


def _reuters() -> list[Replay]:
    from rag.evaluation.metrics import judge_answer

    questions = {q["id"]: q for q in json.loads((ROOT / "benchmarks/data/reuters_qa.json").read_text())["questions"]}
    out = []
    for path in sorted(glob.glob(str(RESULTS / "reuters-dev-product-default-*.json"))):
        record = json.loads(Path(path).read_text())
        pipeline = Assistant(Settings(index_dir=record["index"]["index_dir"])).pipeline
        items = []
        for row in record["records"]:
            q = questions[row["id"]]
            items.append(Item(row["id"], pipeline.prepare(q["question"]), row["draft"], q["answerable"],
                              lambda text, abstained, q=q: judge_answer(text, abstained, q["answers"], q["answerable"])))
        out.append(Replay(pipeline, items))
    return out


def _draft(text: str) -> str | None:
    """A recorded verified answer as a draft to verify again (None: it was an abstention)."""
    return None if text.startswith(NO_ANSWER) else text.split(CONFLICT_NOTE)[0]


def _sample(assistant: Assistant) -> Replay:
    from rag.evaluation.metrics import judge_answer

    record = json.loads(SAMPLE.read_text())
    questions = {q["id"]: q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text())}
    pipeline = assistant.pipeline
    items = []
    for row in record["rows"]:
        q = questions[row["id"]]
        draft = None if row["abstained"] else _draft(row["answer"])
        items.append(Item(row["id"], pipeline.prepare(q["question"]) if draft else None, draft, q["answerable"],
                          lambda text, abstained, q=q: judge_answer(text, abstained, q["expected"], q["answerable"],
                                                                    require_all=True)))
    return Replay(pipeline, items)


def _conversations(assistant: Assistant) -> Replay:
    record = json.loads(CONVERSATIONS.read_text())
    expected = {c["id"]: c["turns"][-1]["expected"] for c in
                json.loads((ROOT / "tests/data/sample_conversations.json").read_text())}
    pipeline = assistant.pipeline
    items = []
    for row in record["rows"]:
        final = row["turns"][-1]
        draft = _draft(final["answer"])
        items.append(Item(row["id"], pipeline.prepare(final["standalone"]) if draft else None, draft, True,
                          lambda text, abstained, want=expected[row["id"]]:
                          not abstained and all(e.lower() in text.lower() for e in want)))
    return Replay(pipeline, items)


def _score(replays: list[Replay], verification: VerifierSettings) -> dict:
    """The set's numbers with ``verification`` (each pipeline's settings otherwise unchanged)."""
    n = right = answerable = ans_abstained = unanswerable = null_abstained = wrong = 0
    for replay in replays:
        pipeline = AnswerPipeline(replay.pipeline.index, replace(replay.pipeline.settings, verification=verification),
                                  replay.pipeline.entails)
        for item in replay.items:
            if item.draft is None:
                text, abstained = NO_ANSWER, True
            else:
                answer = pipeline.finish(item.prepared, item.draft, model="recorded")
                text, abstained = answer.text, answer.abstained
            ok = item.right(text, abstained)
            n += 1
            right += ok
            if item.answerable:
                answerable += 1
                ans_abstained += abstained
                wrong += not abstained and not ok
            else:
                unanswerable += 1
                null_abstained += abstained
    return {"questions": n, "right": right, "answerable": answerable, "answerable_abstained": ans_abstained,
            "unanswerable": unanswerable, "unanswerable_abstained": null_abstained, "wrong_answered": wrong}


def _cell(s: dict) -> str:
    return (f"{s['right']:>3}/{s['questions']:<3} {s['answerable_abstained']:>3}/{s['answerable']:<3} "
            f"{s['unanswerable_abstained']:>3}/{s['unanswerable']:<3} {s['wrong_answered']:>3}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--rules", help="only these rules (comma-separated); default every switchable rule")
    parser.add_argument("--index", help="index of the sample corpus for sample/conversations (built in a temp dir when absent)")
    parser.add_argument("--json", help="write the numbers here (default benchmarks/results/ablate-verifier-<UTC>.json)")
    args = parser.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    switchable = [r.name for r in RULES if r.switchable]
    rules = args.rules.split(",") if args.rules else switchable
    if set(rules) - set(switchable):
        parser.error(f"not switchable rules: {', '.join(sorted(set(rules) - set(switchable)))}")

    t0 = time.perf_counter()
    replays: dict[str, list[Replay]] = {}
    sample_assistant = None
    for name in sets:
        if name == "multihop":
            replays[name] = [_multihop(MULTIHOP)]
        elif name == "reuters":
            replays[name] = _reuters()
        else:
            if sample_assistant is None:
                sample_assistant = benchmark_assistant(index_dir=args.index, prefix="rag-ablate-", context_tokens=480)
            replays[name] = [(_sample if name == "sample" else _conversations)(sample_assistant)]
    print(f"prepared {sum(len(r.items) for rs in replays.values() for r in rs)} questions in {time.perf_counter() - t0:.0f} s")

    base = VerifierSettings()
    variants = [("all rules", base)] + [(f"- {rule}", replace(base, disabled_rules=frozenset({rule}))) for rule in rules]
    table: dict[str, dict[str, dict]] = {}
    print("per set: right/questions  answerable abstained  unanswerable abstained  answerable answered wrong")
    print(f"{'variant':<30} " + " | ".join(f"{name:^27}" for name in sets))
    for label, verification in variants:
        table[label] = {name: _score(replays[name], verification) for name in sets}
        print(f"{label:<30} " + " | ".join(_cell(table[label][name]) for name in sets), flush=True)
    record = {"sets": sets, "records": {"multihop": str(MULTIHOP.relative_to(ROOT)), "sample": str(SAMPLE.relative_to(ROOT)),
                                        "conversations": str(CONVERSATIONS.relative_to(ROOT)),
                                        "reuters": "benchmarks/results/reuters-dev-product-default-*.json"},
              "table": table, "seconds": round(time.perf_counter() - t0, 1)}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))
    else:
        print(write_results("ablate-verifier", record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
