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
where small models invent). A claim that states a number must also be about
what the passage sentence is about: at least half of the words it repeats from
the question (its subject) must be in that sentence, the two before it, or the
article's title; "A ferry ticket costs 1.9 million pounds" is not supported by
"the strike cost the company 1.9 million pounds" (``anchor_share``). The same
holds for a claim that names someone or something the question does not
("Daniel Osei is the manager of Port Alder Rovers" against "Daniel Osei ...
was elected mayor"; ``name_share``), with the subject words weighted by rarity
among the passage sentences ("Port Alder", in every sentence, barely counts;
"manager", in one, decides) and the sentence after the quote also counted
("...awarded to Kestrel and Moor Engineering. Its lead engineer, Tomasz
Wierzbicki, said ...").

A claim that says who reported it ("The BBC report mentions that Swift ...")
is supported only by sentences from that publication, or that speak of it
("Wired removed the article" in another site's story): a quote from The
Independent does not stand behind "The BBC reported". Publications are the
index's sources, recognised as people write them (:mod:`rag.sources`); a
restated question or a verdict sentence that names them rests on their
facts only. Without the index's sources (``publications``) this is not checked.

A marker ``[n]`` is kept when passage n supports the claim at least
``keep_threshold``; a marker that points at no given passage, or at one that
does not support the claim, is replaced by the best supporting passage if that
reaches ``add_threshold``, else dropped. A claim left without support leaves
the answer's text and is reported in ``unsupported`` (the CLI and the UI show
it apart, as left out): every sentence an answer keeps carries a citation.

Two shapes of multi-hop answers get their own rule. A claim that joins two
sources ("A reported X, while B reported Y") is supported by a pair of
sentences from two passages when together they reach ``add_threshold``, each
adds words the other lacks, and each states at least two of the claim's words
in its own text (a sentence sharing one word, its site and title supplying the
rest, is not half of the claim); it cites both. In the answer to a yes/no question
(:func:`rag.questions.is_verdict_question`), a sentence that adds nothing to the
question but a verdict ("Yes.", "No, the reports are consistent.") is a
conclusion: no passage can state it, so it cites the facts the answer gives
with it that bear on the question (those whose sentence and title hold at least
two thirds as many of the question's words as the fact holding most), and is
unsupported when none of them is supported. The verdict word
itself is not checked: that would take entailment, which the lexical verifier
does not do.

Multi-part questions ("Which company, covered by Engadget and Polygon, is
releasing ... on November 16th, featuring minor physical upgrades and ...?")
get answers that restate them, and no one sentence holds a restatement. Such a
claim (more than six words repeated from the question) also cites up to three
sentences that together hold at least ``premise_coverage`` of those words, one
per part; an answer whose only sentences are a verdict and a restated question
is supported by such sentences, or not at all (a bare "Yes." stays
unsupported). The numbers of a question that asks for an entity are premises
an answer may repeat ("the individual under 30"); a yes/no question's numbers
are what it asks to confirm, so they stay checked. A name the claim adds (a
capitalised word the question lacks) that neither the sentence, its
neighbours, nor its article's title and source mention halves the support,
as a missing number does.

An answer to a question that opens with who or which
(:func:`rag.questions.asks_for_a_name`) must name someone or something the
question does not (a capitalised word or a number it lacks): "Epic Games is at
the center of ... a legal trial by Epic Games" restates the question with one of
its own names, which the passages about that name support word for word, and
gives no answer. Such an answer is left out whole, and the caller abstains.

With an entailment model (``entails``; ``Settings.verify_entailment``, off by default: it did
not pay, docs/decisions/2026-12-06-entailment-in-verification.md) two more rules apply to the
claims that state a fact: a kept quote must be read as stating the claim (``entail_reject``), and a
claim the word overlap leaves out is kept when a passage sentence is read as stating it
(``entail_accept``); see :func:`_entailment_rules`.

Three rules of :mod:`rag.claim_content` say what must be supported (each has a switch of
:func:`attribute`, so it can be measured off and on; their hooks here are marked
``[claim_content]``): the question's framing words ("quoted in the coverage") are no part of the
subject a claim is anchored to; a claim's names and numbers must be in the passages, the
question's too (off by default: it did not pay); and the kept sentences must carry what the question asks for (a figure, a date, a
name, a version), else the answer is left out whole ("passages found, answer not in them").

Each citation quotes the exact passage sentence that supports its claim, with
offsets into the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from index import split_sentences

from .claim_content import framing_terms, not_answered, publication_terms, question_names, unsupported_names
from .context import is_instruction_like
from .questions import asks_for_a_name, is_verdict_question, verdict_of
from .sources import named_sources
from .text import stemmed_terms, term_rarity
from .types import Citation, Passage

__all__ = ["Attribution", "attribute", "best_quotes", "claim_support", "MARKER", "strip_markers", "split_claims"]

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# "...in June 2027.According to..." - a sentence end the model wrote without a space.
_MISSING_SPACE = re.compile(r"([a-z0-9\]][.!?])([A-Z][a-z])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_YEAR = re.compile(r"(?:19|20)\d\d")
_LIST_MARKER = re.compile(r"\(?\d{1,2}[.)]")
_NAME_SUBJECT_MAX = 6  # subject words up to which a name's relation is checked (see _anchored)
_CONTEXT_SENTENCES = 2  # sentences before a quote that may name its subject ("It opens in June.")
_LIST_MARKER_START = re.compile(r"^\s*\(?\d{1,2}[.)]\s+")
_COVER_SENTENCES = 3  # sentences that may share the parts of a restated question (see _cover)
_BEARING_SHARE = 2 / 3  # of the question's words the most bearing fact holds, a verdict's other facts need (_bearing)

Embed = Callable[[Sequence[str]], np.ndarray]
Entails = Callable[[Sequence[tuple[str, str]]], Sequence[float]]
"""(premise, claim) pairs -> the probability that each premise states its claim (:class:`rag.entailment.EntailmentModel`)."""

_ENTAILMENT_CANDIDATES = 3  # sentences per claim read by the entailment model besides those the lexical pass keeps


@dataclass(frozen=True)
class Attribution:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]
    support: float
    """Mean support of the answer's claims (0..1): the verifier's confidence."""
    reasons: tuple[str, ...] = ()
    """Why each sentence of ``unsupported`` was left out, in the same order (:func:`_why_left_out`)."""


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


# Words that frame a claim ("The Verge article suggests that ...") rather than state it: no passage
# sentence repeats them, so they are not asked of it. Who reported is checked against the passage's
# title and source instead (see ``frame``).
_REPORTING = frozenset(stemmed_terms(
    "article articles report reports reported reporting suggest suggests suggested say says said state states stated "
    "mention mentions mentioned according indicate indicates indicated highlight highlights highlighted note notes "
    "noted publish published write writes wrote discuss discusses discussed describe describes described detail "
    "details detailed outline outlines outlined explain explains explained"
))
# "The first article ..., while the second ...": which article, not what it says.
_ORDINAL_FRAME = re.compile(r"\b(?:the\s+)?(?:first|second|third|former|latter|other|one|both)\s+"
                            r"(?:article|report|piece|story|source)s?\b", re.I)


def claim_support(claim: str, evidence: str, question_terms: frozenset[str] = frozenset(), frame: str = "",
                  given_numbers: frozenset[str] = frozenset()) -> float:
    """Lexical support of ``claim`` by ``evidence`` in 0..1 (see module docstring).

    Words the claim merely repeats from the question prove nothing ("The bridge
    will be painted white" repeats "bridge" and "painted"); when the claim adds
    words of its own, only those are checked. ``frame`` is the evidence's title
    and source (``"The Verge" `` is found in ``theverge.com``): a claim may name
    who reported it, and that name must match where the evidence comes from.
    """
    claim = _claim_body(claim)
    claim_terms = stemmed_terms(claim) - _REPORTING
    novel = claim_terms - question_terms
    if novel:
        claim_terms = novel
    if not claim_terms:
        return 0.0
    score = len(_found(claim_terms, evidence, frame)) / len(claim_terms)
    # A year the question itself gave ("in November 2025") is context, not a claim the passage must
    # repeat (articles say "on 14 November" under a dated headline). Other numbers from the question
    # still count: "Did it cost 5 million?" must not be confirmed by a passage that says 4.2.
    # Numbers of the article's title and date count too: the model saw them in the passage heading.
    missing_numbers = {n for n in _numbers(claim) - _numbers(evidence) - _numbers(frame) - given_numbers
                       if not (_YEAR.fullmatch(n) and n in question_terms)}
    if missing_numbers:
        score *= 0.5
    return score


def _claim_body(claim: str) -> str:
    """What a claim asserts: without a leading list number ("1.") or verdict word ("Yes, ...")."""
    return _ORDINAL_FRAME.sub("", verdict_of(_LIST_MARKER_START.sub("", claim))[1])


def _found(terms: set[str], evidence: str, frame: str = "") -> set[str]:
    """The terms that ``evidence`` contains, or its ``frame`` (title, source, date: "verge" is found
    in ``theverge.com``)."""
    found = terms & stemmed_terms(evidence)
    if frame:
        frame_lower = frame.lower()
        frame_terms = stemmed_terms(frame)
        found |= {t for t in terms - found if t in frame_terms or (len(t) >= 4 and t in frame_lower)}
    return found


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with their markers. A marker group that starts a sentence
    ("... lightly. [1] He said") belongs to the sentence before it."""
    return [(body, markers) for body, markers, _ in _claims_and_breaks(text)]


def _claims_and_breaks(text: str) -> list[tuple[str, list[int], bool]]:
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
class _Candidate:
    passage_number: int  # 1-based number in the prompt
    passage: Passage
    start: int  # offsets in the document
    end: int
    text: str
    before: str = ""  # the article's sentences just before this one (see _candidates)
    after: str = ""  # and the one just after it
    mentions: frozenset[str] = frozenset()  # the index's sources its title and window name (see _from_named)

    @property
    def window(self) -> str:
        return f"{self.before} {self.text} {self.after}"

    @property
    def frame(self) -> str:
        """Title, source and date of the article: what its heading in the prompt showed the model."""
        return f"{self.passage.title} {self.passage.source or ''} {_spelled_date(self.passage.date)}"

    def citation(self, n: int, support: float) -> Citation:
        """This sentence as citation ``[n]``: its exact text and document offsets."""
        p = self.passage
        return Citation(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, date=p.date, url=p.url, path=p.path,
                        start=self.start, end=self.end, quote=self.text, support=support, page=p.page)


_MONTHS = ("January February March April May June July August September October November December").split()


def _spelled_date(date: str | None) -> str:
    """``2023-09-28`` as ``2023-09-28 September 28 2023``, so "reported on September 28, 2023" meets it."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return date or ""
    year, month, day = match.groups()
    return f"{date} {_MONTHS[int(month) - 1]} {int(day)} {year}"


def _candidates(passages: Sequence[Passage]) -> list[_Candidate]:
    out = []
    for number, passage in enumerate(passages, 1):
        for span in split_sentences(passage.text):
            text = passage.text[span.start:span.end]
            if text in passage.suspicious or is_instruction_like(text):
                continue  # text addressed to the model is never evidence
            out.append(_Candidate(number, passage, passage.start + span.start, passage.start + span.end, text))
    # What comes just before each sentence in its article (from any of the given passages: chunks
    # overlap, so a sentence that opens one chunk may close the previous one).
    by_doc: dict[str, dict[int, str]] = {}
    for cand in out:
        by_doc.setdefault(cand.passage.doc_id, {})[cand.start] = cand.text
    starts_of = {doc: sorted(sentences) for doc, sentences in by_doc.items()}
    for cand in out:
        starts = starts_of[cand.passage.doc_id]
        earlier = [start for start in starts if start < cand.start][-_CONTEXT_SENTENCES:]
        later = [start for start in starts if start > cand.start][:1]
        cand.before = " ".join(by_doc[cand.passage.doc_id][start] for start in earlier)
        cand.after = " ".join(by_doc[cand.passage.doc_id][start] for start in later)
    return out


def _names(body: str, question_terms: frozenset[str]) -> set[str]:
    """The names a claim body states that the question does not: its capitalised words' terms."""
    capitalised = " ".join(re.findall(r"\b[A-Z][\w'’-]*", body))
    return stemmed_terms(capitalised) - question_terms - _REPORTING - _VERDICT_TERMS


@dataclass(frozen=True)
class _Relation:
    """What the relation check (:func:`_anchored`) and the cover citations need of a claim, worked
    out once per claim."""
    subject: frozenset[str]  # the words the claim repeats from the question: what it is about
    added: frozenset[str]  # the words it adds to the question: its answer ("Valve")
    numbers: bool  # the claim states a number
    names: bool  # the claim names someone or something the question does not


def _relation(body: str, question_terms: frozenset[str], given_numbers: frozenset[str], names: bool,
              framing: frozenset[str] = frozenset()) -> _Relation | None:
    """Of a claim's body (:func:`_claim_body`): None when it adds nothing to the question or repeats
    fewer than two of its words: then there is no subject to check a sentence against. Numbers in
    ``given_numbers`` (the question's, see :func:`attribute`) are part of the subject, not a number
    the claim states; ``names``: whether it names something the question does not (:func:`_names`);
    ``framing``: question words that are not part of the subject (:func:`rag.claim_content.framing_terms`)."""
    terms = stemmed_terms(body) - _REPORTING
    added = frozenset(terms - question_terms)
    if not added:
        return None
    subject = frozenset(t for t in (terms & question_terms) - _VERDICT_TERMS - framing if not _NUMBER.fullmatch(t))
    if len(subject) < 2:
        return None
    return _Relation(subject, added, bool(_numbers(body) - given_numbers), names)


def _anchored(relation: _Relation | None, cand: _Candidate, share: float, name_share: float,
              weights: dict[str, float]) -> bool:
    """Whether a claim that states a number or a name is about what the passage sentence is about.

    The words a claim repeats from the question name its subject ("the cost of a ferry ticket").
    A number found in a sentence about something else ("the strike cost the company 1.9 million
    pounds") does not support it: at least ``share`` of those subject words must be in the
    sentence, the two before it, or the article's title, source and date. Nor does a name found in
    a sentence about something else ("Daniel Osei" in a sentence about the mayor, for "the manager
    of Port Alder Rovers"): at least ``name_share`` of the subject words, weighted by rarity
    (``weights``), must be in the sentence, the two before it, the one after it, or the frame.
    Weighting matters for names because a who-question's subject is mostly the names every
    retrieved article repeats ("Port Alder"); the word that tells the articles apart is rare.
    """
    if relation is None:
        return True
    subject = set(relation.subject)
    if share and relation.numbers:
        if len(_found(subject, f"{cand.before} {cand.text}", cand.frame)) / len(subject) < share:
            return False
    # A multi-part question's subject ("which company, reported by TechCrunch, ... and ...") spans
    # several articles, and no one window holds it: names are checked for short subjects only.
    if name_share and len(subject) <= _NAME_SUBJECT_MAX and relation.names:
        total = sum(weights.get(t, 0.0) for t in subject)
        found = _found(subject, cand.window, cand.frame)
        if total >= 0.05 and sum(weights.get(t, 0.0) for t in found) / total < name_share:
            return False  # (below 0.05 every subject word is everywhere or nowhere: nothing to tell them apart)
    return True


def _names_factor(names: set[str], cand: _Candidate) -> float:
    """0.5 when the claim names someone or something that neither the sentence, its neighbours nor
    its article's title and source mention ("Huang was compared to Warren Buffett" against "Bankman-
    Fried was even compared to Warren Buffett"): names, like numbers, are where small models slip."""
    if names and names - _found(names, cand.window, cand.frame):
        return 0.5
    return 1.0


def _from_named(cand: _Candidate, named: Sequence[str]) -> bool:
    """Whether ``cand`` can stand behind a claim that names the publications ``named`` ("The BBC
    report mentions ..."): it comes from one of them, or it speaks of one ("Wired removed the
    article", in another site's story about Wired). A claim that names none puts no condition."""
    return not named or cand.passage.source in named or bool(cand.mentions.intersection(named))


def _named_by(claims: Sequence[str], candidates: Sequence[_Candidate], publications: Sequence[str]) -> list[list[str]]:
    """The publications each claim names (:func:`rag.sources.named_sources`); when any does, each
    candidate's ``mentions`` is filled in too, for :func:`_from_named`."""
    named = [named_sources(claim, publications) if publications else [] for claim in claims]
    if any(named):
        for cand in candidates:
            cand.mentions = frozenset(named_sources(f"{cand.passage.title} {cand.window}", publications))
    return named


def _cover(terms: set[str], candidates: Sequence[_Candidate], about: set[str] | frozenset[str] = frozenset(),
           allowed: Sequence[bool] | None = None) -> tuple[list[int], float]:
    """Up to :data:`_COVER_SENTENCES` passage sentences that together hold most of ``terms``.

    Greedy: the sentence whose own text holds the most terms not yet held (its title and source
    count too, but second), while it adds at least two. With ``about`` (the answer a claim gives:
    "Valve"), only sentences that name it, or whose neighbours or title do, are used: a sentence
    about LinkedIn that happens to say "new features" does not state a part of "Valve is releasing
    ... featuring ...". With ``allowed``, only the candidates it marks are used (those from the
    publications a claim names, :func:`_from_named`). Returns the candidate indices and the share of
    ``terms`` held.
    """
    if not terms:
        return [], 0.0
    eligible = [j for j, cand in enumerate(candidates) if (allowed is None or allowed[j])
                and (not about or _found(set(about), cand.window, cand.frame))]
    text_terms = {j: stemmed_terms(candidates[j].text) for j in eligible}
    left, chosen = set(terms), []
    while left and len(chosen) < _COVER_SENTENCES:
        gains = [(len(left & text_terms[j]), _found(left, candidates[j].text, candidates[j].frame), -j)
                 for j in eligible if j not in chosen]
        if not gains:
            break
        in_text, gained, neg_j = max(gains, key=lambda g: (g[0], len(g[1]), g[2]))
        if in_text < 1 or len(gained) < 2:
            break
        chosen.append(-neg_j)
        left -= gained
    return chosen, 1 - len(left) / len(terms)


def attribute(answer: str, passages: Sequence[Passage], embed: Embed | None = None, question: str = "",
              keep_threshold: float = 0.45, add_threshold: float = 0.55, min_lexical: float = 0.5,
              anchor_share: float = 0.5, name_share: float = 0.5, premise_coverage: float = 0.5,
              publications: Sequence[str] = (), entails: Entails | None = None, entail_reject: float = 0.5,
              entail_accept: float = 0.9, exempt_framing: bool = True, check_given: bool = False,
              must_answer: bool = True, given_in_cited: bool = False) -> Attribution:
    """Verify and resolve the citations of ``answer`` (see module docstring). ``publications``: the
    sources of the index ("theverge.com", ...), so that a claim naming one of them ("The Verge
    reported ...") is supported only by what that publication wrote (:mod:`rag.sources`).

    ``entails`` (an entailment model, see :func:`_entailment_rules`): a sentence the lexical pass
    keeps stays only where its quote states it (probability >= ``entail_reject``), and a sentence it
    leaves out is kept when a passage sentence states it with probability >= ``entail_accept``.

    The claim-content rules of :mod:`rag.claim_content`, each switched by its flag: ``exempt_framing``
    (the question's framing words are no part of the subject a claim is anchored to),
    ``check_given`` (a claim's names and numbers must be in a passage it cites; those the question gave
    in a passage given, or with ``given_in_cited`` in one it cites; off: it withdrew 3 right MultiHop dev
    answers and gained nothing, docs/decisions/2026-12-06-claim-content-rules.md),
    ``must_answer`` (the kept sentences must carry what the question asks for, else the answer is
    left out whole: "passages found, answer not in them")."""
    claims_and_breaks = _claims_and_breaks(answer)
    claims = [(body, markers) for body, markers, _ in claims_and_breaks]
    candidates = _candidates(passages)
    question_terms = frozenset(stemmed_terms(question))
    if not claims:
        return Attribution(strip_markers(answer), (), (), 0.0)
    if not candidates:
        return _left_out_whole(claims, _NO_PASSAGE)
    verdict_question = bool(question) and is_verdict_question(question)
    # A question that asks for an entity gives its numbers as premises ("the individual under 30
    # ... accused of misusing $14 billion"): an answer restating them is not stating them anew. A
    # yes/no question's numbers are what the answer must confirm, so they stay checked.
    given_numbers = frozenset() if verdict_question else frozenset(_numbers(question))
    bodies = [_claim_body(claim) for claim, _ in claims]
    names = [_names(body, question_terms) for body in bodies]
    if asks_for_a_name(question) and not any(names) and not any(_numbers(body) - given_numbers for body in bodies):
        # "Which company is at the center of ... a legal trial by Epic Games ...?" answered "Epic Games is
        # at the center of ...": a restatement naming only what the question names gives no answer, and
        # the passages about those names would support it word for word. (A who/which question is
        # never a yes/no one, so ``given_numbers`` are the question's numbers.)
        return _left_out_whole(claims, _NAMES_NOTHING)

    # Each question term's rarity among the sentences' windows (a word no passage has, "mediated"
    # against "mediator", weighs nothing: it tells no sentence from another).
    windows = [_found(set(question_terms), cand.window, cand.frame) for cand in candidates]
    weights = term_rarity(windows)
    # [claim_content] the question's framing needs no support (rag/claim_content.py: framing_terms)
    framing = framing_terms(question_terms, question_names(question), windows) if exempt_framing else frozenset()
    question_years = frozenset(n for n in _numbers(question) if _YEAR.fullmatch(n))
    question_given = question_terms | _numbers(question)
    unchecked = question_years | publication_terms(question, publications)  # (publications: their own rule)
    relations = [_relation(body, question_terms, given_numbers, bool(claim_names), framing)
                 for body, claim_names in zip(bodies, names)]
    # Which sentences may stand behind each claim, given the publications it says reported it.
    named = _named_by([claim for claim, _ in claims], candidates, publications)
    allowed = [[_from_named(cand, claim_named) for cand in candidates] for claim_named in named]
    # Support as if any publication could stand behind each claim; ``allowed`` then applies the rule
    # (the unrestricted scores tell a reader which publication did say it, see _why_left_out).
    unrestricted = np.array([[claim_support(claim, cand.text, question_terms, cand.frame, given_numbers)
                              * _names_factor(claim_names, cand)
                              if _anchored(relation, cand, anchor_share, name_share, weights) else 0.0
                              for cand in candidates]
                             for (claim, _), relation, claim_names in zip(claims, relations, names)])
    semantic = np.zeros_like(unrestricted)
    if embed is not None:
        vectors = embed([c for c, _ in claims] + [cand.text for cand in candidates])
        claim_vecs, cand_vecs = vectors[: len(claims)], vectors[len(claims):]
        semantic = np.clip(claim_vecs @ cand_vecs.T, 0.0, 1.0)
    # A sentence whose own words are mostly absent from the passage is not supported by it,
    # however similar it sounds.
    blend = 0.6 * unrestricted + 0.4 * semantic if embed is not None else unrestricted
    unrestricted_scores = np.where(unrestricted >= min_lexical, blend, 0.0)
    allowed_mask = np.array(allowed, dtype=bool)
    lexical = np.where(allowed_mask, unrestricted, 0.0)
    scores = np.where(lexical >= min_lexical, unrestricted_scores, 0.0)

    citations: list[Citation] = []
    cited: list[_Candidate] = []  # the sentence behind each citation, by number - 1
    by_quote: dict[tuple[str, int], int] = {}

    def cite(cand: _Candidate, support: float) -> int:
        key = (cand.passage.chunk_id, cand.start)
        if key not in by_quote:
            citations.append(cand.citation(len(citations) + 1, support))
            cited.append(cand)
            by_quote[key] = len(citations)
        return by_quote[key]

    best_by_passage = [_best_by_passage(scores[i], candidates) for i in range(len(claims))]
    facts_only = [not (verdict_question and is_conclusion(claim, question_terms)) for claim, _ in claims]
    entailment = _entailment(entails, bodies, candidates, best_by_passage, scores, keep_threshold,
                             np.where(allowed_mask, blend, 0.0), facts_only)
    not_stated: dict[int, str] = {}  # claim index -> why the entailment model rejected its quotes

    numbers_of: dict[int, list[int]] = {}  # claim index -> citation numbers (supported claims only)
    conclusions: list[int] = []
    unsupported: list[int] = []  # claim indices
    supports: list[float] = []
    for i, (claim, markers) in enumerate(claims):
        best = best_by_passage[i]
        kept = [n for n in dict.fromkeys(markers) if n in best and scores[i, best[n]] >= keep_threshold]
        if not kept:
            best_n = max(best, key=lambda n: scores[i, best[n]])
            if scores[i, best[best_n]] >= add_threshold:
                kept = [best_n]
        chosen = {n: best[n] for n in kept}  # passage number -> the sentence cited
        if entailment is not None and facts_only[i]:
            chosen, reason = _entailment_rules(i, chosen, entailment, candidates, allowed_mask[i],
                                               entail_reject, entail_accept)
            kept = list(chosen)
            if reason:
                not_stated[i] = reason
                unsupported.append(i)
                supports.append(float(scores[i].max()))
                continue  # read and not stated: no other rule may put it back
        # [claim_content] names and numbers need support, the question's too (claim_content.unsupported_names)
        missing = _missing_names(bodies[i], chosen.values(), candidates, relations[i], allowed[i], premise_coverage,
                                 unchecked, question_given, given_in_cited) if check_given and kept else []
        if missing:
            not_stated[i] = "the passages do not " + " or ".join(
                f"{verb} {', '.join(words)}" for verb, words in (("name", [m for m in missing if not _NUMBER.fullmatch(m)]),
                                                                 ("give", [m for m in missing if _NUMBER.fullmatch(m)])) if words)
            unsupported.append(i)
            supports.append(float(scores[i].max()))
            continue
        if kept:
            supports.append(max(_support(scores[i, j], entailment, i, j) for j in chosen.values()))
            numbers_of[i] = [cite(candidates[j], _support(scores[i, j], entailment, i, j)) for j in chosen.values()]
            relation = relations[i]
            if relation is not None and len(relation.subject) > _NAME_SUBJECT_MAX:
                # A claim that restates a multi-part question ("Valve is releasing ... on November
                # 16th, featuring minor physical upgrades and ...") also cites where each part is stated;
                # such a citation's support is the share of the restated words the sentences hold together.
                chosen, coverage = _cover(set(relation.subject), candidates, about=relation.added, allowed=allowed[i])
                if coverage >= premise_coverage:
                    numbers_of[i] += [cite(candidates[j], coverage) for j in chosen]
            continue
        pair = _joint_support(claim, bodies[i], i, candidates, lexical, semantic if embed is not None else None,
                              question_terms, add_threshold, min_lexical)
        if pair is not None and check_given and _missing_names(bodies[i], pair[0], candidates, None, allowed[i], 1.0,
                                                               unchecked, question_given, given_in_cited):
            pair = None  # [claim_content] (as above: a name or number neither passage gives)
        if pair is not None:
            (j, k), support = pair
            supports.append(support)
            numbers_of[i] = [cite(candidates[j], support), cite(candidates[k], support)]
            continue
        if not facts_only[i]:  # a verdict question's conclusion
            conclusions.append(i)
            continue
        unsupported.append(i)
        supports.append(float(scores[i].max()))

    # A verdict ("Yes.", "No, the reports agree.") rests on the facts given with it: it cites them,
    # and stands only if at least one of them is supported.
    facts = sorted({n for numbers in numbers_of.values() for n in numbers})
    if conclusions and not facts:
        # The answer states no fact but the question restated ("Yes. The reporting was consistent
        # between the Polygon report on ... and the Engadget review of ..."). A multi-part restatement
        # is a claim too, which no single sentence holds: it is supported by up to three sentences
        # that together hold most of its words, and the verdict rests on them. A bare "Yes." stays
        # unsupported: it states nothing a passage could hold.
        for i in conclusions:
            terms = stemmed_terms(bodies[i]) - _REPORTING - _VERDICT_TERMS
            chosen, coverage = _cover(terms, candidates, allowed=allowed[i]) if len(terms) >= 2 else ([], 0.0)
            if coverage >= premise_coverage:
                numbers_of[i] = [cite(candidates[j], coverage) for j in chosen]
                supports.append(coverage)
        facts = sorted({n for numbers in numbers_of.values() for n in numbers})
    for i in (i for i in conclusions if i not in numbers_of):
        # A conclusion that names who reported ("The Verge article suggests ..., while ...") rests on
        # the facts from those publications only.
        own = [n for n in facts if _from_named(cited[n - 1], named[i])]
        if own:
            numbers_of[i] = _bearing(own, cited, question_terms)
        else:
            unsupported.append(i)
    # [claim_content] an answer must answer (rag/claim_content.py: not_answered)
    answered_not = not_answered(question, [bodies[i] for i in sorted(numbers_of)]) if must_answer and numbers_of else None
    if answered_not:
        return _left_out_whole(claims, answered_not)
    # The answer keeps the sentences the passages support; the others leave it and are reported in
    # ``unsupported`` (shown apart, as left out): no sentence of an answer stands without a citation.
    # When nothing is supported the text stays whole: there is no answer, and the caller abstains.
    left_out = set(unsupported) if numbers_of else set()
    out = ""
    for i, (claim, _, line_break) in enumerate(claims_and_breaks):
        if i in left_out:
            if line_break and out and not out.endswith("\n"):
                out = out.rstrip(" ") + "\n"  # "Yes\n<left out>\nFact." keeps the fact on its own line
            continue
        out += (_with_markers(claim, numbers_of[i]) if i in numbers_of else claim) + ("\n" if line_break else " ")

    def elsewhere(i: int) -> _Candidate | None:
        """The sentence from another publication than those claim i names that would support it."""
        others = np.where(allowed_mask[i], 0.0, unrestricted_scores[i])
        best = int(np.argmax(others))
        return candidates[best] if named[i] and others[best] >= add_threshold else None

    reasons = tuple(not_stated.get(i) or _why_left_out(claims[i][0], i in conclusions, named[i],
                                                       given_numbers | question_terms, candidates, elsewhere(i))
                    for i in sorted(unsupported))
    return Attribution(out.strip(), tuple(citations), tuple(claims[i][0] for i in sorted(unsupported)),
                       float(np.mean(supports)) if supports else 0.0, reasons)


def _missing_names(body: str, chosen: Sequence[int], candidates: Sequence[_Candidate], relation: _Relation | None,
                   allowed: Sequence[bool], premise_coverage: float, unchecked: frozenset[str],
                   question_given: frozenset[str], given_in_cited: bool) -> list[str]:
    """:func:`rag.claim_content.unsupported_names` of a claim citing the sentences ``chosen``: its
    names and numbers that none of their passages (text, title, source, date) holds, but for
    ``unchecked`` (the years the question gives, and the words of the publications it names). A claim that
    restates a multi-part question may find them in the passages of its cover sentences as well
    (:func:`_cover`)."""
    chosen = list(chosen)
    if relation is not None and len(relation.subject) > _NAME_SUBJECT_MAX:
        cover, coverage = _cover(set(relation.subject), candidates, about=relation.added, allowed=allowed)
        if coverage >= premise_coverage:
            chosen += cover
    passages = {candidates[j].passage.chunk_id: candidates[j] for j in chosen}
    given_texts = None if given_in_cited else list(dict.fromkeys(f"{c.passage.text} {c.frame}" for c in candidates))
    return unsupported_names(body, [f"{cand.passage.text} {cand.frame}" for cand in passages.values()], unchecked,
                             question_given, given_texts)


def _best_by_passage(claim_scores: np.ndarray, candidates: Sequence[_Candidate]) -> dict[int, int]:
    """For each passage number, the candidate sentence that supports the claim best."""
    best: dict[int, int] = {}
    for j, cand in enumerate(candidates):
        current = best.get(cand.passage_number)
        if current is None or claim_scores[j] > claim_scores[current]:
            best[cand.passage_number] = j
    return best


def _premise(cand: _Candidate) -> str:
    """What the entailment model reads as the passage's statement: the sentence with the one before it
    ("It opens in June." needs its subject) and the article's title."""
    before = split_sentences(cand.before)
    previous = cand.before[before[-1].start:before[-1].end] if before else ""
    return f"{cand.passage.title}. {previous} {cand.text}".strip()


def _entailment(entails: Entails | None, bodies: Sequence[str], candidates: Sequence[_Candidate],
                best_by_passage: Sequence[dict[int, int]], scores: np.ndarray, keep_threshold: float,
                rank: np.ndarray, facts_only: Sequence[bool]) -> dict[tuple[int, int], float] | None:
    """P(sentence j states claim i) for the pairs the rules need, in one batch: for each claim that
    states a fact, every sentence the lexical pass could keep, and its best-ranked allowed sentences
    (``rank``: the support blend before the lexical floor, 0 where not allowed) that a rescue could cite."""
    if entails is None:
        return None
    wanted: list[tuple[int, int]] = []
    for i in range(len(bodies)):
        if not facts_only[i]:
            continue
        keepable = [j for j in best_by_passage[i].values() if scores[i, j] >= keep_threshold]
        ranked = [int(j) for j in np.argsort(-rank[i])[:_ENTAILMENT_CANDIDATES] if rank[i, j] > 0]
        wanted += [(i, j) for j in dict.fromkeys(keepable + ranked)]
    if not wanted:
        return {}
    probabilities = entails([(_premise(candidates[j]), bodies[i]) for i, j in wanted])
    return {pair: float(p) for pair, p in zip(wanted, probabilities)}


def _entailment_rules(i: int, chosen: dict[int, int], entailment: dict[tuple[int, int], float],
                      candidates: Sequence[_Candidate], allowed: np.ndarray, reject: float,
                      accept: float) -> tuple[dict[int, int], str | None]:
    """The two entailment rules for claim ``i``; returns the sentences it cites (passage number ->
    candidate) and, when it must leave the answer, why.

    - *stated by its quote* (``reject``): a sentence the lexical pass kept is cited only where the
      model reads the quote as stating the claim. "Daimler's truck unit earned 1.2 billion" cited to
      "Daimler earned 4.1 billion; its truck unit earned 1.2 billion" stays; "Daimler earned 1.2
      billion" cited to it goes (the right article, the wrong subject).
    - *stated in other words* (``accept``): a claim no quote kept, that a passage sentence states
      with high probability, is cited to that sentence. "The Kremlin spokesman quoted in the coverage
      is Dmitry Peskov." against "... Kremlin spokesman Dmitry Peskov said." (a restated question
      the word overlap misses).
    """
    stated = {n: j for n, j in chosen.items() if entailment.get((i, j), 0.0) >= reject}
    if stated:
        return stated, None
    scored = [(p, j) for (claim, j), p in entailment.items() if claim == i and allowed[j]]
    if scored:
        p, j = max(scored)
        if p >= accept:
            return {candidates[j].passage_number: j}, None
    if chosen:
        p = max(entailment.get((i, j), 0.0) for j in chosen.values())
        return {}, f"the quoted sentence does not state this (entailment {p:.2f})"
    return {}, None


def _support(score: float, entailment: dict[tuple[int, int], float] | None, i: int, j: int) -> float:
    """A citation's support: the lexical score, or, where the entailment model read the pair, the lower of
    the two (a quote is as good as its weaker reading)."""
    if entailment is None or (i, j) not in entailment:
        return float(score)
    return float(min(score, entailment[(i, j)])) if score > 0 else float(entailment[(i, j)])


_NO_PASSAGE = "no passage says this"
_NAMES_NOTHING = "it names no one and nothing the question does not: it does not answer who or which"


def _left_out_whole(claims: Sequence[tuple[str, list[int]]], reason: str) -> Attribution:
    """No sentence of the answer stands, all for the same ``reason``: the text stays whole (the caller
    abstains) and every sentence is listed as left out."""
    sentences = tuple(claim for claim, _ in claims)
    return Attribution(" ".join(sentences), (), sentences, 0.0, tuple(reason for _ in sentences))


def _why_left_out(claim: str, conclusion: bool, named: Sequence[str], given: frozenset[str],
                  candidates: Sequence[_Candidate], elsewhere: _Candidate | None) -> str:
    """Why an unsupported sentence left the answer, in words a reader can check against the passages:
    a verdict with nothing to rest on, a publication named that did not write what is said
    (``elsewhere``: the sentence that says it, from another publication), a number no passage
    gives, or simply no passage that says it."""
    who = ", ".join(named)
    if conclusion:
        if named:
            return f"a conclusion about {who}: no supported fact of the answer comes from {'them' if len(named) > 1 else 'it'}"
        return "a conclusion with no supported fact in the answer to rest on"
    if elsewhere is not None:
        return f"it names {who}, but the passage that says this is from {elsewhere.passage.source or elsewhere.passage.title}"
    body = _claim_body(claim)
    everywhere = set().union(*(_numbers(f"{cand.text} {cand.frame}") for cand in candidates))
    missing = sorted(_numbers(body) - given - everywhere)  # (``given``: numbers the question gave, which are context)
    if missing:
        return f"no passage gives {', '.join(missing)}"
    return _NO_PASSAGE


# Words that state a verdict rather than a fact ("the reports are consistent", "yes, both agree").
_VERDICT_TERMS = frozenset(stemmed_terms(
    "yes no not both neither either consistent consistency inconsistent same similar different differ change changed "
    "agree agrees disagree true false before after"
))  # (reporting words, "article", "suggests", are in _REPORTING, which both users subtract as well)


# Words that join the parts of a restated question ("the first article discusses X, while the
# second details Y") without adding a fact.
_CONNECTIVES = frozenset(stemmed_terms("while whereas"))


def is_conclusion(claim: str, question_terms: frozenset[str]) -> bool:
    """A sentence of a verdict answer that adds no fact to the question: a verdict word and a restatement."""
    return not (stemmed_terms(_claim_body(claim)) - question_terms - _VERDICT_TERMS - _REPORTING - _CONNECTIVES)


def _joint_support(claim: str, body: str, i: int, candidates: Sequence[_Candidate], lexical: np.ndarray,
                   semantic: np.ndarray | None, question_terms: frozenset[str], threshold: float, min_lexical: float,
                   top: int = 4) -> tuple[tuple[int, int], float] | None:
    """Support of a claim that joins two passages ("A reported X, while B reported Y").

    The best sentence of each of the ``top`` most overlapping passages is paired with the best of
    another; a pair supports the claim when the two sentences together reach ``threshold``, each
    contributes words the other lacks, and each holds two of the claim's words in its own text.
    Returns the two candidate indices and the support, or None.
    """
    best: dict[int, int] = {}
    for j, cand in enumerate(candidates):
        if cand.passage_number not in best or lexical[i, j] > lexical[i, best[cand.passage_number]]:
            best[cand.passage_number] = j
    ranked = sorted(best.values(), key=lambda j: -lexical[i, j])[:top]
    claim_terms = stemmed_terms(body) - _REPORTING  # (``body``: the claim's _claim_body, worked out once per claim)
    found = None
    for a in range(len(ranked)):
        for b in range(a + 1, len(ranked)):
            j, k = ranked[a], ranked[b]
            if not (lexical[i, j] and lexical[i, k]):
                continue  # each sentence must share words with the claim (and be about its subject)
            joint = claim_support(claim, f"{candidates[j].text} {candidates[k].text}", question_terms,
                                  f"{candidates[j].frame} {candidates[k].frame}")
            if joint < min_lexical or joint <= max(lexical[i, j], lexical[i, k]):
                continue  # too little found, or one sentence says all the other does: not a two-source claim
            if min(len(claim_terms & stemmed_terms(candidates[x].text)) for x in (j, k)) < 2:
                continue  # each sentence must state part of the claim itself, not just come from a site it names
            support = joint if semantic is None else 0.6 * joint + 0.4 * max(semantic[i, j], semantic[i, k])
            if support >= threshold and (found is None or support > found[1]):
                found = ((j, k), float(support))
    return found


def _bearing(facts: list[int], cited: Sequence[_Candidate], question_terms: frozenset[str]) -> list[int]:
    """The facts a verdict rests on: of the citations ``facts`` (numbers into ``cited``), those whose
    sentence and article title hold at least :data:`_BEARING_SHARE` as many of the question's words as
    the one holding most. "Yes" to "Did the Age and TechCrunch agree on Google's market power?" rests on
    the sentences about Google's market power, not on a side fact the answer also gave."""
    core = question_terms - _VERDICT_TERMS - _REPORTING
    shared = {n: len(core & stemmed_terms(f"{cited[n - 1].text} {cited[n - 1].passage.title}")) for n in facts}
    most = max(shared.values())
    return [n for n in facts if shared[n] >= _BEARING_SHARE * most]


def _with_markers(claim: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    match = re.search(r"[.!?]+[\"'”’)]*$", claim)
    if match:
        return f"{claim[: match.start()]} {markers}{claim[match.start():]}"
    return f"{claim} {markers}"


def best_quotes(text: str, passages: Sequence[Passage], embed: Embed | None = None,
                publications: Sequence[str] = ()) -> list[Citation]:
    """For each passage, its sentence that best supports ``text``; sorted by support, best first.
    A text that names one of ``publications`` (the index's sources: "The BBC reported ...") is
    supported only by that publication's sentences, or by sentences that speak of it, as in
    :func:`attribute`; the others get support 0."""
    claim = strip_markers(text)
    candidates = _candidates(passages)
    if not claim or not candidates:
        return []
    (named,) = _named_by([claim], candidates, publications)
    allowed = np.array([_from_named(cand, named) for cand in candidates])
    scores = np.array([claim_support(claim, cand.text, frame=cand.frame) for cand in candidates])
    if embed is not None:
        vectors = embed([claim] + [cand.text for cand in candidates])
        scores = 0.6 * scores + 0.4 * np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
    scores = np.where(allowed, scores, 0.0)
    best: dict[int, int] = {}
    for j, cand in enumerate(candidates):
        if cand.passage_number not in best or scores[j] > scores[best[cand.passage_number]]:
            best[cand.passage_number] = j
    ranked = sorted(best.values(), key=lambda j: -scores[j])
    return [candidates[j].citation(n, float(scores[j])) for n, j in enumerate(ranked, 1)]
