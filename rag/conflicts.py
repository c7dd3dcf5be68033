"""Notice when the passages disagree on a number the answer relies on.

Two sentences from different documents conflict when they are about the same
thing (most of the shorter sentence's content words appear in the other, or
their embeddings are close) and each gives a different value for the same
quantity: the same unit word follows a different number ("4.2 million
pounds" vs "6 million pounds", "52 percent" vs "48 percent").

Only conflicts that touch a sentence the answer cites are reported; the answer
then says so and cites both sides instead of silently picking one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from .retrieval import key_terms
from .types import Citation, Passage

__all__ = ["Conflict", "describe", "find_conflicts", "quantities"]

_QUANTITY = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)\s*(%|[A-Za-z]+)")
_IGNORED_UNITS = frozenset({"am", "pm", "and", "or", "of", "to", "the", "in", "on", "at", "a", "an"})


def quantities(text: str) -> dict[str, set[str]]:
    """unit word -> the numbers given for it in ``text`` ("6 million pounds" -> {"million": {"6"}})."""
    out: dict[str, set[str]] = {}
    for number, unit in _QUANTITY.findall(text):
        unit = unit.lower()
        if unit in _IGNORED_UNITS or unit.isdigit():
            continue
        out.setdefault(unit, set()).add(number.replace(",", ""))
    return out


@dataclass(frozen=True)
class Conflict:
    cited: Citation
    other: Citation
    unit: str
    cited_value: str
    other_value: str


def _phrase(text: str, value: str, unit: str) -> str:
    """The words that state the value in ``text`` ("6 million pounds"), for the conflict note."""
    pattern = re.compile(rf"{re.escape(value).replace(',', ',?')}\s*{re.escape(unit)}(?:\s+[a-z]+)?", re.I)
    found = pattern.search(text.replace(",", ""))
    return found.group(0) if found else f"{value} {unit}"


def _content(text: str) -> set[str]:
    return {w for w in key_terms(text) if not any(ch.isdigit() for ch in w)}


def _same_topic(a: str, b: str, cosine: float | None) -> bool:
    """Both sentences describe the same thing: they share at least three content words
    besides the quantities themselves, and most of the shorter one's."""
    units = set(quantities(a)) | set(quantities(b)) | {"pound", "pounds", "dollar", "dollars", "euro", "euros", "percent"}
    ta, tb = _content(a) - units, _content(b) - units
    shared = ta & tb
    if len(shared) < 3:
        return False
    overlap = len(shared) / min(len(ta), len(tb))
    return overlap >= 0.5 or (cosine is not None and cosine >= 0.7 and overlap >= 0.3)


def find_conflicts(citations: Sequence[Citation], passages: Sequence[Passage],
                   embed: Callable[[Sequence[str]], np.ndarray] | None = None) -> list[Conflict]:
    cited = [(c, quantities(c.quote)) for c in citations]
    cited = [(c, q) for c, q in cited if q]
    if not cited:
        return []
    others: list[tuple[Passage, int, int, str]] = []
    for p in passages:
        for span in split_sentences(p.text):
            sentence = p.text[span.start:span.end]
            if quantities(sentence):
                others.append((p, p.start + span.start, p.start + span.end, sentence))
    if not others:
        return []
    cosines = None
    if embed is not None:
        vectors = embed([c.quote for c, _ in cited] + [o[3] for o in others])
        cosines = vectors[: len(cited)] @ vectors[len(cited):].T
    found: list[Conflict] = []
    seen: set[tuple[str, int]] = set()
    for i, (citation, cited_q) in enumerate(cited):
        for j, (p, start, end, sentence) in enumerate(others):
            if p.doc_id == citation.doc_id or (p.chunk_id, start) in seen:
                continue
            if not _same_topic(citation.quote, sentence, None if cosines is None else float(cosines[i, j])):
                continue
            other_q = quantities(sentence)
            for unit, values in cited_q.items():
                if unit in other_q and not (values & other_q[unit]):
                    other = Citation(n=0, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url,
                                     path=p.path, start=start, end=end, quote=sentence, page=p.page)
                    found.append(Conflict(citation, other, unit, sorted(values)[0], sorted(other_q[unit])[0]))
                    seen.add((p.chunk_id, start))
                    break
    return found


def describe(conflicts: Sequence[Conflict], citations: list[Citation], note: str) -> tuple[str, list[Citation]]:
    """A sentence naming each disagreement with both sides cited; new citations are appended."""
    parts = []
    for conflict in conflicts:
        other = next((c for c in citations if c.chunk_id == conflict.other.chunk_id and c.start == conflict.other.start), None)
        if other is None:
            other = replace(conflict.other, n=len(citations) + 1)
            citations.append(other)
        said = _phrase(conflict.cited.quote, conflict.cited_value, conflict.unit)
        other_said = _phrase(conflict.other.quote, conflict.other_value, conflict.unit)
        parts.append(f"{said} [{conflict.cited.n}] versus {other_said} [{other.n}]")
    return f"{note} " + "; ".join(parts) + ".", citations
