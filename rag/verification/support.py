"""The measures the rules read: word overlap of a claim with a passage sentence, and the sentence
sets that cover a restated question or a two-source claim."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..text import CONNECTIVE_TERMS, REPORTING_TERMS, VERDICT_TERMS, stemmed_terms
from .claims import YEAR, Candidate, claim_body, numbers
from .settings import VerifierSettings

__all__ = ["claim_support", "found", "is_conclusion", "missing_numbers", "word_share"]


def found(terms: set[str], evidence: str, frame: str = "") -> set[str]:
    """The terms that ``evidence`` contains, or its ``frame`` (title, source, date: "verge" is found
    in ``theverge.com``)."""
    hits = terms & stemmed_terms(evidence)
    if frame:
        frame_lower = frame.lower()
        frame_terms = stemmed_terms(frame)
        hits |= {t for t in terms - hits if t in frame_terms or (len(t) >= 4 and t in frame_lower)}
    return hits


def word_share(claim: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "") -> float:
    """Share of the claim's words that ``evidence`` (or its ``frame``: title and source) holds.

    Words the claim merely repeats from the question prove nothing ("The bridge will be painted
    white" repeats "bridge" and "painted"); when the claim adds words of its own, only those are
    checked. Reporting words ("the article says") are never asked of the evidence.
    """
    return body_word_share(claim_body(claim), evidence, question_terms, frame)


def body_word_share(body: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "") -> float:
    """:func:`word_share` of a claim's body (:func:`~rag.verification.claims.claim_body`), worked out already."""
    claim_terms = stemmed_terms(body) - REPORTING_TERMS
    novel = claim_terms - question_terms
    if novel:
        claim_terms = novel
    if not claim_terms:
        return 0.0
    return len(found(claim_terms, evidence, frame)) / len(claim_terms)


def missing_numbers(claim: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "",
                    given_numbers: frozenset[str] = frozenset()) -> set[str]:
    """The numbers the claim states that neither ``evidence`` nor its ``frame`` holds. A year the
    question gave ("in November 2025") is context, and so are ``given_numbers``; other numbers from
    the question still count: "Did it cost 5 million?" must not be confirmed by a passage saying 4.2."""
    return body_missing_numbers(claim_body(claim), evidence, question_terms, frame, given_numbers)


def body_missing_numbers(body: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "",
                         given_numbers: frozenset[str] = frozenset()) -> set[str]:
    """:func:`missing_numbers` of a claim's body, worked out already."""
    return {n for n in numbers(body) - numbers(evidence) - numbers(frame) - given_numbers
            if not (YEAR.fullmatch(n) and n in question_terms)}


def claim_support(claim: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "",
                  given_numbers: frozenset[str] = frozenset(), settings: VerifierSettings | None = None) -> float:
    """Lexical support of ``claim`` by ``evidence`` in 0..1: :func:`word_share`, times
    ``missing_number_factor`` when a number of the claim is missing (rule ``number_stated``)."""
    settings = settings or _DEFAULT
    score = word_share(claim, evidence, question_terms, frame)
    if score and settings.on("number_stated") and missing_numbers(claim, evidence, question_terms, frame, given_numbers):
        score *= settings.missing_number_factor
    return score


_DEFAULT = VerifierSettings()


def is_conclusion(claim: str, question_terms: frozenset[str]) -> bool:
    """A sentence of a verdict answer that adds no fact to the question: a verdict word and a restatement."""
    return not (stemmed_terms(claim_body(claim)) - question_terms - VERDICT_TERMS - REPORTING_TERMS - CONNECTIVE_TERMS)


def from_named(cand: Candidate, named: Sequence[str]) -> bool:
    """Whether ``cand`` can stand behind a claim that names the publications ``named`` ("The BBC
    report mentions ..."): it comes from one of them, or it speaks of one ("Wired removed the
    article", in another site's story about Wired). A claim that names none puts no condition."""
    return not named or cand.passage.source in named or bool(cand.mentions.intersection(named))


def best_by_passage(claim_scores: np.ndarray, cands: Sequence[Candidate]) -> dict[int, int]:
    """For each passage number, the candidate sentence that supports the claim best."""
    best: dict[int, int] = {}
    for j, cand in enumerate(cands):
        current = best.get(cand.passage_number)
        if current is None or claim_scores[j] > claim_scores[current]:
            best[cand.passage_number] = j
    return best


def cover(terms: set[str], cands: Sequence[Candidate], settings: VerifierSettings,
          about: set[str] | frozenset[str] = frozenset(), allowed: Sequence[bool] | None = None) -> tuple[list[int], float]:
    """Up to ``cover_sentences`` passage sentences that together hold most of ``terms``.

    Greedy: the sentence whose own text holds the most terms not yet held (its title and source
    count too, but second), while it adds at least ``cover_gain_words``. With ``about`` (the answer a
    claim gives: "Valve"), only sentences that name it, or whose neighbours or title do, are used.
    With ``allowed``, only the candidates it marks. Returns the candidate indices and the share of
    ``terms`` held.
    """
    if not terms:
        return [], 0.0
    eligible = [j for j, cand in enumerate(cands) if (allowed is None or allowed[j])
                and (not about or found(set(about), cand.window, cand.frame))]
    text_terms = {j: stemmed_terms(cands[j].text) for j in eligible}
    left, chosen = set(terms), []
    while left and len(chosen) < settings.cover_sentences:
        gains = [(len(left & text_terms[j]), found(left, cands[j].text, cands[j].frame), -j)
                 for j in eligible if j not in chosen]
        if not gains:
            break
        in_text, gained, neg_j = max(gains, key=lambda g: (g[0], len(g[1]), g[2]))
        if in_text < 1 or len(gained) < settings.cover_gain_words:
            break
        chosen.append(-neg_j)
        left -= gained
    return chosen, 1 - len(left) / len(terms)


def bearing(facts: list[int], cited: Sequence[Candidate], question_terms: frozenset[str],
            settings: VerifierSettings) -> list[int]:
    """The facts a verdict rests on: of the citations ``facts`` (numbers into ``cited``), those whose
    sentence and article title hold at least ``bearing_share`` as many of the question's words as
    the one holding most."""
    core = question_terms - VERDICT_TERMS - REPORTING_TERMS
    shared = {n: len(core & stemmed_terms(f"{cited[n - 1].text} {cited[n - 1].passage.title}")) for n in facts}
    most = max(shared.values())
    return [n for n in facts if shared[n] >= settings.bearing_share * most]
