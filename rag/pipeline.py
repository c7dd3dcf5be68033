"""The answer pipeline, written once: from a question to a verified, cited answer.

    pipeline = AnswerPipeline(index, settings)
    prepared = pipeline.prepare(question)              # retrieval ... prompt (no LLM)
    stream = AnswerStream(pipeline, prepared, generator)
    for piece in stream: ...                           # generation, the only slow step
    stream.answer                                      # pipeline.finish(prepared, raw text): verification

:meth:`AnswerPipeline.prepare` runs, in order: warm the embedder; read a date filter
from the question when the caller gave no dates; retrieve (without that filter if it
hides everything); mark the sentences addressed to the assistant; abstain early when
nothing close was found; build the evidence and the prompt.

:meth:`AnswerPipeline.finish` runs, in order: abstain on the early reason, on an empty
or declining draft, or on a draft that repeats a planted instruction; verify each
sentence against the evidence (abstain when none is backed); name the page of each
citation; add the note on conflicting sources and the caution on suspicious ones.
Every abstention says which ``Answer.outcome`` it is: nothing relevant found
(``no_relevant_passages``), a declining draft, one that restates a who/which question or
copies a planted instruction (``answer_not_in_passages``), or a draft no passage confirms
(``unverified_draft``: shown labelled as such, :data:`UNVERIFIED`, with the closest passages).
``Answer.verification`` is the trace of every sentence of the draft.

:class:`AnswerStream` is the generation between the two, and nothing else.
:class:`~rag.assistant.Assistant` and :class:`~rag.conversation.Conversation` both
answer through this module.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

from index import CorpusIndex, SearchFilter

from .verification import NOT_IN_PASSAGES_RULES, Attribution, Entails, attribute, split_claims
from .conflicts import describe, find_conflicts
from .context import Evidence, build_evidence, mark_suspicious, passage_heading
from .dates import period_from_question
from .generator import Generator, loaded
from .injection import echoed
from .prompts import (CONFLICT_NOTE, ECHO_REASON, NO_ANSWER, NOW_HINT, PASSAGE_ORDERS, SUSPICIOUS_NOTE, VERDICT_HINT,
                      VERDICT_LAST_HINT, VERDICT_POSITIONS,
                      answer_system, choice, format_passages, user_message)
from .questions import asks_about_now, is_verdict_question, verdict_of, verdict_to_front
from .retrieval import Retriever
from .settings import Settings
from .text import key_terms
from .types import Answer, Citation, Passage, SentenceCheck

__all__ = ["AnswerPipeline", "AnswerStream", "Prepared", "UNVERIFIED", "is_refusal", "key_term_coverage"]


@dataclass(frozen=True)
class Prepared:
    """Everything decided before generation: what was found, and what the model is asked."""

    question: str
    standalone_question: str
    """The question retrieval and the prompt use (a conversation's follow-up rewritten to stand alone)."""
    filters: SearchFilter | None
    """The filter the passages were found with: the caller's, or the period the question names."""
    passages: tuple[Passage, ...]
    """The passages found, best first, suspicious sentences marked (the sources shown to the user)."""
    top_dense: float
    """Highest cosine similarity of any chunk to the question (an abstention signal)."""
    coverage: float
    """Share of the question's key terms the passages hold (the other abstention signal)."""
    abstain_reason: str | None
    """Why the answer abstains before generation, or None when the model is asked."""
    evidence: Evidence | None
    """What the prompt quotes of the passages (None when abstaining early)."""
    messages: tuple[dict, ...]
    """The chat messages the model is given (none when abstaining early)."""
    started: float
    """``time.perf_counter()`` when retrieval began: the answer's total time counts from it."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step; generation adds its own (and a conversation its rewrite) before :meth:`finish`."""


class AnswerPipeline:
    """Retrieval, evidence and prompt before generation; verification after it."""

    def __init__(self, index: CorpusIndex, settings: Settings, entails: Entails | None = None) -> None:
        """``entails``: the entailment model's scoring function, which verification then uses
        (``Settings.verification.verify_entailment``); None: the word-overlap rules alone."""
        self.index = index
        self.settings = settings
        self.entails = entails

    # ---- before generation ------------------------------------------------------------
    def prepare(self, question: str, *, k: int | None = None, filters: SearchFilter | None = None,
                standalone_question: str | None = None, history: Sequence[dict] = ()) -> Prepared:
        """Everything up to the prompt for ``question`` (retrieval and the prompt use ``standalone_question``
        when given; ``history`` goes into the prompt between the system and the user message)."""
        settings = self.settings
        standalone = standalone_question or question
        timings: dict[str, float] = {}
        t_load = time.perf_counter()
        retriever = Retriever.from_settings(self.index, settings)
        embedder = self.index.embedder
        embedder.embed(["warm-up"])  # loads the embedder once per process
        timings["embedder_load"] = time.perf_counter() - t_load

        started = time.perf_counter()
        k = k or settings.retrieval.k
        period = None if filters is not None and (filters.since or filters.until) else self._period_filter(standalone, filters)
        result = retriever.search(standalone, k, period or filters)
        if period is not None:
            if result.passages:
                filters = period
            else:  # the period came from our reading of the question, not from the user: do not let it hide everything
                result = retriever.search(standalone, k, filters)
        timings["retrieval"] = time.perf_counter() - started

        # Sentences addressed to the assistant are marked before anything reads the passages: they are
        # shown as suspicious in the sources, left out of the prompt and never cited.
        passages = tuple(mark_suspicious(p, settings.context.injection_threshold, embed=embedder.embed, embedder_id=embedder.id,
                                         classifier_threshold=settings.context.injection_classifier_threshold)
                         for p in result.passages)
        coverage = key_term_coverage(standalone, result.passages)
        abstain_reason = self._pre_abstain(result.passages, result.top_dense, coverage)
        evidence, messages = None, ()
        if abstain_reason is None:
            evidence_passages, hints = passages, []
            if is_verdict_question(standalone):
                last = choice("verdict_position", settings.context.verdict_position, VERDICT_POSITIONS) == "last"
                hints.append(VERDICT_LAST_HINT if last else VERDICT_HINT)
            if asks_about_now(standalone) and len({p.date for p in result.passages if p.date}) > 1:
                # "What is the budget now?": the newest report first (undated last, ties by rank).
                evidence_passages = tuple(sorted(passages, key=lambda p: p.date or "", reverse=True))
                hints.append(NOW_HINT)
            evidence = build_evidence(evidence_passages, standalone, settings.context.context_tokens, embed=embedder.embed,
                                      injection_threshold=None,  # marked above
                                      term_weight=settings.context.term_weight)
            if choice("passage_order", settings.context.passage_order, PASSAGE_ORDERS) == "reversed":
                # The same evidence, best passage last; numbering (and so citations) follows the prompt order.
                evidence = replace(evidence, passages=evidence.passages[::-1], texts=evidence.texts[::-1])
            blocks = [(i + 1, passage_heading(p), text) for i, (p, text) in enumerate(zip(evidence.passages, evidence.texts))]
            messages = (
                {"role": "system", "content": answer_system(settings.context.answer_instructions)},
                *history,
                {"role": "user", "content": user_message(format_passages(blocks, settings.context.passage_format), standalone,
                                                         " ".join(hints))},
            )
        return Prepared(question=question, standalone_question=standalone, filters=filters, passages=passages,
                        top_dense=result.top_dense, coverage=coverage, abstain_reason=abstain_reason,
                        evidence=evidence, messages=messages, started=started, timings=timings)

    def _period_filter(self, question: str, base: SearchFilter | None) -> SearchFilter | None:
        """A date filter for a period the question names ("in November 2021"), if it overlaps the corpus."""
        period = period_from_question(question)
        if period is None:
            return None
        first, last = self.index.date_range()
        if first is None or (period.since and period.since > last) or (period.until and period.until < first):
            return None
        base = base or SearchFilter()
        return SearchFilter(since=period.since, until=period.until, sources=base.sources, doc_ids=base.doc_ids)

    def _pre_abstain(self, passages: Sequence[Passage], top_dense: float, coverage: float) -> str | None:
        """Decide, before spending LLM time, that the corpus cannot answer."""
        if not passages:
            return "nothing in the index matches the question"
        if top_dense < self.settings.retrieval.min_relevance and coverage < self.settings.retrieval.min_coverage:
            return "no passage is close to the question"
        return None

    # ---- after generation -------------------------------------------------------------
    def finish(self, prepared: Prepared, raw_text: str, *, model: str) -> Answer:
        """The verified answer to ``prepared`` from the model's ``raw_text`` (``model`` names the model)."""
        timings = dict(prepared.timings)
        question = prepared.standalone_question
        common = dict(question=prepared.question, standalone_question=question, passages=prepared.passages,
                      model=model, embedder=self.index.embedder.id, filters=_filter_dict(prepared.filters))

        def abstention(outcome: str, reason: str, confidence: float = 0.0, checks: Sequence[SentenceCheck] = (),
                       text: str | None = None) -> Answer:
            timings["total"] = time.perf_counter() - prepared.started
            return Answer(text=text or _abstention_text(question, reason), citations=(), abstained=True,
                          confidence=confidence, timings=timings, verification=tuple(checks), outcome=outcome, **common)

        if prepared.abstain_reason is not None:
            return abstention("no_relevant_passages", prepared.abstain_reason)
        raw = raw_text.strip()
        if is_verdict_question(question) and self.settings.context.verdict_position == "last":
            raw = verdict_to_front(raw)
        if not raw or is_refusal(raw):
            return abstention("answer_not_in_passages", "the passages found do not contain the answer")
        copied = _copied_instruction(raw, prepared)
        if copied is not None:
            # The model repeated a planted instruction (it reached the prompt despite the filter, or
            # the model wrote its words anyway): never present that as an answer, nor as a draft.
            reason = ECHO_REASON.format(title=copied)
            return abstention("answer_not_in_passages", reason,
                              checks=(SentenceCheck(raw, "left out", "copied_instruction", reason),))
        t0 = time.perf_counter()
        attribution: Attribution = attribute(raw, prepared.evidence.passages, embed=self.index.embedder.embed,
                                             question=question, publications=self.index.sources(),
                                             entails=self.entails, settings=self.settings.verification)
        timings["verification"] = time.perf_counter() - t0
        if not attribution.citations:
            if attribution.rules and all(rule in NOT_IN_PASSAGES_RULES for rule in attribution.rules):
                # The draft restates the question without naming what it asks for, or its supported
                # sentences lack the figure, date, name or version asked for: no answer in it.
                return abstention("answer_not_in_passages", attribution.reasons[0], attribution.support,
                                  attribution.checks)
            # Nothing the model said is backed by the passages: shown, but labelled as not confirmed,
            # with the passage sentences closest to it - never as an answer.
            return abstention("unverified_draft", "the generated answer was not supported by the passages",
                              attribution.support, attribution.checks, _unverified_text(attribution))
        text, citations = attribution.text, [with_page(self.index, c) for c in attribution.citations]
        conflicts = find_conflicts(citations, prepared.passages, embed=self.index.embedder.embed, answer=text)
        if conflicts:
            note, citations = describe(conflicts, citations, CONFLICT_NOTE)
            text = f"{text} {note}"
        caution = _suspicious_note(prepared.passages)
        if caution:
            text = f"{text} {caution}"
        timings["total"] = time.perf_counter() - prepared.started
        by_n = {c.n: c for c in citations}
        checks = tuple(replace(check, citations=tuple(by_n.get(c.n, c) if c.n else c for c in check.citations))
                       for check in attribution.checks)
        return Answer(text=text, citations=tuple(citations), abstained=False, confidence=attribution.support,
                      timings=timings, verification=checks, conflicts=len(conflicts), **common)


class AnswerStream:
    """An answer being generated: iterate for text pieces, then read ``answer``.

    Retrieval happened before the stream was made (:meth:`AnswerPipeline.prepare`), so
    ``passages`` (the evidence) is available before the first token. ``cancel()`` stops
    generation; the answer is then built from what was generated so far.
    """

    def __init__(self, pipeline: AnswerPipeline, prepared: Prepared, generator: Generator) -> None:
        self.pipeline = pipeline
        self.prepared = prepared
        self.generator = generator
        self.status = "generating" if prepared.abstain_reason is None else "done"
        self._cancelled = threading.Event()
        self._answer: Answer | None = None
        self._pieces: list[str] = []
        self._consumed = False

    # What was prepared, read through the stream (front ends show the sources before the first token).
    question = property(lambda self: self.prepared.question)
    standalone_question = property(lambda self: self.prepared.standalone_question)
    filters = property(lambda self: self.prepared.filters)
    passages = property(lambda self: self.prepared.passages)
    top_dense = property(lambda self: self.prepared.top_dense)
    coverage = property(lambda self: self.prepared.coverage)
    abstain_reason = property(lambda self: self.prepared.abstain_reason)
    evidence = property(lambda self: self.prepared.evidence)
    timings = property(lambda self: self.prepared.timings)

    @property
    def messages(self) -> tuple[dict, ...]:
        """The chat messages the model is given (none when the answer abstains before generation)."""
        return self.prepared.messages

    @property
    def text(self) -> str:
        """The raw text generated so far."""
        return "".join(self._pieces)

    def cancel(self) -> None:
        self._cancelled.set()

    def __iter__(self) -> Iterator[str]:
        # A stream generates once: iterating again (or reading .answer afterwards) reuses the text.
        if self._consumed or self.abstain_reason is not None:
            return
        self._consumed = True
        t_load = time.perf_counter()
        generator = loaded(self.generator)  # outside the timed prompt evaluation
        self.timings["model_load"] = time.perf_counter() - t_load
        first = None
        t0 = time.perf_counter()
        pieces = generator.stream(list(self.messages), max_tokens=self.pipeline.settings.llm.max_answer_tokens)
        try:
            for piece in pieces:
                if first is None:
                    first = time.perf_counter()
                    self.timings["first_token"] = first - t0
                self._pieces.append(piece)
                yield piece
                if self._cancelled.is_set():
                    break
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()
            self.timings["generation"] = time.perf_counter() - t0

    @property
    def answer(self) -> Answer:
        """The final, verified answer (consumes the stream if it was not read)."""
        if self._answer is None:
            for _ in self:
                pass
            self._answer = self.pipeline.finish(self.prepared, self.text, model=self.generator.id)
        return self._answer


# ---- the steps' helpers -----------------------------------------------------------------------
# Phrases with which models decline, matched case-insensitively in the answer's opening sentence. A
# later sentence saying "the Wired report does not mention these items" is part of an answer, not a
# refusal: the verifier judges it.
_REFUSAL = re.compile(
    r"documents do not answer|"
    r"(?:documents?|passages?|context|sources?|texts?|information)(?: (?:given|provided|above))?"
    r" (?:do(?:es)? not|don't|doesn't) (?:contain|mention|provide|say|include|specify|state|answer|discuss)|"
    r"(?:no|not enough|insufficient) information|cannot (?:be )?(?:find|found|answer|determine)|"
    r"can't (?:find|answer|determine)|not (?:mentioned|stated|specified) in|unable to (?:find|answer|determine)",
    re.I,
)


def is_refusal(text: str) -> bool:
    """Whether a model's raw output declines to answer (then the answer is an abstention).

    The opening sentence decides (after a bare "Yes"/"No", which small models put before anything):
    "The documents do not answer this question." is a refusal; "Yes. X [1]. The second report does
    not mention Y." is an answer.
    """
    claims = [c for c, _ in split_claims(text)]
    while claims and not verdict_of(claims[0])[1].strip():
        claims.pop(0)
    return bool(claims) and bool(_REFUSAL.search(claims[0]))


def key_term_coverage(question: str, passages: Sequence[Passage]) -> float:
    """Share of the question's key terms found in the passages (texts or titles)."""
    terms = set(key_terms(question))
    covered = {t for t in terms if any(t in p.text.lower() or t in p.title.lower() for p in passages)}
    return len(covered) / len(terms) if terms else 0.0


def with_page(index: CorpusIndex, citation: Citation) -> Citation:
    """Citations of paged documents (PDF) name the page where the quote starts."""
    if citation.page is None:
        return citation
    return replace(citation, page=index.document(citation.doc_id).page_at(citation.start))


def _filter_dict(flt: SearchFilter | None) -> dict:
    if flt is None:
        return {}
    out = {"since": flt.since, "until": flt.until, "sources": list(flt.sources), "doc_ids": list(flt.doc_ids)}
    return {k: v for k, v in out.items() if v}


def _copied_instruction(draft: str, prepared: Prepared) -> str | None:
    """The title of the passage whose flagged sentence ``draft`` copies (:func:`rag.injection.echoed`), or None."""
    flagged = [(sentence, p.title) for p in prepared.passages for sentence in p.suspicious]
    copied = echoed(draft, [sentence for sentence, _ in flagged], prepared.evidence.texts if prepared.evidence else ())
    return next((f'"{title}"' for sentence, title in flagged if sentence == copied), None)


def _suspicious_note(passages: Sequence[Passage]) -> str:
    """:data:`SUSPICIOUS_NOTE` naming the documents among ``passages`` that hold flagged sentences ('' if none)."""
    titles = list(dict.fromkeys(f'"{p.title}"' for p in passages if p.suspicious))
    if not titles:
        return ""
    named = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
    return SUSPICIOUS_NOTE.format(titles=named, s="s" if len(titles) == 1 else "")


def _abstention_text(question: str, reason: str) -> str:
    return f"{NO_ANSWER} Searched for: \"{question}\" ({reason}). The closest passages are listed below."


UNVERIFIED = "Not confirmed by the documents."
"""How an answer whose draft no passage confirms begins (``Answer.outcome`` ``unverified_draft``)."""


def _unverified_text(attribution: Attribution, closest: int = 2) -> str:
    """The draft, labelled as not confirmed, with the passage sentences closest to it: 'Not confirmed by
    the documents. Unverified draft: "..." Closest passages: "..." (title); "..." (title).'"""
    quotes = sorted({(c.quote, c.title): c.support for check in attribution.checks for c in check.citations}.items(),
                    key=lambda item: -item[1])[:closest]
    text = f'{UNVERIFIED} Unverified draft: "{attribution.text}"'
    if quotes:
        text += " Closest passages: " + "; ".join(f'"{quote}" ({title})' for (quote, title), _ in quotes) + "."
    return text
