"""Why a sentence left the answer, in words a reader can check against the passages."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..types import SentenceCheck
from .claims import Candidate, claim_body, numbers

__all__ = ["sentence_checks", "why_left_out", "RELATION_REASONS", "rejected_closest"]

RELATION_REASONS = {
    "number_about_subject": "gives that figure about something else",
    "name_about_subject": "is about someone or something else",
    "bare_answer_about_the_question": "is not about what the question asks",
    "figure_with_its_name": "gives that figure to another name",
    "figure_with_its_item": "gives that figure to another item of its list",
    "name_with_its_name": "joins that name to another name",
    "names_in_their_order": "states the names the other way round",
    "name_with_its_role": "gives the role asked about to another name",
    "negation_agrees": "says the opposite",
    "speaker_named": "does not name the person the sentence says spoke",
}
"""What a pair rule that rejected the closest passage sentence tells the reader (the trace of a left-out
sentence: "the closest passage sentence gives that figure to another name")."""


def why_left_out(claim: str, conclusion: bool, named: Sequence[str], given: frozenset[str],
                 candidates: Sequence[Candidate], elsewhere: Candidate | None, no_passage: str) -> str:
    """A verdict with nothing to rest on, a publication named that did not write what is said
    (``elsewhere``: the sentence that says it, from another publication), a number no passage gives
    (``given``: the numbers and terms of the question, which are context), or ``no_passage``."""
    who = ", ".join(named)
    if conclusion:
        if named:
            return f"a conclusion about {who}: no supported fact of the answer comes from {'them' if len(named) > 1 else 'it'}"
        return "a conclusion with no supported fact in the answer to rest on"
    if elsewhere is not None:
        return f"it names {who}, but the passage that says this is from {elsewhere.passage.source or elsewhere.passage.title}"
    body = claim_body(claim)
    everywhere = set().union(*(numbers(f"{cand.text} {cand.frame}") for cand in candidates))
    missing = sorted(numbers(body) - given - everywhere)
    if missing:
        return f"no passage gives {', '.join(missing)}"
    return no_passage


# ---- the per-sentence trace (Answer.verification) ------------------------------------------------

_KEPT_BECAUSE = {
    "best_passage": "the passage the model cited does not state it; the cited one does",
    "passage_entails_claim": "the entailment judge reads the cited sentence as stating it",
    "two_sources": "two passages state its parts together",
    "restated_question_alone": "it restates the question, whose parts the cited sentences hold together",
    "conclusion_rests_on_facts": "a verdict, resting on the supported facts of the answer it cites",
}
CLOSEST = 2
"""Passage sentences a left-out sentence's trace quotes (the closest, by support before any rule rejects)."""


def sentence_checks(v) -> tuple[SentenceCheck, ...]:
    """Each claim of the verification ``v`` (:class:`~rag.verification.state.Verification`) as a
    :class:`rag.types.SentenceCheck`, in draft order: its verdict, the rule that decided it, the scores
    it read, and its citations (kept) or the closest passage sentences (left out, ``n`` 0)."""
    out = []
    for claim in v.claims:
        if claim.verdict == "kept":
            passages = {v.cited[n - 1].passage_number for n in claim.primary}
            verdict = "kept" if passages == set(claim.markers) else "marker corrected"
            cited = tuple(v.citations[n - 1] for n in dict.fromkeys(claim.numbers))
            js = [v.candidates.index(v.cited[n - 1]) for n in dict.fromkeys(claim.primary)]
            reason = _KEPT_BECAUSE.get(claim.rule, claim.rule)
            if claim.rule == "best_passage" and verdict == "kept":
                reason = "the passage it cites states it"
            elif not claim.markers and claim.rule == "best_passage":
                reason = "the model cited no passage; the cited one states it"
            if len(claim.numbers) > len(claim.primary):
                reason += "; it restates a multi-part question, so the sentences holding its parts are cited too"
        else:
            verdict, reason = "left out", claim.reason or ""
            closeness = _closeness(v, claim)
            ranked = np.argsort(-closeness)[: CLOSEST] if closeness.size else []
            js = [int(j) for j in ranked if closeness[j] > 0]
            cited = tuple(v.candidates[j].citation(0, float(closeness[j])) for j in js)
        reason += _judge_note(v, claim)
        out.append(SentenceCheck(sentence=claim.text, verdict=verdict, rule=claim.rule, reason=reason,
                               scores=_scores(v, claim, js[:1]), citations=cited))
    return tuple(out)


def _judge_note(v, claim) -> str:
    """What the trace says about the entailment judge for ``claim``: that it was unavailable (the word-overlap
    rules decided), or that it was read from the server's reply text (no log-probabilities: 1 or 0)."""
    if claim.judge_missed:
        return f"; the entailment judge was unavailable ({v.entailment_unavailable}): decided by the word-overlap rules"
    if any(how == "reply text" for (i, _), how in v.entailment_how.items() if i == claim.index):
        return "; the judge's reading is its reply text (the server gave no log-probabilities: 1 for Yes, 0 for No)"
    return ""


def rejected_closest(v, claim) -> tuple[str, str] | None:
    """(rule, reason) when the passage sentence closest to left-out ``claim`` (by support before any
    rule) would have supported it but a relation rule rejected it (:data:`RELATION_REASONS`): the
    trace then names that rule instead of "no passage says this"."""
    closeness = _closeness(v, claim)
    if not closeness.size or not claim.fact:
        return None
    j = int(np.argmax(closeness))
    rule = claim.rejected_by.get(j)
    if rule not in RELATION_REASONS or closeness[j] < v.settings.add_threshold:
        return None
    return rule, f"the closest passage sentence {RELATION_REASONS[rule]}"


def _closeness(v, claim) -> np.ndarray:
    """A left-out sentence's support by each candidate before any rule rejects one (any publication):
    the word overlap before the pair rules, blended with the embedding cosine as the support is."""
    if claim.overlap is None or claim.semantic is None:
        return np.zeros(0)
    return v.support(claim.overlap, claim.semantic)


def _scores(v, claim, js) -> dict[str, float]:
    scores = {"support": float(claim.support)}
    if js and claim.lexical_any is not None:
        j = js[0]
        scores["lexical"] = float(claim.lexical_any[j])
        if j in claim.rejected_by and claim.overlap is not None:
            scores["overlap"] = float(claim.overlap[j])  # the word overlap a relation rule overrode
        if v.embed is not None:
            scores["semantic"] = float(claim.semantic[j])
        if v.entailment is not None and (claim.index, j) in v.entailment:
            scores["entailment"] = float(v.entailment[(claim.index, j)])
    return scores
