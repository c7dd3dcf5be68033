"""Web origin safety of the chat UI (ui/web_security.py; docs/SECURITY.md).

Unit tests of the pieces (host names, origins, the ASGI middleware through Starlette's
TestClient, the login limiter, where the password comes from), then the real ``rag ui``
server on a free port, sent raw HTTP with forged ``Host`` and ``Origin`` headers, and the
``rag ui`` command line's refusals.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ui.web_security as ws
from rag import Assistant, Settings
from ui.web_security import (SECURITY_HEADERS, HostPolicy, LoginLimiter, PasswordLogin, WebSecurityError,
                             WebSecurityMiddleware, check_exposure, parse_host, resolve_password)
from fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
EVIL = "evil.example"

pytestmark = [
    # Gradio's queue monitoring calls pandas APIs that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_security_headers(headers) -> None:
    for name, value in SECURITY_HEADERS:
        assert headers.get(name) == value, name
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "*" not in csp


def _no_cors(headers) -> None:
    assert not [k for k in headers if k.lower().startswith("access-control-")], dict(headers)


# ---- host names and origins --------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("localhost:7860", ("localhost", 7860)),
    ("LocalHost.:7860", ("localhost", 7860)),
    ("127.0.0.1", ("127.0.0.1", None)),
    ("[::1]:80", ("::1", 80)),
    ("[0:0:0:0:0:0:0:1]", ("::1", None)),
    ("example.org", ("example.org", None)),
])
def test_parse_host(value, expected):
    assert parse_host(value) == expected


@pytest.mark.parametrize("value", ["", None, "::1", "[::1", "[::1]x", "localhost:", "localhost:0", "localhost:99999",
                                   "localhost:８０", "user@localhost", "local host", "exa mple", "[localhost]", "a/b"])
def test_parse_host_rejects_malformed(value):
    assert parse_host(value) is None


def test_loopback_bind_answers_only_to_loopback_names():
    policy = HostPolicy.for_bind("127.0.0.1")
    for host in ("localhost:7860", "127.0.0.1:7860", "[::1]:7860", "LOCALHOST", "localhost."):
        assert policy.allows_host(host), host
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, but the browser sends the name.
    for host in (f"{EVIL}:7860", "127.0.0.1.evil.example", "localhost.evil.example", "evil.localhost", "", None,
                 "192.168.1.20"):
        assert not policy.allows_host(host), host
    assert HostPolicy.for_bind("::1").names == policy.names == HostPolicy.for_bind("localhost").names


def test_specific_address_bind_answers_only_to_it_and_configured_names():
    policy = HostPolicy.for_bind("192.168.1.20", allow_hosts=["rag.example.org", "Box.LAN."])
    assert policy.allows_host("192.168.1.20:7860") and policy.allows_host("rag.example.org")
    assert policy.allows_host("box.lan:7860")
    assert not policy.allows_host("localhost:7860") and not policy.allows_host(f"{EVIL}:7860")


def test_wildcard_bind_answers_to_this_machine_and_the_address_connected_to():
    policy = HostPolicy.for_bind("0.0.0.0", allow_hosts=["rag.example.org"])
    assert policy.allows_host("localhost:7860") and policy.allows_host("127.0.0.1") and policy.allows_host("[::1]")
    assert policy.allows_host(socket.gethostname()) and policy.allows_host("rag.example.org:443")
    # The interface address a connection arrived on is this server (no other site's name involved) ...
    assert policy.allows_host("192.168.1.20:7860", local_address="192.168.1.20")
    assert policy.allows_host("192.168.1.20:7860", local_address="::ffff:192.168.1.20")  # dual-stack socket
    # ... another address, or any other name, is not.
    assert not policy.allows_host("10.9.9.9:7860", local_address="192.168.1.20")
    assert not policy.allows_host(f"{EVIL}:7860", local_address="192.168.1.20")
    assert HostPolicy.for_bind("::").names == HostPolicy.for_bind("0.0.0.0").names


@pytest.mark.parametrize("bad", ["http://rag.example.org", "rag.example.org:8080", "*.example.org", "", "a b",
                                 "rag.example.org/x"])
def test_allow_host_must_be_a_plain_name(bad):
    with pytest.raises(WebSecurityError) as error:
        HostPolicy.for_bind("127.0.0.1", allow_hosts=[bad])
    assert error.value.exit_code == 2 and "--allow-host" in str(error.value)


def test_origin_must_be_this_server():
    policy = HostPolicy.for_bind("127.0.0.1", allow_hosts=["rag.example.org"])
    assert policy.allows_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
    assert policy.allows_origin("http://localhost:7860", "127.0.0.1:7860")  # both names are this server
    assert policy.allows_origin("https://rag.example.org", "rag.example.org")  # behind a TLS proxy, default port
    for origin in (f"http://{EVIL}:7860", "http://127.0.0.1:8000", "null", "", None, "file://", "http://127.0.0.1:7860/x",
                   "http://user@127.0.0.1:7860", "javascript:alert(1)", "http://127.0.0.1:7860.evil.example"):
        assert not policy.allows_origin(origin, "127.0.0.1:7860"), origin


# ---- the middleware, through Starlette's TestClient -------------------------------------------------
@pytest.fixture()
def client():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.testclient import TestClient

    def leaky(request):
        # What Gradio's CORS middleware does: echo the origin, allow credentials.
        return PlainTextResponse(f"hello {ws.client_address()}", headers={
            "access-control-allow-origin": request.headers.get("origin", "*"),
            "access-control-allow-credentials": "true", "x-frame-options": "SAMEORIGIN"})

    async def echo(socket_):
        await socket_.accept()
        await socket_.send_text("open")
        await socket_.close()

    inner = Starlette(routes=[Route("/", leaky, methods=["GET", "POST", "OPTIONS"]), WebSocketRoute("/ws", echo)])
    app = WebSecurityMiddleware(inner, HostPolicy.for_bind("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:7860") as c:
        yield c


def test_middleware_answers_its_own_host_with_security_headers_and_no_cors(client):
    r = client.get("/")
    assert r.status_code == 200 and r.text == "hello testclient"  # the login limiter sees the client address
    _assert_security_headers(r.headers)
    _no_cors(r.headers)
    assert r.headers.get_list("x-frame-options") == ["DENY"]  # replaced, not doubled
    r = client.post("/", headers={"Origin": "http://127.0.0.1:7860"})  # same origin: a state change is fine
    assert r.status_code == 200
    _no_cors(r.headers)


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
def test_middleware_refuses_other_host_names(client, method):
    r = client.request(method, "/", headers={"Host": f"{EVIL}:7860", "Origin": f"http://{EVIL}:7860"})
    assert r.status_code == 421 and r.headers["content-type"].startswith("text/plain")
    assert len(r.text) < 200 and "\n" == r.text[-1] and "hello" not in r.text
    _assert_security_headers(r.headers)
    _no_cors(r.headers)


def test_middleware_refuses_cross_origin_state_changes_and_never_echoes(client):
    for origin in (f"http://{EVIL}:7860", "null", "http://127.0.0.1:9999"):
        r = client.post("/", headers={"Origin": origin})
        assert r.status_code == 403, origin
        _no_cors(r.headers)
        _assert_security_headers(r.headers)
        preflight = client.options("/", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 403
        _no_cors(preflight.headers)
    # A GET is answered (it changes nothing), but without CORS headers the other page cannot read it.
    r = client.get("/", headers={"Origin": f"http://{EVIL}:7860"})
    assert r.status_code == 200
    _no_cors(r.headers)


def test_middleware_guards_websockets(client):
    from starlette.websockets import WebSocketDisconnect

    url = "ws://127.0.0.1:7860/ws"  # the test client's websockets go to ws://testserver unless told
    with client.websocket_connect(url, headers={"Origin": "http://127.0.0.1:7860"}) as socket_:
        assert socket_.receive_text() == "open"
    for headers in ({"Origin": f"http://{EVIL}:7860"}, {"Host": EVIL}, {"Origin": "null"}):
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect(url, headers=headers) as socket_:
                socket_.receive_text()


# ---- the login limiter --------------------------------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_limiter_blocks_after_five_failures_until_the_window_passes():
    clock = Clock()
    limiter = LoginLimiter(clock=clock)
    delays = []
    for _ in range(limiter.max_failures):
        assert not limiter.blocked("10.0.0.1")
        delays.append(limiter.failed("10.0.0.1"))
        clock.now += 1
    assert delays == [0.25, 0.5, 1.0, 2.0, 2.0]  # growing, capped at login_delay_max_s
    assert limiter.blocked("10.0.0.1") and not limiter.blocked("10.0.0.2")  # per client address
    clock.now += limiter.window_s - limiter.max_failures  # the first failure is a window old
    assert not limiter.blocked("10.0.0.1")
    limiter.failed("10.0.0.1")
    assert limiter.blocked("10.0.0.1")  # still 5 failures in the window: at most 5 guesses a minute
    limiter.succeeded("10.0.0.1")
    assert not limiter.blocked("10.0.0.1")


def test_limiter_remembers_a_bounded_number_of_clients():
    limiter = LoginLimiter(max_failures=1, max_clients=3)
    for n in range(5):
        limiter.failed(f"10.0.0.{n}")
    assert [limiter.blocked(f"10.0.0.{n}") for n in range(5)] == [False, False, True, True, True]


def test_password_login_is_constant_time_and_limited(monkeypatch):
    compared = []
    real = ws.hmac.compare_digest
    monkeypatch.setattr(ws.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    login = PasswordLogin("s3cret, with ünïcode", limiter=LoginLimiter(delay_step_s=0.0, delay_max_s=0.0))

    def check(user, password, client="10.0.0.1"):
        async def run():
            token = ws._client.set(client)
            try:
                return await login.check(user, password)
            finally:
                ws._client.reset(token)
        return asyncio.run(run())

    assert check("rag", "s3cret, with ünïcode") and compared == [1, 1]  # user and password both compared
    assert not check("admin", "s3cret, with ünïcode") and not check("rag", "s3cret")
    assert not check("rag", "")
    for _ in range(3):
        assert not check("rag", "guess")
    assert not check("rag", "s3cret, with ünïcode")  # 5 failures: refused even with the right password
    assert check("rag", "s3cret, with ünïcode", client="10.0.0.2")
    with pytest.raises(ValueError):
        PasswordLogin("")


# ---- where the password comes from ---------------------------------------------------------------
def test_password_precedence(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("from-file\r\nsecond line ignored\n")
    secret.chmod(0o600)
    env = {"RAG_UI_PASSWORD": "from-env"}
    assert resolve_password(None, str(secret), env) == ("from-file", "--password-file", [])
    password, source, warnings = resolve_password("from-argv", None, env)
    assert (password, source) == ("from-argv", "--password") and "process list" in warnings[0]
    assert resolve_password(None, None, env) == ("from-env", "RAG_UI_PASSWORD", [])
    assert resolve_password(None, None, {"RAG_UI_PASSWORD": ""}) == (None, None, [])
    assert resolve_password(None, None, {}) == (None, None, [])
    secret.chmod(0o644)
    assert "chmod 600" in resolve_password(None, str(secret), {})[2][0]


@pytest.mark.parametrize("content, message", [(None, "no such file"), ("", "empty"), ("\n", "empty"),
                                              ("   \nsecret\n", "empty"), (b"\xff\xfe\n", "UTF-8"),
                                              ("dir", "folder")])
def test_password_file_problems_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "pw"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(WebSecurityError, match=message) as error:
        resolve_password(None, str(path), {})
    assert error.value.exit_code == 2 and "\n" not in str(error.value)


def test_exposed_bind_needs_a_password_not_on_argv():
    check_exposure("127.0.0.1", None)
    check_exposure("localhost", "pw", "--password")  # on this machine only: allowed, with a warning
    for host in ("0.0.0.0", "::", "192.168.1.20", "mybox.lan"):
        with pytest.raises(WebSecurityError, match="RAG_UI_PASSWORD"):
            check_exposure(host, None)
        with pytest.raises(WebSecurityError, match="process list"):
            check_exposure(host, "pw", "--password")
        check_exposure(host, "pw", "RAG_UI_PASSWORD")
        check_exposure(host, "pw", "--password-file")


def test_start_refuses_an_exposed_bind_without_password(tmp_path):
    from ui.app import start

    with pytest.raises(WebSecurityError) as error:
        start(Settings(index_dir=tmp_path / "index"), host="0.0.0.0", port=_free_port(), quiet=True)
    assert error.value.exit_code == 2


# ---- server paths are not shown to remote users ---------------------------------------------------
def test_render_hides_paths_when_asked():
    from types import SimpleNamespace

    from ui import render

    secret = "/home/alice/private/corpus/03_library.txt"
    p = SimpleNamespace(chunk_id="d1-0", doc_id="d1", title="Library", date="2025-10-06", url=None, path=secret,
                        page=None, text="The library cost 6.2 million pounds.", score=0.1, dense=0.5, lexical=1.0)
    c = SimpleNamespace(n=1, chunk_id="d1-0", start=0, end=10, quote="The librar", support=0.8)
    lookup = SimpleNamespace(chunk_id="d1-0", title="Library", date=None, url=None, path=secret, page=None,
                             start=0, text=p.text, before="", after="")
    docs = [{"doc_id": "d1", "title": "Library", "path": secret, "chunks": 1, "chars": 10}]
    hidden = [render.evidence_html([p], show_paths=False), render.citation_detail_html(c, lookup, show_paths=False),
              render.documents_html(docs, "/home/alice/private/index/uploads", show_paths=False),
              render.index_summary_html({"documents": 1, "chunks": 1, "path": "/home/alice/private/index"},
                                        show_paths=False),
              render.no_index_html("/home/alice/private/index", show_paths=False)]
    for html in hidden:
        assert "/home/alice" not in html, html
    assert 'data-path="03_library.txt"' in hidden[1] and "03_library.txt" in hidden[0]
    assert "rag index --sample --index DIR" in hidden[4]
    # On this machine (the default) the full paths stay.
    assert f'data-path="{secret}"' in render.citation_detail_html(c, lookup)
    assert secret in render.evidence_html([p]) and secret in render.documents_html(docs)
    assert "/home/alice/private/index" in render.no_index_html("/home/alice/private/index")


def test_app_hides_paths_from_remote_users(tmp_path):
    from ui.app import RagApp

    settings = Settings(index_dir=tmp_path / "index", model=str(tmp_path / "models" / "mine.gguf"))
    app = RagApp(settings, corpus=Assistant(settings, embedder=HashEmbedder()), show_paths=False)
    header = app.refresh().summary
    assert str(tmp_path) not in header and "No documents to ask about" in header
    incoming = tmp_path / "browser"
    incoming.mkdir()
    (incoming / "otter.txt").write_text("Aquarium names otter\n20260115\nThe otter is called Marmalade.\n")
    added = app.add_files([str(incoming / "otter.txt")])
    report, header, docs_html = added.report, added.view.summary, added.view.documents
    assert "1 added" in report and "otter.txt" in docs_html
    for html in (report, header, docs_html):
        assert str(tmp_path) not in html, html
    assert app.public(f"cannot open {tmp_path / 'index' / 'store.sqlite'}") == "cannot open <index>/store.sqlite"
    # A remote user cannot point the server at a file by path, and sees the server's model by file name only.
    assert app.model_value == "mine.gguf"
    with pytest.raises(Exception, match="only on the server"):
        app.assistant_for("/etc/passwd")


# ---- the real server --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from ui.app import start

    running = start(Settings(index_dir=tmp_path_factory.mktemp("web") / "index"), port=_free_port(), quiet=True)
    yield running
    running.close()


def _port(running) -> int:
    return int(running.url.rstrip("/").rsplit(":", 1)[1])


REQUESTS = [("GET", "/", None), ("GET", "/config", None),
            ("POST", "/gradio_api/queue/join", json.dumps({"data": [], "fn_index": 0, "session_hash": "x"}))]


@pytest.mark.parametrize("method, path, body", REQUESTS)
def test_real_server_refuses_a_forged_host(server, method, path, body):
    import httpx

    port = _port(server)
    r = httpx.request(method, server.url.rstrip("/") + path, content=body, timeout=30,
                      headers={"Host": f"{EVIL}:{port}", "Origin": f"http://{EVIL}:{port}",
                               "Content-Type": "application/json"})
    assert r.status_code == 421, r.text
    assert r.headers["content-type"].startswith("text/plain") and len(r.text) < 200
    _no_cors(r.headers)
    _assert_security_headers(r.headers)


@pytest.mark.parametrize("method, path, body", REQUESTS)
def test_real_server_never_echoes_a_foreign_origin(server, method, path, body):
    import httpx

    port = _port(server)
    r = httpx.request(method, server.url.rstrip("/") + path, content=body, timeout=30,
                      headers={"Origin": f"http://{EVIL}:{port}", "Content-Type": "application/json"})
    assert r.status_code == (403 if method == "POST" else 200), r.text
    _no_cors(r.headers)
    preflight = httpx.options(server.url.rstrip("/") + path, timeout=30, headers={
        "Origin": f"http://{EVIL}:{port}", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 403  # Gradio's own CORS middleware would answer 200 here
    _no_cors(preflight.headers)


def test_real_server_answers_its_own_host_with_security_headers(server):
    import httpx

    port = _port(server)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        for path in ("/", "/config"):
            r = httpx.get(server.url.rstrip("/") + path, headers={"Host": host}, timeout=30)
            assert r.status_code == 200, (host, path)
            _assert_security_headers(r.headers)
            _no_cors(r.headers)
    # A same-origin state change gets through to Gradio (which answers for itself: not a refusal).
    r = httpx.post(server.url + "gradio_api/queue/join", timeout=30, content=json.dumps({"data": []}),
                   headers={"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"})
    assert r.status_code not in (403, 421), r.text


def test_real_server_config_shows_no_server_paths(tmp_path):
    import httpx

    from ui.app import RagApp, start

    settings = Settings(index_dir=tmp_path / "private-index")
    running = start(settings, port=_free_port(), quiet=True, app=RagApp(settings, show_paths=False))
    try:
        config = httpx.get(running.url + "config", timeout=30).text
        assert "uploads/` in the index folder" in config
        assert str(tmp_path) not in config
    finally:
        running.close()


def test_real_server_limits_failed_logins(tmp_path, monkeypatch):
    import httpx

    from ui.app import start

    running = start(Settings(index_dir=tmp_path / "index", login_delay_step_s=0.01, login_delay_max_s=0.02),
                    port=_free_port(), password="s3cret", quiet=True)

    def login(password, client=None):
        transport = httpx.HTTPTransport(local_address=client) if client else None
        with httpx.Client(transport=transport, timeout=30) as http:
            return http.post(running.url + "login", data={"username": "rag", "password": password}).status_code

    try:
        assert httpx.get(running.url + "config", timeout=30).status_code == 401
        assert [login("wrong") for _ in range(6)] == [400] * 6
        assert login("s3cret") == 400  # 5 failures within the window: refused even with the right password
        assert login("s3cret", client="127.0.0.2") == 200  # another client address has its own count
        running.login.limiter.window_s = 0.2  # let the window pass
        time.sleep(0.3)
        assert login("s3cret") == 200
    finally:
        running.close()


# ---- the command line ---------------------------------------------------------------------------------
def _ui(argv, capsys, monkeypatch, env=None):
    """Run ``rag ui ARGV`` in-process with ``serve`` replaced; returns (exit code, stderr lines, serve's kwargs)."""
    import ui.app
    from ui.cli import main

    monkeypatch.delenv("RAG_UI_PASSWORD", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    served = {}
    monkeypatch.setattr(ui.app, "serve", lambda settings, **kw: served.update(kw) or 0)
    try:
        code = main(["ui", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()], served


def test_cli_refuses_an_exposed_bind_without_password(tmp_path, capsys, monkeypatch):
    code, err, served = _ui(["--host", "0.0.0.0", "--index", str(tmp_path)], capsys, monkeypatch)
    assert code == 2 and not served
    assert len(err) == 1 and err[0].startswith("rag ui: error: --host 0.0.0.0") and "RAG_UI_PASSWORD" in err[0]
    code, err, served = _ui(["--host", "0.0.0.0", "--password", "pw", "--index", str(tmp_path)], capsys, monkeypatch)
    assert code == 2 and not served and len(err) == 1 and "process list" in err[0]


def test_cli_refusal_in_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RAG_UI_PASSWORD"}
    done = subprocess.run([sys.executable, "-m", "ui.cli", "ui", "--host", "0.0.0.0", "--index", str(tmp_path / "i")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "needs a password" in done.stderr and done.stdout == ""


def test_cli_password_sources(tmp_path, capsys, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    secret.chmod(0o600)
    index = ["--index", str(tmp_path / "index")]
    code, err, served = _ui(["--host", "0.0.0.0", "--password-file", str(secret), *index], capsys, monkeypatch,
                            env={"RAG_UI_PASSWORD": "from-env"})
    assert code == 0 and err == [] and served["password"] == "from-file" and served["host"] == "0.0.0.0"
    code, err, served = _ui(["--host", "0.0.0.0", "--allow-host", "rag.lan", "--allow-host", "box", *index], capsys,
                            monkeypatch, env={"RAG_UI_PASSWORD": "from-env"})
    assert code == 0 and served["password"] == "from-env" and served["allow_hosts"] == ["rag.lan", "box"]
    code, err, served = _ui(["--password", "argv", *index], capsys, monkeypatch)  # loopback: allowed, with a warning
    assert code == 0 and served["password"] == "argv"
    assert len(err) == 1 and err[0].startswith("rag ui: warning:") and "process list" in err[0]
    code, err, served = _ui(index, capsys, monkeypatch)
    assert code == 0 and served["password"] is None and err == []


@pytest.mark.parametrize("argv, message", [
    (["--password-file", "{tmp}/missing"], "no such file"),
    (["--password-file", "{tmp}/empty"], "empty"),
    (["--host", "0.0.0.0", "--password-file", "{tmp}/empty"], "empty"),
])
def test_cli_password_file_errors(tmp_path, capsys, monkeypatch, argv, message):
    (tmp_path / "empty").write_text("\n")
    code, err, served = _ui([a.format(tmp=tmp_path) for a in argv] + ["--index", str(tmp_path / "i")], capsys, monkeypatch)
    assert code == 2 and not served and len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_cli_usage_errors(tmp_path, capsys, monkeypatch):
    (tmp_path / "pw").write_text("x\n")
    code, err, _ = _ui(["--password", "a", "--password-file", str(tmp_path / "pw")], capsys, monkeypatch)
    assert code == 2 and "not allowed with argument" in err[-1]
    from ui.cli import main

    monkeypatch.delenv("RAG_UI_PASSWORD", raising=False)
    assert main(["ui", "--allow-host", "http://x.example", "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--allow-host" in err[0]
