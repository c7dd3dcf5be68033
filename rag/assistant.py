"""The public question-answering API: ``Assistant``.

    from rag import Assistant
    assistant = Assistant(index_dir="~/my-index")
    answer = assistant.ask("What did Putin say about red lines?")
    print(answer.with_references())

Collaborators (index, embedder, generator) are optional constructor arguments
so tests and other front ends can swap them; by default they are built from
:class:`Settings` and loaded lazily, once per ``Assistant``.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

from index import CorpusIndex, Embedder, IndexReport, Progress, SearchFilter, SentenceTransformerEmbedder
from index.embedder import DEFAULT_EMBEDDER

from .attribution import Attribution, attribute, best_quotes, split_claims, strip_markers
from .conflicts import describe, find_conflicts
from .context import build_evidence, mark_suspicious, passage_heading
from .errors import RagError
from .generator import Generator, LlamaGenerator
from .injection import echoed
from .models import model_id, resolve_model
from .prompts import (CONFLICT_NOTE, ECHO_REASON, NO_ANSWER, NOW_HINT, SUSPICIOUS_NOTE, SYSTEM_PROMPT, VERDICT_HINT,
                      format_passages, user_message)
from .questions import asks_about_now, is_verdict_question, verdict_of
from .retrieval import Retriever
from .settings import Settings
from .text import key_terms
from .types import Answer, Citation, Lookup, Passage

__all__ = ["Assistant", "AnswerStream", "Filters", "is_refusal"]

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


class Filters(SearchFilter):
    """Metadata filters for ``ask``/``search`` (dates ISO ``YYYY-MM-DD``, inclusive)."""


class AnswerStream:
    """An answer being generated: iterate for text pieces, then read ``answer``.

    Retrieval happens when the stream is created, so ``passages`` (the evidence)
    is available before the first token. ``cancel()`` stops generation; the
    answer is then built from what was generated so far.
    """

    def __init__(self, assistant: "Assistant", question: str, *, k: int | None = None,
                 filters: SearchFilter | None = None, standalone_question: str | None = None,
                 history: Sequence[dict] = ()) -> None:
        self.question = question
        self.standalone_question = standalone_question or question
        self._assistant = assistant
        self._cancelled = threading.Event()
        self._answer: Answer | None = None
        self._pieces: list[str] = []
        self._consumed = False
        self.timings: dict[str, float] = {}
        self.status = "retrieving"
        settings = assistant.settings
        t_load = time.perf_counter()
        retriever = assistant.retriever
        retriever.index.embedder.embed(["warm-up"])  # loads the embedder once per process
        self.timings["embedder_load"] = time.perf_counter() - t_load
        started = time.perf_counter()
        self._started = started
        self.filters = filters
        inferred = None if filters is not None and (filters.since or filters.until) else assistant._period_filter(self.standalone_question, filters)
        result = retriever.search(self.standalone_question, k or settings.k, inferred or filters)
        if inferred is not None:
            if result.passages:
                self.filters = inferred
            else:  # the period came from our reading of the question, not from the user: do not let it hide everything
                result = retriever.search(self.standalone_question, k or settings.k, filters)
        self.timings["retrieval"] = time.perf_counter() - started
        # Sentences addressed to the assistant are marked before anything reads the passages: they are
        # shown as suspicious in the sources, left out of the prompt and never cited.
        embedder = retriever.index.embedder
        self.passages: tuple[Passage, ...] = tuple(
            mark_suspicious(p, settings.injection_threshold, embed=embedder.embed, embedder_id=embedder.id,
                            classifier_threshold=settings.injection_classifier_threshold)
            for p in result.passages)
        self.top_dense = result.top_dense
        self.coverage = key_term_coverage(self.standalone_question, result.passages)
        self.abstain_reason = assistant._pre_abstain(result.passages, result.top_dense, self.coverage)
        self.evidence = None
        self._messages: list[dict] = []
        if self.abstain_reason is None:
            evidence_passages, hints = self.passages, []
            if is_verdict_question(self.standalone_question):
                hints.append(VERDICT_HINT)
            if asks_about_now(self.standalone_question) and len({p.date for p in result.passages if p.date}) > 1:
                # "What is the budget now?": the newest report first (undated last, ties by rank).
                evidence_passages = tuple(sorted(self.passages, key=lambda p: p.date or "", reverse=True))
                hints.append(NOW_HINT)
            self.evidence = build_evidence(evidence_passages, self.standalone_question, settings.context_tokens,
                                           embed=retriever.index.embedder.embed,
                                           injection_threshold=settings.injection_threshold)
            blocks = [(i + 1, passage_heading(p), text) for i, (p, text) in enumerate(zip(self.evidence.passages, self.evidence.texts))]
            self._messages = [
                {"role": "system", "content": SYSTEM_PROMPT},
                *history,
                {"role": "user", "content": user_message(format_passages(blocks), self.standalone_question, " ".join(hints))},
            ]
        self.status = "generating" if self.abstain_reason is None else "done"

    @property
    def messages(self) -> tuple[dict, ...]:
        """The chat messages the model is given (none when the answer abstains before generation)."""
        return tuple(self._messages)

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
        generator = self._assistant.generator
        if hasattr(generator, "llm"):
            generator.llm  # load (once per process) outside the timed prompt evaluation
        self.timings["model_load"] = time.perf_counter() - t_load
        first = None
        t0 = time.perf_counter()
        pieces = generator.stream(self._messages, max_tokens=self._assistant.settings.max_answer_tokens)
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
            self._answer = self._assistant._finish(self)
        return self._answer


class Assistant:
    """Ask questions of an indexed corpus and get cited answers."""

    def __init__(self, settings: Settings | None = None, *, index_dir: str | Path | None = None,
                 model: str | None = None, index: CorpusIndex | None = None, embedder: Embedder | None = None,
                 generator: Generator | None = None) -> None:
        self.settings = (settings or Settings()).with_overrides(index_dir=index_dir, model=model)
        self._index = index
        self._embedder = embedder
        self._generator = generator
        self._lock = threading.Lock()

    # ---- collaborators (lazy) ---------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._index.embedder if self._index is not None else SentenceTransformerEmbedder(self.settings.embedder)
            return self._embedder

    @property
    def index(self) -> CorpusIndex:
        if self._index is None:
            self._open_index(create=False)
        return self._index

    def _open_index(self, create: bool) -> None:
        # With the default embedder setting, an existing index's manifest says which embedder built
        # it (a user's own folder included); a named embedder must match it; a new index gets the setting.
        named = self.settings.embedder not in (DEFAULT_EMBEDDER, "default")
        exists = (Path(self.settings.index_dir).expanduser() / "manifest.json").exists()
        embedder = self.embedder if (self._embedder is not None or named or not exists) else None
        with self._lock:
            if self._index is None:
                self._index = CorpusIndex.open(self.settings.index_dir, embedder, create=create)
                self._embedder = self._index.embedder

    @property
    def retriever(self) -> Retriever:
        return Retriever.from_settings(self.index, self.settings)

    @property
    def generator(self) -> Generator:
        with self._lock:
            if self._generator is None and self.settings.llm_url:
                from .remote import OpenAIGenerator  # httpx is imported only when a server is used

                self._generator = OpenAIGenerator.from_settings(self.settings)
            elif self._generator is None:
                path = resolve_model(self.settings.model)
                self._generator = LlamaGenerator(str(path), model_id=model_id(self.settings.model),
                                                 n_ctx=self.settings.n_ctx, n_threads=self.settings.n_threads)
            return self._generator

    @property
    def model_id(self) -> str:
        """The generator's id: the GGUF model's name, or ``openai:MODEL@HOST:PORT`` with ``settings.llm_url``
        (MODEL is ``auto`` until the server has named its first model)."""
        if self._generator is None and self.settings.llm_url:
            return self.generator.id  # building it contacts nothing
        return self._generator.id if self._generator is not None else model_id(self.settings.model)

    # ---- corpus -----------------------------------------------------------------------
    def build(self, paths: Sequence[str | Path], progress: Callable[[Progress], None] | None = None, prune: bool = True,
              follow_symlinks: bool = False) -> IndexReport:
        """Index (or update the index with) the files under ``paths``; creates the index if needed.

        Symbolic links that lead outside ``paths`` are skipped (and listed in the report's
        ``skipped``) unless ``follow_symlinks``. A new index that receives no document at all
        is not left behind as an empty folder.
        """
        folder = Path(self.settings.index_dir).expanduser()
        fresh = not folder.exists()
        if self._index is None:
            self._open_index(create=True)
        report = self._index.index_paths([str(p) for p in paths], progress=progress, prune=prune,
                                         follow_symlinks=follow_symlinks)
        if fresh and not (report.added or report.updated or report.unchanged or report.duplicates):
            self._index.close()
            self._index = None
            shutil.rmtree(folder, ignore_errors=True)
        return report

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        return self.index.remove_documents(doc_ids)

    def documents(self) -> list[dict]:
        return self.index.documents()

    # ---- questions --------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: SearchFilter | None = None, mode: str = "hybrid") -> list[Passage]:
        return list(self.retriever.search(query, k, filters, mode=mode).passages)

    def stream(self, question: str, *, k: int | None = None, filters: SearchFilter | None = None,
               standalone_question: str | None = None, history: Sequence[dict] = ()) -> AnswerStream:
        if not question or not question.strip():
            raise RagError("the question is empty")
        return AnswerStream(self, question.strip(), k=k, filters=filters, standalone_question=standalone_question, history=history)

    def ask(self, question: str, *, k: int | None = None, filters: SearchFilter | None = None) -> Answer:
        return self.stream(question, k=k, filters=filters).answer

    def lookup(self, ref: str | Citation | Passage, context_chars: int = 400) -> Lookup:
        """A passage by chunk id (or a citation/passage), with its document metadata and surroundings."""
        chunk_id = ref if isinstance(ref, str) else ref.chunk_id
        row = self.index.chunk(chunk_id.strip())
        doc = self.index.document(row.chunk.doc_id)
        c = row.chunk
        before_start = max(doc.body_start, c.start - context_chars)
        after_end = min(len(doc.text), c.end + context_chars)
        return Lookup(chunk_id=c.id, doc_id=c.doc_id, title=doc.title, date=doc.date, url=doc.url, path=doc.path,
                      source=doc.source, start=c.start, end=c.end, text=c.text, before=doc.text[before_start:c.start],
                      after=doc.text[c.end:after_end], page=doc.page_at(c.start))

    def sources_for(self, text: str, k: int = 5, filters: SearchFilter | None = None, min_support: float = 0.45) -> list[Citation]:
        """Passages that support ``text`` (a claim or a quote), best first, each with its supporting quote.
        A text that says who reported it ("The Valley Post reported ...") is supported only by what
        that publication wrote (or a passage that speaks of it), as answers are."""
        passages = self.search(strip_markers(text), k=max(k * 2, 8), filters=filters)
        quotes = [q for q in best_quotes(text, passages, embed=self.embedder.embed, publications=self.index.store.sources())
                  if q.support >= min_support]
        return [replace(self._with_page(q), n=i + 1) for i, q in enumerate(quotes[:k])]

    def conversation(self, conversation_id: str | None = None, persist: bool = True):
        """A new conversation, or the saved one with ``conversation_id`` (resumed)."""
        from .conversation import Conversation

        if conversation_id:
            return Conversation.load(self, conversation_id)
        return Conversation(self, persist=persist)

    def conversations(self) -> list[dict]:
        """Saved conversations, newest first."""
        from .conversation import list_conversations

        return list_conversations(self)

    # ---- internals --------------------------------------------------------------------
    def _period_filter(self, question: str, base: SearchFilter | None) -> SearchFilter | None:
        """A date filter for a period the question names ("in November 2021"), if it overlaps the corpus."""
        from .dates import period_from_question

        period = period_from_question(question)
        if period is None:
            return None
        first, last = self.index.store.date_range()
        if first is None or (period.since and period.since > last) or (period.until and period.until < first):
            return None
        base = base or SearchFilter()
        return SearchFilter(since=period.since, until=period.until, sources=base.sources, doc_ids=base.doc_ids)

    def _with_page(self, citation: Citation) -> Citation:
        """Citations of paged documents (PDF) name the page where the quote starts."""
        if citation.page is None:
            return citation
        return replace(citation, page=self.index.document(citation.doc_id).page_at(citation.start))

    def _pre_abstain(self, passages: Sequence[Passage], top_dense: float, coverage: float) -> str | None:
        """Decide, before spending LLM time, that the corpus cannot answer."""
        if not passages:
            return "nothing in the index matches the question"
        if top_dense < self.settings.min_relevance and coverage < self.settings.min_coverage:
            return "no passage is close to the question"
        return None

    def _finish(self, stream: AnswerStream) -> Answer:
        timings = dict(stream.timings)
        common = dict(question=stream.question, standalone_question=stream.standalone_question,
                      passages=stream.passages, model=self.model_id, embedder=self.index.embedder.id,
                      filters=_filter_dict(stream.filters))
        if stream.abstain_reason is not None:
            timings["total"] = time.perf_counter() - stream._started
            return Answer(text=_abstention_text(stream.standalone_question, stream.abstain_reason), citations=(),
                          abstained=True, confidence=0.0, timings=timings, **common)
        raw = stream.text.strip()
        if not raw or is_refusal(raw):
            timings["total"] = time.perf_counter() - stream._started
            return Answer(text=_abstention_text(stream.standalone_question, "the passages found do not contain the answer"),
                          citations=(), abstained=True, confidence=0.0, timings=timings, **common)
        copied = _copied_instruction(raw, stream)
        if copied is not None:
            # The model repeated a planted instruction (it reached the prompt despite the filter, or
            # the model wrote its words anyway): never present that as an answer.
            timings["total"] = time.perf_counter() - stream._started
            return Answer(text=_abstention_text(stream.standalone_question, ECHO_REASON.format(title=copied)),
                          citations=(), abstained=True, confidence=0.0, timings=timings, unsupported=(raw,),
                          unsupported_reasons=(ECHO_REASON.format(title=copied),), **common)
        t0 = time.perf_counter()
        attribution: Attribution = attribute(raw, stream.evidence.passages, embed=self.index.embedder.embed,
                                             question=stream.standalone_question,
                                             publications=self.index.store.sources())
        timings["verification"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - stream._started
        if not attribution.citations:
            # Nothing the model said is backed by the passages: do not present it as an answer.
            return Answer(text=_abstention_text(stream.standalone_question, "the generated answer was not supported by the passages"),
                          citations=(), abstained=True, confidence=attribution.support, timings=timings,
                          unsupported=attribution.unsupported, unsupported_reasons=attribution.reasons, **common)
        text, citations = attribution.text, [self._with_page(c) for c in attribution.citations]
        conflicts = find_conflicts(citations, stream.passages, embed=self.index.embedder.embed, answer=text)
        if conflicts:
            note, citations = describe(conflicts, citations, CONFLICT_NOTE)
            text = f"{text} {note}"
        caution = _suspicious_note(stream.passages)
        if caution:
            text = f"{text} {caution}"
        timings["total"] = time.perf_counter() - stream._started
        return Answer(text=text, citations=tuple(citations), abstained=False, confidence=attribution.support,
                      timings=timings, unsupported=attribution.unsupported, unsupported_reasons=attribution.reasons,
                      conflicts=len(conflicts), **common)


def _filter_dict(flt: SearchFilter | None) -> dict:
    if flt is None:
        return {}
    out = {"since": flt.since, "until": flt.until, "sources": list(flt.sources), "doc_ids": list(flt.doc_ids)}
    return {k: v for k, v in out.items() if v}


def _copied_instruction(draft: str, stream: AnswerStream) -> str | None:
    """The title of the passage whose flagged sentence ``draft`` copies (:func:`rag.injection.echoed`), or None."""
    flagged = [(sentence, p.title) for p in stream.passages for sentence in p.suspicious]
    copied = echoed(draft, [sentence for sentence, _ in flagged], stream.evidence.texts if stream.evidence else ())
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

