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

import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from index import CorpusIndex, Embedder, IndexReport, Progress, SearchFilter, SentenceTransformerEmbedder
from index.embedder import DEFAULT_EMBEDDER

from .verification import best_quotes, strip_markers
from .conversation import Conversation, ConversationStore
from .errors import RagError
from .generator import Generator, LazyGenerator, LlamaGenerator
from .models import model_id, resolve_model
from .entailment import EntailmentModel
from .judge import ENTAILMENT_JUDGES, LLMJudge
from .prompts import choice
from .verification import Entails
from .pipeline import AnswerPipeline, AnswerStream, is_refusal, with_page
from .retrieval import Retriever
from .settings import Settings
from .types import Answer, Citation, Lookup, Passage

__all__ = ["Assistant", "AnswerStream", "Filters", "is_refusal"]


class Filters(SearchFilter):
    """Metadata filters for ``ask``/``search`` (dates ISO ``YYYY-MM-DD``, inclusive)."""


class Assistant:
    """Ask questions of an indexed corpus and get cited answers."""

    def __init__(self, settings: Settings | None = None, *, index_dir: str | Path | None = None,
                 model: str | None = None, index: CorpusIndex | None = None, embedder: Embedder | None = None,
                 generator: Generator | None = None, entailment: "EntailmentModel | None" = None,
                 judge: "LLMJudge | None" = None) -> None:
        """``judge``: the LLM entailment judge (``entailment_judge = "llm"``); by default one that asks this
        assistant's generator (the local model, or the ``llm_url`` server)."""
        self.settings = (settings or Settings()).with_overrides(index_dir=index_dir, model=model)
        self._index = index
        self._embedder = embedder
        self._generator = generator
        self._entailment = entailment
        self._judge = judge
        self._lock = threading.Lock()
        # What answers (streams, conversations) generate with: the model is resolved on first use.
        self._answer_generator = LazyGenerator(lambda: self.generator, lambda: self.model_id)

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

    @property
    def has_index(self) -> bool:
        """Whether an index exists at ``settings.index_dir`` (:meth:`build` leaves none when it read no document)."""
        return CorpusIndex.exists(self.settings.index_dir)

    def _open_index(self, create: bool) -> None:
        # With the default embedder setting, an existing index's manifest says which embedder built
        # it (a user's own folder included); a named embedder must match it; a new index gets the setting.
        named = self.settings.embedder not in (DEFAULT_EMBEDDER, "default")
        embedder = self.embedder if (self._embedder is not None or named or not self.has_index) else None
        with self._lock:
            if self._index is None:
                self._index = CorpusIndex.open(self.settings.index_dir, embedder, create=create,
                                               vector_limits=self.settings.vectors, indexing=self.settings.indexing)
                self._embedder = self._index.embedder

    def read_bm25_index(self) -> int:
        """Read the index's BM25 postings into the OS page cache (``ServeSettings.warm_bm25_index``); their bytes."""
        return self.index.read_bm25_index()

    @property
    def retriever(self) -> Retriever:
        return Retriever.from_settings(self.index, self.settings)

    @property
    def pipeline(self) -> AnswerPipeline:
        """The steps before and after generation (:mod:`rag.pipeline`) over this index and settings."""
        return AnswerPipeline(self.index, self.settings, self._entails())

    def _entails(self) -> Entails | None:
        """The entailment rules' judge: none (``verify_entailment`` off), the shipped model, or the LLM."""
        verification = self.settings.verification
        if not verification.verify_entailment:
            return None
        if choice("entailment_judge", verification.entailment_judge, ENTAILMENT_JUDGES) == "llm":
            return self.judge
        return self.entailment.scores

    @property
    def judge(self) -> LLMJudge:
        """The LLM judge of the entailment rules: the answering model asked Yes or No (made on first use)."""
        with self._lock:
            if self._judge is None:
                self._judge = LLMJudge(lambda: self.generator)
            return self._judge

    @property
    def entailment(self) -> EntailmentModel:
        """The entailment model verification reads quotes with (loaded on its first use)."""
        with self._lock:
            if self._entailment is None:
                self._entailment = EntailmentModel()
            return self._entailment

    @property
    def generator(self) -> Generator:
        with self._lock:
            if self._generator is None and self.settings.llm.llm_url:
                from .remote import OpenAIGenerator  # httpx is imported only when a server is used

                self._generator = OpenAIGenerator.from_settings(self.settings)
            elif self._generator is None:
                path = resolve_model(self.settings.llm.model)
                self._generator = LlamaGenerator(str(path), model_id=model_id(self.settings.llm.model),
                                                 n_ctx=self.settings.llm.n_ctx, n_threads=self.settings.llm.n_threads)
            return self._generator

    @property
    def model_id(self) -> str:
        """The generator's id: the GGUF model's name, or ``openai:MODEL@HOST:PORT`` with ``settings.llm.llm_url``
        (MODEL is ``auto`` until the server has named its first model)."""
        if self._generator is None and self.settings.llm.llm_url:
            return self.generator.id  # building it contacts nothing
        return self._generator.id if self._generator is not None else model_id(self.settings.llm.model)

    # ---- corpus -----------------------------------------------------------------------
    def build(self, paths: Sequence[str | Path], progress: Callable[[Progress], None] | None = None, prune: bool = True,
              follow_symlinks: bool = False, cluster: str | None = None) -> IndexReport:
        """Index (or update the index with) the files under ``paths``; creates the index if needed.

        Symbolic links that lead outside ``paths`` are skipped (and listed in the report's
        ``skipped``) unless ``follow_symlinks``. A new index that receives no document at all
        is not left behind as an empty folder: :attr:`has_index` says whether one is there.
        ``cluster`` (``"auto"`` or a Dask scheduler address) loads, chunks and embeds on a
        cluster's workers, for the same index (:mod:`index.cluster`; the extra ``cluster``).
        """
        if cluster is not None:
            from index.cluster import require_dask

            require_dask()  # before a new index folder is made
        folder = Path(self.settings.index_dir).expanduser()
        fresh = not folder.exists()
        if self._index is None:
            self._open_index(create=True)
        report = self._index.index_paths([str(p) for p in paths], progress=progress, prune=prune,
                                         follow_symlinks=follow_symlinks, cluster=cluster,
                                         cluster_settings=self.settings.cluster)
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
        pipeline = self.pipeline
        prepared = pipeline.prepare(question.strip(), k=k, filters=filters, standalone_question=standalone_question,
                                    history=history)
        return AnswerStream(pipeline, prepared, self._answer_generator)

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
        quotes = [q for q in best_quotes(text, passages, embed=self.embedder.embed, publications=self.index.sources())
                  if q.support >= min_support]
        return [replace(with_page(self.index, q), n=i + 1) for i, q in enumerate(quotes[:k])]

    def conversation(self, conversation_id: str | None = None, persist: bool = True) -> Conversation:
        """A new conversation, or the saved one with ``conversation_id`` (resumed)."""
        store = self.conversation_store
        if conversation_id:
            turns = store.load(conversation_id)
            return Conversation(self.pipeline, self._answer_generator, turns=turns, id=conversation_id, store=store)
        return Conversation(self.pipeline, self._answer_generator, store=store if persist else None)

    def conversations(self) -> list[dict]:
        """Saved conversations, newest first."""
        return self.conversation_store.saved()

    @property
    def conversation_store(self) -> ConversationStore:
        """Where conversations are saved: ``<index>/conversations``."""
        return ConversationStore(Path(self.settings.index_dir) / "conversations")
