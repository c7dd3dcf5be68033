"""The claim-content rules (rag/claim_content.py) alone and together on recorded drafts, without the LLM.

    .venv/bin/python -m benchmarks.replay_claim_rules [--sets mh-dev,reuters-dev,...] [--variants base,all,...]

Each set's recorded drafts are put back through the product as ``replay_multihop`` (MultiHop-RAG
dev and test records), ``replay_reuters`` (the Reuters set's product drafts) and ``replay_verifier``
(the sample questions and the two conversation records: attribute() on the re-retrieved evidence)
do, once per variant of the three switches of :func:`rag.attribution.attribute`
(``exempt_framing``, ``check_given``, ``must_answer``, and ``given_in_cited``). The switches are
keyword arguments of attribute(), not Settings fields (Settings is being restructured into a
verifier group), so for each variant this script sets attribute()'s keyword defaults in its own
process; when they become Settings fields this is ``replay_multihop --set NAME=VALUE``. Embeddings
are memoised across variants, so all variants cost little more than one.

Prints, per set and variant: MultiHop strict accuracy, answerable abstained, null abstained, wrong
but answered; Reuters the same from the set's judge; sample and conversations the recorded answers
still answered, by label. Writes benchmarks/results/claim-rules-<UTC>.json with per-query outcomes.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import json
import sys
from pathlib import Path

import numpy as np

import rag.attribution as attribution
from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from benchmarks.replay_multihop import RecordedDrafts, _queries
from index import CorpusIndex
from rag import Assistant, Settings
from rag.evaluation.metrics import judge_answer
from rag.evaluation.multihop import evaluate_answers
from rag.prompts import CONFLICT_NOTE, NO_ANSWER

SWITCHES = ("exempt_framing", "check_given", "must_answer", "given_in_cited")
VARIANTS = {"base": (0, 0, 0, 0), "framing": (1, 0, 0, 0), "given": (0, 1, 0, 0), "answer": (0, 0, 1, 0),
            "all": (1, 1, 1, 0), "all-framing": (0, 1, 1, 0), "all-given": (1, 0, 1, 0), "all-answer": (1, 1, 0, 0),
            "given-cited": (0, 1, 0, 1), "all-given-cited": (1, 1, 1, 1)}
MULTIHOP = {"mh-dev": "benchmarks/results/multihop-queries.dev-20261128T154616Z-all-queries-6c8a33c.json",
            "mh-test": "benchmarks/results/multihop-queries.test-20261128T144716Z.json"}
RECORDS = {"sample": "benchmarks/results/sample_qa_default_ctx480-20261128T111126Z.json",
           "conv": "benchmarks/results/conversations-default-20261128T114438Z.json",
           "conv-heldout": "benchmarks/results/conversations-default-heldout-20261128T121312Z.json"}
SETS = [*MULTIHOP, "reuters-dev", "reuters-test", *RECORDS]


def use(variant: str) -> None:
    """attribute()'s switch defaults for ``variant`` (this process only)."""
    values = dict(zip(SWITCHES, map(bool, VARIANTS[variant])))
    params = [p for p in inspect.signature(attribution.attribute).parameters.values() if p.default is not p.empty]
    attribution.attribute.__defaults__ = tuple(values.get(p.name, p.default) for p in params)


class MemoEmbedder:
    """An embedder that embeds each text once per process (the variants verify the same sentences)."""

    def __init__(self, embedder) -> None:
        self._embedder, self._cache = embedder, {}

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def embed(self, texts, *args, **kwargs):
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._embedder.embed(missing, *args, **kwargs)))
        return np.array([self._cache[t] for t in texts])


def _memo(index):
    index.embedder = MemoEmbedder(index.embedder)
    return index


def multihop(name: str, variants: list[str]) -> dict:
    record = json.loads((ROOT / MULTIHOP[name]).read_text())
    index = _memo(CorpusIndex.open(record["index"]["index_dir"], None, create=False))
    settings = Settings(context_tokens=record["config"]["answer_settings"]["context_tokens"])
    drafts = {r["query"]: r["draft"] for r in record["answers"]["answers"]}
    assistant = Assistant(settings, index=index, generator=RecordedDrafts(drafts))
    queries = _queries(record)
    out = {}
    for variant in variants:
        use(variant)
        rows = evaluate_answers(assistant, queries)["answers"]
        answerable = [r for r in rows if not r["null"]]
        out[variant] = dict(
            queries=len(rows), strict=sum(bool(r["verified"]["strict"]) for r in rows) / len(rows),
            answerable=len(answerable), answerable_abstained=sum(r["verified"]["abstained"] for r in answerable),
            null=len(rows) - len(answerable), null_abstained=sum(r["verified"]["abstained"] for r in rows if r["null"]),
            wrong_answered=sum(not r["verified"]["abstained"] and not r["verified"]["strict"] for r in answerable),
            per_query={r["id"]: [r["verified"]["abstained"], bool(r["verified"]["strict"])] for r in rows})
    return out


def reuters(split: str, variants: list[str]) -> dict:
    questions = {q["id"]: q for q in json.loads((ROOT / "benchmarks/data/reuters_qa.json").read_text())["questions"]}
    runs = []
    for path in sorted(glob.glob(str(ROOT / f"benchmarks/results/reuters-{split}-product-default-*.json"))):
        record = json.loads(Path(path).read_text())
        drafts = {questions[row["id"]]["question"]: row["draft"] for row in record["records"]}
        assistant = Assistant(Settings(index_dir=record["index"]["index_dir"]), generator=RecordedDrafts(drafts))
        _memo(assistant.index)
        runs.append((assistant, record))
    out = {}
    for variant in variants:
        use(variant)
        tally = dict(answerable=0, right=0, abstained=0, wrong_answered=0, unanswerable=0, unanswerable_abstained=0)
        per = {}
        for assistant, record in runs:
            for row in record["records"]:
                q = questions[row["id"]]
                answer = assistant.ask(q["question"])
                right = bool(judge_answer(answer.text, answer.abstained, q["answers"], q["answerable"]))
                per[row["id"]] = [answer.abstained, right, answer.unsupported_reasons]
                if q["answerable"]:
                    tally["answerable"] += 1
                    tally["right"] += right
                    tally["abstained"] += answer.abstained
                    tally["wrong_answered"] += not answer.abstained and not right
                else:
                    tally["unanswerable"] += 1
                    tally["unanswerable_abstained"] += answer.abstained
        out[variant] = dict(tally, per_query=per)
    return out


def recorded(name: str, variants: list[str], assistant: Assistant) -> dict:
    record = json.loads((ROOT / RECORDS[name]).read_text())
    if name == "sample":
        questions = {q["id"]: q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text())}
        items = [(r["id"], questions[r["id"]]["question"], r["answer"],
                  ("right" if r["ok"] else "wrong") + ("/answerable" if r["answerable"] else "/unanswerable"))
                 for r in record["rows"] if not r["abstained"]]
    else:
        items = [(f"{r['id']}.{i + 1}", t["standalone"], t["answer"], "right" if t["ok"] else "wrong")
                 for r in record["rows"] for i, t in enumerate(r["turns"]) if not t["answer"].startswith(NO_ANSWER)]
    streams = [(item_id, q, text.split(CONFLICT_NOTE)[0], label, assistant.stream(q)) for item_id, q, text, label in items]
    publications = assistant.index.sources()
    out = {}
    for variant in variants:
        use(variant)
        answered: dict[str, int] = {}
        per = {}
        for item_id, question, draft, label, stream in streams:
            if stream.abstain_reason is not None:
                continue
            found = attribution.attribute(draft, stream.evidence.passages, embed=assistant.index.embedder.embed,
                                          question=question, publications=publications)
            answered[label] = answered.get(label, 0) + bool(found.citations)
            per[item_id] = [bool(found.citations), list(found.reasons)]
        recorded_answered = {label: sum(1 for *_, lab in items if lab == label) for label in {lab for *_, lab in items}}
        out[variant] = dict(answered=answered, recorded_answered=recorded_answered, per_query=per)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--index", help="index of the sample corpus for sample/conv (built in a temp dir when absent)")
    args = parser.parse_args()
    sets, variants = args.sets.split(","), args.variants.split(",")
    for name in sets + variants:
        if name not in SETS and name not in VARIANTS:
            parser.error(f"unknown set or variant {name!r}")
    results = {}
    sample_assistant = None
    for name in sets:
        if name in MULTIHOP:
            results[name] = multihop(name, variants)
        elif name.startswith("reuters-"):
            results[name] = reuters(name.split("-", 1)[1], variants)
        else:
            if sample_assistant is None:
                sample_assistant = benchmark_assistant(index_dir=args.index, prefix="rag-replay-", context_tokens=480)
                _memo(sample_assistant.index)
            results[name] = recorded(name, variants, sample_assistant)
        for variant, row in results[name].items():
            print(name, variant, json.dumps({k: v for k, v in row.items() if k != "per_query"}), flush=True)
    path = write_results("claim-rules", {"variants": {v: dict(zip(SWITCHES, map(bool, VARIANTS[v]))) for v in variants},
                                         "results": results})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
