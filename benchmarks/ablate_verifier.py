"""Each verifier rule taken out in turn, over recorded raw drafts, without the LLM.

    .venv/bin/python -m benchmarks.ablate_verifier [--sets multihop,reuters,sample,conversations,rgb]
        [--rules NAME,NAME] [--index DIR] [--json OUT]

Every switchable rule of the verifier's table (``rag.verification.rules.RULES``) is switched off in
turn (``VerifierSettings.disabled_rules``) and the recorded raw drafts of five sets are verified again:

- ``multihop``: MultiHop-RAG dev, all 250 queries (the default model's drafts,
  ``benchmarks/results/multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json``), scored
  with ``strict_correct``; also gold citation precision/recall (answerable queries: the share of
  citations whose quote is gold evidence, the share of answer sentences with a gold citation), as
  ``rag eval multihop`` and ``benchmarks.replay_multihop`` count them;
- ``reuters``: the Reuters dev questions (``benchmarks/results/reuters-dev-product-default-*.json``),
  judged as ``rag eval reuters`` judges them;
- ``sample``: the sample-corpus questions (``tests/data/sample_questions.json``), judged as
  ``benchmarks.sample_qa`` judges them;
- ``conversations``: the final turn of each conversation of ``tests/data/sample_conversations.json``
  (its standalone question as recorded), judged as ``benchmarks.conversations`` judges it;
- ``rgb``: the first 30 questions of RGB ``en_fact`` (noise 0, correct rate 0.4, as ``rag eval rgb``),
  right when the answer holds the true answer (all answerable; "answered wrong" is every other answer,
  the planted one included).

The drafts of the last three sets are recorded by ``benchmarks.record_drafts`` (the raw model output
with its prompt and evidence: ``DRAFTS`` below); a set whose recording or shared data is missing is
skipped with a message. Each question's retrieval and evidence are prepared once
(``AnswerPipeline.prepare``); for a recorded set the prompt is compared with the recorded one (a
question whose prompt the current code changed is reported: its draft answered another prompt). Only
verification and what follows it (``AnswerPipeline.finish``) run per variant. Columns per set:
questions, right (answerable: a right answer; unanswerable: an abstention), answerable questions
abstained on, unanswerable ones abstained on, answerable questions answered wrong, and for MultiHop
gold citation precision/recall. Prints a table; ``--json`` writes the numbers (default
``benchmarks/results/ablate-verifier-<UTC>.json``).
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
from rag.prompts import NO_ANSWER
from rag.verification import RULES

RESULTS = ROOT / "benchmarks" / "results"
MULTIHOP = RESULTS / "multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json"
DRAFTS = {
    "sample": RESULTS / "drafts-sample-default-20261206T044734Z.json",
    "conversations": RESULTS / "drafts-conversations-default-20261206T060159Z.json",
    "rgb": RESULTS / "drafts-rgb-default-20261206T054253Z.json",
}
"""The raw drafts of the default model that ``benchmarks.record_drafts`` recorded for these sets."""
SETS = ("multihop", "reuters", "sample", "conversations", "rgb")


class Skip(Exception):
    """A set that cannot be replayed here (its recording or its shared data is missing)."""


@dataclass
class Item:
    """One recorded question: its prepared prompt, the draft to verify (None: abstained before
    generation), whether it is answerable, how an answer to it is judged, and its gold evidence (MultiHop)."""

    id: str
    prepared: Prepared | None
    draft: str | None
    answerable: bool
    right: Callable[[str, bool], bool]
    facts: tuple[str, ...] | None = None


@dataclass
class Replay:
    pipeline: AnswerPipeline
    items: list[Item]
    stale: int = 0
    """Questions whose prompt the current code builds differently from the recorded one."""


def _multihop(path: Path) -> Replay:
    from index import CorpusIndex
    from rag.evaluation.metrics import is_null_answer, strict_correct
    from rag.evaluation.multihop import load_queries

    if not path.is_file():
        raise Skip(f"no recording {path}")
    record = json.loads(path.read_text())
    for needed in (record["index"]["index_dir"], record["queries_file"]):
        if not Path(needed).exists():
            raise Skip(f"shared data missing: {needed}")
    answers = {r["id"]: r for r in record["answers"]["answers"]}
    index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
    pipeline = AnswerPipeline(index, Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"]))
    items = []
    for q in load_queries(record["queries_file"]):
        if q["id"] not in answers:
            continue
        null = is_null_answer(q["answer"]) or not q["facts"]
        items.append(Item(q["id"], pipeline.prepare(q["query"]), answers[q["id"]]["draft"], not null,
                          lambda text, abstained, gold=q["answer"]: strict_correct(text, gold, abstained=abstained),
                          tuple(q["facts"])))
    return Replay(pipeline, items)


def _reuters() -> list[Replay]:
    from rag.evaluation.metrics import judge_answer

    files = sorted(glob.glob(str(RESULTS / "reuters-dev-product-default-*.json")))
    if not files:
        raise Skip("no recording benchmarks/results/reuters-dev-product-default-*.json")
    questions = {q["id"]: q for q in json.loads((ROOT / "benchmarks/data/reuters_qa.json").read_text())["questions"]}
    out = []
    for path in files:
        record = json.loads(Path(path).read_text())
        if not Path(record["index"]["index_dir"]).exists():
            raise Skip(f"shared data missing: the Reuters index {record['index']['index_dir']} (rag eval reuters builds it)")
        pipeline = Assistant(Settings(index_dir=record["index"]["index_dir"])).pipeline
        items = []
        for row in record["records"]:
            q = questions[row["id"]]
            items.append(Item(row["id"], pipeline.prepare(q["question"]), row["draft"], q["answerable"],
                              lambda text, abstained, q=q: judge_answer(text, abstained, q["answers"], q["answerable"])))
        out.append(Replay(pipeline, items))
    return out


def _recorded(name: str, pipeline: AnswerPipeline, judge: Callable[[dict], tuple[bool, Callable]]) -> Replay:
    """A set recorded by ``benchmarks.record_drafts``: each record prepared again with the current code,
    its prompt compared with the recorded one. ``judge(record)``: (answerable, right)."""
    from benchmarks.record_drafts import prepare

    record = json.loads(DRAFTS[name].read_text())
    items, stale = [], 0
    for row in record["records"]:
        prepared = pipeline.prepare(row["question"], standalone_question=row["standalone"]) if not row.get("doc_ids") \
            else prepare(pipeline, row)
        stale += list(prepared.messages) != row["messages"]
        answerable, right = judge(row)
        items.append(Item(row["id"], prepared, row["draft"], answerable, right))
    if stale:
        print(f"{name}: {stale} of {len(items)} prompts differ from the recorded ones: their drafts answered another "
              f"prompt (record them again: benchmarks.record_drafts --set {name})")
    return Replay(pipeline, items, stale)


def _sample(assistant: Assistant) -> Replay:
    from rag.evaluation.metrics import judge_answer

    questions = {q["id"]: q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text())}

    def judge(row):
        q = questions[row["id"]]
        return q["answerable"], lambda text, abstained: judge_answer(text, abstained, q["expected"], q["answerable"],
                                                                     require_all=True)
    return _recorded("sample", assistant.pipeline, judge)


def _conversations(assistant: Assistant) -> Replay:
    expected = {c["id"]: c["turns"][-1]["expected"] for c in
                json.loads((ROOT / "tests/data/sample_conversations.json").read_text())}

    def judge(row):
        want = expected[row["id"]]
        return True, lambda text, abstained: not abstained and all(e.lower() in text.lower() for e in want)
    return _recorded("conversations", assistant.pipeline, judge)


def _rgb() -> Replay:
    from benchmarks.record_drafts import RGB_DATA, rgb_index
    from rag.evaluation.rgb import _contains

    if not RGB_DATA.is_file():
        raise Skip(f"shared data missing: {RGB_DATA}")
    record = json.loads(DRAFTS["rgb"].read_text())
    index, rows, _ = rgb_index(record["questions"])
    gold = {str(r["id"]): r["answer"] for r in rows}

    def judge(row):
        return True, lambda text, abstained: not abstained and _contains(text, gold[row["id"]])
    return _recorded("rgb", Assistant(Settings(), index=index).pipeline, judge)


def _score(replays: list[Replay], verification: VerifierSettings) -> dict:
    """The set's numbers with ``verification`` (each pipeline's settings otherwise unchanged)."""
    from rag.evaluation.citations import CitationCounts, judge_statements, statements

    n = right = answerable = ans_abstained = unanswerable = null_abstained = wrong = 0
    gold, with_gold = CitationCounts(), False
    for replay in replays:
        pipeline = AnswerPipeline(replay.pipeline.index, replace(replay.pipeline.settings, verification=verification),
                                  replay.pipeline.entails)
        for item in replay.items:
            if item.draft is None:
                answer = pipeline.finish(item.prepared, "", model="recorded")  # abstained before generation
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
            if item.facts is not None:
                with_gold = True
                if item.answerable:
                    by_n = {c.n: c.quote for c in answer.citations}
                    gold.add(judge_statements([] if abstained else statements(text, by_n.get), item.facts))
    out = {"questions": n, "right": right, "answerable": answerable, "answerable_abstained": ans_abstained,
           "unanswerable": unanswerable, "unanswerable_abstained": null_abstained, "wrong_answered": wrong}
    if with_gold:
        summary = gold.summary()
        out |= {"gold_citation_precision": summary["gold"]["precision"], "gold_citation_recall": summary["gold"]["recall"],
                "citations": summary["citations"], "statements": summary["statements"]}
    return out


def _cell(s: dict) -> str:
    cell = (f"{s['right']:>3}/{s['questions']:<3} {s['answerable_abstained']:>3}/{s['answerable']:<3} "
            f"{s['unanswerable_abstained']:>3}/{s['unanswerable']:<3} {s['wrong_answered']:>3}")
    if "gold_citation_precision" in s:
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        cell += f" {fmt(s['gold_citation_precision'])}/{fmt(s['gold_citation_recall'])}"
    return cell


WORSE_WHEN = {"right": -1, "wrong_answered": +1, "answerable_abstained": +1, "unanswerable_abstained": -1,
              "gold_citation_precision": -1, "gold_citation_recall": -1}
"""How each number moves when removing a rule makes a set worse (docs/decisions/2026-12-06-verifier-rule-pruning.md)."""


def changes(base: dict, without: dict) -> tuple[list[str], list[str]]:
    """The sets that removing a rule makes worse (any number of ``WORSE_WHEN`` moves the wrong way) and
    those it only makes better, from the "all rules" row ``base`` and the rule's row ``without``."""
    worse, better = [], []
    for name, numbers in base.items():
        moves = [(without[name][key] - numbers[key]) * sign for key, sign in WORSE_WHEN.items()
                 if numbers.get(key) is not None and without[name].get(key) is not None]
        if any(m > 1e-12 for m in moves):
            worse.append(name)
        elif any(m < -1e-12 for m in moves):
            better.append(name)
    return worse, better


def _print_changes(table: dict) -> None:
    base = table["all rules"]
    for label, row in table.items():
        if label != "all rules":
            worse, better = changes(base, row)
            print(f"{label:<30} removal worse on: {', '.join(worse) or '-'}; only better on: {', '.join(better) or '-'}")


def _merge(paths: list[str], out: str | None) -> int:
    """Join runs over different rules or different sets; a set in several runs must agree on 'all rules'."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    sets = [name for name in SETS if any(name in part["sets"] for part in parts)]
    table: dict[str, dict[str, dict]] = {}
    for path, part in zip(paths, parts):
        for label, row in part["table"].items():
            for name, numbers in row.items():
                if label == "all rules" and name in table.get(label, {}) and table[label][name] != numbers:
                    print(f"cannot merge: {path} has other 'all rules' numbers on {name}")
                    return 1
                table.setdefault(label, {})[name] = numbers
    incomplete = [label for label, row in table.items() if set(row) != set(sets)]
    if incomplete:
        print(f"cannot merge: rows without every set: {', '.join(incomplete)}")
        return 1
    record = {"sets": sets, "skipped": {k: v for part in parts for k, v in part.get("skipped", {}).items() if k not in sets},
              "records": {k: v for part in parts for k, v in part["records"].items()},
              "stale_prompts": {k: v for part in parts for k, v in part["stale_prompts"].items()},
              "table": {label: {name: row[name] for name in sets} for label, row in table.items()},
              "seconds": round(sum(p["seconds"] for p in parts), 1), "merged_from": paths}
    if out:
        Path(out).write_text(json.dumps(record, indent=1))
    else:
        print(write_results("ablate-verifier", record))
    for label, row in record["table"].items():
        print(f"{label:<30} " + " | ".join(_cell(row[name]) for name in sets))
    _print_changes(record["table"])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--rules", help="only these rules (comma-separated; 'none': the 'all rules' row alone); "
                                        "default every switchable rule")
    parser.add_argument("--together", action="append", default=[], metavar="NAME,NAME",
                        help="also a variant with these rules off together (the rules a pruning removes)")
    parser.add_argument("--index", help="index of the sample corpus for sample/conversations (built in a temp dir when absent)")
    parser.add_argument("--json", help="write the numbers here (default benchmarks/results/ablate-verifier-<UTC>.json)")
    parser.add_argument("--multihop-record", default=str(MULTIHOP), metavar="JSON",
                        help="the MultiHop-RAG record replayed (default: the dev drafts; a test record only to report "
                             "a decision taken on dev, never to tune)")
    parser.add_argument("--drafts", action="append", default=[], metavar="SET=JSON",
                        help="replay this recording of benchmarks.record_drafts instead of the one named in DRAFTS")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="no replay: join the tables of runs over different --rules (each hold of the shared lock "
                             "short) into one results file, after checking their 'all rules' rows agree")
    args = parser.parse_args()
    if args.merge:
        return _merge(args.merge, args.json)
    for item in args.drafts:
        name, _, path = item.partition("=")
        if name not in DRAFTS or not path:
            parser.error(f"--drafts {item}: expected SET=JSON with SET one of {', '.join(DRAFTS)}")
        DRAFTS[name] = Path(path).resolve()
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    switchable = [r.name for r in RULES if r.switchable]
    rules = [] if args.rules == "none" else args.rules.split(",") if args.rules else switchable
    together = [frozenset(t.split(",")) for t in args.together]
    named = set(rules).union(*together)
    if named - set(switchable):
        parser.error(f"not switchable rules: {', '.join(sorted(named - set(switchable)))}")

    t0 = time.perf_counter()
    replays: dict[str, list[Replay]] = {}
    skipped: dict[str, str] = {}
    sample_assistant = None
    for name in sets:
        try:
            if name in DRAFTS and not DRAFTS[name].is_file():
                raise Skip(f"no recording {DRAFTS[name].relative_to(ROOT)} (python -m benchmarks.record_drafts --set {name})")
            if name == "multihop":
                replays[name] = [_multihop(Path(args.multihop_record))]
            elif name == "reuters":
                replays[name] = _reuters()
            elif name == "rgb":
                replays[name] = [_rgb()]
            else:
                if sample_assistant is None:
                    sample_assistant = benchmark_assistant(index_dir=args.index, prefix="rag-ablate-", context_tokens=480)
                replays[name] = [(_sample if name == "sample" else _conversations)(sample_assistant)]
        except Skip as exc:
            skipped[name] = str(exc)
            print(f"skipped {name}: {exc}")
    sets = [s for s in sets if s in replays]
    print(f"prepared {sum(len(r.items) for rs in replays.values() for r in rs)} questions in {time.perf_counter() - t0:.0f} s")

    base = VerifierSettings()
    variants = [("all rules", base)] + [(f"- {rule}", replace(base, disabled_rules=frozenset({rule}))) for rule in rules]
    variants += [("- " + " - ".join(sorted(t)), replace(base, disabled_rules=t)) for t in together]
    table: dict[str, dict[str, dict]] = {}
    print("per set: right/questions  answerable abstained  unanswerable abstained  answerable answered wrong"
          "  [MultiHop: gold citation precision/recall]")
    print(f"{'variant':<30} " + " | ".join(f"{name:^27}" for name in sets))
    for label, verification in variants:
        table[label] = {name: _score(replays[name], verification) for name in sets}
        print(f"{label:<30} " + " | ".join(_cell(table[label][name]) for name in sets), flush=True)
    _print_changes(table)
    records = {"multihop": str(Path(args.multihop_record).resolve().relative_to(ROOT)),
               "reuters": "benchmarks/results/reuters-dev-product-default-*.json",
               **{name: str(path.relative_to(ROOT)) for name, path in DRAFTS.items()}}
    record = {"sets": sets, "skipped": skipped, "records": {name: records[name] for name in sets},
              "stale_prompts": {name: sum(r.stale for r in replays[name]) for name in sets},
              "table": table, "seconds": round(time.perf_counter() - t0, 1)}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))
    else:
        print(write_results("ablate-verifier", record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
