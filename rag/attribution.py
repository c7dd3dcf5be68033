"""Sentence-level attribution: every claim of an answer checked against the passages.

After generation the answer is split into sentences (claims). Each claim is
scored against every sentence of every passage the model saw:

    support = 0.6 * lexical + 0.4 * semantic   (when an embedder is given)
    support = lexical                          (otherwise)
    support = 0 when lexical < min_lexical (0.5)

``lexical`` is the share of the claim's content words (lower-cased, crude
suffix stemming) found in the passage sentence, counting only the words the
claim adds to the question when it adds any; ``semantic`` is the
cosine similarity of the two sentence embeddings. A number in the claim that
the passage sentence does not contain halves the score (numbers and dates are
where small models invent).

A marker ``[n]`` is kept when passage n supports the claim at least
``keep_threshold``; a marker that points at no given passage, or at one that
does not support the claim, is replaced by the best supporting passage if that
reaches ``add_threshold``, else dropped. A claim left without support is
reported in ``unsupported`` (the UI marks it) rather than silently kept as fact.
Each citation quotes the exact passage sentence that supports its claim, with
offsets into the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from .context import is_instruction_like
from .retrieval import stemmed_terms
from .types import Citation, Passage

__all__ = ["Attribution", "attribute", "best_quotes", "claim_support", "MARKER", "strip_markers", "split_claims"]

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# "...in June 2027.According to..." - a sentence end the model wrote without a space.
_MISSING_SPACE = re.compile(r"([a-z0-9\]][.!?])([A-Z][a-z])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_YEAR = re.compile(r"(?:19|20)\d\d")

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Attribution:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]
    support: float
    """Mean support of the answer's claims (0..1): the verifier's confidence."""


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def claim_support(claim: str, evidence: str, question_terms: frozenset[str] = frozenset()) -> float:
    """Lexical support of ``claim`` by ``evidence`` in 0..1 (see module docstring).

    Words the claim merely repeats from the question prove nothing ("The bridge
    will be painted white" repeats "bridge" and "painted"); when the claim adds
    words of its own, only those are checked.
    """
    claim_terms = stemmed_terms(claim)
    novel = claim_terms - question_terms
    if novel:
        claim_terms = novel
    if not claim_terms:
        return 0.0
    found = claim_terms & stemmed_terms(evidence)
    score = len(found) / len(claim_terms)
    # A year the question itself gave ("in November 2025") is context, not a claim the passage must
    # repeat (articles say "on 14 November" under a dated headline). Other numbers from the question
    # still count: "Did it cost 5 million?" must not be confirmed by a passage that says 4.2.
    missing_numbers = {n for n in _numbers(claim) - _numbers(evidence) if not (_YEAR.fullmatch(n) and n in question_terms)}
    if missing_numbers:
        score *= 0.5
    return score


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with their markers. A marker group that starts a sentence
    ("... lightly. [1] He said") belongs to the sentence before it."""
    text = _MISSING_SPACE.sub(r"\1 \2", text)
    spans = split_sentences(text)
    sentences = [text[s.start:s.end] for s in spans]
    claims: list[tuple[str, list[int]]] = []
    for sentence in sentences:
        leading = re.match(r"^(\s*\[\d{1,3}\])+", sentence)
        if leading and claims:
            claims[-1][1].extend(int(n) for n in re.findall(r"\d+", leading.group(0)))
            sentence = sentence[leading.end():]
        markers = [int(n) for n in MARKER.findall(sentence)]
        body = strip_markers(sentence)
        if body and any(body == seen for seen, _ in claims):
            continue  # small models sometimes repeat a sentence verbatim
        if body:
            claims.append((body, markers))
        elif claims:
            claims[-1][1].extend(markers)
    return claims


@dataclass
class _Candidate:
    passage_number: int  # 1-based number in the prompt
    passage: Passage
    start: int  # offsets in the document
    end: int
    text: str


def _candidates(passages: Sequence[Passage]) -> list[_Candidate]:
    out = []
    for number, passage in enumerate(passages, 1):
        for span in split_sentences(passage.text):
            if is_instruction_like(passage.text[span.start:span.end]):
                continue  # text addressed to the model is never evidence
            out.append(_Candidate(number, passage, passage.start + span.start, passage.start + span.end,
                                  passage.text[span.start:span.end]))
    return out


def attribute(answer: str, passages: Sequence[Passage], embed: Embed | None = None, question: str = "",
              keep_threshold: float = 0.45, add_threshold: float = 0.55, min_lexical: float = 0.5) -> Attribution:
    """Verify and resolve the citations of ``answer`` (see module docstring)."""
    claims = split_claims(answer)
    candidates = _candidates(passages)
    question_terms = frozenset(stemmed_terms(question))
    if not claims:
        return Attribution(strip_markers(answer), (), (), 0.0)
    if not candidates:
        return Attribution(" ".join(c for c, _ in claims), (), tuple(c for c, _ in claims), 0.0)

    lexical = np.array([[claim_support(claim, cand.text, question_terms) for cand in candidates] for claim, _ in claims])
    scores = lexical
    if embed is not None:
        vectors = embed([c for c, _ in claims] + [cand.text for cand in candidates])
        claim_vecs, cand_vecs = vectors[: len(claims)], vectors[len(claims):]
        semantic = np.clip(claim_vecs @ cand_vecs.T, 0.0, 1.0)
        scores = 0.6 * lexical + 0.4 * semantic
    # A sentence whose own words are mostly absent from the passage is not supported by it,
    # however similar it sounds.
    scores = np.where(lexical >= min_lexical, scores, 0.0)

    citations: list[Citation] = []
    by_quote: dict[tuple[str, int], int] = {}
    out_sentences: list[str] = []
    unsupported: list[str] = []
    supports: list[float] = []
    for i, (claim, markers) in enumerate(claims):
        best_by_passage: dict[int, int] = {}
        for j, cand in enumerate(candidates):
            current = best_by_passage.get(cand.passage_number)
            if current is None or scores[i, j] > scores[i, current]:
                best_by_passage[cand.passage_number] = j
        kept = [n for n in dict.fromkeys(markers) if n in best_by_passage and scores[i, best_by_passage[n]] >= keep_threshold]
        if not kept:
            best_n = max(best_by_passage, key=lambda n: scores[i, best_by_passage[n]])
            if scores[i, best_by_passage[best_n]] >= add_threshold:
                kept = [best_n]
        if not kept:
            unsupported.append(claim)
            out_sentences.append(claim)
            supports.append(float(scores[i].max()))
            continue
        supports.append(max(float(scores[i, best_by_passage[n]]) for n in kept))
        numbers = []
        for n in kept:
            cand = candidates[best_by_passage[n]]
            key = (cand.passage.chunk_id, cand.start)
            if key not in by_quote:
                citations.append(
                    Citation(
                        n=len(citations) + 1, chunk_id=cand.passage.chunk_id, doc_id=cand.passage.doc_id,
                        title=cand.passage.title, date=cand.passage.date, url=cand.passage.url,
                        path=cand.passage.path, start=cand.start, end=cand.end, quote=cand.text,
                        support=float(scores[i, best_by_passage[n]]), page=cand.passage.page,
                    )
                )
                by_quote[key] = len(citations)
            numbers.append(by_quote[key])
        out_sentences.append(_with_markers(claim, numbers))
    text = " ".join(out_sentences)
    return Attribution(text, tuple(citations), tuple(unsupported), float(np.mean(supports)) if supports else 0.0)


def _with_markers(claim: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    match = re.search(r"[.!?]+[\"'”’)]*$", claim)
    if match:
        return f"{claim[: match.start()]} {markers}{claim[match.start():]}"
    return f"{claim} {markers}"


def best_quotes(text: str, passages: Sequence[Passage], embed: Embed | None = None) -> list[Citation]:
    """For each passage, its sentence that best supports ``text``; sorted by support, best first."""
    claim = strip_markers(text)
    candidates = _candidates(passages)
    if not claim or not candidates:
        return []
    scores = np.array([claim_support(claim, cand.text) for cand in candidates])
    if embed is not None:
        vectors = embed([claim] + [cand.text for cand in candidates])
        scores = 0.6 * scores + 0.4 * np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
    best: dict[int, int] = {}
    for j, cand in enumerate(candidates):
        if cand.passage_number not in best or scores[j] > scores[best[cand.passage_number]]:
            best[cand.passage_number] = j
    quotes = []
    for j in sorted(best.values(), key=lambda j: -scores[j]):
        cand = candidates[j]
        p = cand.passage
        quotes.append(Citation(n=len(quotes) + 1, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date,
                               url=p.url, path=p.path, start=cand.start, end=cand.end, quote=cand.text,
                               support=float(scores[j]), page=p.page))
    return quotes
