"""Why a sentence left the answer, in words a reader can check against the passages."""

from __future__ import annotations

from typing import Sequence

from .claims import Candidate, claim_body, numbers

__all__ = ["why_left_out"]


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
