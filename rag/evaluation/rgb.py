"""RGB counterfactual robustness (``en_fact``) through the product (``rag eval rgb``).

Each RGB question comes with its own passages: true ones (``positive``), the
same passages with the answer swapped for a planted false one
(``positive_wrong``) and relevant ones without the answer (``negative``). As in
RGB's ``evalue.py`` (METRICS.md 2.3), five passages are drawn per question:
ceil(5 * noise_rate) negatives, ceil(5 * correct_rate) true positives, the rest
planted, shuffled with a fixed seed per question (the same construction, not
the same random draw as upstream). Where a question has fewer distinct stories
than slots, a true passage and its planted twin may both be drawn: exactly the
case where the conflict should be noticed.

The drawn passages of every question are written once to one JSON-lines file
of records (``title`` "Search result Q.J", ``text`` the passage) in a cache
folder, indexed by the product, and each question is asked with a filter on
its own five documents, so retrieval orders them but cannot reach another
question's passages.

Scores (METRICS.md 2.3, adapted to a product that answers only from its
corpus and does not print RGB's phrases):

* ``accuracy`` - the answer contains the true answer (any alias), lowercased.
* ``planted`` - the answer contains the planted answer.
* ``conflict_noted`` (RGB's ED, by our own phrase) - the answer says that its
  sources disagree: the product's conflict note, or the model writing that
  the documents disagree, conflict or contain errors.
* ``correction`` (RGB's CR) - among answers that noted a conflict, the share
  that also give the true answer.
* ``both_shown`` - the evidence shown to the model held a true and a planted
  passage, the questions on which a conflict could be noticed at all.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
from pathlib import Path
from typing import Callable, Iterator

from index import Document, Embedder, SearchFilter
from index.atomic import write_atomic
from index.documents import document_id_for
from index.loaders import load_file

from ..errors import RagError
from .beir import cache_root, open_cached_index
from .metrics import latency_summary
from .plain import plain_answer

__all__ = ["load_rgb", "draw_passages", "write_corpus", "evaluate_rgb"]

PASSAGE_NUM = 5
SEED = 2333
_CONFLICT = re.compile(r"sources disagree|documents? (?:disagree|conflict|contradict)|factual errors?|"
                       r"conflicting (?:information|reports|sources)|contradict", re.I)


def load_rgb(path: str | os.PathLike[str], limit: int | None = None) -> list[dict]:
    """RGB ``en_fact.json``: JSON lines of ``{id, query, answer, fakeanswer, positive, positive_wrong, negative}``."""
    path = Path(path).expanduser()
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise RagError(f"cannot read RGB data from {path}: {exc}") from None
    needed = {"id", "query", "answer", "fakeanswer", "positive", "positive_wrong", "negative"}
    if not rows or not all(isinstance(r, dict) and needed <= r.keys() for r in rows):
        raise RagError(f"{path} is not an RGB en_fact file (JSON lines with {', '.join(sorted(needed))})")
    return rows[:limit] if limit else rows


def draw_passages(row: dict, noise_rate: float = 0.0, correct_rate: float = 0.4) -> list[tuple[str, str]]:
    """Five ``(kind, text)`` passages for one question; kind is ``true``, ``planted`` or ``negative``."""
    rng = random.Random(f"{SEED}-{row['id']}")
    n_negative = min(math.ceil(PASSAGE_NUM * noise_rate), len(row["negative"]))
    n_true = min(math.ceil(PASSAGE_NUM * correct_rate), len(row["positive"]), PASSAGE_NUM - n_negative)
    n_planted = PASSAGE_NUM - n_negative - n_true
    stories = list(range(min(len(row["positive"]), len(row["positive_wrong"]))))
    rng.shuffle(stories)
    true_ids = stories[:n_true]
    # Planted passages come from the other stories first; a true story's twin only when none are left.
    planted_ids = (stories[n_true:] + true_ids)[:n_planted]
    drawn = ([("negative", t) for t in rng.sample(row["negative"], n_negative)]
             + [("true", row["positive"][i]) for i in true_ids]
             + [("planted", row["positive_wrong"][i]) for i in planted_ids])
    rng.shuffle(drawn)
    return drawn


def write_corpus(rows: list[dict], noise_rate: float, correct_rate: float, folder: Path | None = None) -> tuple[Path, dict]:
    """Write every question's passages as records; returns the file and ``{question id: {doc id: kind}}``."""
    folder = folder or cache_root() / "rgb-corpora"
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / f"en_fact-noise{noise_rate:g}-correct{correct_rate:g}-n{len(rows)}.jsonl").resolve()
    lines, kinds = [], {}
    for row in rows:
        kinds[str(row["id"])] = {}
        for j, (kind, text) in enumerate(draw_passages(row, noise_rate, correct_rate), 1):
            key = f"q{row['id']}-p{j}"
            lines.append(json.dumps({"id": key, "title": f"Search result {row['id']}.{j}", "text": text}))
            kinds[str(row["id"])][document_id_for(f"{path}#{key}")] = kind
    content = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        write_atomic(path, content, encoding="utf-8")
    return path, kinds


def _aliases(answer) -> list[str]:
    if isinstance(answer, list):
        return [a for item in answer for a in _aliases(item)]
    return [str(answer)]


def _contains(text: str, answer) -> bool:
    low = text.lower()
    return any(a.lower() in low for a in _aliases(answer) if a)


def evaluate_rgb(assistant_for: Callable[[object], object], embedder: Embedder, rows: list[dict], *,
                 noise_rate: float = 0.0, correct_rate: float = 0.4, index_dir=None, prompt: str = "product",
                 log: Callable[[str], None] = lambda _: None) -> dict:
    """Index the drawn passages and ask every question over its own five; ``assistant_for(index)`` builds the Assistant.
    ``prompt``: ``product`` (the verified answer) or ``plain`` (the plain-prompt baseline over the same evidence,
    :func:`rag.evaluation.plain.plain_answer`: unverified, so the conflict check never runs on it)."""
    if prompt not in ("product", "plain"):
        raise ValueError(f"prompt must be product or plain, not {prompt!r}")
    path, kinds = write_corpus(rows, noise_rate, correct_rate)

    def documents() -> Iterator[Document]:
        yield from load_file(path)

    index, info = open_cached_index([path], documents, path.stem, embedder, index_dir=index_dir, log=log)
    assistant = assistant_for(index)
    records, times = [], []
    for i, row in enumerate(rows, 1):
        doc_kinds = kinds[str(row["id"])]
        t0 = time.perf_counter()
        only_its_own = SearchFilter(doc_ids=tuple(doc_kinds))
        if prompt == "plain":
            answer = plain_answer(assistant, row["query"], filters=only_its_own)
            evidence, conflicts = answer.passages, 0
        else:
            stream = assistant.stream(row["query"], filters=only_its_own)
            answer = stream.answer
            evidence, conflicts = (stream.evidence.passages if stream.evidence else ()), answer.conflicts
        times.append(time.perf_counter() - t0)
        shown = {doc_kinds.get(p.doc_id) for p in evidence}
        text = answer.text if not answer.abstained else ""
        record = {
            "id": row["id"], "query": row["query"], "answer_gold": row["answer"], "fake": row["fakeanswer"],
            "answer": answer.text, "abstained": answer.abstained,
            "accuracy": _contains(text, row["answer"]), "planted": _contains(text, row["fakeanswer"]),
            "conflict_noted": bool(text) and (conflicts > 0 or bool(_CONFLICT.search(text))),
            "both_shown": {"true", "planted"} <= shown, "conflicts": conflicts,
            "drawn": sorted(doc_kinds.values()), "seconds": round(times[-1], 2),
        }
        records.append(record)
        log(f"  {i}/{len(rows)}: correct={int(record['accuracy'])} planted={int(record['planted'])} "
            f"conflict={int(record['conflict_noted'])} abstained={int(answer.abstained)} ({times[-1]:.1f} s)")

    def share(items: list[dict], key: str) -> float | None:
        return sum(bool(r[key]) for r in items) / len(items) if items else None

    noted = [r for r in records if r["conflict_noted"]]
    both = [r for r in records if r["both_shown"]]
    return {
        "questions": len(records),
        "noise_rate": noise_rate,
        "correct_rate": correct_rate,
        "prompt": prompt,
        "corpus_file": str(path),
        "index": info,
        "accuracy": share(records, "accuracy"),
        "planted": share(records, "planted"),
        "abstained": share(records, "abstained"),
        "conflict_noted": share(records, "conflict_noted"),
        "correction": share(noted, "accuracy"),
        "both_shown": share(records, "both_shown"),
        "when_both_shown": {"questions": len(both), "accuracy": share(both, "accuracy"), "planted": share(both, "planted"),
                            "conflict_noted": share(both, "conflict_noted")},
        "seconds_per_answer": latency_summary(times),
        "records": records,
    }
