"""Session-19 experiment (reverted with the feature): the LLM's Yes/No margin on reader-labelled
(sentence, citation) pairs, and how well it separates the reader's labels.

    .venv/bin/python benchmarks/judge_pairs.py RESULTS LABELS --out margins.json   # ~4.5 s a pair, default model
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import citation_audit as audit  # noqa: E402
from rag import Assistant, Settings  # noqa: E402
from rag.judge import _is_bare_answer  # noqa: E402
from rag.prompts import judge_messages  # noqa: E402


def _auc(pos: list[float], neg: list[float]) -> float:
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / max(1, len(pos) * len(neg))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("labels")
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    record = json.loads(Path(args.results).read_text())
    pairs = {p["key"]: p for p in audit._pairs(record)}
    heads = audit._headings(record)
    reader = Assistant(Settings(model=args.model)).generator
    scored = []
    for label in json.loads(Path(args.labels).read_text())["labels"]:
        pair = pairs[label["key"]]
        heading = next((h for h, text in heads if pair["quote"] in text), "")
        asked = pair["question"] if _is_bare_answer(pair["sentence"]) else ""
        margin = reader.yes_no_margin(judge_messages(heading, pair["quote"], pair["sentence"], asked))
        scored.append({"key": label["key"], "label": label["label"], "gold": pair["gold"], "margin": margin})
    Path(args.out).write_text(json.dumps(scored, indent=1))
    supports = [s["margin"] for s in scored if s["label"] == "supports"]
    no = [s["margin"] for s in scored if s["label"] == "no"]
    print(f"{len(scored)} pairs: AUC supports vs no {_auc(supports, no):.3f}")
    for t in (-1.0, -0.6, 0.0, 0.3, 0.5, 1.0):
        kept = [s for s in scored if s["margin"] >= t]
        print(f"  margin >= {t:+.1f}: keeps {len(kept)}, supports {sum(s['label'] == 'supports' for s in kept) / max(1, len(kept)):.3f}, "
              f"removes {sum(s['label'] == 'no' for s in scored) - sum(s['label'] == 'no' for s in kept)} no and "
              f"{len(supports) - sum(s['label'] == 'supports' for s in kept)} supports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
