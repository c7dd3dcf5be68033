"""``rag serve`` over a real socket with fast fakes (HashEmbedder, CopyingGenerator, GatedGenerator).

Each server configuration starts once per module (uvicorn in a thread, ``ui=False``) over one small
index of the sample corpus; clients are real ``httpx`` clients. The same server with the packaged
model and the official ``openai`` client is tested in test_serve_real.py (slow).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from fakes import CopyingGenerator, GatedGenerator, HashEmbedder

QUESTION = "How much did the library renovation cost?"
KEY = "k" * 20
CORS_ORIGIN = "https://tool.example"
MAX_BODY = 2048
OTTER = ("Aquarium names its new otter\n20260115\nhttps://alderweekly.example/otter\n"
         "The Port Alder aquarium has named its new sea otter Marmalade after a public vote.\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- servers -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_corpus):
    """An Assistant over a fresh index of the sample corpus, answering with the CopyingGenerator."""
    from rag import Assistant, Settings

    settings = Settings(index_dir=tmp_path_factory.mktemp("serve") / "index")
    assistant = Assistant(settings, embedder=HashEmbedder(), generator=CopyingGenerator())
    report = assistant.build([sample_corpus])
    assert not report.skipped, report.skipped
    return assistant


def _sharing(corpus, generator, **overrides):
    """An Assistant on ``corpus``'s index with another generator and settings."""
    from rag import Assistant

    return Assistant(corpus.settings.with_overrides(**overrides), index=corpus.index, embedder=corpus.embedder,
                     generator=generator)


def _start(assistant, **kwargs):
    from ui.serve import start

    return start(assistant.settings, port=_free_port(), assistant=assistant, ui=False, **kwargs)


@pytest.fixture(scope="module")
def server(corpus):
    """No key, loopback, a 2 KB JSON body limit and one CORS origin."""
    assistant = _sharing(corpus, CopyingGenerator(), serve_max_body_bytes=MAX_BODY)
    running = _start(assistant, cors_origins=(CORS_ORIGIN,))
    yield running
    running.close()


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def keyed(corpus):
    """Bound to every address (so it hides paths, as from another machine) with an API key; the login
    limiter has no delays so the lock-out test is fast."""
    from ui.web_security import LoginLimiter

    running = _start(_sharing(corpus, CopyingGenerator()), host="0.0.0.0", api_key=KEY)
    running.service.limiter = LoginLimiter(max_failures=5, window_s=60.0, delay_step_s=0.0, delay_max_s=0.0)
    yield running
    running.close()


@pytest.fixture(scope="module")
def gated_server(corpus):
    """One generation at a time, one more waiting, with a generator that waits for the test's word."""
    running = _start(_sharing(corpus, GatedGenerator(), serve_queue=1, serve_concurrency=1))
    yield running
    running.close()


@pytest.fixture(scope="module")
def timed_server(corpus):
    """A 1 s limit per question, with a gated generator."""
    running = _start(_sharing(corpus, GatedGenerator(), serve_request_timeout=1.0))
    yield running
    running.close()


def _gate(running):
    generator = running.service.corpus().generator
    assert isinstance(generator, GatedGenerator)
    return generator


def _queue(url: str) -> dict:
    return httpx.get(f"{url}/v1/health").json()["queue"]


def _wait_for(check, seconds: float = 5.0, step: float = 0.02):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@pytest.fixture
def gated(request):
    """The named gated server with its gate closed; afterwards the gate is opened and the queue drained."""
    running = request.getfixturevalue(request.param)
    generator = _gate(running)
    generator.reset()
    yield running, generator
    generator.gate.set()
    assert _wait_for(lambda: _queue(running.url)["running"] == 0 and _queue(running.url)["waiting"] == 0, 10)


def _error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def _sse_events(lines) -> list[tuple[str | None, str]]:
    """(event, data) of each SSE event in ``lines``; comment lines (keep-alives) are skipped."""
    events, kind, data = [], None, []
    for line in lines:
        if line == "":
            if data:
                events.append((kind, "\n".join(data)))
            kind, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        events.append((kind, "\n".join(data)))
    return events


# ---- REST: answers -----------------------------------------------------------------------------
def test_ask_returns_the_cli_json_with_citations_that_resolve(api, corpus):
    response = api.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = corpus.ask(QUESTION).to_dict()
    assert set(body) == set(expected)
    assert body["answer"] == expected["answer"] and "6.2 million" in body["answer"] and "[1]" in body["answer"]
    assert not body["abstained"] and body["citations"]
    passages = {p["chunk_id"]: p for p in body["passages"]}
    for citation in body["citations"]:
        assert citation["chunk_id"] in passages
        assert citation["quote"] in passages[citation["chunk_id"]]["text"]
        text = Path(citation["path"]).read_text(encoding="utf-8")  # a loopback client sees real paths
        assert text[citation["start"]:citation["end"]] == citation["quote"]


def test_ask_stream_sends_evidence_then_tokens_then_the_answer(api, corpus):
    with api.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(response.iter_lines())
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "evidence" and kinds[-1] == "answer", kinds
    assert set(kinds[1:-1]) == {"token"}, kinds
    evidence = json.loads(events[0][1])
    assert evidence["question"] == QUESTION and evidence["passages"] and evidence["abstain_reason"] is None
    draft = "".join(json.loads(data)["text"] for kind, data in events if kind == "token")
    answer = json.loads(events[-1][1])
    assert "[1]" in draft and draft.split()[:5] == answer["answer"].split()[:5]  # the draft, then the verified text
    assert answer["answer"] == corpus.ask(QUESTION).text
    assert {c["chunk_id"] for c in answer["citations"]} <= {p["chunk_id"] for p in evidence["passages"]}


def test_search_lookup_and_cite(api):
    response = api.get("/v1/search", params={"q": "library renovation cost", "k": 3})
    assert response.status_code == 200, response.text
    passages = response.json()
    assert isinstance(passages, list) and 1 <= len(passages) <= 3
    assert {"chunk_id", "doc_id", "title", "text", "path", "score"} <= set(passages[0])
    assert "library" in passages[0]["title"].lower()

    chunk_id = passages[0]["chunk_id"]
    lookup = api.get(f"/v1/passages/{chunk_id}", params={"context_chars": 50})
    assert lookup.status_code == 200, lookup.text
    found = lookup.json()
    assert found["chunk_id"] == chunk_id and found["text"] == passages[0]["text"]
    assert set(found["context"]) == {"before", "after"}

    cited = api.post("/v1/cite", json={"text": "The library renovation cost 6.2 million pounds.", "k": 2})
    assert cited.status_code == 200, cited.text
    citations = cited.json()
    assert citations and citations[0]["n"] == 1 and "6.2 million" in citations[0]["quote"]


def test_unknown_passage_is_404_with_our_error_shape(api):
    error = _error(api.get("/v1/passages/no-such-chunk"), 404)
    assert error["exit_code"] == 6 and error["code"] != "internal_error"


def test_documents_upload_search_and_delete(api, server):
    listed = api.get("/v1/documents")
    assert listed.status_code == 200
    before = listed.json()
    assert len(before) == 14 and all("doc_id" in d for d in before)

    uploaded = api.post("/v1/documents", files=[("files", ("otter.txt", OTTER.encode(), "text/plain"))])
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert body["rejected"] == [] and body["report"]["added"] and body["index"]["documents"] == 15
    saved = server.service.uploads_dir / "otter.txt"
    assert saved.read_text(encoding="utf-8") == OTTER
    docs = {d["doc_id"]: d for d in api.get("/v1/documents").json()}
    (doc_id,) = [i for i, d in docs.items() if Path(d["path"]).name == "otter.txt"]
    assert docs[doc_id]["title"] == "Aquarium names its new otter"
    hits = api.get("/v1/search", params={"q": "otter Marmalade", "k": 1}).json()
    assert hits[0]["doc_id"] == doc_id and "Marmalade" in hits[0]["text"]

    removed = api.delete(f"/v1/documents/{doc_id}")
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"removed": [doc_id], "file_deleted": True}
    assert not saved.exists()
    assert doc_id not in {d["doc_id"] for d in api.get("/v1/documents").json()}
    assert all(h["doc_id"] != doc_id for h in api.get("/v1/search", params={"q": "otter Marmalade"}).json())

    error = _error(api.delete(f"/v1/documents/{doc_id}"), 404)
    assert doc_id in error["message"]


def test_upload_of_a_disallowed_type_is_422_with_the_reason(api, server):
    response = api.post("/v1/documents", files=[("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["report"] is None
    (rejected,) = body["rejected"]
    assert rejected["name"] == "tool.exe" and ".exe" in rejected["reason"] and "not accepted" in rejected["reason"]
    assert not (server.service.uploads_dir / "tool.exe").exists()


def test_health_models_docs_and_openapi(api, server):
    health = api.get("/v1/health").json()
    assert health["status"] == "ok" and health["index"]["documents"] >= 14
    assert health["queue"]["running"] == 0 and health["queue"]["concurrency"] == 1

    models = api.get("/v1/models").json()
    assert models["object"] == "list" and [m["id"] for m in models["data"]] == [server.service.model_name]

    docs = api.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "/v1/ask" in docs.text and "/v1/chat/completions" in docs.text and "<script" not in docs.text

    schema = api.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/passages/{chunk_id}", "/v1/cite", "/v1/documents",
            "/v1/documents/{doc_id}", "/v1/health", "/v1/models", "/v1/chat/completions"} <= set(schema["paths"])
    assert "/docs" not in schema["paths"]


# ---- filters and validation ----------------------------------------------------------------------
def test_bad_filters_are_400(api):
    _error(api.post("/v1/ask", json={"question": QUESTION, "filters": {"since": "2025-13-40"}}), 400, "invalid_date")
    _error(api.post("/v1/ask", json={"question": QUESTION, "filters": {"since": "2025-10-01", "until": "2025-01-01"}}),
           400, "empty_period")
    _error(api.get("/v1/search", params={"q": "ferry", "until": "yesterday"}), 400, "invalid_date")


def test_filters_narrow_the_answer(api):
    october = {"since": "2025-10-01", "until": "2025-10-31"}
    response = api.post("/v1/ask", json={"question": QUESTION, "filters": october})
    assert response.status_code == 200, response.text
    dates = {p["date"] for p in response.json()["passages"]}
    assert dates and all("2025-10-01" <= d <= "2025-10-31" for d in dates), dates


@pytest.mark.parametrize("body", [{"question": ""}, {"question": "   "}, {"question": QUESTION, "bogus": 1}, {},
                                  {"question": QUESTION, "k": 0}])
def test_invalid_ask_bodies_are_422_with_our_error_shape(api, body):
    error = _error(api.post("/v1/ask", json=body), 422, "invalid_request")
    assert error["type"] == "invalid_request_error"


def test_malformed_json_is_422(api):
    _error(api.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"}), 422)


def test_blank_cite_text_is_422(api):
    _error(api.post("/v1/cite", json={"text": "  \n "}), 422, "invalid_request")


def test_unknown_paths_and_methods_answer_in_our_error_shape(api):
    _error(api.get("/v1/nothing-here"), 404, "not_found")
    _error(api.put("/v1/ask", json={"question": QUESTION}), 405, "method_not_allowed")


# ---- OpenAI-compatible chat ----------------------------------------------------------------------
def _chat(api, server, messages, **extra):
    return api.post("/v1/chat/completions", json={"model": server.service.model_name, "messages": messages, **extra})


def test_chat_completion_gives_the_cited_answer(api, server):
    response = _chat(api, server, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}],
                     temperature=0.7)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == server.service.model_name
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and body["choices"][0]["finish_reason"] == "stop"
    assert "[1]" in message["content"] and "6.2 million" in message["content"]
    assert body["rag"]["citations"] and message["content"].startswith(body["rag"]["answer"])
    assert body["rag"]["citations"][0]["quote"] in message["content"]  # the references block


def test_chat_follow_up_with_history(api, server):
    first = _chat(api, server, [{"role": "user", "content": QUESTION}]).json()
    reply = first["choices"][0]["message"]["content"]
    follow_up = "When did it reopen?"
    response = _chat(api, server, [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": reply},
                                   {"role": "user", "content": follow_up}])
    assert response.status_code == 200, response.text
    assert response.json()["rag"]["question"] == follow_up


def test_chat_errors(api, server):
    _error(_chat(api, server, [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Hi"}]),
           400, "invalid_messages")
    unknown = {"model": "gpt-17", "messages": [{"role": "user", "content": "x"}]}
    error = _error(api.post("/v1/chat/completions", json=unknown), 404, "model_not_found")
    assert server.service.model_name in error["message"]
    _error(_chat(api, server, []), 422, "invalid_request")


def test_chat_stream_sends_the_same_text_then_done(api, server):
    messages = [{"role": "user", "content": QUESTION}]
    plain = _chat(api, server, messages).json()["choices"][0]["message"]["content"]
    with api.stream("POST", "/v1/chat/completions",
                    json={"model": server.service.model_name, "messages": messages, "stream": True}) as response:
        assert response.status_code == 200
        events = _sse_events(response.iter_lines())
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"].get("role") == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == plain
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["rag"]["citations"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


# ---- the API key ---------------------------------------------------------------------------------
def test_api_key_is_required_except_for_health(keyed):
    url = keyed.url
    missing = httpx.get(f"{url}/v1/documents")
    _error(missing, 401, "missing_api_key")
    assert missing.headers["www-authenticate"] == "Bearer"
    for path in ("/docs", "/openapi.json", "/v1/models"):
        assert httpx.get(f"{url}{path}").status_code == 401, path
    wrong = httpx.get(f"{url}/v1/documents", headers={"Authorization": "Bearer " + "x" * 20})
    _error(wrong, 401, "invalid_api_key")
    assert wrong.headers["www-authenticate"] == "Bearer"
    _error(httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Basic {KEY}"}), 401, "missing_api_key")
    auth = {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(f"{url}/v1/documents", headers=auth).status_code == 200
    for path in ("/docs", "/openapi.json"):
        assert httpx.get(f"{url}{path}", headers=auth).status_code == 200, path
    health = httpx.get(f"{url}/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_five_wrong_keys_lock_the_client_out(keyed):
    keyed.service.limiter.reset()
    try:
        wrong = {"Authorization": "Bearer " + "w" * 20}
        for _ in range(5):
            assert httpx.get(f"{keyed.url}/v1/models", headers=wrong).status_code == 401
        locked = httpx.get(f"{keyed.url}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        _error(locked, 429, "too_many_failures")  # refused unchecked, the right key included
        assert int(locked.headers["retry-after"]) > 0
        assert httpx.get(f"{keyed.url}/v1/health").status_code == 200
    finally:
        keyed.service.limiter.reset()
    assert httpx.get(f"{keyed.url}/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_a_server_for_other_machines_shows_file_names_not_paths(keyed, corpus):
    auth = {"Authorization": f"Bearer {KEY}"}
    passages = httpx.get(f"{keyed.url}/v1/search", params={"q": "library renovation"}, headers=auth).json()
    assert passages and all(p["path"] == Path(p["path"]).name and p["path"].endswith((".txt", ".md"))
                            for p in passages)
    answer = httpx.post(f"{keyed.url}/v1/ask", json={"question": QUESTION}, headers=auth, timeout=30).json()
    assert answer["citations"] and all("/" not in c["path"] for c in answer["citations"] + answer["passages"])
    index_dir = str(Path(corpus.settings.index_dir).resolve())
    chat = httpx.post(f"{keyed.url}/v1/chat/completions", headers=auth, timeout=30,
                      json={"model": keyed.service.model_name, "messages": [{"role": "user", "content": QUESTION}]})
    assert chat.status_code == 200, chat.text
    assert index_dir not in chat.text and str(Path(corpus.settings.index_dir)) not in chat.text
    assert all("/" not in c["path"] for c in chat.json()["rag"]["citations"])


# ---- refusing to serve others without a key --------------------------------------------------------
def test_exposure_without_a_key_is_refused():
    from ui.serve import check_serve_exposure
    from ui.web_security import WebSecurityError

    with pytest.raises(WebSecurityError) as raised:
        check_serve_exposure("0.0.0.0", None)
    assert raised.value.exit_code == 2 and "RAG_API_KEY" in str(raised.value)
    check_serve_exposure("127.0.0.1", None)
    check_serve_exposure("0.0.0.0", KEY)


def test_resolve_api_key():
    from ui.serve import resolve_api_key
    from ui.web_security import WebSecurityError

    assert resolve_api_key(None, {}) == (None, "RAG_API_KEY")
    assert resolve_api_key(None, {"RAG_API_KEY": KEY}) == (KEY, "RAG_API_KEY")
    assert resolve_api_key("MY_KEY", {"MY_KEY": KEY}) == (KEY, "MY_KEY")
    with pytest.raises(WebSecurityError, match="at least 16"):
        resolve_api_key(None, {"RAG_API_KEY": "short"})
    with pytest.raises(WebSecurityError, match="not set"):
        resolve_api_key("MY_KEY", {})


def test_cli_refuses_exposure_and_a_missing_key_variable(tmp_path, monkeypatch, capsys):
    from ui.cli import main

    monkeypatch.delenv("RAG_API_KEY", raising=False)
    monkeypatch.delenv("NAME_UNSET", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("rag serve: error:") and "API key" in err
    assert main(["serve", "--api-key-env", "NAME_UNSET", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "NAME_UNSET" in err


# ---- body limit, Host, Origin, CORS -------------------------------------------------------------
def test_a_body_over_the_limit_is_413(api):
    big = json.dumps({"question": "x" * (MAX_BODY + 100)}).encode()
    _error(api.post("/v1/ask", content=big, headers={"content-type": "application/json"}), 413, "body_too_large")

    def chunks():
        for _ in range(4):
            yield b" " * 1000  # JSON allows leading whitespace: only the size is wrong
        yield json.dumps({"question": QUESTION}).encode()

    chunked = api.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    _error(chunked, 413, "body_too_large")
    assert api.get("/v1/health").status_code == 200  # the server is fine afterwards


def test_a_small_chunked_body_passes(api):
    def chunks():
        yield b'{"question": '
        yield json.dumps(QUESTION).encode() + b"}"

    response = api.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert "[1]" in response.json()["answer"]


def test_a_foreign_host_is_421_and_a_foreign_origin_403(api, server):
    assert api.get("/v1/health", headers={"Host": "evil.example"}).status_code == 421
    refused = api.post("/v1/cite", json={"text": "library"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    same = api.post("/v1/cite", json={"text": "library"}, headers={"Origin": server.url})
    assert same.status_code == 200 and "access-control-allow-origin" not in same.headers


def test_cors_for_the_configured_origin_only(api):
    preflight = api.options("/v1/ask", headers={"Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type, authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    allowed = api.post("/v1/cite", json={"text": "library"}, headers={"Origin": CORS_ORIGIN})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
    for origin in ("https://evil.example", "http://tool.example", "https://tool.example:8443"):
        preflight = api.options("/v1/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 403, origin
        refused = api.post("/v1/cite", json={"text": "library"}, headers={"Origin": origin})
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    read = api.get("/v1/health", headers={"Origin": "https://evil.example"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


# ---- the generation queue, time limit and cancellation ------------------------------------------
@pytest.mark.parametrize("gated", ["gated_server"], indirect=True)
def test_a_full_queue_is_429_and_search_is_not_queued(gated):
    running, generator = gated
    results: list[httpx.Response] = []

    def ask():
        results.append(httpx.post(f"{running.url}/v1/ask", json={"question": QUESTION}, timeout=30))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert _wait_for(lambda: (lambda q: (q["running"], q["waiting"]) == (1, 1))(_queue(running.url)))
    assert generator.started.wait(5)

    refused = httpx.post(f"{running.url}/v1/ask", json={"question": QUESTION})
    _error(refused, 429, "queue_full")
    assert refused.headers["retry-after"].isdigit() and int(refused.headers["retry-after"]) > 0
    stream = httpx.post(f"{running.url}/v1/ask", json={"question": QUESTION, "stream": True})
    _error(stream, 429, "queue_full")  # refused before the event stream starts
    chat = httpx.post(f"{running.url}/v1/chat/completions",
                      json={"model": running.service.model_name, "messages": [{"role": "user", "content": QUESTION}]})
    _error(chat, 429, "queue_full")

    search = httpx.get(f"{running.url}/v1/search", params={"q": "ferry strike"}, timeout=5)
    assert search.status_code == 200 and search.json()
    assert httpx.post(f"{running.url}/v1/cite", json={"text": "library"}, timeout=5).status_code == 200
    assert not results  # both still waiting for the model

    generator.gate.set()
    for thread in threads:
        thread.join(timeout=20)
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    assert all("6.2 million" in r.json()["answer"] for r in results)
    assert generator.prompts == 2 and generator.finished == 2


@pytest.mark.parametrize("gated", ["timed_server"], indirect=True)
def test_the_time_limit_is_504_and_the_slot_comes_back(gated):
    running, generator = gated
    started = time.monotonic()
    response = httpx.post(f"{running.url}/v1/ask", json={"question": QUESTION}, timeout=10)
    _error(response, 504, "timeout")
    assert 0.9 <= time.monotonic() - started < 5
    assert _queue(running.url)["running"] == 1  # the worker still holds the model until it has stopped
    generator.gate.set()
    assert _wait_for(lambda: _queue(running.url)["running"] == 0)
    assert generator.closed == 1 and generator.finished == 0  # stopped after its first word, not run to the end


@pytest.mark.parametrize("gated", ["timed_server"], indirect=True)
def test_the_time_limit_ends_a_stream_with_an_error_event(gated):
    running, generator = gated
    with httpx.stream("POST", f"{running.url}/v1/ask", json={"question": QUESTION, "stream": True},
                      timeout=10) as response:
        assert response.status_code == 200
        events = _sse_events(response.iter_lines())
    assert [kind for kind, _ in events] == ["evidence", "error"], events
    assert json.loads(events[-1][1])["error"]["code"] == "timeout"
    generator.gate.set()
    assert _wait_for(lambda: _queue(running.url)["running"] == 0)
    assert generator.closed == 1 and generator.finished == 0


@pytest.mark.parametrize("gated", ["gated_server"], indirect=True)
def test_a_client_leaving_a_stream_cancels_its_generation(gated):
    running, generator = gated
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", f"{running.url}/v1/ask", json={"question": QUESTION, "stream": True}) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            first = []
            for line in lines:
                if line == "" and first:
                    break
                first.append(line)
            assert first[0] == "event: evidence", first
            assert generator.started.wait(5)
    # The connection is closed; once uvicorn has seen it go, the generation is cancelled.
    assert _wait_for(lambda: not running.server.server_state.connections)
    time.sleep(0.3)
    generator.gate.set()
    assert _wait_for(lambda: generator.closed == 1)
    assert generator.finished == 0
    assert _wait_for(lambda: _queue(running.url)["running"] == 0)
