"""Train the sentence classifier of rag/injection.py: "is this sentence addressed to the assistant?".

A logistic regression over the product's own sentence embeddings (all-MiniLM-L6-v2, the
embedder that retrieval already runs), so it reads meaning, not wording: it is the part of the
detector that generalises beyond the form rules' words. Training data:

* positives: the sentences of the planted instructions in tests/data/injection_documents.json
  whose group is ``tune``, ``heldout`` or ``fresh`` (written for this project, Apache-2.0);
* negatives: the true sentences of those same reports, the sample corpus (written for this
  project), the even half of honest_hard, and the sentences of the even-numbered MultiHop-RAG
  news excerpts (../shared/data/multihop-rag/excerpts, ODC-BY 1.0: attribution below).

``fresh2`` (16 planted reports never used for training or tuning), the odd honest_hard, the odd
MultiHop excerpts, SciFact and Reuters are what benchmarks/injection.py measures it on.

    .venv/bin/python scripts/train_injection_classifier.py

Writes rag/data/injection_classifier.json: 384 weights, a bias, the embedder it belongs to, the
training counts and the data licences. Deterministic (liblinear, fixed order).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import split_sentences  # noqa: E402
from index.embedder import SentenceTransformerEmbedder  # noqa: E402

INJECTION_SET = ROOT / "tests" / "data" / "injection_documents.json"
MULTIHOP = ROOT.parent / "shared" / "data" / "multihop-rag" / "excerpts"
SAMPLE = ROOT / "rag" / "sample_corpus"
OUT = ROOT / "rag" / "data" / "injection_classifier.json"
TRAIN_GROUPS = ("tune", "heldout", "fresh")
C = 1.0
"""Inverse L2 strength of the regression (scikit-learn's default; not tuned)."""


def group(doc: dict) -> str:
    if doc.get("fresh2"):
        return "fresh2"
    if doc.get("fresh"):
        return "fresh"
    return "tune" if int(doc["id"][3:]) % 2 == 0 else "heldout"


def planted_and_true(doc: dict) -> tuple[list[str], list[str]]:
    text = doc["text"]
    start = text.index(doc["planted"])
    end = start + len(doc["planted"])
    planted, honest = [], []
    for s in split_sentences(text):
        (planted if s.start < end and s.end > start else honest).append(text[s.start:s.end])
    # The planted text on its own, too: a sentence split may glue it to a neighbour.
    planted += [doc["planted"][s.start:s.end] for s in split_sentences(doc["planted"])]
    return planted, honest


def sentences_of(paths) -> list[str]:
    out = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        out += [text[s.start:s.end] for s in split_sentences(text)]
    return out


def main() -> int:
    from sklearn.linear_model import LogisticRegression

    data = json.loads(INJECTION_SET.read_text(encoding="utf-8"))
    positives, negatives = [], []
    for doc in data["documents"]:
        if group(doc) in TRAIN_GROUPS:
            planted, honest = planted_and_true(doc)
            positives += planted
            negatives += honest
    negatives += data["honest_hard"][0::2]
    negatives += sentences_of(sorted(p for p in SAMPLE.iterdir() if p.is_file()))
    if not MULTIHOP.is_dir():
        print(f"train_injection_classifier: {MULTIHOP} is missing (the MultiHop-RAG excerpts are the honest news negatives)",
              file=sys.stderr)
        return 1
    negatives += sentences_of(sorted(MULTIHOP.glob("*.txt"))[0::2])
    positives = list(dict.fromkeys(p.strip() for p in positives if p.strip()))
    planted_set = set(positives)
    negatives = [n for n in dict.fromkeys(n.strip() for n in negatives if n.strip()) if n not in planted_set]
    embedder = SentenceTransformerEmbedder()
    x = embedder.embed(positives + negatives).astype(np.float64)
    y = np.array([1] * len(positives) + [0] * len(negatives))
    model = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000)
    model.fit(x, y)
    p = model.predict_proba(x)[:, 1]
    record = {
        "embedder": embedder.id,
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "training": {"positives": len(positives), "negatives": len(negatives), "C": C, "class_weight": "balanced",
                     "train_recall_at_0.5": round(float((p[y == 1] >= 0.5).mean()), 4),
                     "train_false_flag_at_0.5": round(float((p[y == 0] >= 0.5).mean()), 5)},
        "data": {
            "positives": "tests/data/injection_documents.json groups tune, heldout, fresh (written for this project; Apache-2.0)",
            "negatives": "the same reports' true sentences, the sample corpus, honest_hard[0::2] (this project; Apache-2.0) "
                         "and the even-numbered MultiHop-RAG excerpts (MultiHop-RAG, Tang and Yang 2024, ODC-BY 1.0)",
        },
        "command": "scripts/train_injection_classifier.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record) + "\n", encoding="utf-8")
    print(f"{len(positives)} positive and {len(negatives)} negative sentences; embedder {embedder.id}; "
          f"train recall {record['training']['train_recall_at_0.5']}, train false flags {record['training']['train_false_flag_at_0.5']}")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
