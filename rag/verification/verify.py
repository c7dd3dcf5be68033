"""attribute(): walk the rule table over an answer and its passages; best_quotes() for a free text."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..sources import named_sources
from ..types import Citation, Passage, SentenceCheck
from .claims import Claim, candidates as candidates_of, claim_body, claims_and_breaks, names_of, relation_of, strip_markers
from .rules import NO_PASSAGE, rules_of
from .settings import VerifierSettings
from .state import Embed, Entails, Verification
from .support import best_by_passage, body_word_share, claim_support, from_named, is_conclusion
from .trace import rejected_closest, sentence_checks, why_left_out

__all__ = ["Attribution", "attribute", "best_quotes"]

_DEFAULT = VerifierSettings()


@dataclass(frozen=True)
class Attribution:
    """The verified answer: ``text`` with the kept sentences (all of it when none is kept), its
    citations, and the trace of every sentence."""

    text: str
    citations: tuple[Citation, ...]
    support: float
    """Mean support of the answer's claims (0..1): the verifier's confidence."""
    checks: tuple[SentenceCheck, ...] = ()
    """Every sentence of the answer as the rules decided it, in answer order (the trace)."""

    @property
    def left_out(self) -> tuple[SentenceCheck, ...]:
        return tuple(c for c in self.checks if c.verdict == "left out")

    @property
    def unsupported(self) -> tuple[str, ...]:
        """The left-out sentences (a view of ``checks``)."""
        return tuple(c.sentence for c in self.left_out)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why each left-out sentence was left out (a view of ``checks``)."""
        return tuple(c.reason for c in self.left_out)

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule that decided each sentence."""
        return tuple(c.rule for c in self.checks)


def _settings(settings: VerifierSettings | None, overrides: dict) -> VerifierSettings:
    settings = settings or _DEFAULT
    return replace(settings, **overrides) if overrides else settings


def attribute(answer: str, passages: Sequence[Passage], embed: Embed | None = None, question: str = "",
              publications: Sequence[str] = (), entails: Entails | None = None,
              settings: VerifierSettings | None = None, **overrides) -> Attribution:
    """Verify and resolve the citations of ``answer`` against ``passages``: the rules of
    :data:`rag.verification.rules.RULES`, walked in order (see that module). ``publications``: the
    index's sources, so that a claim naming one is supported only by what it wrote; ``entails``: an
    entailment judge for the entailment rules (the shipped model's ``scores`` or a
    :class:`rag.judge.LLMJudge`; it reads only the pairs the rules ask for); ``overrides``: VerifierSettings fields changed for
    this call (``anchor_share=0.0``)."""
    settings = _settings(settings, overrides)
    triples = claims_and_breaks(answer)
    if not triples:
        return Attribution(strip_markers(answer), (), 0.0)
    v = Verification(question=question, candidates=candidates_of(passages, settings.context_sentences),
                     settings=settings, publications=publications, embed=embed, entails=entails)
    qterms = v.question_terms
    disabled = settings.disabled_rules
    for rule in rules_of("frame", disabled):
        rule.check(v)
    for i, (text, markers, line_break) in enumerate(triples):
        body = claim_body(text)
        names = names_of(body, qterms)
        relation = relation_of(body, qterms, v.given_numbers, bool(names), settings.min_subject_words, v.framing)
        fact = not (v.verdict_question and is_conclusion(text, qterms))
        v.claims.append(Claim(i, text, markers, line_break, body, names, relation, fact))
    if not v.candidates:
        return _left_out_whole(v, NO_PASSAGE, "passages_given")
    for rule in rules_of("answer", disabled):
        reason = rule.check(v)
        if reason:
            return _left_out_whole(v, reason, rule.name)

    pair_rules = rules_of("pair", disabled)
    for claim in v.claims:
        row, overlap = [], []
        for j, cand in enumerate(v.candidates):
            score = body_word_share(claim.body, cand.text, qterms, cand.frame)
            overlap.append(score)
            for rule in pair_rules:
                if not score:
                    break
                score *= rule.check(v, claim, cand)
                if not score:
                    claim.rejected_by[j] = rule.name
            row.append(score)
        claim.overlap = np.array(overlap, dtype=float)
        claim.lexical_any = np.array(row, dtype=float)
    semantic = None
    if embed is not None:
        vectors = embed([c.text for c in v.claims] + [cand.text for cand in v.candidates])
        claim_vecs, cand_vecs = vectors[: len(v.claims)], vectors[len(v.claims):]
        semantic = np.clip(claim_vecs @ cand_vecs.T, 0.0, 1.0)
    for claim in v.claims:
        claim.semantic = semantic[claim.index] if semantic is not None else np.zeros_like(claim.lexical_any)
        claim.blend = v.support(claim.lexical_any, claim.semantic)
        claim.allowed = np.ones(len(v.candidates), dtype=bool)
        claim.support_any = claim.blend
        for rule in rules_of("support", disabled):
            rule.check(v, claim)
        claim.lexical = np.where(claim.allowed, claim.lexical_any, 0.0)
        claim.scores = np.where(claim.allowed, claim.support_any, 0.0)
        claim.best = best_by_passage(claim.scores, v.candidates)

    decide = rules_of("decide", disabled)
    for claim in v.claims:
        for rule in decide:
            rule.check(v, claim)
    for rule in rules_of("conclude", disabled):
        rule.check(v)
    for claim in v.claims:
        if claim.verdict == "conclusion":  # a conclusion no rule settled
            v.left_out(claim, "unsupported", count_support=False)
    return _result(v)


def _result(v: Verification) -> Attribution:
    """The answer with its kept sentences, their markers renumbered to the citations, and the others
    listed with why they were left out. When no sentence is kept the text stays whole: there is no
    answer, and the caller abstains."""
    claims = v.claims
    any_kept = any(c.verdict == "kept" for c in claims)
    out = ""
    for claim in claims:
        if claim.verdict == "left out" and any_kept:
            if claim.line_break and out and not out.endswith("\n"):
                out = out.rstrip(" ") + "\n"  # "Yes\n<left out>\nFact." keeps the fact on its own line
            continue
        text = _with_markers(claim.text, claim.numbers) if claim.verdict == "kept" else claim.text
        out += text + ("\n" if claim.line_break else " ")
    left = [c for c in claims if c.verdict == "left out"]
    given = v.given_numbers | v.question_terms
    for claim in left:
        if claim.reason is None:
            rejected = rejected_closest(v, claim) if claim.rule == "unsupported" and not claim.conclusion else None
            if rejected:
                claim.rule, claim.reason = rejected
            else:
                claim.reason = why_left_out(claim.text, claim.conclusion, claim.named, given, v.candidates,
                                            _elsewhere(v, claim), NO_PASSAGE)
    return Attribution(out.strip(), tuple(v.citations), float(np.mean(v.supports)) if v.supports else 0.0,
                       sentence_checks(v))


def _elsewhere(v: Verification, claim: Claim):
    """The sentence from another publication than those ``claim`` names that would support it."""
    if not claim.named:
        return None
    others = np.where(claim.allowed, 0.0, claim.support_any)
    best = int(np.argmax(others))
    return v.candidates[best] if others[best] >= v.settings.add_threshold else None


def _left_out_whole(v: Verification, reason: str, rule: str) -> Attribution:
    """No sentence of the answer stands, all for the same ``reason`` (decided by ``rule``): the text
    stays whole (the caller abstains) and every sentence is listed as left out."""
    for claim in v.claims:
        claim.verdict, claim.rule, claim.reason = "left out", rule, reason
    return Attribution(" ".join(c.text for c in v.claims), (), 0.0, sentence_checks(v))


def _with_markers(claim: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    match = re.search(r"[.!?]+[\"'”’)]*$", claim)
    if match:
        return f"{claim[: match.start()]} {markers}{claim[match.start():]}"
    return f"{claim} {markers}"


def best_quotes(text: str, passages: Sequence[Passage], embed: Embed | None = None,
                publications: Sequence[str] = (), settings: VerifierSettings | None = None) -> list[Citation]:
    """For each passage, its sentence that best supports ``text``; sorted by support, best first.
    A text that names one of ``publications`` is supported only by that publication's sentences, or
    by sentences that speak of it, as in :func:`attribute`; the others get support 0."""
    settings = settings or _DEFAULT
    claim = strip_markers(text)
    cands = candidates_of(passages, settings.context_sentences)
    if not claim or not cands:
        return []
    named = named_sources(claim, publications) if publications else []
    if named:
        for cand in cands:
            cand.mentions = frozenset(named_sources(f"{cand.passage.title} {cand.window}", publications))
    allowed = np.array([from_named(cand, named) for cand in cands])
    scores = np.array([claim_support(claim, cand.text, frame=cand.frame, settings=settings) for cand in cands])
    if embed is not None:
        vectors = embed([claim] + [cand.text for cand in cands])
        scores = settings.blend(scores, np.clip(vectors[1:] @ vectors[0], 0.0, 1.0))
    scores = np.where(allowed, scores, 0.0)
    best = best_by_passage(scores, cands)
    ranked = sorted(best.values(), key=lambda j: -scores[j])
    return [cands[j].citation(n, float(scores[j])) for n, j in enumerate(ranked, 1)]
