"""A second reading of each citation by the local LLM: does the quote state what its sentence says?

The verifier (:mod:`rag.attribution`) checks words, numbers and names. It cannot read relations:
"The Sporting News reported a defeat for the Dallas Cowboys against the Seattle Seahawks" shares
every name with "The Cowboys opened Week 13 by rallying to beat the Seahawks", and a "Yes" may
cite a fact that decides the question the other way. An entailment (NLI) model would read them;
none ships offline for this project, but the answering model can be asked, for each (sentence,
quote) pair, to reply Yes or No. The score is the margin between the logits of the two replies at
the first reply position, and a citation under ``threshold`` is dropped. A sentence left without
citations leaves the answer, like any unsupported sentence, with its reason.

Opt-in (``Settings.judge_citations``): one short prompt per citation, about 4 s each with the
default model on two cores. Measured against a reader's labels and on whole answers in
docs/BENCHMARKS.md ("Session 19: the model reads its citations").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, Sequence, runtime_checkable

from .attribution import Attribution, _claims_and_breaks, _with_markers, strip_markers
from .prompts import judge_messages
from .types import Citation

__all__ = ["CitationReader", "FACTS_NOT_STATED", "NOT_STATED", "reread"]

NOT_STATED = "read with its passage, the model found it not stated there"
FACTS_NOT_STATED = "the facts it rests on were left out: the model found them not stated in their passages"


@runtime_checkable
class CitationReader(Protocol):
    """A model that can say how much more it would reply "Yes" than "No" to a chat."""

    def yes_no_margin(self, messages: Sequence[dict]) -> float: ...


def _is_bare_answer(sentence: str) -> bool:
    """"Yes", "No.", "Google trial.": too short to state anything without the question."""
    return len(sentence.split()) <= 3


def _heading(citation: Citation) -> str:
    return " | ".join(part for part in (citation.title, citation.date, citation.url) if part)


def reread(attribution: Attribution, question: str, reader: CitationReader, threshold: float = 0.0) -> Attribution:
    """``attribution`` with each citation the model does not read as supporting its sentence
    removed, the sentences left without one moved to ``unsupported`` (reason :data:`NOT_STATED`),
    and the remaining citations numbered again in order of appearance. When no sentence keeps a
    citation the result has none (the caller abstains) and its text is the answer whole."""
    if not attribution.citations:
        return attribution
    by_number = {c.n: c for c in attribution.citations}
    claims = _claims_and_breaks(attribution.text)
    margins: dict[tuple[str, int], float] = {}
    kept_markers: list[list[int]] = []
    for body, markers, _ in claims:
        kept = []
        for n in dict.fromkeys(m for m in markers if m in by_number):
            if _is_bare_answer(body):
                kept.append(n)  # decided below, by the sentences that cite the same quote
                continue
            if (body, n) not in margins:
                citation = by_number[n]
                margins[body, n] = reader.yes_no_margin(judge_messages(_heading(citation), citation.quote, body))
            if margins[body, n] >= threshold:
                kept.append(n)
        kept_markers.append(kept)
    # A bare answer cites the facts it rests on: it keeps the quotes a stated sentence keeps, and
    # those no other sentence cites (read by the verifier only). Read with its question, a "Yes"
    # was no better than chance at telling deciding facts from others (session 19, dev pairs).
    read = {n for (_, n) in margins}
    stated = {n for (body, n), margin in margins.items() if margin >= threshold}
    for i, (body, _, _) in enumerate(claims):
        if _is_bare_answer(body):
            kept_markers[i] = [n for n in kept_markers[i] if n in stated or n not in read]
    dropped = {i for i, (kept, (_, markers, _)) in enumerate(zip(kept_markers, claims)) if markers and not kept}
    unsupported = attribution.unsupported + tuple(claims[i][0] for i in sorted(dropped))
    reasons = attribution.reasons + tuple(FACTS_NOT_STATED if _is_bare_answer(claims[i][0]) else NOT_STATED
                                          for i in sorted(dropped))
    renumber: dict[int, int] = {}
    for kept in kept_markers:
        for n in kept:
            renumber.setdefault(n, len(renumber) + 1)
    if not renumber:
        return Attribution(strip_markers(attribution.text), (), unsupported, attribution.support, reasons)
    out = ""
    for i, ((body, _, line_break), kept) in enumerate(zip(claims, kept_markers)):
        if i in dropped:
            if line_break and out and not out.endswith("\n"):
                out = out.rstrip(" ") + "\n"  # a verdict line stays apart from the fact after it
            continue
        out += (_with_markers(body, [renumber[n] for n in kept]) if kept else body) + ("\n" if line_break else " ")
    citations = tuple(replace(by_number[old], n=new) for old, new in renumber.items())
    return Attribution(out.strip(), citations, unsupported, attribution.support, reasons)
