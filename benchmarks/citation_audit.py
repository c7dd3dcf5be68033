"""Citation precision by reading: a random sample of (sentence, citation) pairs judged by a reader.

    # 1. draw the sample from a results file of rag eval multihop --answers (pairs carry corpus text:
    #    keep them out of the repository)
    .venv/bin/python -m benchmarks.citation_audit sample RESULTS --n 60 --seed 14 --out /tmp/pairs.json
    # 2. a reader writes one label per pair: "supports", "partial" or "no" (rubric below), as
    #    {"labels": [{"key": ..., "label": ...}, ...]} in benchmarks/data/citation-audit-<name>.json
    # 3. score
    .venv/bin/python -m benchmarks.citation_audit score RESULTS benchmarks/data/citation-audit-<name>.json

    # A verifier change, read blind: the pairs it removes from RESULTS (AFTER: the same drafts
    # replayed with the change) mixed with as many it keeps; the reader labels them all, then
    .venv/bin/python -m benchmarks.citation_audit mix RESULTS AFTER --out /tmp/pairs.json --groups /tmp/groups.json
    .venv/bin/python -m benchmarks.citation_audit score RESULTS LABELS --groups /tmp/groups.json

The issue's citation precision is "the share of citations whose quote supports
the sentence citing it". The gold judge (rag/evaluation/citations.py) does not
read the sentence: it asks whether the quote is one of the benchmark's gold
facts, so a quote from another article on the same story that says the same
thing counts as wrong, and a gold fact cited for a sentence it does not support
counts as right. The lexical judge reads the sentence but needs 60% of its words
in the quote, which a sentence restating a multi-part question never meets.
This script measures the definition itself, on a sample, by a reader.

Rubric given to the reader (the pair shows the answer sentence, and the quote
with its article's title, source and date, as the UI shows a citation):

- ``supports``: the quote, with its heading, states what the sentence says, or
  the part of it that this citation is there for (a sentence citing two
  articles needs each to state its own part).
- ``partial``: the quote states some of it, and the rest is neither in it nor
  in the question's premises.
- ``no``: the quote does not state it, or states something else.

A verdict sentence ("Yes.") cites the facts that decide it; its pairs are
judged on whether the quote states one of those facts. A pair is keyed by query
id, sentence index and citation number, so the labels file holds no corpus text.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from rag.verification import split_claims

LABELS = ("supports", "partial", "no")


def _pairs(record: dict) -> list[dict]:
    """Every (sentence, citation) pair of the answers given to answerable queries."""
    from rag.evaluation.metrics import citation_matches_gold
    from rag.evaluation.multihop import load_queries

    facts = {q["id"]: q["facts"] for q in load_queries(record["queries_file"])}
    out = []
    for r in record["answers"]["answers"]:
        if r["null"] or r["verified"]["abstained"]:
            continue
        for i, (sentence, markers) in enumerate(split_claims(r["answer"])):
            for n in dict.fromkeys(markers):
                if 1 <= n <= len(r["quotes"]):
                    quote = r["quotes"][n - 1]
                    out.append({"key": f"{r['id']}:{i}:{n}", "question": r["query"], "sentence": sentence,
                                "quote": quote, "gold": citation_matches_gold(quote, facts[r["id"]])})
    return out


def _headings(record: dict) -> list[tuple[str, str]]:
    """("title | date | url", text) of each corpus file: the heading the UI shows with a quote."""
    heads = []
    for path in Path(record["corpus"]).glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        title, date, url, *_ = (text.split("\n", 3) + ["", "", ""])[:4]
        heads.append((f"{title} | {date} | {url}", text))
    return heads


def _write_blind(pairs: list[dict], record: dict, out: str) -> None:
    """The pairs file a reader gets: each pair with its quote's heading, without the gold judge's
    verdict (or anything else that says how the pair was chosen), and the rubric."""
    heads = _headings(record)
    blind = [{**{k: v for k, v in pair.items() if k != "gold"},
              "heading": next((h for h, text in heads if pair["quote"] in text), "")} for pair in pairs]
    Path(out).write_text(json.dumps({"rubric": __doc__.split("Rubric")[1].split("A pair is keyed")[0],
                                     "pairs": blind}, indent=1, ensure_ascii=False))


def sample(args: argparse.Namespace) -> int:
    record = json.loads(Path(args.results).read_text())
    pairs = _pairs(record)
    chosen = random.Random(args.seed).sample(pairs, min(args.n, len(pairs)))
    _write_blind(chosen, record, args.out)
    print(f"{len(chosen)} of {len(pairs)} pairs written to {args.out}")
    return 0


def mix(args: argparse.Namespace) -> int:
    """A verifier change read blind: the pairs of ``results`` that the change's results file
    (``after``, the same drafts replayed) no longer has, shuffled with as many drawn from those it
    keeps, so a reader labels both without knowing which is which. The groups go to their own file,
    to be added to the labels (a "group" field each) or passed to ``score --groups``."""
    record = json.loads(Path(args.results).read_text())
    after = {(p["question"], p["sentence"], p["quote"]) for p in _pairs(json.loads(Path(args.after).read_text()))}
    pairs = _pairs(record)
    removed = [p for p in pairs if (p["question"], p["sentence"], p["quote"]) not in after]
    kept = [p for p in pairs if (p["question"], p["sentence"], p["quote"]) in after]
    rng = random.Random(args.seed)
    control = rng.sample(kept, min(len(kept), args.kept or len(removed)))
    mixed = [(p, "removed") for p in removed] + [(p, "kept") for p in control]
    rng.shuffle(mixed)
    _write_blind([p for p, _ in mixed], record, args.out)
    Path(args.groups).write_text(json.dumps({"results": args.results, "after": args.after,
                                             "groups": {p["key"]: group for p, group in mixed}}, indent=1))
    print(f"{len(removed)} pairs the change removes and {len(control)} of the {len(kept)} it keeps, shuffled, "
          f"written to {args.out}; which is which: {args.groups}")
    return 0


def score(args: argparse.Namespace) -> int:
    record = json.loads(Path(args.results).read_text())
    pairs = {p["key"]: p for p in _pairs(record)}
    labels = json.loads(Path(args.labels).read_text())["labels"]
    unknown = [x["key"] for x in labels if x["key"] not in pairs or x["label"] not in LABELS]
    if unknown:
        print(f"labels that match no pair of this results file, or no label of {LABELS}: {unknown}", file=sys.stderr)
        return 2
    n = len(labels)
    counts = {label: sum(x["label"] == label for x in labels) for label in LABELS}
    gold = [pairs[x["key"]]["gold"] for x in labels]
    agree = sum(g == (x["label"] == "supports") for g, x in zip(gold, labels))
    print(f"{n} pairs sampled from {len(pairs)}: " + ", ".join(f"{k} {v} ({v / n:.2f})" for k, v in counts.items()))
    print(f"citation precision by reading: {counts['supports'] / n:.3f} (supports), "
          f"{(counts['supports'] + counts['partial']) / n:.3f} (supports or partial)")
    print(f"gold judge on the same pairs: {sum(gold) / n:.3f} precise; agrees with the reader (supports) on {agree / n:.2f}")
    both = Counter(zip(gold, (x["label"] for x in labels)))
    for g in (True, False):
        for label in (label for label in LABELS if counts[label]):
            print(f"  gold {'yes' if g else 'no '} / reader {label}: {both[(g, label)]}")
    from_file = json.loads(Path(args.groups).read_text())["groups"] if args.groups else {}
    groups = {x["key"]: x.get("group") or from_file.get(x["key"]) for x in labels}
    for group in sorted({g for g in groups.values() if g}):
        mine = [x["label"] for x in labels if groups[x["key"]] == group]
        print(f"  {group}: {len(mine)} pairs, " + ", ".join(f"{label} {mine.count(label)}" for label in LABELS))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("results")
    s.add_argument("--n", type=int, default=60)
    s.add_argument("--seed", type=int, default=14)
    s.add_argument("--out", required=True)
    m = sub.add_parser("mix", help="the pairs a verifier change removes, mixed blind with pairs it keeps")
    m.add_argument("results", help="results file before the change")
    m.add_argument("after", help="the same drafts replayed with the change (benchmarks.replay_multihop --json)")
    m.add_argument("--kept", type=int, default=0, help="pairs drawn from those kept (default: as many as removed)")
    m.add_argument("--seed", type=int, default=18)
    m.add_argument("--out", required=True, help="the pairs file for the reader")
    m.add_argument("--groups", required=True, help="which pair is removed or kept (not for the reader)")
    c = sub.add_parser("score")
    c.add_argument("results")
    c.add_argument("labels")
    c.add_argument("--groups", help="a groups file of mix: counts per group too (or a \"group\" field per label)")
    args = parser.parse_args()
    inputs = {"sample": [args.results], "mix": [args.results, getattr(args, "after", None)],
              "score": [args.results, getattr(args, "labels", None), getattr(args, "groups", None)]}[args.command]
    for path in inputs:  # (mix's --groups is a file it writes)
        if path and not Path(path).is_file():
            parser.error(f"no such file: {path}")
    return {"sample": sample, "mix": mix, "score": score}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
