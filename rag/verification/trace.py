"""Why a sentence left the answer, in words a reader can check against the passages."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..types import SentenceCheck
from .claims import Candidate, claim_body, numbers

__all__ = ["sentence_checks", "why_left_out"]


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
            ranked = np.argsort(-_closeness(claim))[: CLOSEST] if v.candidates else []
            js = [int(j) for j in ranked if _closeness(claim)[j] > 0]
            cited = tuple(v.candidates[j].citation(0, float(_closeness(claim)[j])) for j in js)
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


def _closeness(claim) -> np.ndarray:
    """A left-out sentence's support by each candidate before the rules that reject one (any publication)."""
    if claim.blend is None:
        return np.zeros(0)
    return claim.blend


def _scores(v, claim, js) -> dict[str, float]:
    scores = {"support": float(claim.support)}
    if js and claim.lexical_any is not None:
        j = js[0]
        scores["lexical"] = float(claim.lexical_any[j])
        if v.embed is not None:
            scores["semantic"] = float(claim.semantic[j])
        if v.entailment is not None and (claim.index, j) in v.entailment:
            scores["entailment"] = float(v.entailment[(claim.index, j)])
    return scores
