"""``rag serve``'s HTTP API: REST endpoints and an OpenAI-compatible chat endpoint on one FastAPI app.

Every answer goes through the same :class:`rag.Assistant` (and the same loaded model) as the chat
UI mounted beside it, so verification, abstention and conflict notes are the product's, whichever
client asks. The JSON objects are those ``rag ask/search/lookup/cite/docs --json`` print.

Threads and the event loop. Retrieval, verification and generation block, so they run in worker
threads; the loop only moves bytes. Generations pass through :class:`GenerationQueue` (bounded,
429 when full); search, lookup, cite and document listing do not, so they are answered while a
generation runs. Uploads and removals are serialised by one lock; the index's own locking keeps
concurrent reads consistent while they commit.

Errors are JSON ``{"error": {"message", "type", "code", "exit_code"}}`` (the OpenAI shape, with
the CLI's exit code for the same error), with the status :func:`status_of` gives.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from rag import USER_ERRORS, Assistant, Conversation, DocumentNotFoundError, Filters, RagError, Settings, Turn, parse_iso_day

from . import render
from .api_docs import docs_page
from .generation_queue import Abandoned, GenerationQueue, QueueFull, Ticket
from .openai_compat import ChatHistoryError, completion, completion_chunk, new_id, split_history, words
from .uploads import UploadError, save_upload
from .web_security import LoginLimiter

__all__ = ["ApiService", "create_api", "status_of", "API_KEY_ENV"]

log = logging.getLogger("rag.serve")

API_KEY_ENV = "RAG_API_KEY"
"""The environment variable ``rag serve`` reads its API key from unless ``--api-key-env`` names another."""
KEEPALIVE_S = 5.0
"""Seconds between SSE comment lines while the model works (proxies and clients drop silent connections)."""
DISCONNECT_POLL_S = 0.5
"""How often a non-streaming request checks whether its client is still there."""
MAX_QUESTION_CHARS = 4000
"""Longest question accepted (a question, not a document: the prompt's evidence budget is 480 tokens)."""
MAX_MESSAGES = 200
"""Most messages in one chat-completions history (only the last few turns are read anyway)."""

_CONVERSATION_ID = re.compile(r"[\w-]{1,64}")
_STATUS_BY_EXIT = {1: 400, 2: 400, 3: 503, 4: 503, 5: 503, 6: 404, 7: 422, 8: 503, 9: 507, 10: 503, 11: 503, 12: 400,
                   13: 503, 14: 502, 15: 504, 16: 502}
"""HTTP status for each CLI exit code: the client's fault is 4xx; the server's state or its LLM is 5xx. A product
error without a code of its own (1: an empty question, a conversation that cannot be read) is the request's; an
exception that is not a product error is a bug, 500."""


# ---- request bodies ----------------------------------------------------------------------------
class FilterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(None, description="only documents dated on or after this day (YYYY-MM-DD)")
    until: str | None = Field(None, description="only documents dated on or before this day (YYYY-MM-DD)")
    sources: list[str] = Field(default_factory=list, description="only documents from these sites")
    doc_ids: list[str] = Field(default_factory=list, description="only these documents")


def _not_blank(value: str) -> str:
    """A question or text of only spaces is a client's mistake (422), not the Assistant's error (500)."""
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


NotBlank = Annotated[str, AfterValidator(_not_blank)]
"""A text field that must hold more than spaces (the question of /v1/ask, the text of /v1/cite)."""


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: NotBlank = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    filters: FilterBody | None = None
    k: int | None = Field(None, ge=1, le=50, description="passages given to the model (default: the server's)")
    context_tokens: int | None = Field(None, ge=50, le=3000, description="evidence budget in tokens")
    conversation_id: str | None = Field(None, description="continue (or start) this saved conversation: "
                                                          "follow-ups are resolved against its earlier turns")
    stream: bool = Field(False, description="Server-Sent Events: evidence, tokens, then the verified answer")


class CiteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: NotBlank = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(5, ge=1, le=1000)
    filters: FilterBody | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: Any = None


class ChatBody(BaseModel):
    """OpenAI's chat-completions request; fields other than these are accepted and ignored."""
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


# ---- errors ------------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, headers: dict | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.code, self.headers, self.kind = status, code, headers or {}, kind


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower() or "error"


def status_of(exc: BaseException) -> int:
    """The HTTP status of a product error (by its CLI exit code; 500 for anything unexpected)."""
    return _STATUS_BY_EXIT.get(getattr(exc, "exit_code", 1), 500) if isinstance(exc, USER_ERRORS) else 500


def error_body(message: str, code: str, kind: str, exit_code: int | None = None) -> dict:
    error = {"message": message, "type": kind, "code": code}
    if exit_code is not None:
        error["exit_code"] = exit_code
    return {"error": error}


# ---- the service -------------------------------------------------------------------------------
@dataclass
class ApiService:
    """What the endpoints share: the corpus Assistant, the queue, the key, the write lock.

    ``assistant`` is built lazily from ``settings`` unless given (tests pass one with fakes); the
    chat UI mounted beside the API gets the same one, so the model is loaded once.
    """

    settings: Settings
    api_key: str | None = None
    show_paths: bool = True
    assistant: Assistant | None = None
    model_name: str = "default"
    queue: GenerationQueue = field(default=None)  # type: ignore[assignment]
    limiter: LoginLimiter = field(default=None)  # type: ignore[assignment]  # default: from settings.serve
    answerer: Callable[[], Assistant] | None = None
    """Where answers come from, when not :meth:`corpus` (the mounted UI's Assistant for the server's model,
    so the UI and the API share one loaded model)."""

    def __post_init__(self) -> None:
        if self.queue is None:
            self.queue = GenerationQueue(self.settings.serve.serve_concurrency, self.settings.serve.serve_queue)
        if self.limiter is None:
            self.limiter = LoginLimiter(self.settings.serve)
        self._lock = threading.Lock()
        self._writes = threading.Lock()
        self._conversation_locks: dict[str, threading.Lock] = {}

    # ---- shared objects ----
    def corpus(self) -> Assistant:
        with self._lock:
            if self.assistant is None:
                self.assistant = Assistant(self.settings)
            return self.assistant

    def assistant_for(self, context_tokens: int | None) -> Assistant:
        """The answering Assistant, or one sharing its index, embedder and model with another evidence budget."""
        base = self.answerer() if self.answerer is not None else self.corpus()
        if context_tokens is None or context_tokens == base.settings.context.context_tokens:
            return base
        return Assistant(base.settings.with_overrides(context_tokens=context_tokens), index=base.index,
                         embedder=base.embedder, generator=base.generator, entailment=base.entailment)

    def conversation_lock(self, conversation_id: str) -> threading.Lock:
        with self._lock:
            return self._conversation_locks.setdefault(conversation_id, threading.Lock())

    def public(self, data: Any) -> Any:
        """``data`` as a remote client sees it: without ``show_paths``, every "path" is a file name and
        messages mask the index and home folders (as the UI does)."""
        if self.show_paths:
            return data
        if isinstance(data, dict):
            return {k: (render.public_path(v, False) if k == "path" and v else self.public(v)) for k, v in data.items()}
        if isinstance(data, list):
            return [self.public(v) for v in data]
        if isinstance(data, str):
            return self.mask(data)
        return data

    def mask(self, text: str) -> str:
        if self.show_paths:
            return text
        index_dir = Path(self.settings.index_dir)
        for folder, mask in ((index_dir.resolve(), "<index>"), (index_dir, "<index>"), (Path.home(), "~")):
            if len(str(folder)) > 1:
                text = text.replace(str(folder), mask)
        return text

    @property
    def uploads_dir(self) -> Path:
        return Path(self.settings.index_dir) / "uploads"

    def model_ids(self) -> list[str]:
        return [self.model_name]


def _filters(body: FilterBody | None) -> Filters | None:
    if body is None:
        return None
    days = {}
    for name in ("since", "until"):
        value = getattr(body, name)
        if value:
            try:
                days[name] = parse_iso_day(value)
            except ValueError:
                raise ApiError(400, f"filters.{name} must be a date like 2021-11-18 (YYYY-MM-DD), not {value!r}",
                               "invalid_date") from None
    if days.get("since") and days.get("until") and days["since"] > days["until"]:
        raise ApiError(400, f"filters.since {days['since']} is after filters.until {days['until']}", "empty_period")
    return Filters(since=days.get("since"), until=days.get("until"), sources=tuple(body.sources),
                   doc_ids=tuple(body.doc_ids))


# ---- running an answer in a worker thread ------------------------------------------------------
class _Generation:
    """One answer produced in a worker thread, its events handed to the event loop through a queue.

    Events: ("evidence", stream), ("token", text), ("answer", Answer), ("error", exception), ("end", None).
    ``cancel()`` (client gone, time limit) stops generation after the next token; the thread gives the
    queue slot back only when it has stopped.
    """

    def __init__(self, ticket: Ticket, start: Callable[[], Any], loop: asyncio.AbstractEventLoop) -> None:
        self.events: asyncio.Queue = asyncio.Queue()
        self._ticket, self._start, self._loop = ticket, start, loop
        self._cancelled = threading.Event()
        self._stream = None
        self._thread = threading.Thread(target=self._run, name="rag-generation", daemon=True)

    def begin(self) -> None:
        self._thread.start()

    def _emit(self, kind: str, value: Any = None) -> None:
        self._loop.call_soon_threadsafe(self.events.put_nowait, (kind, value))

    def _run(self) -> None:
        try:
            with self._ticket:
                if self._cancelled.is_set():
                    return
                stream = self._stream = self._start()
                if self._cancelled.is_set():
                    return
                self._emit("evidence", stream)
                for piece in stream:
                    if self._cancelled.is_set():
                        stream.cancel()
                        break
                    self._emit("token", piece)
                if not self._cancelled.is_set():
                    self._emit("answer", stream.answer)
        except Abandoned:
            pass
        except BaseException as exc:  # handed to the loop, which answers with it
            self._emit("error", exc)
        finally:
            release = getattr(self._stream, "release", None)
            if release is not None:
                release()
            self._emit("end")

    def cancel(self) -> None:
        """Stop: a generation that has not started never will; a running one stops after its next token."""
        self._cancelled.set()
        if self._stream is not None:
            self._stream.cancel()
        self._ticket.abandon()  # gives the place back only if the worker never took the slot


def _start_answer(service: ApiService, body: AskBody) -> Callable[[], Any]:
    """A function (run in the worker) that resolves the question and returns its stream."""
    assistant = service.assistant_for(body.context_tokens)
    filters = _filters(body.filters)
    if body.conversation_id is None:
        return lambda: assistant.stream(body.question, k=body.k, filters=filters)
    if not _CONVERSATION_ID.fullmatch(body.conversation_id):
        raise ApiError(400, "conversation_id must be 1-64 letters, digits, '_' or '-'", "invalid_conversation_id")

    def start():
        lock = service.conversation_lock(body.conversation_id)
        lock.acquire()  # two requests for one conversation take turns, each against the other's recorded turn
        try:
            stream = _conversation(assistant, body.conversation_id).stream(body.question, k=body.k, filters=filters)
        except BaseException:
            lock.release()
            raise
        return _LockedTurn(stream, lock)

    return start


class _LockedTurn:
    """A conversation's stream holding the conversation's lock until :meth:`release` (after its answer is
    recorded, or when it was stopped)."""

    def __init__(self, stream, lock: threading.Lock) -> None:
        self._inner, self._lock, self._held = stream, lock, True

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    @property
    def answer(self):
        return self._inner.answer

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()


def _conversation(assistant: Assistant, conversation_id: str) -> Conversation:
    if assistant.conversation_store.exists(conversation_id):
        return assistant.conversation(conversation_id)
    conversation = assistant.conversation()
    conversation.id = conversation_id  # a new conversation under the id the client chose
    return conversation


def _chat_conversation(assistant: Assistant, messages: list[ChatMessage]) -> tuple[Conversation, str]:
    try:
        turns, question = split_history([m.model_dump() for m in messages])
    except ChatHistoryError as exc:
        raise ApiError(400, str(exc), "invalid_messages") from None
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(400, f"the question is longer than {MAX_QUESTION_CHARS} characters", "question_too_long")
    conversation = assistant.conversation(persist=False)
    conversation.turns = [Turn(q, q, a, dates, False) for q, a, dates in turns]
    return conversation, question


def _sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


# ---- the app -----------------------------------------------------------------------------------
def create_api(service: ApiService) -> FastAPI:
    """The FastAPI app with every endpoint; ``ui/serve.py`` adds the middleware and mounts the chat UI."""
    app = FastAPI(title="rag-news", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Ask questions of your documents and get answers whose every claim is cited.")
    app.state.service = service

    async def require_key(request: Request) -> None:
        if service.api_key is None:
            return
        client = request.client.host if request.client else "unknown"
        if service.limiter.blocked(client):
            raise ApiError(429, "too many requests with a wrong API key; wait a minute", "too_many_failures",
                           {"Retry-After": str(int(service.limiter.window_s))}, kind="authentication_error")
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "an API key is required: send 'Authorization: Bearer KEY'", "missing_api_key",
                           {"WWW-Authenticate": "Bearer"}, kind="authentication_error")
        if not hmac.compare_digest(token.strip().encode("utf-8"), service.api_key.encode("utf-8")):
            await asyncio.sleep(service.limiter.failed(client))
            raise ApiError(401, "the API key is wrong", "invalid_api_key", {"WWW-Authenticate": "Bearer"},
                           kind="authentication_error")
        service.limiter.succeeded(client)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(str(exc), exc.code, exc.kind), exc.status, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):  # unknown path, wrong method, unreadable body
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return JSONResponse(error_body(str(exc.detail), code, "invalid_request_error"), exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}"
                             for e in exc.errors()[:5])
        return JSONResponse(error_body(f"invalid request: {problems}", "invalid_request", "invalid_request_error"), 422)

    for family in USER_ERRORS:
        @app.exception_handler(family)
        async def _product_error(request: Request, exc: Exception):
            return _error_response(service, exc)

    open_routes = APIRouter()
    routes = APIRouter(dependencies=[Depends(require_key)])

    @open_routes.get("/v1/health", summary="Liveness and the index's size (no key needed)")
    def health():
        try:
            stats = service.corpus().index.stats()
            index = {"documents": stats["documents"], "chunks": stats["chunks"]}
        except USER_ERRORS as exc:
            index = {"error": service.mask(str(exc))}
        return {"status": "ok", "index": index, "model": service.model_name, "queue": service.queue.state()}

    @routes.get("/openapi.json", include_in_schema=False)
    def openapi_schema():
        return app.openapi()

    @routes.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs():
        return docs_page(app.openapi())

    @routes.post("/v1/ask", summary="Ask a question; the object `rag ask --json` prints (or SSE with stream)")
    async def ask(body: AskBody, request: Request):
        start = _start_answer(service, body)
        if body.stream:
            return _event_stream(service, request, start, _ask_events)
        answer = await _wait_for_answer(service, request, start)
        headers = {"X-Conversation-Id": body.conversation_id} if body.conversation_id else None
        return JSONResponse(service.public(answer.to_dict()), headers=headers)

    @routes.get("/v1/search", summary="Passages for a query, best first (`rag search --json`)")
    def search(q: str = Query(..., min_length=1, max_length=MAX_QUESTION_CHARS), k: int = Query(10, ge=1, le=1000),
               mode: Literal["hybrid", "dense", "lexical"] = "hybrid", since: str | None = None,
               until: str | None = None, source: list[str] = Query(default_factory=list),
               doc: list[str] = Query(default_factory=list)):
        filters = _filters(FilterBody(since=since, until=until, sources=source, doc_ids=doc))
        passages = service.corpus().search(q, k=k, filters=filters, mode=mode)
        return service.public([p.to_dict() for p in passages])

    @routes.get("/v1/passages/{chunk_id}", summary="A passage with its document and surrounding text (`rag lookup --json`)")
    def passage(chunk_id: str, context_chars: int = Query(400, ge=0, le=10_000)):
        return service.public(service.corpus().lookup(chunk_id, context_chars=context_chars).to_dict())

    @routes.post("/v1/cite", summary="Passages that support a claim or quote (`rag cite --json`)")
    def cite(body: CiteBody):
        citations = service.corpus().sources_for(body.text, k=body.k, filters=_filters(body.filters))
        return service.public([c.to_dict() for c in citations])

    @routes.get("/v1/documents", summary="The documents in the index (`rag docs --json`)")
    def documents():
        return service.public(service.corpus().documents())

    @routes.post("/v1/documents", summary="Upload files; they are checked as in the UI and indexed incrementally")
    def upload(files: list[UploadFile] = File(..., description="one or more documents")):
        return _upload(service, files)

    @routes.delete("/v1/documents/{doc_id}", summary="Remove a document (an uploaded file is deleted too)")
    def delete(doc_id: str):
        return _delete(service, doc_id)

    @routes.get("/v1/models", summary="OpenAI-compatible: the model this server answers with")
    def models():
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "rag-news"}
                                           for m in service.model_ids()]}

    @routes.post("/v1/chat/completions", summary="OpenAI-compatible chat: a verified, cited answer; "
                                                  "structured citations in the extra field `rag`")
    async def chat(body: ChatBody, request: Request):
        if body.model not in service.model_ids():
            raise ApiError(404, f"the model {body.model!r} does not exist; this server answers with "
                                f"{', '.join(repr(m) for m in service.model_ids())} (GET /v1/models)", "model_not_found")
        assistant = service.assistant_for(None)
        conversation, question = _chat_conversation(assistant, body.messages)

        def start():
            return conversation.stream(question)

        if body.stream:
            return _event_stream(service, request, start, _chat_events(body.model))
        answer = await _wait_for_answer(service, request, start)
        return JSONResponse(service.public(completion(answer, body.model)))

    app.include_router(open_routes)
    app.include_router(routes)
    return app


def _error_response(service: ApiService, exc: BaseException) -> JSONResponse:
    status = status_of(exc)
    if status == 500:
        log.exception("unexpected error", exc_info=exc)
        message = f"unexpected error: {type(exc).__name__}: {exc} (please report it)"
        return JSONResponse(error_body(service.mask(message), "internal_error", "server_error", 1), 500)
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = "context_length_exceeded" if getattr(exc, "exit_code", 0) == 12 else _snake(type(exc).__name__)
    return JSONResponse(error_body(service.mask(str(exc)), code, kind, exc.exit_code), status)


def _reserve(service: ApiService) -> Ticket:
    try:
        return service.queue.reserve()
    except QueueFull as exc:
        raise ApiError(429, str(exc), "queue_full", {"Retry-After": str(exc.retry_after)}, kind="rate_limit_error") from None


async def _wait_for_answer(service: ApiService, request: Request, start: Callable[[], Any]):
    """Run one answer to its end; cancel it when the client leaves or the time limit passes."""
    generation = _Generation(_reserve(service), start, asyncio.get_running_loop())
    generation.begin()
    deadline = time.monotonic() + service.settings.serve.serve_request_timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ApiError(504, f"no answer within the server's {service.settings.serve.serve_request_timeout:.0f} s "
                                    "limit per question (queueing included); ask again later", "timeout",
                               kind="server_error")
            try:
                kind, value = await asyncio.wait_for(generation.events.get(), min(left, DISCONNECT_POLL_S))
            except asyncio.TimeoutError:
                if await request.is_disconnected():
                    raise ApiError(499, "the client disconnected", "client_closed")
                continue
            if kind == "answer":
                return value
            if kind == "error":
                raise value
            if kind == "end":
                raise ApiError(500, "the answer ended without a result (please report it)", "internal_error",
                               kind="server_error")
    finally:
        generation.cancel()


def _event_stream(service: ApiService, request: Request, start: Callable[[], Any], render_events) -> StreamingResponse:
    """An SSE response whose events ``render_events`` makes from the generation's; the 429 comes first."""
    ticket = _reserve(service)

    async def body():
        generation = _Generation(ticket, start, asyncio.get_running_loop())
        generation.begin()
        deadline = time.monotonic() + service.settings.serve.serve_request_timeout
        try:
            async for chunk in render_events(service, generation, deadline):
                yield chunk
        finally:  # the client went away (Starlette cancels this generator), or the answer is done
            generation.cancel()

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(service: ApiService, generation: _Generation, deadline: float):
    """(kind, value) from the generation, ("keepalive", None) while it is silent, ("timeout", None) at the limit."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            yield "timeout", None
            return
        try:
            kind, value = await asyncio.wait_for(generation.events.get(), min(left, KEEPALIVE_S))
        except asyncio.TimeoutError:
            yield "keepalive", None
            continue
        yield kind, value
        if kind in ("answer", "error", "end"):
            return


def _stream_error(service: ApiService, kind: str, value: Any) -> dict:
    if kind == "timeout":
        return error_body(f"no answer within the server's {service.settings.serve.serve_request_timeout:.0f} s limit "
                          "per question", "timeout", "server_error")
    if isinstance(value, ApiError):
        return error_body(str(value), value.code, value.kind)
    if isinstance(value, USER_ERRORS):
        return json.loads(_error_response(service, value).body)
    if value is None:
        return error_body("the answer ended without a result (please report it)", "internal_error", "server_error")
    return json.loads(_error_response(service, value).body)


async def _ask_events(service: ApiService, generation: _Generation, deadline: float):
    async for kind, value in _events(service, generation, deadline):
        if kind == "keepalive":
            yield ": working\n\n"
        elif kind == "evidence":
            yield _sse(service.public({"question": value.question, "standalone_question": value.standalone_question,
                                       "passages": [p.to_dict() for p in value.passages],
                                       "abstain_reason": value.abstain_reason}), "evidence")
        elif kind == "token":
            yield _sse({"text": value}, "token")
        elif kind == "answer":
            yield _sse(service.public(value.to_dict()), "answer")
        else:
            yield _sse(_stream_error(service, kind, value), "error")


def _chat_events(model: str):
    async def render_events(service: ApiService, generation: _Generation, deadline: float):
        request_id, created = new_id(), int(time.time())
        yield _sse(completion_chunk(model, request_id, created, role="assistant", content=""))
        async for kind, value in _events(service, generation, deadline):
            if kind in ("keepalive", "evidence", "token"):
                yield ": working\n\n"  # the draft is not sent: only the verified answer is content
            elif kind == "answer":
                for piece in words(value.with_references()):
                    yield _sse(completion_chunk(model, request_id, created, content=piece))
                yield _sse(service.public(completion_chunk(model, request_id, created, finish="stop", answer=value)))
                yield "data: [DONE]\n\n"
            else:
                yield _sse(_stream_error(service, kind, value))
                yield "data: [DONE]\n\n"

    return render_events


# ---- documents ---------------------------------------------------------------------------------
def _upload(service: ApiService, files: list[UploadFile]) -> JSONResponse:
    corpus = service.corpus()
    saved, rejected = [], []
    service.uploads_dir.mkdir(parents=True, exist_ok=True)
    with service._writes:
        for upload in files:
            name = Path(upload.filename or "upload").name
            try:
                saved.append(_save(upload, service.uploads_dir, name, service.settings.limits.max_upload_bytes))
            except (UploadError, OSError) as exc:
                rejected.append({"name": name, "reason": service.mask(str(exc))})
        report = None
        if saved:
            result = corpus.build([str(s.path) for s in saved], prune=False)
            dropped = {str(Path(s.path)) for s in result.skipped} | {str(Path(p)) for p, _ in result.duplicates}
            for s in saved:
                if not s.reused and (str(s.path) in dropped or str(s.path.resolve()) in dropped):
                    s.path.unlink(missing_ok=True)
            report = result.to_dict()
    indexed = bool(report and (report["added"] or report["updated"] or report.get("unchanged")))
    body = {"report": report, "rejected": rejected, "index": corpus.index.stats() if saved else None}
    return JSONResponse(service.public(body), 200 if indexed else 422)


def _save(upload: UploadFile, folder: Path, name: str, max_bytes: int):
    """The upload written to a private temporary file (size-checked while copying), then saved as in the UI."""
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=True) as tmp:
        size = 0
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise UploadError(f"over the {max_bytes / 1e6:.0f} MB limit per file")
            tmp.write(chunk)
        tmp.flush()
        return save_upload(tmp.name, folder, name, max_bytes)


def _delete(service: ApiService, doc_id: str) -> dict:
    corpus = service.corpus()
    with service._writes:
        docs = {d["doc_id"]: d for d in corpus.documents()}
        if doc_id not in docs:
            raise DocumentNotFoundError(f"no document {doc_id!r} in the index; list them with GET /v1/documents")
        removed = corpus.remove([doc_id])
        path = Path(docs[doc_id].get("path") or "")
        deleted = False
        if path.is_file() and path.resolve().parent == service.uploads_dir.resolve():
            path.unlink(missing_ok=True)  # only the server's own upload copy; a user's files are never touched
            deleted = True
    return {"removed": removed, "file_deleted": deleted}

