"""The Gradio chat app: ``rag ui``.

Presentation only: every action goes through the public ``rag`` API
(``Assistant``, ``Conversation``, ``Filters``). One :class:`RagApp` serves all
browser sessions; what it shares between them is only what is expensive and
safe to share (the open index and the loaded models, one ``Assistant`` per
model). Each session's conversation lives in its own ``gr.State``.

llama.cpp contexts are not thread-safe and the machine has few cores, so
generation runs one request at a time (a Gradio concurrency group of 1):
other users' questions wait in the queue and see their position. Indexing is
its own group of 1. Reading citations, the document list and Stop never wait.

Web safety (ui/web_security.py, docs/SECURITY.md): the server answers only to
its own host names, refuses cross-origin requests that change anything, sends
no CORS headers and a Content-Security-Policy, requires a password when other
machines can reach it, limits failed logins, and then shows no server paths.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Iterable, Iterator

from importlib import resources
from pathlib import Path

from rag import MODELS, USER_ERRORS, Assistant, Filters, IndexNotFoundError, RagError, Settings, parse_iso_day

from . import render
from .assets import CSS, HEAD, theme
from .lifecycle import run_until_interrupted
from .session import ChatSession
from .uploads import ALLOWED_EXTENSIONS, UploadError, save_upload
from .web_security import (LOGIN_USER, PASSWORD_ENV, HostPolicy, LoginLimiter, PasswordLogin, check_exposure, gradio_lifespan,
                           is_installed, is_loopback, is_wildcard)

__all__ = ["RagApp", "RunningApp", "ChatUpdate", "IndexView", "CorpusUpdate", "KEEP", "serve", "start", "parse_filters",
           "is_loopback", "app_url", "exposure_warning"]

NAMED_MODELS = tuple(MODELS)  # the packaged models, by name (rag.models)
# Streaming updates are sent at most this often: each one re-sends the chat.
STREAM_INTERVAL_S = 0.12


class _Keep:
    """The type of :data:`KEEP`."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()
"""An update field left at KEEP leaves its component as it is (Gradio's empty ``gr.update()``)."""


def _gradio_value(value):
    import gradio as gr

    return gr.update() if value is KEEP else value


def _field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def _in_field_order(cls, by_field: dict) -> list:
    names = _field_names(cls)
    if set(by_field) != set(names):
        raise TypeError(f"{cls.__name__}.components needs exactly {names}, got {sorted(by_field)}")
    return [by_field[name] for name in names]


def _choices(choices, **shown):
    """A choice list's update: new choices and nothing picked; ``shown`` adds e.g. ``visible``."""
    import gradio as gr

    return KEEP if choices is KEEP else gr.update(choices=choices, value=None, **shown)


@dataclass(frozen=True)
class ChatUpdate:
    """What one step of a chat handler changes on the Chat tab; fields left at :data:`KEEP` stay as they are.

    The field order is the order of the event's output components: :meth:`components` wires them
    and :meth:`outputs` turns an update into Gradio's tuple, the only two places that know it. An event
    that never changes a component leaves its field out of both (``leave_out``), so Gradio does not
    show that component as busy while the event runs.
    """

    chat: list[dict] | _Keep = KEEP
    """The Chatbot's messages (rendered HTML)."""
    status: str | _Keep = KEEP
    """The status line (``render.status_html``)."""
    evidence: str | _Keep = KEEP
    """The Sources panel (``render.evidence_html``)."""
    citation_choices: list[tuple[str, str]] | _Keep = KEEP
    """The Citations picker's (label, value) choices; the picker shows only when there are some, nothing picked."""
    detail: str | _Keep = KEEP
    """The citation detail box."""
    copy_text: str | _Keep = KEEP
    """The answer with its references, to copy."""
    question: str | _Keep = KEEP
    """The question box ("" empties it once the question is taken)."""

    @classmethod
    def components(cls, *, leave_out: tuple[str, ...] = (), **by_field) -> list:
        """The output components in field order, given as keyword arguments named like the fields (all of
        them), less the fields in ``leave_out``."""
        return [c for name, c in zip(_field_names(cls), _in_field_order(cls, by_field)) if name not in leave_out]

    def outputs(self, *, leave_out: tuple[str, ...] = ()) -> tuple:
        """The values for :meth:`components` (with the same ``leave_out``), as a Gradio handler returns them."""
        changed = [name for name in leave_out if getattr(self, name) is not KEEP]
        if changed:
            raise ValueError(f"this event has no output for {changed}")
        values = {name: getattr(self, name) for name in _field_names(self)}
        values["citation_choices"] = _choices(self.citation_choices, visible=bool(self.citation_choices))
        return tuple(_gradio_value(value) for name, value in values.items() if name not in leave_out)


@dataclass(frozen=True)
class IndexView:
    """Everything on the page that shows the state of the index (:meth:`RagApp.refresh`)."""

    summary: str
    """The header: the index summary, or how to build one."""
    offer_sample: bool
    """Show the "Build the sample corpus index" row (no index, or an empty one)."""
    documents: str
    """The document table (``render.documents_html``)."""
    document_choices: list[tuple[str, str]]
    """The "Remove a document" choices, (label, doc_id); nothing picked."""
    source_choices: list[str]
    """The sources filter's choices."""

    @classmethod
    def components(cls, **by_field) -> list:
        """The output components in field order, given as keyword arguments named like the fields
        (``offer_sample``: the sample row, whose visibility it sets)."""
        return _in_field_order(cls, by_field)

    def outputs(self) -> tuple:
        """The values for :meth:`components`, as a Gradio handler returns them."""
        import gradio as gr

        shown = dict(summary=self.summary, offer_sample=gr.update(visible=self.offer_sample), documents=self.documents,
                     document_choices=_choices(self.document_choices), source_choices=gr.update(choices=self.source_choices))
        return tuple(shown[name] for name in _field_names(self))


@dataclass(frozen=True)
class CorpusUpdate:
    """The result of a corpus action (upload, sample build, removal): its report and the index view after it."""

    report: str
    """What happened, as HTML (``render.report_html`` or a one-line message)."""
    view: IndexView

    def outputs(self) -> tuple:
        """The report's component first, then :meth:`IndexView.components`."""
        return (self.report, *self.view.outputs())


def sample_corpus_dir() -> Path:
    """The sample corpus shipped inside the ``rag`` package (package data, read via importlib.resources)."""
    return Path(str(resources.files("rag") / "sample_corpus"))


def parse_filters(since: str | None, until: str | None, sources) -> Filters | None:
    """Filters from the settings panel; raises ValueError with a message for a bad date."""
    values = {}
    for name, value in (("since", since), ("until", until)):
        value = (value or "").strip()
        if value:
            try:
                value = parse_iso_day(value)
            except ValueError:
                raise ValueError(f"'{name}' must be a date like 2025-10-06, not {value!r}") from None
            values[name] = value
    if values.get("since") and values.get("until") and values["since"] > values["until"]:
        raise ValueError("the 'since' date is after the 'until' date")
    picked = tuple(s for s in (sources or []) if s)
    if not values and not picked:
        return None
    return Filters(since=values.get("since"), until=values.get("until"), sources=picked)


class RagApp:
    """The app's shared state (index, models) and its event handlers; ``build()`` makes the Blocks."""

    def __init__(self, settings: Settings, corpus: Assistant | None = None, *, show_paths: bool = True) -> None:
        """``corpus`` is the Assistant owning the index (tests pass one with a fake embedder); built from settings by default.

        ``show_paths``: show the server's file paths (index folder, document files). :func:`start`
        turns it off when other machines can reach the server; then only file names are shown.
        """
        self.settings = settings
        self.show_paths = show_paths
        self._corpus: Assistant | None = corpus
        self._assistants: OrderedDict[str, Assistant] = OrderedDict()
        self._lock = threading.Lock()

    # ---- shared objects ---------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return Path(self.settings.index_dir)

    @property
    def uploads_dir(self) -> Path:
        return self.index_dir / "uploads"

    def corpus(self) -> Assistant:
        """The Assistant that owns the index: building, removing, listing, and the shared open index."""
        with self._lock:
            if self._corpus is None:
                self._corpus = Assistant(self.settings)
            return self._corpus

    @property
    def model_value(self) -> str:
        """The server's model as the Model box shows it: its file name only when paths are hidden."""
        return render.public_path(self.settings.llm.model, self.show_paths)

    def assistant_for(self, model: str | None) -> Assistant:
        """One Assistant per model, all on the same open index, loaded once and reused by every session.

        When paths are hidden (remote users), only the named models and the server's own model can be
        chosen: a remote user cannot make the server open, or probe for, files by path.
        """
        model = (model or self.settings.llm.model).strip()
        if not self.show_paths and model not in NAMED_MODELS:
            if model not in (self.model_value, self.settings.llm.model):
                raise RagError(f"choose the model 'default', 'small' or {self.model_value!r}; "
                               "other model files can be chosen only on the server's own machine")
            model = self.settings.llm.model
        if model not in NAMED_MODELS and not Path(model).expanduser().is_file():
            raise RagError(f"model {model!r} is neither 'default', 'small' nor an existing GGUF file")
        index = self.corpus().index  # raises IndexNotFoundError with the way out
        with self._lock:
            assistant = self._assistants.get(model)
            if assistant is None or assistant.index is not index:
                assistant = Assistant(self.settings.with_overrides(model=model), index=index)
                self._assistants[model] = assistant
            self._assistants.move_to_end(model)
            while len(self._assistants) > self.settings.serve.max_loaded_models:
                self._assistants.popitem(last=False)  # sessions still using it keep their reference
            return assistant

    def index_status(self) -> tuple[dict | None, str | None]:
        """(stats, None) for a usable index, else (None, what is wrong)."""
        try:
            return self.corpus().index.stats(), None
        except IndexNotFoundError:
            return None, None
        except USER_ERRORS as exc:
            return None, str(exc)

    def documents(self) -> list[dict]:
        try:
            return self.corpus().documents()
        except USER_ERRORS:
            return []

    def public(self, text: object) -> str:
        """A message as shown on the page: without ``show_paths`` the index folder and home folder are masked."""
        text = str(text)
        if self.show_paths:
            return text
        for folder, mask in ((self.index_dir.resolve(), "<index>"), (self.index_dir, "<index>"), (Path.home(), "~")):
            folder = str(folder)
            if len(folder) > 1:
                text = text.replace(folder, mask)
        return text

    # ---- chat -------------------------------------------------------------------------
    def ask(self, question, session: ChatSession, model, k, since, until, sources) -> Iterator[ChatUpdate]:
        """Stream one answer: evidence as soon as retrieval is done, text as it is generated, then the verified answer."""
        question = (question or "").strip()
        if not question:
            yield ChatUpdate(status=render.status_html("idle", "Type a question first."))
            return
        epoch = session.begin()
        session.messages = session.messages + [
            {"role": "user", "content": render.question_html(question)},
            {"role": "assistant", "content": '<span class="rag-cursor">▍</span>'},
        ]
        yield ChatUpdate(chat=session.chat(), status=render.status_html("retrieving"),
                         evidence=render.evidence_html([], pending=True), citation_choices=[],
                         detail=render.detail_placeholder_html(False), copy_text="", question="")
        try:
            filters = parse_filters(since, until, sources)
            assistant = self.assistant_for(model)
            stream = session.start(assistant, question, k=int(k) if k else None, filters=filters)
            yield from self._generate(session, stream, epoch)
        except (ValueError, *USER_ERRORS) as exc:
            yield self._failed(session, self.public(exc))
        except Exception as exc:  # a bug, not a user mistake: keep the page usable, leave the traceback in the log
            traceback.print_exc()
            yield self._failed(session, self.public(f"unexpected error ({type(exc).__name__}: {exc}); see the server log"))

    @staticmethod
    def _failed(session: ChatSession, message: str) -> ChatUpdate:
        session.stream = None
        session.show_reply(f'<div class="rag-error">{render.esc(message)}</div>')
        return ChatUpdate(chat=session.chat(), status=render.status_html("error", message))

    def _generate(self, session: ChatSession, stream, epoch: int) -> Iterator[ChatUpdate]:
        searched = "" if stream.standalone_question == stream.question else f"searched for: {stream.standalone_question}"
        evidence = render.evidence_html(stream.passages, pending=True, show_paths=self.show_paths)
        if stream.abstain_reason is None:
            yield ChatUpdate(chat=session.chat(), evidence=evidence,
                             status=render.status_html("generating", searched or f"reading {len(stream.passages)} passages"))
        pieces, last = 0, 0.0
        for _ in stream:
            pieces += 1
            now = time.monotonic()
            if now - last >= STREAM_INTERVAL_S and session.epoch == epoch:
                last = now
                session.show_reply(render.streaming_html(stream.text))
                yield ChatUpdate(chat=session.chat(), status=render.status_html("generating", f"{pieces} tokens"))
        if session.epoch != epoch:  # "New conversation" was pressed meanwhile: drop this answer
            session.stream = None
            return
        yield ChatUpdate(chat=session.chat(), status=render.status_html("verifying"))
        answer = stream.answer
        session.finish(answer)
        session.show_reply(render.answer_html(answer, stopped=session.stop_requested))
        yield ChatUpdate(chat=session.chat(), status=self._done_status(answer, session.stop_requested),
                         evidence=render.evidence_html(answer.passages, answer.citations, abstained=answer.abstained,
                                                       show_paths=self.show_paths),
                         citation_choices=render.citation_choices(answer.citations),
                         detail=render.detail_placeholder_html(bool(answer.citations)),
                         copy_text=self._references(answer))

    def _references(self, answer) -> str:
        """The answer with its references, to copy; without ``show_paths`` a reference without URL gives the file name."""
        if not self.show_paths:
            answer = dataclasses.replace(answer, citations=tuple(
                dataclasses.replace(c, path=render.public_path(c.path, False)) for c in answer.citations))
        return answer.with_references()

    def _done_status(self, answer, stopped: bool) -> str:
        bits = [f"{answer.timings.get('total', 0.0):.1f} s", f"model {render.public_path(answer.model, self.show_paths)}"]
        if not answer.abstained:
            bits.append(f"{len(answer.citations)} citation{'s' if len(answer.citations) != 1 else ''}")
            bits.append(f"support {answer.confidence:.2f}")
        if answer.standalone_question and answer.standalone_question != answer.question:
            bits.append(f"searched for: {answer.standalone_question}")
        state = ("stopped" if stopped else "unverified" if answer.outcome == "unverified_draft"
                 else "abstained" if answer.abstained else "done")
        return render.status_html(state, " · ".join(bits))

    def stop(self, session: ChatSession) -> None:
        session.cancel()

    def new_conversation(self, session: ChatSession) -> ChatUpdate:
        """Forget the conversation and empty the Chat tab (the question box keeps what is typed in it)."""
        session.reset()
        return ChatUpdate(chat=[], status=render.status_html("idle", "New conversation"), evidence=render.evidence_html([]),
                          citation_choices=[], detail=render.detail_placeholder_html(False), copy_text="")

    def show_citation(self, value, session: ChatSession) -> str:
        try:
            citation = session.citation(int(value)) if value else None
        except ValueError:
            citation = None
        if citation is None or session.assistant is None:
            return render.detail_placeholder_html(session.answer is not None and bool(session.answer.citations))
        try:
            lookup = session.assistant.lookup(citation.chunk_id)
        except USER_ERRORS as exc:  # the document was removed since the answer
            return f'<div class="rag-error">{render.esc(self.public(exc))}</div>'
        return render.citation_detail_html(citation, lookup, show_paths=self.show_paths)

    # ---- corpus -----------------------------------------------------------------------
    def refresh(self) -> IndexView:
        """Everything that shows the state of the index: header, banner, document list, filters."""
        stats, problem = self.index_status()
        docs = self.documents() if stats else []
        sources = sorted({d["source"] for d in docs if d.get("source")})
        if stats:
            summary = render.index_summary_html(stats, show_paths=self.show_paths)
        else:
            summary = render.no_index_html(str(self.index_dir), problem and self.public(problem),
                                           show_paths=self.show_paths)
        return IndexView(
            summary=render.header_html(summary),
            offer_sample=stats is None or stats.get("documents", 0) == 0,
            documents=render.documents_html(docs, str(self.uploads_dir.resolve()), show_paths=self.show_paths),
            document_choices=render.document_choices(docs),
            source_choices=sources,
        )

    def _progress_callback(self, progress):
        if progress is None:
            return None
        progress(0, desc="Reading and embedding files")  # the first real update comes after a batch of documents

        def report(p) -> None:
            total = max(p.files_total, 1)
            progress((min(p.files_done, total), total), desc=f"Indexing: {p.chunks_added} passages embedded", unit="files")

        return report

    def add_files(self, files, progress=None) -> CorpusUpdate:
        """Save uploads under <index>/uploads, index them, report what happened (a bad file never breaks the index)."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return CorpusUpdate("", self.refresh())
        saved, rejected = [], []
        for path in paths:
            name = Path(path).name
            try:
                saved.append(save_upload(path, self.uploads_dir, name, self.settings.limits.max_upload_bytes))
            except (UploadError, OSError) as exc:
                rejected.append((name, self.public(exc)))
        report, error = None, None
        if saved:
            try:
                result = self.corpus().build([str(s.path) for s in saved], progress=self._progress_callback(progress),
                                             prune=False)
                report = result.to_dict()
                self._discard_unindexed(saved, result)
            except USER_ERRORS as exc:
                error = self.public(exc)
        return CorpusUpdate(render.report_html(report, rejected, error), self.refresh())

    def _discard_unindexed(self, saved, result) -> None:
        """Delete saved uploads the index could not read or already holds, so uploads/ mirrors the index."""
        dropped = {str(Path(s.path)) for s in result.skipped} | {str(Path(p)) for p, _ in result.duplicates}
        for s in saved:
            if not s.reused and (str(s.path) in dropped or str(s.path.resolve()) in dropped):
                s.path.unlink(missing_ok=True)

    def build_sample(self, progress=None) -> CorpusUpdate:
        """Index the sample corpus shipped with rag into this app's index directory."""
        error = None
        report = None
        try:
            report = self.corpus().build([str(sample_corpus_dir())], progress=self._progress_callback(progress)).to_dict()
        except USER_ERRORS as exc:
            error = self.public(exc)
        return CorpusUpdate(render.report_html(report, (), error), self.refresh())

    def remove_document(self, doc_id) -> CorpusUpdate:
        """Remove a document; an uploaded file is deleted too (a user's own files are never touched)."""
        if not doc_id:
            return CorpusUpdate('<div class="rag-warn">Pick a document to remove first.</div>', self.refresh())
        try:
            docs = {d["doc_id"]: d for d in self.documents()}
            self.corpus().remove([doc_id])
        except USER_ERRORS as exc:
            return CorpusUpdate(f'<div class="rag-error">{render.esc(self.public(exc))}</div>', self.refresh())
        doc = docs.get(doc_id, {})
        path = Path(doc.get("path") or "")
        message = f"Removed {render.esc(doc.get('title') or doc_id)}."
        if path.is_file() and path.resolve().parent == self.uploads_dir.resolve():
            path.unlink(missing_ok=True)
            message += " Its uploaded file was deleted."
        return CorpusUpdate(f'<div class="rag-ok">{message}</div>', self.refresh())

    # ---- layout -----------------------------------------------------------------------
    def build(self):
        """The Blocks app. Handlers are this object's methods; per-session state is a ``ChatSession``."""
        import gradio as gr

        # Gradio keeps uploaded files in its temp folder; private documents should not linger there once indexed.
        with gr.Blocks(title="Ask your documents", analytics_enabled=False, delete_cache=(600, 900)) as demo:
            session = gr.State(ChatSession)
            summary = gr.HTML(render.header_html(""), elem_id="rag-summary", js_on_load=None)
            # Shown only while the index is missing or empty; the report stays with it (errors keep it open).
            with gr.Column(visible=False) as sample_row:
                with gr.Row():
                    build_sample_btn = gr.Button("Build the sample corpus index", variant="primary",
                                                 elem_id="rag-build-sample", scale=0)
                sample_report = gr.HTML(js_on_load=None, min_height=30)

            with gr.Tabs():
                with gr.Tab("Chat", id="chat"):
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3):
                            chat = gr.Chatbot(elem_id="rag-chat", height=480, render_markdown=False, sanitize_html=True,
                                              feedback_options=None, buttons=[], show_label=False,
                                              placeholder="Ask a question about your documents. Answers cite their "
                                                          "sources as [1], [2]…; click one to see the passage.")
                            status = gr.HTML(render.status_html("idle"), elem_id="rag-status", js_on_load=None)
                            with gr.Row():
                                question = gr.Textbox(placeholder="e.g. How much did the library renovation cost?",
                                                      show_label=False, scale=5, elem_id="rag-question", max_length=2000,
                                                      autofocus=True)
                                ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=80, elem_id="rag-ask")
                                stop_btn = gr.Button("Stop", variant="stop", scale=0, min_width=80, elem_id="rag-stop")
                            with gr.Row():
                                new_btn = gr.Button("New conversation", size="sm", elem_id="rag-new", scale=0)
                            with gr.Accordion("Answer with references (to copy)", open=False):
                                copy_box = gr.Textbox(show_label=False, lines=5, interactive=False, buttons=["copy"],
                                                      elem_id="rag-copy")
                            with gr.Accordion("Settings: model, passages, dates, sources", open=False, elem_id="rag-settings"):
                                model_choices = list(dict.fromkeys((*NAMED_MODELS, self.model_value)))
                                model = gr.Dropdown(choices=model_choices, value=self.model_value,
                                                    allow_custom_value=self.show_paths, label="Model",
                                                    elem_id="rag-model",
                                                    info="default (1.5B, better), small (0.5B, about 2x faster)"
                                                         + (", or the path of a GGUF file" if self.show_paths else ""))
                                k = gr.Slider(1, 10, value=self.settings.retrieval.k, step=1, label="Passages given to the model",
                                              info="More passages: more context, slower answers on a CPU")
                                with gr.Row():
                                    since = gr.Textbox(label="Since (YYYY-MM-DD)", placeholder="any date", elem_id="rag-since")
                                    until = gr.Textbox(label="Until (YYYY-MM-DD)", placeholder="any date", elem_id="rag-until")
                                sources = gr.Dropdown(choices=[], multiselect=True, label="Only these sources",
                                                      info="Sites or publishers found in the index", elem_id="rag-sources")
                        with gr.Column(scale=2):
                            gr.Markdown("### Sources")
                            picker = gr.Radio(choices=[], label="Citations", visible=False, elem_id="rag-cite-picker")
                            with gr.Group(elem_id="rag-detail-box"):
                                detail = gr.HTML(render.detail_placeholder_html(False), elem_id="rag-detail",
                                                 js_on_load=None)
                            evidence = gr.HTML(render.evidence_html([]), elem_id="rag-evidence", js_on_load=None)
                with gr.Tab("Documents", id="documents"):
                    where = f"`{self.uploads_dir}`" if self.show_paths else "`uploads/` in the index folder"
                    gr.Markdown(f"Add files to the index ({' '.join(ALLOWED_EXTENSIONS)}; up to "
                                f"{self.settings.limits.max_upload_bytes // (1024 * 1024)} MB each). They are saved under "
                                f"{where} and indexed right away; files the index cannot read are "
                                "reported and not kept.")
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3):
                            upload = gr.File(file_count="multiple", file_types=list(ALLOWED_EXTENSIONS), label="Add files",
                                             elem_id="rag-upload", height=130)
                            upload_report = gr.HTML(elem_id="rag-upload-report", js_on_load=None, min_height=30)
                        with gr.Column(scale=2):
                            remove_pick = gr.Dropdown(choices=[], label="Remove a document", elem_id="rag-remove-pick",
                                                      info="Uploaded files are deleted too; your own folders are never touched")
                            remove_btn = gr.Button("Remove from index", variant="stop", size="md", elem_id="rag-remove")
                    docs_table = gr.HTML(elem_id="rag-docs", js_on_load=None)

            # The handlers return ChatUpdate / IndexView / CorpusUpdate; these wrappers hand Gradio their outputs().
            state_outputs = IndexView.components(summary=summary, offer_sample=sample_row, documents=docs_table,
                                                 document_choices=remove_pick, source_choices=sources)
            chat_components = dict(chat=chat, status=status, evidence=evidence, citation_choices=picker, detail=detail,
                                   copy_text=copy_box, question=question)
            chat_outputs = ChatUpdate.components(**chat_components)
            # A new conversation leaves the question box alone (it may hold the next question).
            no_question = ("question",)

            # The parameters keep RagApp.ask's names: Gradio shows them in the app's API description.
            def ask(question, session, model, k, since, until, sources):
                updates = self.ask(question, session, model, k, since, until, sources)
                try:
                    for update in updates:
                        yield update.outputs()
                finally:
                    updates.close()  # when Gradio stops this generator early, the answer's stream stops with it

            def new_conversation(session):
                return self.new_conversation(session).outputs(leave_out=no_question)

            def refresh():
                return self.refresh().outputs()

            def add_files(files, progress=gr.Progress()):
                return (*self.add_files(files, progress).outputs(), None)  # None: the upload box is emptied

            def build_sample(progress=gr.Progress()):
                return self.build_sample(progress).outputs()

            def remove_document(doc_id):
                return self.remove_document(doc_id).outputs()

            ask_args = dict(fn=ask, inputs=[question, session, model, k, since, until, sources], outputs=chat_outputs,
                            concurrency_id="generate", concurrency_limit=1, show_progress="minimal",
                            show_progress_on=[status])
            ask_btn.click(**ask_args)
            question.submit(**ask_args)
            stop_btn.click(self.stop, inputs=[session], outputs=None, queue=False)
            new_outputs = ChatUpdate.components(leave_out=no_question, **chat_components)
            new_btn.click(new_conversation, inputs=[session], outputs=new_outputs, queue=False)
            # The chat's own trash button clears the display: the conversation memory must go with it.
            chat.clear(new_conversation, inputs=[session], outputs=new_outputs, queue=False)
            picker.input(self.show_citation, inputs=[picker, session], outputs=[detail], concurrency_limit=None)

            upload.upload(add_files, inputs=[upload], outputs=[upload_report, *state_outputs, upload],
                          concurrency_id="index", concurrency_limit=1, show_progress_on=[upload_report])
            build_sample_btn.click(build_sample, inputs=None, outputs=[sample_report, *state_outputs],
                                   concurrency_id="index", concurrency_limit=1, show_progress_on=[sample_report])
            remove_btn.click(remove_document, inputs=[remove_pick], outputs=[upload_report, *state_outputs],
                             concurrency_id="index", concurrency_limit=1)
            demo.load(refresh, inputs=None, outputs=state_outputs, concurrency_limit=None)
        demo.queue(default_concurrency_limit=1)
        return demo


def gradio_launch_options(settings: Settings) -> dict:
    """What ``launch()`` (``rag ui``) and ``mount_gradio_app`` (``rag serve``) both set: no server-side
    rendering, no MCP, no PWA or footer links, the upload limit, and the product's look."""
    return dict(ssr_mode=False, max_file_size=settings.limits.max_upload_bytes, theme=theme(), css=CSS, head=HEAD, footer_links=[],
                mcp_server=False, pwa=False)


@dataclass
class RunningApp:
    demo: object
    url: str
    app: RagApp
    login: PasswordLogin | None = None
    """The login check (None without a password); ``login.limiter`` holds the failed-login counts."""
    policy: HostPolicy | None = None

    def close(self) -> None:
        self.demo.close()


def start(settings: Settings, host: str = "127.0.0.1", port: int = 7860, password: str | None = None,
          quiet: bool = False, app: RagApp | None = None, allow_hosts: Iterable[str] = ()) -> RunningApp:
    """Build and launch the app in a background thread; returns once it is serving.

    The server answers only to the host names of ``host`` plus ``allow_hosts`` (see
    :meth:`HostPolicy.for_bind`), and with the rest of ui/web_security.py in front of it. A ``host``
    other machines can reach needs a ``password`` (:class:`WebSecurityError` otherwise), and the app
    then shows no server paths.
    """
    check_exposure(host, password)
    policy = HostPolicy.for_bind(host, allow_hosts)
    # Gradio's usage analytics would call home; this tool never does.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = app or RagApp(settings)
    if not is_loopback(host):
        app.show_paths = False  # remote users never see the server's folders, whatever the caller built
    demo = app.build()
    login = PasswordLogin(password, limiter=LoginLimiter(settings.serve)) if password else None
    try:
        # gradio_lifespan puts the web-security middleware in front of Gradio's own middleware (its CORS
        # middleware echoes origins and would answer preflight requests before anything behind it).
        demo.launch(server_name=host, server_port=port, auth=login.check if login else None, prevent_thread_lock=True,
                    quiet=True, share=False, app_kwargs={"lifespan": gradio_lifespan(policy)},
                    **gradio_launch_options(settings))
    except OSError:
        raise RagError(f"cannot listen on {host}:{port}: the port is in use or not allowed; choose another with --port") from None
    if not is_installed(demo.server_app):  # a Gradio that no longer runs the lifespan: fail closed
        demo.close()
        raise RagError("the web-security middleware did not install in front of Gradio; refusing to serve (please report it)")
    url = app_url(host, port)
    if not quiet:
        print(f"rag ui: serving index {settings.index_dir} at {url}  (Ctrl+C to stop)", flush=True)
        warning = exposure_warning(host, password)
        if warning:
            print(warning, file=sys.stderr, flush=True)
            print(f"rag ui: answering to host names: {', '.join(sorted(policy.names))} and the address each "
                  "connection arrives on", file=sys.stderr, flush=True)
    return RunningApp(demo, url, app, login, policy)


def app_url(host: str, port: int) -> str:
    """The URL to open; a wildcard address is reachable as 127.0.0.1 from this machine."""
    shown = "127.0.0.1" if is_wildcard(host) else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"


def exposure_warning(host: str, password: str | None) -> str | None:
    """What to tell the user when the app is reachable from other machines (None when it is not)."""
    if is_loopback(host):
        return None
    if not password:
        return (f"rag ui: error: listening on {host} would let other machines read your documents; set "
                f"{PASSWORD_ENV} or --password-file PATH to require a login (user '{LOGIN_USER}')")
    return (f"rag ui: note: listening on {host}, so other machines can reach the app; a password is required "
            f"(user '{LOGIN_USER}'), server paths are hidden, and only this machine's own names and addresses are "
            "answered (add a DNS name with --allow-host NAME)")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, password: str | None = None,
          allow_hosts: Iterable[str] = ()) -> int:
    """``rag ui``: serve until Ctrl+C."""
    running = start(settings, host, port, password or None, allow_hosts=allow_hosts)
    return run_until_interrupted("rag ui", running.close)
