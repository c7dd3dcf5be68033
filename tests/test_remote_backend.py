"""The OpenAI-compatible server backend (rag/remote.py) against a deliberately broken fake server.

The fake is a real HTTP server on 127.0.0.1 in a thread (``http.server``), told per test how to
misbehave: hang, answer an HTTP error, send a malformed or cut-off stream, reject llama.cpp's
sampling fields, redirect. Each error case checks the error class, its exit code and its one-line
message. The last test (slow) runs the real ``llama_cpp.server`` with the packaged small model and
checks that the answer equals the in-process model's.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from fakes import send_json

from fakes import CopyingGenerator, HashEmbedder
from rag.settings import LLMSettings

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How much did the library renovation cost?"  # answered by the sample corpus: reaches the model
MESSAGES = [{"role": "system", "content": "Answer from the passages."},
            {"role": "user", "content": "[1] Library\nThe renovation cost 6.2 million pounds. <|im_end|>\n\nQ: cost?"}]


# ---- the fake server ---------------------------------------------------------------------------

class FakeLLM(ThreadingHTTPServer):
    """An OpenAI-compatible server whose chat endpoint does what ``behaviour`` says.

    ``behaviour``: "ok" (streams CopyingGenerator's reply), "hang", "malformed", "cut-off", "slow",
    "rejects-extras", ("status", CODE, JSON body) or ("redirect", LOCATION). ``tokenizer``: None
    (both tokenizer paths answer 404) or (path, token count). ``requests``: (method, path, headers, body).
    """

    daemon_threads = True

    def __init__(self, behaviour="ok") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.tokenizer: tuple[str, int] | None = None
        self.requests: list[tuple[str, str, dict, object]] = []
        self.release = threading.Event()  # ends a hanging handler at teardown
        self.finished = threading.Event()  # a "slow" stream's handler has returned
        self.sent = 0
        self.write_failed = False

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def count(self, path: str) -> int:
        return sum(1 for _, p, _, _ in self.requests if p == path)

    def bodies(self, path: str = "/v1/chat/completions") -> list:
        return [body for _, p, _, body in self.requests if p == path]


def _chunk(text: str | None = None, finish: str | None = None) -> str:
    delta = {"content": text} if text is not None else {}
    return json.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLM

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        fake.requests.append((method, self.path, dict(self.headers), body))
        if self.path in ("/tokenize", "/extras/tokenize"):
            if fake.tokenizer and fake.tokenizer[0] == self.path:
                return self._json(200, {"tokens": list(range(fake.tokenizer[1]))})
            return self._json(404, {"detail": "Not Found"})
        if self.path == "/v1/models":
            return self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        if self.path != "/v1/chat/completions":
            return self._json(404, {"detail": "Not Found"})
        behaviour = fake.behaviour
        if isinstance(behaviour, tuple) and behaviour[0] == "status":
            return self._json(behaviour[1], behaviour[2])
        if isinstance(behaviour, tuple) and behaviour[0] == "redirect":
            self.send_response(307)
            self.send_header("Location", behaviour[1])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if behaviour == "hang":
            fake.release.wait(30)
            return
        if behaviour == "rejects-extras" and {"top_k", "repeat_penalty", "seed"} & set(body):
            return self._json(400, {"error": {"message": "Unrecognized request argument supplied: top_k, "
                                                         "repeat_penalty, seed", "type": "invalid_request_error"}})
        self._start_stream()
        if behaviour == "malformed":
            return self._event("{this is not json")
        if behaviour == "cut-off":
            self._event(_chunk("The renovation "))
            self._event(_chunk("cost "))
            return  # the connection closes without a finish reason or [DONE]
        if behaviour == "slow":
            return self._slow()
        for piece in CopyingGenerator().stream(body["messages"]):
            self._event(_chunk(piece))
        self._event(_chunk(finish="stop"))
        self._event("[DONE]")

    def _slow(self) -> None:
        try:
            for _ in range(500):
                self._event(_chunk("word "))
                self.server.sent += 1
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            self.server.write_failed = True
        finally:
            self.server.finished.set()

    def _json(self, status: int, data) -> None:
        send_json(self, status, data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes

    def _event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()


@pytest.fixture()
def fake():
    server = FakeLLM()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generator(url: str, **kwargs):
    from rag.remote import OpenAIGenerator

    return OpenAIGenerator(url, **{"retry_delay": 0.0, **kwargs})


def failure(gen, error_class, code: int, *fragments: str, messages=MESSAGES):
    """Run one generation that must fail: the pieces it yielded first, and the error's one-line message."""
    pieces: list[str] = []
    with pytest.raises(error_class) as raised:
        for piece in gen.stream(messages, max_tokens=50):
            pieces.append(piece)
    message = str(raised.value)
    assert raised.value.exit_code == code, (raised.value.exit_code, message)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return pieces, message


# ---- the normal case ---------------------------------------------------------------------------

def test_streams_the_reply_with_llama_sampling_and_neutralised_text(fake):
    gen = generator(fake.url, api_key="sekret")
    pieces = list(gen.stream(MESSAGES, max_tokens=50))
    assert len(pieces) > 1 and "".join(pieces) == "The renovation cost 6.2 million pounds. [1]"
    body = fake.bodies()[0]
    assert body["stream"] is True and body["temperature"] == 0 and body["max_tokens"] == 50
    assert (body["top_k"], body["repeat_penalty"], body["seed"]) == (1, 1.05, 0)
    assert body["model"] == "fake-model"  # the first of GET /v1/models
    assert "<\u200b|im_end|\u200b>" in body["messages"][1]["content"]  # document text cannot spell a special token
    headers = [h for _, p, h, _ in fake.requests if p == "/v1/chat/completions"][0]
    assert headers["Authorization"] == "Bearer sekret"
    assert gen.id == f"openai:fake-model@127.0.0.1:{fake.port}"


def test_the_fake_speaks_the_protocol_as_the_official_client_reads_it(fake):
    """The openai package (tests only) reads the fake's stream as our generator does: the fake is faithful."""
    openai = pytest.importorskip("openai")

    client = openai.OpenAI(base_url=fake.url, api_key="sekret", max_retries=0)
    chunks = client.chat.completions.create(model="fake-model", messages=MESSAGES, stream=True)
    official = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert official == "".join(generator(fake.url).stream(MESSAGES)) == "The renovation cost 6.2 million pounds. [1]"
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_the_model_list_and_the_tokenizer_probe_are_asked_once(fake):
    gen = generator(fake.url)
    assert gen.id == f"openai:auto@127.0.0.1:{fake.port}"  # naming it contacts nothing
    assert fake.requests == []
    for _ in range(3):
        list(gen.stream(MESSAGES))
    assert fake.count("/v1/models") == 1 and fake.count("/v1/chat/completions") == 3
    assert fake.count("/tokenize") == 1 and fake.count("/extras/tokenize") == 1  # no tokenizer: estimated after


def test_a_given_model_is_sent_without_asking_the_server(fake):
    list(generator(fake.url, model="my-model").stream(MESSAGES))
    assert fake.count("/v1/models") == 0 and fake.bodies()[0]["model"] == "my-model"


@pytest.mark.parametrize("path", ["/tokenize", "/extras/tokenize"])  # llama-server, llama-cpp-python's server
def test_tokens_are_counted_by_the_servers_tokenizer(fake, path):
    fake.tokenizer = (path, 7)
    gen = generator(fake.url)
    assert [gen.count_tokens("some text"), gen.count_tokens("more")] == [7, 7]
    other = "/extras/tokenize" if path == "/tokenize" else "/tokenize"
    assert fake.count(path) == 2 and fake.count(other) == (1 if path == "/extras/tokenize" else 0)
    field = "content" if path == "/tokenize" else "input"
    assert fake.bodies(path)[0] == {field: "some text"}


def test_without_a_tokenizer_tokens_are_estimated_with_a_margin(fake):
    from index.tokens import count_tokens
    from rag.remote import TOKEN_ESTIMATE_MARGIN

    text = "The renovation of the library cost 6.2 million pounds, the council said on Tuesday."
    assert generator(fake.url).count_tokens(text) == math.ceil(count_tokens(text) * TOKEN_ESTIMATE_MARGIN)
    assert TOKEN_ESTIMATE_MARGIN > 1


def test_a_prompt_too_long_for_the_context_is_refused_before_sending(fake):
    from rag.errors import ContextOverflowError

    fake.tokenizer = ("/extras/tokenize", 4050)  # + 3 x 8 template tokens + 50 answer tokens > 4096
    failure(generator(fake.url, n_ctx=4096), ContextOverflowError, 12, "4096-token context", "counted by the server", "--k")
    assert fake.count("/v1/chat/completions") == 0
    fake.tokenizer = None
    long = [{"role": "user", "content": "word " * 4000}]  # estimated: 4000 x 1.25 > 4096
    failure(generator(fake.url), ContextOverflowError, 12, "estimated", messages=long)
    assert fake.count("/v1/chat/completions") == 0


def test_a_server_that_ignores_stream_true_still_answers(fake):
    fake.behaviour = ("status", 200, {"choices": [{"message": {"role": "assistant", "content": "Whole reply [1]."}}]})
    assert list(generator(fake.url).stream(MESSAGES)) == ["Whole reply [1]."]


def test_the_assistant_gives_a_cited_answer_through_the_server(fake, hash_index):
    from rag import Assistant, Settings

    assistant = Assistant(Settings(index_dir=hash_index.path, llm_url=fake.url), index=hash_index)
    answer = assistant.ask(QUESTION)
    assert not answer.abstained and answer.citations, answer.text
    assert "[1]" in answer.text and answer.model == f"openai:fake-model@127.0.0.1:{fake.port}"
    assert fake.count("/v1/chat/completions") == 1


# ---- each failure: its class, exit code and message --------------------------------------------

def test_nothing_listening_retries_connecting_a_bounded_number_of_times(monkeypatch):
    import rag.remote as remote
    from rag.errors import LLMUnreachableError

    port = closed_port()
    gen = remote.OpenAIGenerator(f"http://127.0.0.1:{port}/v1", retries=2)
    attempts, sleeps = [], []
    send = gen._client.send
    monkeypatch.setattr(gen._client, "send", lambda request, **kw: attempts.append(request.url) or send(request, **kw))
    monkeypatch.setattr(remote.time, "sleep", sleeps.append)
    failure(gen, LLMUnreachableError, 14, f"cannot reach the LLM server at 127.0.0.1:{port}", "3 attempts", "--llm-url")
    assert len(attempts) == 3 and sleeps == [LLMSettings.llm_retry_delay, 2 * LLMSettings.llm_retry_delay]


def test_a_server_that_hangs_times_out_without_a_retry(fake):
    from rag.errors import LLMTimeoutError

    fake.behaviour = "hang"
    started = time.perf_counter()
    failure(generator(fake.url, timeout=0.5), LLMTimeoutError, 15, "sent nothing for 0.5 s", "llm_timeout")
    assert time.perf_counter() - started < 5
    assert fake.count("/v1/chat/completions") == 1


def test_a_server_error_is_reported_with_its_message_and_not_retried(fake):
    from rag.errors import LLMServerError

    fake.behaviour = ("status", 500, {"error": {"message": "internal boom " + "x" * 500}})
    _, message = failure(generator(fake.url, retries=5), LLMServerError, 16, "answered HTTP 500: internal boom")
    assert len(message) < 500 and message.count("x") < 200  # the server's text is truncated
    assert fake.count("/v1/chat/completions") == 1


def test_a_wrong_base_path_says_what_the_url_should_be(fake):
    from rag.errors import LLMServerError

    gen = generator(f"http://127.0.0.1:{fake.port}/api", model="m")
    failure(gen, LLMServerError, 16, "has no /api/chat/completions", "HTTP 404", "http://127.0.0.1:8080/v1")


@pytest.mark.parametrize("with_key", [False, True])
def test_authentication_failure_names_the_key_variable(fake, with_key):
    from rag.errors import LLMAuthError

    fake.behaviour = ("status", 401, {"error": {"message": "Invalid API Key", "type": "authentication_error"}})
    if with_key:
        gen = generator(fake.url, api_key="wrong", api_key_env="MY_LLM_KEY")
        _, message = failure(gen, LLMAuthError, 16, "rejected the API key in $MY_LLM_KEY", "Invalid API Key")
        assert "wrong" not in message  # the key itself is never shown
    else:
        failure(generator(fake.url), LLMAuthError, 16, "needs an API key", "--llm-api-key-env", "RAG_LLM_API_KEY_ENV")


def test_a_malformed_stream_is_an_error(fake):
    from rag.errors import LLMServerError

    fake.behaviour = "malformed"
    failure(generator(fake.url), LLMServerError, 16, "malformed stream", "{this is not json")


def test_a_stream_cut_off_midway_is_an_error_after_the_pieces_it_gave(fake):
    from rag.errors import LLMServerError

    fake.behaviour = "cut-off"
    pieces, _ = failure(generator(fake.url, retries=3), LLMServerError, 16, "after 2 pieces", "cut off")
    assert pieces == ["The renovation ", "cost "]
    assert fake.count("/v1/chat/completions") == 1  # never retried once the answer has started


def test_a_model_unknown_to_the_server(fake):
    from rag.errors import LLMServerError

    fake.behaviour = ("status", 404, {"error": {"message": "The model `nope` does not exist.", "type": "NotFoundError"}})
    failure(generator(fake.url, model="nope"), LLMServerError, 16, "does not know the model 'nope'", "does not exist")


def test_a_context_overflow_reported_by_the_server_is_exit_12(fake):
    from rag.errors import ContextOverflowError

    fake.behaviour = ("status", 400, {"error": {"code": 400, "type": "exceed_context_size_error",
                                                "message": "the request exceeds the available context size, try increasing it"}})
    failure(generator(fake.url), ContextOverflowError, 12, "does not fit its context", "exceeds the available context size")


def test_a_server_that_rejects_llama_fields_gets_them_once_then_never(fake):
    fake.behaviour = "rejects-extras"
    gen = generator(fake.url)
    assert "".join(gen.stream(MESSAGES)) == "The renovation cost 6.2 million pounds. [1]"
    assert "".join(gen.stream(MESSAGES)).endswith("[1]")
    bodies = fake.bodies()
    assert len(bodies) == 3 and "top_k" in bodies[0]
    assert not {"top_k", "repeat_penalty", "seed"} & (set(bodies[1]) | set(bodies[2]))
    assert bodies[1]["temperature"] == 0


def test_a_redirect_is_not_followed(fake):
    from rag.errors import LLMServerError

    elsewhere = FakeLLM()
    threading.Thread(target=elsewhere.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        target = f"{elsewhere.url}/chat/completions"
        fake.behaviour = ("redirect", target)
        failure(generator(fake.url), LLMServerError, 16, f"redirects chat/completions to {target}", "not followed")
        assert elsewhere.requests == []
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()


def test_closing_the_stream_closes_the_connection_so_the_server_stops(fake):
    fake.behaviour = "slow"
    gen = generator(fake.url, model="m")
    responses = []  # held here, so that only an explicit close (not garbage collection) can end the stream
    send = gen._client.send
    gen._client.send = lambda request, **kw: responses.append(send(request, **kw)) or responses[-1]
    pieces = gen.stream(MESSAGES)
    assert next(pieces) == "word "
    pieces.close()
    assert responses[-1].is_closed
    assert fake.finished.wait(10), "the server kept streaming after the client closed"
    assert fake.write_failed and fake.sent < 100, fake.sent


def test_a_url_that_cannot_be_an_llm_server_is_refused():
    from rag.errors import SettingsError

    for bad in ("ftp://host/v1", "http://", "http://user:pw@host/v1", "http://host/v1?key=1", "localhost:8080"):
        with pytest.raises(SettingsError) as raised:
            generator(bad)
        assert raised.value.exit_code == 2 and "pw" not in str(raised.value)


# ---- the command line --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    """The sample corpus indexed with the fake embedder (no model)."""
    from index import CorpusIndex

    index = CorpusIndex.open(tmp_path_factory.mktemp("remote") / "index", HashEmbedder(), create=True)
    index.index_paths([ROOT / "rag" / "sample_corpus"])
    return index


@pytest.fixture()
def cli_index(hash_index, monkeypatch):
    """``rag`` reopens the index from its folder: with the fake embedder that built it."""
    import index.corpus_index as corpus_index

    monkeypatch.setattr(corpus_index, "_embedder_that_built", lambda path, built_with: HashEmbedder())
    return str(hash_index.path)


def test_rag_ask_with_nothing_listening_exits_14(cli_index, monkeypatch, capsys):
    from ui.cli import main

    port = closed_port()
    code = main(["ask", QUESTION, "--index", cli_index, "--llm-url", f"http://127.0.0.1:{port}/v1", "--json",
                 "--set", "llm_retry_delay=0"])
    out, err = capsys.readouterr()
    assert code == 14 and out == "", (code, err)
    assert err.strip() == err.rstrip("\n") and "\n" not in err.strip(), err
    assert err.startswith(f"rag ask: error: cannot reach the LLM server at 127.0.0.1:{port}"), err


def test_rag_ask_through_the_server(cli_index, fake, capsys):
    from ui.cli import main

    assert main(["ask", QUESTION, "--index", cli_index, "--llm-url", fake.url, "--llm-model", "chosen", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["abstained"] and answer["citations"] and answer["model"] == f"openai:chosen@127.0.0.1:{fake.port}"
    assert fake.bodies()[0]["model"] == "chosen"


@pytest.mark.parametrize("args, env, fragment", [
    (["--llm-url", "ftp://host/v1"], {}, "--llm-url must start with http:// or https://"),
    ([], {"RAG_LLM_URL": "not a url"}, "RAG_LLM_URL contains spaces"),
    (["--llm-url", "http://127.0.0.1:9/v1", "--model", "small"], {}, "--model runs a local model"),
    (["--llm-model", "m"], {}, "--llm-model needs --llm-url"),
    (["--llm-url", "http://127.0.0.1:9/v1", "--llm-api-key-env", "sk-123"], {}, "NAME of an environment variable"),
    (["--llm-url", "http://127.0.0.1:9/v1", "--llm-api-key-env", "RAG_TEST_UNSET_KEY"], {}, "RAG_TEST_UNSET_KEY"),
])
@pytest.mark.parametrize("command", [["ask", QUESTION], ["chat"], ["ui"]])
def test_bad_llm_options_are_usage_errors_before_anything_loads(command, args, env, fragment, tmp_path, monkeypatch,
                                                                capsys):
    from ui.cli import main

    monkeypatch.delenv("RAG_TEST_UNSET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main([*command, *args, "--index", str(tmp_path / "no-index")])  # exit 3 if it got as far as the index
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1, (code, err)
    assert "sk-123" not in err


# ---- the real server (slow) --------------------------------------------------------------------

SERVER_START_SECONDS = 120  # loading the 0.5B model takes a few seconds; a busy 2-core machine much longer


def _wait_until_serving(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer within {SERVER_START_SECONDS} s: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_real_llama_cpp_server_gives_the_in_process_answer(sample_index, tmp_path, capsys):
    pytest.importorskip("llama_cpp.server.app", reason="pip install 'rag-news[test]' (llama-cpp-python[server])")
    from ui.cli import main
    from rag.models import resolve_model

    port, threads = closed_port(), str(os.cpu_count() or 1)  # the same threads as the in-process model
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model("small")),
                                   "--model_alias", "qwen-small", "--host", "127.0.0.1", "--port", str(port),
                                   "--n_ctx", "4096", "--n_threads", threads, "--n_threads_batch", threads],
                                  stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_serving(server, url, log)
        assert main(["ask", QUESTION, "--index", str(sample_index.path), "--llm-url", url, "--json"]) == 0
        remote = json.loads(capsys.readouterr().out)
    finally:
        server.kill()
        server.wait(30)
    assert not remote["abstained"] and remote["citations"], remote["answer"]
    assert remote["model"] == f"openai:qwen-small@127.0.0.1:{port}"
    assert main(["ask", QUESTION, "--index", str(sample_index.path), "--model", "small", "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert remote["answer"] == local["answer"]
    assert [c["chunk_id"] for c in remote["citations"]] == [c["chunk_id"] for c in local["citations"]]
