"""Notice when the passages disagree on a number or a name the answer relies on.

Two sentences from different documents conflict when they are about the same
thing (most of the shorter sentence's content words appear in the other, or
their embeddings are close) and each gives a different value for the same
quantity: the same unit word follows a different number ("4.2 million
pounds" vs "6 million pounds", "52 percent" vs "48 percent"). They also
conflict when they are the same sentence but for a swapped name or number (at
least 75% of their words aligned, and every difference a name or a number
replaced by another: "won by Annie Ernaux" vs "won by Jon Fosse"), which is how
a copied report with one fact changed looks. A swapped value that is part of a date is quoted
as the whole date ("December 21, 2007", not the differing "21, 2007").

Only conflicts that touch the answer are reported: those of a sentence it
cites, and swapped-name pairs between two other passages when one side states
the value the answer gives (it cites "... in Glendale, Arizona, the home
stadium ...", whose twin is not among the passages, while two other results
read "will take place at Raymond James Stadium in Glendale, Arizona" and "...
in Tampa, Florida"). The answer then says so and cites both sides instead of
silently picking one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from .dates import calendar_dates
from .text import key_terms
from .types import Citation, Passage

__all__ = ["Conflict", "describe", "find_conflicts", "quantities", "swapped"]

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


_NAMEISH = re.compile(r"^(?:[A-Z0-9][\w'’.&-]*|of|de|la|van|von|der|and|the|\d[\d,.]*)$")
_EDGE_PUNCT = "\"'“”‘’()[],.;:!?"


def swapped(a: str, b: str, min_ratio: float = 0.75) -> tuple[str, str] | None:
    """``(in a, in b)`` when ``b`` is ``a`` with one or two names or numbers replaced, else None."""
    wa, wb = a.split(), b.split()
    if len(wa) < 5 or len(wb) < 5:
        return None
    matcher = difflib.SequenceMatcher(a=[w.strip(_EDGE_PUNCT).lower() for w in wa],
                                      b=[w.strip(_EDGE_PUNCT).lower() for w in wb], autojunk=False)
    if matcher.ratio() < min_ratio:
        return None
    changes = [(wa[i1:i2], wb[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    if not changes or len(changes) > 2:
        return None
    for old, new in changes:
        old_words = [w.strip(_EDGE_PUNCT) for w in old]
        new_words = [w.strip(_EDGE_PUNCT) for w in new]
        if not all(old_words) or not all(new_words) or not old_words or not new_words:
            return None  # a word added or dropped is rewording, not a swapped fact
        if not all(_NAMEISH.match(w) for w in old_words + new_words):
            return None
        if not any(w[0].isupper() or w[0].isdigit() for w in old_words) or \
                not any(w[0].isupper() or w[0].isdigit() for w in new_words):
            return None
    old, new = changes[0]
    return " ".join(old).strip(_EDGE_PUNCT), " ".join(new).strip(_EDGE_PUNCT)


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
                   embed: Callable[[Sequence[str]], np.ndarray] | None = None, answer: str = "") -> list[Conflict]:
    """The disagreements among ``passages`` that touch the answer (module docstring); ``answer``, its
    text, lets a swapped pair of sentences it does not cite count when one side states its value."""
    sentences = _sentences(passages)
    found = _swaps(citations, sentences)
    if answer:
        found += _swaps_about(answer, citations, sentences, found)
    seen: set[tuple[str, int]] = {(c.other.chunk_id, c.other.start) for c in found}
    seen |= {(c.cited.chunk_id, c.cited.start) for c in found}
    cited = [(c, quantities(c.quote)) for c in citations]
    cited = [(c, q) for c, q in cited if q]
    if not cited:
        return found
    others = [s for s in sentences if quantities(s[3])]
    if not others:
        return found
    cosines = None
    if embed is not None:
        vectors = embed([c.quote for c, _ in cited] + [o[3] for o in others])
        cosines = vectors[: len(cited)] @ vectors[len(cited):].T
    for i, (citation, cited_q) in enumerate(cited):
        for j, (p, start, end, sentence) in enumerate(others):
            if p.doc_id == citation.doc_id or (p.chunk_id, start) in seen:
                continue
            if not _same_topic(citation.quote, sentence, None if cosines is None else float(cosines[i, j])):
                continue
            other_q = quantities(sentence)
            for unit, values in cited_q.items():
                if unit in other_q and not (values & other_q[unit]):
                    other = _citation(p, start, end, sentence)
                    found.append(Conflict(citation, other, unit, sorted(values)[0], sorted(other_q[unit])[0]))
                    seen.add((p.chunk_id, start))
                    break
    return found


Sentence = tuple[Passage, int, int, str]  # passage, start and end in its document, text


def _sentences(passages: Sequence[Passage]) -> list[Sentence]:
    out = []
    for p in passages:
        for span in split_sentences(p.text):
            out.append((p, p.start + span.start, p.start + span.end, p.text[span.start:span.end]))
    return out


def _citation(p: Passage, start: int, end: int, sentence: str) -> Citation:
    """The other side of a conflict, numbered when the note is written (:func:`describe`)."""
    return Citation(n=0, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url, path=p.path,
                    start=start, end=end, quote=sentence, page=p.page)


def _swaps(citations: Sequence[Citation], sentences: Sequence[Sentence]) -> list[Conflict]:
    """Conflicts of the swapped-name kind (module docstring): other documents' sentences that are a
    cited sentence with a name or number replaced."""
    found: list[Conflict] = []
    seen: set[frozenset] = set()  # unordered pairs of sentences: two cited sides make one conflict
    for citation in citations:
        for p, start, end, sentence in sentences:
            if p.doc_id == citation.doc_id:
                continue
            pair_key = frozenset({(citation.doc_id, citation.start), (p.doc_id, start)})
            if pair_key in seen:
                continue
            pair = swapped(citation.quote, sentence)
            if pair is None:
                continue
            found.append(Conflict(citation, _citation(p, start, end, sentence), "", pair[0], pair[1]))
            seen.add(pair_key)
    return found


def _swaps_about(answer: str, citations: Sequence[Citation], sentences: Sequence[Sentence],
                 found: Sequence[Conflict]) -> list[Conflict]:
    """Swapped-name pairs between two sentences the answer does not cite, where one side's value is
    in ``answer`` and the other's is not: the passages disagree about what the answer states. The
    side that agrees with the answer comes first (as the cited side of a conflict does)."""
    def states(value: str) -> bool:  # as words: "1" is not stated by "2021"
        return re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", said) is not None

    said = re.sub(r"\[\d{1,3}\]", " ", answer).lower()  # without its citation markers
    cited = {(c.doc_id, c.start) for c in citations}
    known = {frozenset({(c.cited.doc_id, c.cited.start), (c.other.doc_id, c.other.start)}) for c in found}
    out: list[Conflict] = []
    free = [s for s in sentences if (s[0].doc_id, s[1]) not in cited]
    for i, (p, start, end, text) in enumerate(free):
        for q, q_start, q_end, q_text in free[i + 1:]:
            if p.doc_id == q.doc_id or frozenset({(p.doc_id, start), (q.doc_id, q_start)}) in known:
                continue
            pair = swapped(text, q_text)
            if pair is None:
                continue
            first_stated = states(pair[0])
            if first_stated == states(pair[1]):
                continue
            one, other = _citation(p, start, end, text), _citation(q, q_start, q_end, q_text)
            if first_stated:
                out.append(Conflict(one, other, "", pair[0], pair[1]))
            else:
                out.append(Conflict(other, one, "", pair[1], pair[0]))
            known.add(frozenset({(p.doc_id, start), (q.doc_id, q_start)}))
    return out


def _numbered(side: Citation, citations: list[Citation]) -> Citation:
    """``side`` as one of ``citations``: the citation already quoting that sentence, or a new one appended."""
    same = next((c for c in citations if c.chunk_id == side.chunk_id and c.start == side.start), None)
    if same is None:
        same = replace(side, n=len(citations) + 1)
        citations.append(same)
    return same


def _whole_date(value: str, sentence: str) -> str:
    """``value`` as ``sentence`` writes it, widened to the whole date it is part of: the words of two
    swapped dates that differ ("21, 2007" against "1, 2017" in "released on December 21, 2007") are not
    a value a reader can check; the note quotes "December 21, 2007" and "December 1, 2017"."""
    found = re.search(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in value.split()) + r"(?!\w)", sentence)
    if found is None:
        return value
    for start, end in calendar_dates(sentence):
        if start <= found.start() and found.end() <= end:
            return sentence[start:end]
    return value


def describe(conflicts: Sequence[Conflict], citations: list[Citation], note: str) -> tuple[str, list[Citation]]:
    """A sentence naming each disagreement with both sides cited; new citations are appended."""
    parts = []
    for conflict in conflicts:
        cited = _numbered(conflict.cited, citations)  # (a side the answer does not cite gets a number too)
        other = _numbered(conflict.other, citations)
        if conflict.unit:
            said = _phrase(conflict.cited.quote, conflict.cited_value, conflict.unit)
            other_said = _phrase(conflict.other.quote, conflict.other_value, conflict.unit)
        else:  # a swapped name: the values are the words themselves (a date's whole date)
            said = _whole_date(conflict.cited_value, conflict.cited.quote)
            other_said = _whole_date(conflict.other_value, conflict.other.quote)
        parts.append(f"{said} [{cited.n}] versus {other_said} [{other.n}]")
    return f"{note} " + "; ".join(parts) + ".", citations
