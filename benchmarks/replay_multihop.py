"""Score recorded MultiHop-RAG answers again under the current code, without the LLM.

    .venv/bin/python -m benchmarks.replay_multihop benchmarks/results/multihop-queries.dev-<UTC>.json [more files]

``rag eval multihop --answers`` keeps each query's raw model output (``draft``).
Generation takes ~15 s an answer on 2 cores; everything after it (verification,
citations, conflicts, abstention, scoring) takes milliseconds. This script puts
each recorded draft back through the real pipeline, ``evaluate_answers`` with the
product's Assistant, whose generator returns the recorded draft instead of
running the model, and prints the verified system's numbers beside the ones
recorded. Retrieval and the evidence are recomputed by the current code, so
a change there that alters the prompt makes the recorded draft stale (unless
told which setting changed, ``--recorded-with`` below, this script cannot
tell: keep retrieval and evidence fixed while replaying).

Use it on the dev split while changing the verifier; report test numbers from
a real ``rag eval`` run.

A retrieval change alters some prompts. ``--recorded-with NAME=VALUE`` names
the setting the recording was made with (``--recorded-with k=4`` after a change of ``k``):
each question's prompt is built both ways, and the questions whose prompt
differs are answered again by the real model (greedy decoding: an unchanged
prompt gives the recorded draft), the others replayed. That measures a retrieval
change on a whole split for the cost of the questions it touches.

``--all-queries`` grows a ``--per-type`` record to its whole split the same way: the
recorded drafts are replayed, the queries the record lacks are answered by the real model, and
``--json`` writes one record of them all (greedy decoding: the recorded drafts are the ones the
model would write again, while retrieval and prompts are unchanged).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Iterator, Sequence

from index import CorpusIndex
from rag import Assistant, Settings, SettingsError
from rag.evaluation.cli import _print_answers
from rag.evaluation.multihop import evaluate_answers, load_queries


class RecordedDrafts:
    """A generator that answers each question with the draft recorded for it; questions in
    ``stale`` (whose prompt the current code changed) are answered by ``live``, the real model."""

    id = "recorded-drafts"

    def __init__(self, drafts: dict[str, str], live=None, stale: frozenset[str] = frozenset()) -> None:
        self.drafts = drafts
        self.live = live
        self.stale = stale
        self.missing = 0
        self.regenerated = 0

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages: Sequence[dict], max_tokens: int = 256) -> Iterator[str]:
        # The user message ends "Question: <question>" and perhaps a hint line (rag.prompts.user_message);
        # a question may itself hold line breaks, so the longest recorded question it starts with wins.
        rest = messages[-1]["content"].rsplit("\nQuestion: ", 1)[-1]
        matches = [q for q in self.drafts if rest == q or rest.startswith(q + "\n")]
        if not matches:
            self.missing += 1
            if self.live is not None:  # --all-queries: a question the record lacks is answered now
                self.regenerated += 1
                yield from self.live.stream(messages, max_tokens=max_tokens)
        elif max(matches, key=len) in self.stale:
            self.regenerated += 1
            yield from self.live.stream(messages, max_tokens=max_tokens)
        else:
            yield self.drafts[max(matches, key=len)]


def _stale_questions(index: CorpusIndex, settings: Settings, recorded_with: list[tuple[str, object]],
                     queries: list[dict]) -> tuple[frozenset[str], list[str]]:
    """The questions whose prompt under ``settings`` differs from the one the recording was made
    with (``settings`` changed by ``recorded_with``): their recorded draft answers another prompt.
    Also the questions whose prompt is the same (those that reach the model), in order."""
    now = Assistant(settings, index=index, generator=RecordedDrafts({}))
    then = Assistant(with_settings(settings, recorded_with), index=index, generator=RecordedDrafts({}))
    stale, same = set(), []
    for q in queries:
        prompt = now.stream(q["query"]).messages
        if prompt != then.stream(q["query"]).messages:
            stale.add(q["query"])
        elif prompt:
            same.append(q["query"])
    return frozenset(stale), same


def _setting(text: str) -> tuple[str, object]:
    """``k=4`` -> ("k", 4), typed like the Settings knob ("true"/"false" for a flag)."""
    name, sep, value = text.partition("=")
    try:
        if not sep or not value:
            raise SettingsError("expected NAME=VALUE")
        return Settings().parse_value(name, value)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}; NAME is a rag.Settings knob ('rag settings')") from None


def with_settings(settings: Settings, changes: Sequence[tuple[str, object]]) -> Settings:
    """``settings`` with the ``changes`` of :func:`_setting` made, in order."""
    for name, value in changes:
        settings = settings.with_overrides(**{name: value})
    return settings


def _queries(record: dict, per_type: int | None = None) -> list[dict]:
    """The record's queries; ``per_type``: only the first N of each question type among them, in file order."""
    wanted = {r["id"] for r in record["answers"]["answers"]}
    rows = [q for q in load_queries(record["queries_file"]) if q["id"] in wanted]
    if per_type:
        counts: dict[str, int] = {}
        rows = [q for q in rows if counts.setdefault(q["question_type"], 0) < per_type
                and not counts.update({q["question_type"]: counts[q["question_type"]] + 1})]
    return rows


def _row(name: str, summary: dict) -> str:
    acc = summary["accuracy"]["all"]
    gold = summary["citations"]["gold"]
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    return (f"{name:<10} strict {acc['strict']:.3f}  lenient {acc['lenient']:.3f}  null abstained "
            f"{fmt(summary['abstention_rate_null'])}  answerable abstained {fmt(summary['wrong_abstention_rate_answerable'])}"
            f"  cit. precision/recall (gold) {fmt(gold['precision'])}/{fmt(gold['recall'])}"
            f"  citations {summary['citations']['citations']}  sentences left out {summary['citations'].get('left_out', '-')}")


def llm_judge(cache: str | None, live_model: str | None):
    """The LLM entailment judge for a replay: readings from ``cache`` (benchmarks/judge_cache.py), the rest read
    by the real model ``live_model`` (None: a reading the cache lacks is an error). Returns (judge, cache)."""
    from benchmarks.judge_cache import CachedReader
    from rag.judge import LLMJudge

    live = (lambda: Assistant(Settings(model=live_model)).generator) if live_model else None
    cached = CachedReader(cache, live, model=live_model or "")
    return LLMJudge(cached), cached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results files of rag eval multihop --answers")
    parser.add_argument("--json", help="write the replayed record here (one results file only), in the same format")
    parser.add_argument("--recorded-with", type=_setting, action="append", default=[], metavar="NAME=VALUE",
                        help="a setting the recording was made with that the current code changes (a retrieval "
                             "change): questions whose prompt it changes are answered again by the real model "
                             "(--model), the others replayed")
    parser.add_argument("--set", type=_setting, action="append", default=[], metavar="NAME=VALUE", dest="overrides",
                        help="a Settings field changed for the replay (e.g. verification.entailment_reject=0.3, or by its "
                             "unique name, verify_entailment=true; disabled_rules=NAME,NAME): a verifier "
                             "variant measured on the recorded drafts")
    parser.add_argument("--model", default="default", help="LLM for the questions --recorded-with finds changed")
    parser.add_argument("--check-unchanged", type=int, default=0, metavar="N",
                        help="with --recorded-with, also answer N questions whose prompt did not change again and "
                             "count the drafts equal to the recorded ones (the method's premise)")
    parser.add_argument("--all-queries", action="store_true",
                        help="also answer, with the real model (--model), the queries of the record's queries file "
                             "that it lacks (a --per-type record grown to the whole split); with --json, the "
                             "written record holds them all")
    parser.add_argument("--per-type", type=int, metavar="N",
                        help="replay only the first N recorded queries of each question type (a fixed stratified "
                             "sample; the recorded row printed beside it is the whole record's)")
    parser.add_argument("--judge-cache", metavar="FILE",
                        help="with --set entailment_judge=llm: the LLM judge's readings by (premise, claim), read if "
                             "present and written back with the new ones (benchmarks/judge_cache.py)")
    parser.add_argument("--judge-live", action="store_true",
                        help="with --set entailment_judge=llm: read the pairs the cache lacks with the real model "
                             "(--model); without it a missing reading is an error")
    parser.add_argument("--tables", action="store_true",
                        help="also print rag eval's answer tables for the replay (its times are the replay's, not generation)")
    args = parser.parse_args()
    if args.json and len(args.results) > 1:
        parser.error("--json takes one results file")
    for path in args.results:
        if not Path(path).is_file():
            parser.error(f"no such file: {path}")
    for path in args.results:
        record = json.loads(Path(path).read_text())
        answers = record["answers"]["answers"]
        drafts = {r["query"]: r["draft"] for r in answers}
        index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
        settings = with_settings(Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"]),
                                 args.overrides)
        queries = load_queries(record["queries_file"]) if args.all_queries else _queries(record, args.per_type)
        stale, live = frozenset(), None
        checks: list[str] = []
        if args.all_queries:
            live = Assistant(settings.with_overrides(model=args.model)).generator
            print(f"{len(queries) - len(answers)} of {len(queries)} queries not in the record: answered by the model")
        if args.recorded_with:
            stale, unchanged = _stale_questions(index, settings, args.recorded_with, queries)
            checks = unchanged[: args.check_unchanged]
            live = live or Assistant(settings.with_overrides(model=args.model)).generator
            print(f"{len(stale)} of {len(queries)} prompts changed")
        generator = RecordedDrafts(drafts, live, stale | frozenset(checks))
        judge = cached = None
        if settings.verification.entailment_judge == "llm":
            judge, cached = llm_judge(args.judge_cache, args.model if args.judge_live else None)
        assistant = Assistant(settings, index=index, generator=generator, judge=judge)
        try:
            replayed = evaluate_answers(assistant, queries)
        finally:
            if cached is not None:
                cached.save()
        print(f"{Path(path).name}: {len(answers)} queries ({generator.missing} prompts without a recorded draft, "
              f"{generator.regenerated} answered again by the model: {len(stale)} changed prompts, the rest checks)")
        print("  " + _row("recorded", record["answers"]["systems"]["verified"]))
        print("  " + _row("replayed", replayed["systems"]["verified"]))
        if judge is not None:
            verified = sum(1 for r in replayed["answers"] if r.get("draft"))
            print(f"  judge: {judge.pairs} pairs asked over {len(replayed['answers'])} queries "
                  f"({judge.pairs / max(1, len(replayed['answers'])):.2f} a query, {verified} drafts); {json.dumps(cached.stats())}")
        if checks:
            regenerated = {r["query"]: r["draft"] for r in replayed["answers"]}
            same = sum(regenerated[q] == drafts[q] for q in checks)
            print(f"  unchanged prompts answered again: {same} of {len(checks)} drafts equal to the recorded ones")
        if args.tables:
            _print_answers(replayed, record["models"]["llm"])
        if args.json:
            Path(args.json).write_text(json.dumps({**record, "answers": replayed, "replayed_from": str(path),
                                                   "answered_by_the_model": generator.regenerated}, indent=1))
        before = {r["id"]: r for r in answers}
        for r in replayed["answers"]:
            old = before.get(r["id"])
            if old is None:
                continue  # answered for the first time (--all-queries)
            if (old["verified"]["abstained"], old["verified"]["strict"]) != (r["verified"]["abstained"], r["verified"]["strict"]):
                print(f"    {r['id']} [{r['question_type']}] abstained {old['verified']['abstained']} -> "
                      f"{r['verified']['abstained']}, strict {old['verified']['strict']} -> {r['verified']['strict']}"
                      + (" (answered again)" if r["query"] in stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
