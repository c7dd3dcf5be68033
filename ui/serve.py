"""``rag serve``: one process serving the HTTP API (``ui/api.py``) and the chat UI (``ui/app.py``) at ``/``.

Safe by default (docs/SECURITY.md, "rag serve"):
- it binds 127.0.0.1; another address is refused unless an API key is configured
  (:func:`check_serve_exposure`, exit 2);
- with a key (from ``$RAG_API_KEY``, or the variable ``--api-key-env`` names), every endpoint
  but ``/v1/health`` needs ``Authorization: Bearer KEY``, and the chat UI asks for a login
  (user ``rag``, the key as password);
- the Host allowlist, the same-origin rule and the security headers of ``rag ui``
  (:class:`WebSecurityMiddleware`) sit in front of everything; CORS is off unless
  ``--cors-origin`` names an origin;
- request bodies are limited (:class:`BodyLimitMiddleware`), and uploads are checked and saved
  as the UI's are, under ``<index>/uploads`` only.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Iterable

from rag import Assistant, RagError, Settings, env_name_problem, env_value

from .api import API_KEY_ENV, ApiService, create_api, error_body
from .lifecycle import run_until_interrupted
from .web_security import HostPolicy, LoginLimiter, PasswordLogin, WebSecurityError, WebSecurityMiddleware, is_loopback

__all__ = ["BodyLimitMiddleware", "RunningServer", "build_app", "check_serve_exposure", "resolve_api_key",
           "serve", "start"]

STARTUP_TIMEOUT_S = 60.0
"""How long :func:`start` waits for uvicorn to accept connections (Gradio's mount included)."""


def resolve_api_key(env_name: str | None, environ=None) -> tuple[str | None, str]:
    """``(key, variable)``: the API key from ``env_name`` (default ``RAG_API_KEY``), None when unset.

    A variable named explicitly (``--api-key-env``) but unset or empty is an error: the user meant
    to require a key, and serving without one would be the opposite.
    """
    name = env_name or API_KEY_ENV
    problem = env_name_problem(name)
    if problem:
        raise WebSecurityError(f"--api-key-env {problem}")
    key = env_value(name, environ)
    if env_name and key is None:
        raise WebSecurityError(f"--api-key-env {name}: the environment variable {name} is not set (or empty); "
                               "export the key in it first")
    if key is not None and len(key) < 16:
        raise WebSecurityError(f"the API key in {name} is {len(key)} characters; use at least 16 "
                               "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return key, name


def check_serve_exposure(host: str, api_key: str | None, variable: str = API_KEY_ENV) -> None:
    """Refuse (exit 2) to serve other machines without an API key."""
    if not is_loopback(host) and not api_key:
        raise WebSecurityError(f"--host {host} lets other machines reach the server, so it needs an API key: "
                               f"export {variable}=KEY (or name another variable with --api-key-env VAR)")


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a request body over its path's limit, by ``Content-Length`` or by counting.

    ``/v1/documents`` (uploads) gets ``upload_bytes``; every other ``/v1/`` path ``json_bytes``; the chat
    UI's own routes are left to Gradio, whose upload limit is set at mount.
    """

    def __init__(self, app, json_bytes: int, upload_bytes: int) -> None:
        self.app, self.json_bytes, self.upload_bytes = app, json_bytes, upload_bytes

    def _limit(self, path: str) -> int | None:
        if path.startswith("/v1/documents"):
            return self.upload_bytes
        if path.startswith("/v1/"):
            return self.json_bytes
        return None

    async def __call__(self, scope, receive, send) -> None:
        limit = self._limit(scope.get("path", "")) if scope.get("type") == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = refused = False

        # A body without Content-Length (chunked) is counted as it is read. Over the limit, the 413 is sent
        # here and the app is told the client left: an exception raised into the app would not reach this
        # middleware (FastAPI turns any error while reading a body into its own 400).
        async def counted():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal started
            if refused:
                return  # the 413 has been sent; what the app answers to the "disconnect" is dropped
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not refused:  # after a refusal, the app's complaint about the missing body is expected
                raise


async def _too_large(send, limit: int) -> None:
    import json

    body = json.dumps(error_body(f"the request body is over this server's {limit:,} byte limit", "body_too_large",
                                 "invalid_request_error")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def build_app(settings: Settings, *, host: str = "127.0.0.1", api_key: str | None = None,
              allow_hosts: Iterable[str] = (), cors_origins: Iterable[str] = (), ui: bool = True,
              assistant: Assistant | None = None):
    """``(app, service)``: the API with its middleware, and the chat UI mounted at ``/`` when ``ui``."""
    policy = HostPolicy.for_bind(host, allow_hosts)
    show_paths = is_loopback(host)
    model_name = settings.llm.llm_model or ("default" if settings.llm.llm_url else os.path.basename(settings.llm.model))
    service = ApiService(settings, api_key=api_key, show_paths=show_paths, assistant=assistant, model_name=model_name)
    app = create_api(service)
    if ui:
        _mount_ui(app, service, settings, show_paths)
    app.add_middleware(BodyLimitMiddleware, json_bytes=settings.limits.serve_max_body_bytes,
                       upload_bytes=settings.limits.serve_max_upload_bytes)
    app.add_middleware(WebSecurityMiddleware, policy=policy, cors_origins=tuple(cors_origins))  # outermost
    return app, service


def _mount_ui(app, service: ApiService, settings: Settings, show_paths: bool) -> None:
    import gradio as gr

    from .app import RagApp, gradio_launch_options

    ui_app = RagApp(settings, service.corpus(), show_paths=show_paths)
    # The API answers with the UI's Assistant for the server's model: one model in memory for both.
    service.answerer = lambda: ui_app.assistant_for(None)
    login = PasswordLogin(service.api_key, limiter=LoginLimiter(settings.serve)) if service.api_key else None
    gr.mount_gradio_app(app, ui_app.build(), path="/", auth=login.check if login else None,
                        **gradio_launch_options(settings))


@dataclass
class RunningServer:
    server: object
    thread: threading.Thread
    url: str
    service: ApiService

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RagError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): the port is in use or the address "
                       "is not this machine's; choose another with --port or --host") from None
    sock.listen(128)
    return sock


def start(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None,
          allow_hosts: Iterable[str] = (), cors_origins: Iterable[str] = (), ui: bool = True,
          assistant: Assistant | None = None, quiet: bool = True) -> RunningServer:
    """Serve in a background thread; returns once connections are accepted."""
    import uvicorn

    check_serve_exposure(host, api_key)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # Gradio would call home; this tool never does
    app, service = build_app(settings, host=host, api_key=api_key, allow_hosts=allow_hosts, cors_origins=cors_origins,
                             ui=ui, assistant=assistant)
    sock = _listen(host, port)
    config = uvicorn.Config(app, log_level="warning" if quiet else "info", lifespan="on", timeout_graceful_shutdown=5,
                            server_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="rag-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RagError(f"the server on {host}:{port} did not start (see the messages above)")
        time.sleep(0.05)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    return RunningServer(server, thread, url, service)


def warm_in_background(service: ApiService) -> threading.Thread:
    """Read the index's BM25 postings into the page cache on a daemon thread (``serve.warm_bm25_index``)."""
    def run() -> None:
        started = time.monotonic()
        try:
            size = service.corpus().read_bm25_index()
        except Exception as exc:  # a missing or unreadable index is reported by the first question instead
            print(f"rag serve: the BM25 index was not read ahead ({exc})", file=sys.stderr, flush=True)
            return
        print(f"rag serve: BM25 index read into the page cache ({size / 1e9:.2f} GB in {time.monotonic() - started:.1f} s)",
              file=sys.stderr, flush=True)

    thread = threading.Thread(target=run, name="rag-warm-bm25", daemon=True)
    thread.start()
    return thread


def serve(settings: Settings, *, host: str, port: int, api_key: str | None, key_variable: str,
          allow_hosts: Iterable[str] = (), cors_origins: Iterable[str] = (), ui: bool = True) -> int:
    """``rag serve``: serve until Ctrl+C."""
    running = start(settings, host=host, port=port, api_key=api_key, allow_hosts=allow_hosts,
                    cors_origins=cors_origins, ui=ui)
    if settings.serve.warm_bm25_index:
        warm_in_background(running.service)
    print(f"rag serve: index {settings.index_dir}; API at {running.url}/v1 (docs: {running.url}/docs)"
          + (f", chat UI at {running.url}/" if ui else "") + "  (Ctrl+C to stop)", flush=True)
    if api_key:
        print(f"rag serve: every endpoint but /v1/health needs 'Authorization: Bearer' with the key in {key_variable}"
              + ("; the chat UI's login is user 'rag' with that key" if ui else ""), file=sys.stderr, flush=True)
    return run_until_interrupted("rag serve", running.close, running.thread.is_alive)
