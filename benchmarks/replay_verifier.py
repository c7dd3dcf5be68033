"""Re-verify recorded answers with and without a verifier rule, without the LLM.

    .venv/bin/python -m benchmarks.replay_verifier sample benchmarks/results/sample_qa_default_ctx480-<UTC>.json --context-tokens 480
    .venv/bin/python -m benchmarks.replay_verifier conversations benchmarks/results/conversations-default-<UTC>.json
    .venv/bin/python -m benchmarks.replay_verifier multihop benchmarks/results/multihop-queries.dev-<UTC>.json

Generation is the slow part of every answer benchmark; the verifier is not. A
results file keeps each answer's text (MultiHop records keep the raw draft), so
a change to the verifier can be checked against every recorded answer in
seconds: the passages are retrieved and compressed again exactly as ``ask``
does, and the answer is verified twice, with the rule off and on. Prints the
answers whose outcome (answered or not, unsupported sentences) changes, and
the number answered per label (right/wrong, answerable/unanswerable as the
results file scored them). The rule compared is ``--rule``: ``anchor_share``
(a number must be about the question's subject), ``name_share`` (so must a
name), ``publications`` (a sentence that names who reported must cite that
publication: on, the index's sources are given; off, none), or one of the claim-content
switches ``exempt_framing``, ``check_given``, ``must_answer`` (off and on, the others at
their defaults); see rag/attribution.py and rag/claim_content.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.bench_common import ROOT, benchmark_assistant
from rag import Assistant, Settings
from rag.attribution import attribute
from rag.prompts import CONFLICT_NOTE, NO_ANSWER


_SWITCHES = ("exempt_framing", "check_given", "must_answer")  # rag.claim_content's rules, on or off


def _replay(assistant: Assistant, items: list[tuple[str, str, str, str]], rule: str, on: float) -> None:
    counts: dict[str, dict[str, int]] = {}
    for item_id, question, text, label in items:
        stream = assistant.stream(question)
        if stream.abstain_reason is not None:
            continue
        draft = text.split(CONFLICT_NOTE)[0]  # the conflict note is added after verification
        outcome = {}
        for setting in (0.0, on):
            value = (assistant.index.sources() if setting else ()) if rule == "publications" else setting
            if rule in _SWITCHES:
                value = bool(setting)
            found = attribute(draft, stream.evidence.passages, embed=assistant.index.embedder.embed, question=question,
                              **{rule: value})
            outcome[setting] = (bool(found.citations), len(found.unsupported))
        if outcome[0.0] != outcome[on]:
            print(f"{item_id} [{label}] answered, unsupported sentences: off {outcome[0.0]} -> on {outcome[on]} | {draft[:110]}")
        for setting in (0.0, on):
            counts.setdefault(f"{rule}={setting}", {}).setdefault(label, 0)
            counts[f"{rule}={setting}"][label] += outcome[setting][0]
    total = {label: sum(1 for *_, lab in items if lab == label) for label in {lab for *_, lab in items}}
    print(f"recorded answers replayed, by label: {total}")
    for name, answered in counts.items():
        print(f"answered with {name}: {answered}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["sample", "conversations", "multihop"])
    parser.add_argument("results", help="a results file written by benchmarks.sample_qa, benchmarks.conversations or rag eval multihop --answers")
    parser.add_argument("--context-tokens", type=int, help="the evidence budget the recorded run used")
    parser.add_argument("--index", help="index of the sample corpus (built in a temp dir when absent)")
    parser.add_argument("--rule", choices=["anchor_share", "name_share", "publications", *_SWITCHES], default="anchor_share")
    parser.add_argument("--share", "--anchor-share", type=float, default=0.5, help="the rule's setting when on")
    args = parser.parse_args()
    record = json.loads(Path(args.results).read_text())
    if args.kind == "multihop":
        from index import CorpusIndex

        index = CorpusIndex.open(record["index"]["index_dir"], None, create=False)
        budget = args.context_tokens or record["config"]["answer_settings"]["context_tokens"]
        assistant = Assistant(Settings(context_tokens=budget), index=index)
        items = [(r["id"], r["query"], r["draft"], ("null" if r["null"] else "answerable") +
                  ("/unverified-right" if r["unverified"]["strict"] else "/unverified-wrong"))
                 for r in record["answers"]["answers"] if r["draft"] and not r["draft"].startswith(NO_ANSWER)]
    else:
        assistant = benchmark_assistant(index_dir=args.index, prefix="rag-replay-", context_tokens=args.context_tokens)
        if args.kind == "sample":
            questions = {q["id"]: q for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text())}
            items = [(r["id"], questions[r["id"]]["question"], r["answer"],
                      ("right" if r["ok"] else "wrong") + ("/answerable" if r["answerable"] else "/unanswerable"))
                     for r in record["rows"] if not r["abstained"]]
        else:
            items = [(f"{r['id']}.{i + 1}", t["standalone"], t["answer"], "right" if t["ok"] else "wrong")
                     for r in record["rows"] for i, t in enumerate(r["turns"]) if not t["answer"].startswith(NO_ANSWER)]
    _replay(assistant, items, args.rule, args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
