"""One verification in progress: the question, the candidates, the claims and the citations made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from ..questions import is_verdict_question
from ..sources import named_sources
from ..text import stemmed_terms, term_rarity
from ..types import Citation
from .claims import Candidate, Claim
from .settings import VerifierSettings
from .support import found

__all__ = ["Embed", "Entails", "Verification"]

Embed = Callable[[Sequence[str]], np.ndarray]
Entails = Callable[[Sequence[tuple[str, str]]], Sequence[float]]
"""(premise, claim) pairs -> the probability that each premise states its claim (:class:`rag.entailment.EntailmentModel`)."""


@dataclass(eq=False)
class Verification:
    """What every rule reads and writes (:mod:`rag.verification.rules`)."""

    question: str
    candidates: list[Candidate]
    settings: VerifierSettings
    publications: Sequence[str] = ()
    embed: Embed | None = None
    entails: Entails | None = None
    claims: list[Claim] = field(default_factory=list)
    entailment: dict[tuple[int, int], float] | None = None
    """P(candidate j states claim i) for the pairs the entailment rules read; None without a model."""
    citations: list[Citation] = field(default_factory=list)
    cited: list[Candidate] = field(default_factory=list)
    """The sentence behind each citation, by number - 1."""
    supports: list[float] = field(default_factory=list)
    """Each decided claim's support, in decision order (their mean is the answer's confidence)."""
    framing: frozenset[str] = frozenset()
    """Question terms that are its framing, not content (rule ``question_framing``)."""
    _by_quote: dict[tuple[str, int], int] = field(default_factory=dict)
    _mentions_filled: bool = False

    @cached_property
    def question_terms(self) -> frozenset[str]:
        return frozenset(stemmed_terms(self.question))

    @cached_property
    def verdict_question(self) -> bool:
        return bool(self.question) and is_verdict_question(self.question)

    @cached_property
    def given_numbers(self) -> frozenset[str]:
        """A question that asks for an entity gives its numbers as premises ("the individual under 30
        ... accused of misusing $14 billion"): an answer restating them is not stating them anew. A
        yes/no question's numbers are what the answer must confirm, so they stay checked."""
        from .claims import numbers

        return frozenset() if self.verdict_question else frozenset(numbers(self.question))

    @cached_property
    def windows(self) -> list[set[str]]:
        """For each candidate sentence, the question terms its window, title, source and date hold."""
        return [found(set(self.question_terms), cand.window, cand.frame) for cand in self.candidates]

    @cached_property
    def weights(self) -> dict[str, float]:
        """Each question term's rarity among the sentences' windows (a word no passage has weighs
        nothing: it tells no sentence from another)."""
        return term_rarity(self.windows)

    def fill_mentions(self) -> None:
        """Fill each candidate's ``mentions`` (the publications its title and window name), once."""
        if not self._mentions_filled:
            for cand in self.candidates:
                cand.mentions = frozenset(named_sources(f"{cand.passage.title} {cand.window}", self.publications))
            self._mentions_filled = True

    def cite(self, cand: Candidate, support: float) -> int:
        """The citation number of ``cand``'s sentence, made on its first use."""
        key = (cand.passage.chunk_id, cand.start)
        if key not in self._by_quote:
            self.citations.append(cand.citation(len(self.citations) + 1, support))
            self.cited.append(cand)
            self._by_quote[key] = len(self.citations)
        return self._by_quote[key]

    def quote_support(self, claim: Claim, j: int) -> float:
        """A citation's support: the lexical score, or, where the entailment model read the pair, the
        lower of the two (a quote is as good as its weaker reading)."""
        score = claim.scores[j]
        if self.entailment is None or (claim.index, j) not in self.entailment:
            return float(score)
        reading = self.entailment[(claim.index, j)]
        return float(min(score, reading)) if score > 0 else float(reading)

    def kept(self, claim: Claim, rule: str, chosen: dict[int, int] | Sequence[int], support: float | None = None) -> None:
        """Claim ``claim`` stands, decided by ``rule``, citing the candidates ``chosen`` (each with its
        own support, or all with ``support``)."""
        js = list(chosen.values()) if isinstance(chosen, dict) else list(chosen)
        if support is None:
            claim.support = max(self.quote_support(claim, j) for j in js)
            self.supports.append(claim.support)
            claim.numbers = [self.cite(self.candidates[j], self.quote_support(claim, j)) for j in js]
        else:
            claim.support = support
            self.supports.append(support)
            claim.numbers = [self.cite(self.candidates[j], support) for j in js]
        claim.verdict, claim.rule, claim.primary = "kept", rule, list(claim.numbers)

    def left_out(self, claim: Claim, rule: str, reason: str | None = None, count_support: bool = True) -> None:
        """Claim ``claim`` leaves the answer, decided by ``rule`` (``reason``: why, when the rule says)."""
        claim.verdict, claim.rule, claim.reason = "left out", rule, reason
        claim.support = float(claim.scores.max()) if claim.scores is not None and claim.scores.size else 0.0
        if count_support:
            self.supports.append(claim.support)
