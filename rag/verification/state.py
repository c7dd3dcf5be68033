"""One verification in progress: the question, the candidates, the claims and the citations made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from ..questions import is_verdict_question
from ..sources import named_sources
from ..text import stemmed_terms, term_rarity
from ..types import Citation
from .claims import Candidate, Claim
from .settings import VerifierSettings
from .support import found

__all__ = ["Embed", "Entails", "EntailsUnavailable", "Readings", "Verification", "premise"]

Embed = Callable[[Sequence[str]], np.ndarray]
Entails = Callable[[Sequence[tuple[str, str]]], Sequence[float]]
"""(premise, claim) pairs -> the probability that each premise states its claim: the shipped
cross-encoder (:meth:`rag.entailment.EntailmentModel.scores`) or the LLM judge (:class:`rag.judge.LLMJudge`)."""


class EntailsUnavailable(Exception):
    """Raised by an :data:`Entails` that cannot read now (the judge's server failed or timed out): the
    verification goes on without it, and the claims it would have read are decided by the word-overlap
    rules (their trace says so)."""


class Readings(list):
    """Probabilities an :data:`Entails` may return with ``how`` each was read (``logits``, ``logprobs``,
    ``reply text``); a plain list of floats says nothing about it."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.how: list[str] = []


def premise(cand: Candidate) -> str:
    """What the entailment rules read as the passage's statement: the sentence with the one before it
    ("It opens in June." needs its subject) and the article's title."""
    before = split_sentences(cand.before)
    previous = cand.before[before[-1].start:before[-1].end] if before else ""
    return f"{cand.passage.title}. {previous} {cand.text}".strip()


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
    """P(candidate j states claim i) for the pairs the entailment rules have read (:meth:`entailment_of`);
    None without a model."""
    entailment_how: dict[tuple[int, int], str] = field(default_factory=dict)
    """How the judge read each pair, where it said (``reply text``: a server without log-probabilities)."""
    entailment_unavailable: str | None = None
    """Why the entailment judge could not read (its server failed); the rules then leave the claims to
    the word-overlap rules."""
    citations: list[Citation] = field(default_factory=list)
    cited: list[Candidate] = field(default_factory=list)
    """The sentence behind each citation, by number - 1."""
    supports: list[float] = field(default_factory=list)
    """Each decided claim's support, in decision order (their mean is the answer's confidence)."""
    framing: frozenset[str] = frozenset()
    """Question terms that are its framing, not content (rule ``question_framing``)."""
    _by_quote: dict[tuple[str, int], int] = field(default_factory=dict)
    _mentions_filled: bool = False

    def __post_init__(self) -> None:
        if self.entails is not None and self.entailment is None:
            self.entailment = {}

    def support(self, lexical, semantic):
        """A claim's support from its word overlap and embedding cosine (:meth:`VerifierSettings.blend`);
        without an embedder, the word overlap alone."""
        return lexical if self.embed is None else self.settings.blend(lexical, semantic)

    def entailment_of(self, claim: Claim, js: Sequence[int]) -> dict[int, float] | None:
        """P(candidate j states ``claim``) for each of ``js``, reading those not read yet in one call (only
        the pairs a rule needs are ever read: the LLM judge takes about a second a pair). None without a
        judge, or when the judge is unavailable (:class:`EntailsUnavailable`): the caller then decides
        without it, and ``claim.judge_missed`` marks the claim for the trace."""
        if self.entails is None:
            return None
        if self.entailment_unavailable is None:
            wanted = [j for j in dict.fromkeys(js) if (claim.index, j) not in self.entailment]
            if wanted:
                try:
                    read = self.entails([(premise(self.candidates[j]), claim.body) for j in wanted])
                except EntailsUnavailable as exc:
                    self.entailment_unavailable = str(exc) or type(exc).__name__
                else:
                    how = getattr(read, "how", None) or [None] * len(wanted)
                    for j, p, h in zip(wanted, read, how):
                        self.entailment[(claim.index, j)] = float(p)
                        if h:
                            self.entailment_how[(claim.index, j)] = h
        if self.entailment_unavailable is not None and any((claim.index, j) not in self.entailment for j in js):
            claim.judge_missed = True
            return None
        return {j: self.entailment[(claim.index, j)] for j in js}

    @cached_property
    def question_terms(self) -> frozenset[str]:
        return frozenset(stemmed_terms(self.question))

    @cached_property
    def verdict_question(self) -> bool:
        return bool(self.question) and is_verdict_question(self.question)

    @cached_property
    def publication_words(self) -> frozenset[str]:
        """The terms of the question's words that name one of the index's publications ("The Verge")."""
        from .content import publication_terms

        return publication_terms(self.question, self.publications)

    @cached_property
    def asks_for_a_name(self) -> bool:
        """The question asks who or which ("Who is the Kremlin spokesman?"): its answer is a name."""
        from .content import asked_kind

        return bool(self.question) and asked_kind(self.question) == "name"

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
