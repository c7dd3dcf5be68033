"""What the verifier reads: the answer's sentences (:class:`Claim`) and the passages' sentences
(:class:`Candidate`), each worked out once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from index import split_sentences

from ..context import is_instruction_like
from ..questions import verdict_of
from ..text import ORDINAL_FRAME, REPORTING_TERMS, VERDICT_TERMS, spelled_date, stemmed_terms
from ..types import Citation, Passage
from .attachment import is_bare_value

__all__ = ["MARKER", "Candidate", "Claim", "Relation", "candidates", "claim_body", "numbers", "split_claims",
           "strip_markers"]

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# "...in June 2027.According to..." - a sentence end the model wrote without a space.
_MISSING_SPACE = re.compile(r"([a-z0-9\]][.!?])([A-Z][a-z])")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
YEAR = re.compile(r"(?:19|20)\d\d")
_LIST_MARKER = re.compile(r"\(?\d{1,2}[.)]")
_LIST_MARKER_START = re.compile(r"^\s*\(?\d{1,2}[.)]\s+")


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def numbers(text: str) -> set[str]:
    """The numbers of ``text``, without thousands separators."""
    return {n.replace(",", "") for n in NUMBER.findall(text)}


# The model pointing at its prompt ("52.4% from passage [1]", "According to passage 2, ..."): words about
# the numbered passages it was shown, not about the world, which no passage sentence holds.
_PROMPT_REFERENCE = re.compile(
    r"^\s*(?:according\s+to|as\s+stated\s+in|in|from)\s+(?:the\s+)?(?:passage|document|context)s?\s*\[?\d{0,3}\]?\s*,\s*"
    r"|\s*\(?\b(?:from|in|see|per|according\s+to|as\s+stated\s+in)\s+(?:the\s+)?(?:passage|document|context)s?"
    r"\s*\[?\d{0,3}\]?\)?(?=\s*[.!]?\s*$)"
    r"|\s*\((?:the\s+)?(?:passage|document)s?\s*\[?\d{1,3}\]?\)", re.I)


def claim_body(claim: str) -> str:
    """What a claim asserts: without a leading list number ("1.") or verdict word ("Yes, ..."), nor
    an ordinal frame ("the second article"), nor, for a bare value, a reference to the prompt's
    passages ("52.4% from passage [1]" asserts "52.4%")."""
    body = ORDINAL_FRAME.sub("", verdict_of(_LIST_MARKER_START.sub("", claim))[1])
    value = _PROMPT_REFERENCE.sub("", body)
    # Only a bare value loses the reference: in a sentence, "according to the passage" has kept the
    # claim's words apart from a heading that shares them (a planted notice's title was cited for
    # "The notice states that the project was cancelled" once the reference went; tests/test_injection.py).
    return value if value != body and value.strip() and is_bare_value(value) else body


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with their markers. A marker group that starts a sentence
    ("... lightly. [1] He said") belongs to the sentence before it."""
    return [(body, markers) for body, markers, _ in claims_and_breaks(text)]


def claims_and_breaks(text: str) -> list[tuple[str, list[int], bool]]:
    """:func:`split_claims`, and for each claim whether a line break follows it in ``text`` (so the
    verified answer keeps a verdict line, "Yes", apart from the sentence after it)."""
    text = _MISSING_SPACE.sub(r"\1 \2", text)
    spans = split_sentences(text)
    claims: list[tuple[str, list[int], bool]] = []
    list_marker = ""  # "1." of a numbered list, split off as a sentence of its own
    for i, span in enumerate(spans):
        sentence = text[span.start:span.end]
        following = text[span.end:spans[i + 1].start] if i + 1 < len(spans) else ""
        line_break = "\n" in following
        if _LIST_MARKER.fullmatch(sentence.strip()):
            list_marker = sentence.strip()
            continue
        if list_marker:
            sentence, list_marker = f"{list_marker} {sentence.strip()}", ""
        leading = re.match(r"^(\s*\[\d{1,3}\])+", sentence)
        if leading and claims:
            claims[-1][1].extend(int(n) for n in re.findall(r"\d+", leading.group(0)))
            sentence = sentence[leading.end():]
        markers = [int(n) for n in MARKER.findall(sentence)]
        body = strip_markers(sentence)
        if body and any(body == seen for seen, _, _ in claims):
            continue  # small models sometimes repeat a sentence verbatim
        if body:
            claims.append((body, markers, line_break))
        elif claims:
            body, previous, _ = claims[-1]
            claims[-1] = (body, previous + markers, line_break)
    return claims


@dataclass
class Candidate:
    """A passage sentence that may support a claim, with what surrounds it in its article."""

    passage_number: int  # 1-based number in the prompt
    passage: Passage
    start: int  # offsets in the document
    end: int
    text: str
    before: str = ""  # the article's sentences just before this one (see candidates())
    after: str = ""  # and the one just after it
    mentions: frozenset[str] = frozenset()  # the index's sources its title and window name (rule publication_named)

    @property
    def window(self) -> str:
        return f"{self.before} {self.text} {self.after}"

    @property
    def frame(self) -> str:
        """Title, source and date of the article: what its heading in the prompt showed the model."""
        return f"{self.passage.title} {self.passage.source or ''} {spelled_date(self.passage.date)}"

    def citation(self, n: int, support: float) -> Citation:
        """This sentence as citation ``[n]``: its exact text and document offsets."""
        p = self.passage
        return Citation(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url, path=p.path,
                        start=self.start, end=self.end, quote=self.text, support=support, page=p.page)


def candidates(passages: Sequence[Passage], context_sentences: int) -> list[Candidate]:
    """Every sentence of ``passages`` that may be evidence, with the ``context_sentences`` before it
    and the one after it in its article (from any of the given passages: chunks overlap, so a
    sentence that opens one chunk may close the previous one)."""
    out = []
    for number, passage in enumerate(passages, 1):
        for span in split_sentences(passage.text):
            text = passage.text[span.start:span.end]
            if text in passage.suspicious or is_instruction_like(text):
                continue  # text addressed to the model is never evidence
            out.append(Candidate(number, passage, passage.start + span.start, passage.start + span.end, text))
    by_doc: dict[str, dict[int, str]] = {}
    for cand in out:
        by_doc.setdefault(cand.passage.doc_id, {})[cand.start] = cand.text
    starts_of = {doc: sorted(sentences) for doc, sentences in by_doc.items()}
    for cand in out:
        starts = starts_of[cand.passage.doc_id]
        earlier = [start for start in starts if start < cand.start][-context_sentences:] if context_sentences else []
        later = [start for start in starts if start > cand.start][:1]
        cand.before = " ".join(by_doc[cand.passage.doc_id][start] for start in earlier)
        cand.after = " ".join(by_doc[cand.passage.doc_id][start] for start in later)
    return out


# A capitalised word, or an initialism with its dots ("U. S.", "U.K."), which key_terms reads as one word ("us").
_CAPITALISED = re.compile(r"\b[A-Z]\.(?:\s?[A-Z]\.)+|\b[A-Z][\w'’-]*")


def names_of(body: str, question_terms: frozenset[str]) -> set[str]:
    """The names a claim body states that the question does not: its capitalised words' terms."""
    capitalised = " ".join(re.findall(_CAPITALISED, body))
    return stemmed_terms(capitalised) - question_terms - REPORTING_TERMS - VERDICT_TERMS


@dataclass(frozen=True)
class Relation:
    """What a claim says about what: the words it repeats from the question (``subject``) and those it
    adds (``added``, its answer: "Valve"); whether it states a number or a name the question lacks."""

    subject: frozenset[str]
    added: frozenset[str]
    numbers: bool
    names: bool


def relation_of(body: str, question_terms: frozenset[str], given_numbers: frozenset[str], names: bool,
                min_subject_words: int, framing: frozenset[str] = frozenset()) -> Relation | None:
    """Of a claim's body (:func:`claim_body`): None when it adds nothing to the question or repeats
    fewer than ``min_subject_words`` of its words: then there is no subject to check a sentence
    against. Numbers in ``given_numbers`` (the question's) are part of the subject, not a number the
    claim states; ``names``: whether it names something the question does not (:func:`names_of`);
    ``framing``: question words that are no part of the subject (rule ``question_framing``)."""
    terms = stemmed_terms(body) - REPORTING_TERMS
    added = frozenset(terms - question_terms)
    if not added:
        return None
    subject = frozenset(t for t in (terms & question_terms) - VERDICT_TERMS - framing if not NUMBER.fullmatch(t))
    if len(subject) < min_subject_words:
        return None
    return Relation(subject, added, bool(numbers(body) - given_numbers), names)


@dataclass(eq=False)
class Claim:
    """One sentence of the answer as the verifier reads it, and what the rules decided about it.

    The score rows have one entry per candidate sentence (:class:`Candidate`), in order.
    """

    index: int
    text: str
    """The sentence without its markers."""
    markers: list[int]
    """The passage numbers the model cited for it."""
    line_break: bool
    """A line break follows it in the answer (kept in the verified text)."""
    body: str
    """What it asserts (:func:`claim_body`)."""
    names: set[str]
    """Terms of the names it states that the question does not (:func:`names_of`)."""
    relation: Relation | None
    fact: bool
    """It states a fact; False for a conclusion of a yes/no answer (a verdict and a restatement)."""
    named: list[str] = field(default_factory=list)
    """The index's publications it says reported it (rule ``publication_named``)."""
    allowed: np.ndarray | None = None
    """Which candidates may stand behind it (from the publications it names)."""
    overlap: np.ndarray | None = None
    """Word-overlap share with each candidate before the pair rules (what the trace of a left-out claim
    reads: the sentence that would have supported it, had a relation rule not rejected it)."""
    rejected_by: dict[int, str] = field(default_factory=dict)
    """Candidate index -> the pair rule that rejected that sentence for this claim (a factor of 0)."""
    lexical_any: np.ndarray | None = None
    """Word-overlap support by each candidate after the pair rules, any publication allowed."""
    semantic: np.ndarray | None = None
    """Embedding cosine to each candidate (zeros without an embedder)."""
    blend: np.ndarray | None = None
    """The support blend of ``lexical_any`` and ``semantic`` (``lexical_any`` without an embedder)."""
    support_any: np.ndarray | None = None
    """``blend`` after the lexical floor, any publication allowed (tells a reader who did say it)."""
    lexical: np.ndarray | None = None
    """``lexical_any`` where ``allowed``, else 0."""
    scores: np.ndarray | None = None
    """The support by each candidate that the decision rules read."""
    best: dict[int, int] = field(default_factory=dict)
    """For each passage number, the candidate that supports it best."""
    chosen: dict[int, int] = field(default_factory=dict)
    """Passage number -> candidate cited, as the decision rules propose it."""
    chosen_by: str = ""
    """The rule that proposed ``chosen``."""
    judge_missed: bool = False
    """The entailment judge should have read it but was unavailable (the word-overlap rules decided)."""
    rejection: str | None = None
    """Why the entailment model rejected the quotes chosen (rule ``quote_entails_claim``)."""
    verdict: str | None = None
    """``kept``, ``left out`` or ``conclusion`` (pending: a verdict resting on the answer's facts)."""
    rule: str = ""
    """The rule that decided ``verdict``."""
    numbers: list[int] = field(default_factory=list)
    """The citation numbers it carries (kept claims)."""
    support: float = 0.0
    """The support of its best citation (or, left out, of its best candidate)."""
    reason: str | None = None
    """Why it was left out, when a rule said so."""
    primary: list[int] = field(default_factory=list)
    """The citation numbers the deciding rule gave (before ``restated_parts`` adds its own)."""
    bare: tuple[frozenset[str], ...] | None = None
    """For a claim that repeats none of the question's words: the names of each part of the question,
    one of which the supporting sentence must hold whole (rule ``bare_answer_reads_the_question``)."""
    bare_content: frozenset[str] | None = None
    """The same for a question that names nothing: its content words, ``anchor_share`` of them."""
    conclusion: bool = False
    """Rule ``verdict_conclusion`` took it for a verdict resting on the answer's facts."""
