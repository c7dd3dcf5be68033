"""``rag serve`` with the real parts: the packaged small model, the real embedder and FAISS, uvicorn,
and the official ``openai`` client. The fast tests with fakes are in test_serve_api.py."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

pytestmark = pytest.mark.slow

QUESTION = "How much did the library renovation cost?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(small_assistant):
    from ui.serve import start

    settings = small_assistant.settings.with_overrides(serve_queue=1)
    running = start(settings, port=_free_port(), assistant=small_assistant, ui=False)
    yield running
    running.close()


def _wait_idle(url: str, seconds: float = 60.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        queue = httpx.get(f"{url}/v1/health").json()["queue"]
        if queue["running"] == 0 and queue["waiting"] == 0 or time.monotonic() > deadline:
            return queue
        time.sleep(0.2)


def test_openai_client_gets_a_cited_answer_streaming_and_not(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x")
    assert [m.id for m in client.models.list().data] == ["small"]
    messages = [{"role": "user", "content": QUESTION}]
    reply = client.chat.completions.create(model="small", messages=messages)
    content = reply.choices[0].message.content
    rag = reply.model_extra["rag"]
    assert not rag["abstained"], content
    assert "[1]" in content and rag["citations"], content
    assert rag["citations"][0]["chunk_id"] in {p["chunk_id"] for p in rag["passages"]}
    assert "million" in rag["answer"].lower() or "$" in rag["answer"], rag["answer"]

    pieces, last = [], None
    for chunk in client.chat.completions.create(model="small", messages=messages, stream=True):
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert "".join(pieces) == content  # the same verified answer at temperature 0, with its references
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["rag"]["citations"] == rag["citations"]


def test_concurrent_clients_queue_limit_and_a_client_that_leaves(server):
    """Two questions at once are answered one after the other; a third, with one waiting, gets 429;
    a client that leaves mid-stream frees the model for the next question."""
    results: dict[int, httpx.Response] = {}

    def ask(i: int) -> None:
        results[i] = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION}, timeout=300)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.3)  # in order: the first runs, the second waits
    deadline = time.monotonic() + 30
    while server.service.queue.state()["waiting"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    refused = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION}, timeout=30)
    searched = httpx.get(f"{server.url}/v1/search", params={"q": "library renovation"}, timeout=30)
    for t in threads:
        t.join(timeout=300)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, refused.text
    assert refused.json()["error"]["code"] == "queue_full"
    assert searched.status_code == 200 and searched.json()  # answered while a generation ran
    answers = [results[i].json() for i in range(2)]
    assert all(r.status_code == 200 for r in results.values())
    assert answers[0]["answer"] == answers[1]["answer"] and answers[0]["citations"]

    with httpx.stream("POST", f"{server.url}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=120) as r:
        events = []
        for line in r.iter_lines():
            if line.startswith("event: "):
                events.append(line[7:])
            if events.count("token") >= 2:
                break  # leave mid-answer
    assert events[0] == "evidence"
    left = time.monotonic()
    assert _wait_idle(server.url, 30) == {**server.service.queue.state(), "running": 0, "waiting": 0}
    assert time.monotonic() - left < 10  # generation stopped, not run to its end
    again = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION}, timeout=300)
    assert again.status_code == 200 and again.json()["answer"] == answers[0]["answer"]


def test_streamed_ask_events_end_with_the_verified_answer(server):
    with httpx.stream("POST", f"{server.url}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=300) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events, kind = [], None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "evidence" and kinds[-1] == "answer" and "token" in kinds
    evidence, answer = events[0][1], events[-1][1]
    assert evidence["passages"] and answer["citations"]
    draft = "".join(d["text"] for k, d in events if k == "token")
    assert draft.strip()  # the raw tokens came before the verified answer
