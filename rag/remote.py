"""Text generation by an OpenAI-compatible chat-completions server, over HTTP with httpx.

Any server that speaks ``POST {url}/chat/completions`` with ``stream: true`` (Server-Sent Events)
works: llama.cpp's ``llama-server``, llama-cpp-python's ``llama_cpp.server``, vLLM, Ollama, a hosted
API. The request samples as :class:`rag.generator.LlamaGenerator` does (temperature 0, llama.cpp's
``top_k`` 1, ``repeat_penalty`` 1.05, ``seed`` 0), so a llama.cpp server with the same GGUF file
gives the same answer; a server that rejects those llama.cpp fields (HTTP 400 naming one) gets
the request again once without them, and never again from this generator.

Only the URL the user gave is contacted: redirects are not followed (a 3xx is an error naming its
``Location``), and the tokenizer endpoints probed are on the same server (its root, the URL without
``/v1``). Connection failures are retried a bounded number of times with exponential backoff;
an HTTP error, a timeout after connecting, or a failure after the first piece is never retried
(the server may be working on it, or the caller has half an answer already). Every failure is a
:class:`rag.errors.RagError` with one line that says what to do.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from typing import Iterator, Sequence
from urllib.parse import urlsplit

import httpx

from .errors import ContextOverflowError, LLMAuthError, LLMServerError, LLMTimeoutError, LLMUnreachableError, SettingsError
from .generator import Message, YesNo, plain_messages
from .settings import FIELD_ENVIRONMENT, LLMSettings, Settings, llm_url_problem

__all__ = ["OpenAIGenerator"]

LLAMA_SAMPLING = {"top_k": 1, "repeat_penalty": 1.05, "seed": 0}
"""Sampling fields beyond the OpenAI API, as :meth:`LlamaGenerator.stream` uses them: llama.cpp servers
read them; a server that refuses unknown fields gets the request without them (temperature 0 is still greedy)."""

TOKEN_ESTIMATE_MARGIN = 1.25
"""Factor on tiktoken's cl100k count when the server offers no tokenizer. The models this targets
(Qwen, Llama, Mistral) split text into up to about a fifth more tokens than cl100k does (numbers,
non-English text), and underestimating lets a prompt through that the server then refuses."""

MESSAGE_OVERHEAD_TOKENS = 8
"""Tokens a chat template adds per message (role header, end marker; ChatML takes 5, Llama 3 takes 7),
counted once more for the header of the reply."""

JUDGE_TOP_LOGPROBS = 5
"""Alternatives asked for at the judge's one reply token (``top_logprobs``): "Yes" and "No" are among the
first few whenever the model follows the Yes/No instruction."""

ERROR_TEXT_CHARS = 200
"""The server's own error message is quoted up to this many characters: enough for its reason, one line."""

ERROR_BODY_BYTES = 64 << 10
"""At most this much of an error response is read: a real error body is a few hundred bytes."""

# The server says the prompt does not fit: llama-server "the request exceeds the available context size",
# llama-cpp-python "Requested tokens (N) exceed context window of M", vLLM and OpenAI "maximum context length".
_OVERFLOW = re.compile(r"context.{0,40}(?:exceed|length|size|window|too long)|exceed.{0,40}context|context_length", re.I | re.S)
# The server does not serve the model named: vLLM and OpenAI "The model `x` does not exist", Ollama
# 'model "x" not found', llama-cpp-python 400 model_not_found.
_UNKNOWN_MODEL = re.compile(r"model.{0,80}(?:not found|does not exist|unknown|no such)|model_not_found|unknown model",
                            re.I | re.S)
_TOKENIZERS = (("/tokenize", "content"), ("/extras/tokenize", "input"))
"""(path under the server's root, field of the text): llama-server, then llama-cpp-python's server."""


class OpenAIGenerator:
    """The Generator protocol (``id``, ``stream``, ``count_tokens``) against an OpenAI-compatible server."""

    def __init__(self, url: str, *, model: str | None = None, api_key: str | None = None,
                 timeout: float = LLMSettings.llm_timeout, retries: int = LLMSettings.llm_retries,
                 n_ctx: int = LLMSettings.n_ctx, api_key_env: str | None = None,
                 retry_delay: float = LLMSettings.llm_retry_delay,
                 connect_timeout: float = LLMSettings.llm_connect_timeout) -> None:
        problem = llm_url_problem(url)
        if problem:
            raise SettingsError(f"the LLM server URL (--llm-url or {FIELD_ENVIRONMENT['llm_url']}) {problem}")
        self.url = url.rstrip("/")
        self.root = self.url.removesuffix("/v1")
        self.where = urlsplit(self.url).netloc  # host:port, for messages and the id (no user info: refused above)
        self.model = model or None
        self.api_key = api_key
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.retry_delay = retry_delay
        self.n_ctx = n_ctx
        self.extra_sampling = dict(LLAMA_SAMPLING)
        self._tokenizer: tuple[str, str] | None | bool = False  # False: not probed yet; None: the server has none
        self.logprobs = True
        """Whether judge requests ask for ``logprobs`` (False once the server refused them)."""
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout, connect=min(connect_timeout, self.timeout)),
                                    follow_redirects=False, trust_env=False)  # no proxy or netrc from the environment

    @classmethod
    def from_settings(cls, settings: Settings) -> "OpenAIGenerator":
        return cls(settings.llm.llm_url, model=settings.llm.llm_model, api_key=settings.llm_api_key(),
                   timeout=settings.llm.llm_timeout, retries=settings.llm.llm_retries, n_ctx=settings.llm.n_ctx,
                   api_key_env=settings.llm.llm_api_key_env, retry_delay=settings.llm.llm_retry_delay,
                   connect_timeout=settings.llm.llm_connect_timeout)

    @property
    def id(self) -> str:
        """``openai:MODEL@HOST:PORT``; MODEL is ``auto`` until the server has been asked for its first model."""
        return f"openai:{self.model or 'auto'}@{self.where}"

    def close(self) -> None:
        self._client.close()

    # ---- generation -------------------------------------------------------------------
    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply piece by piece; closing the iterator closes the response, which stops the server."""
        sent = plain_messages(messages)
        self._check_fits(sent, max_tokens)
        response = self._open(sent, max_tokens)
        try:
            if response.headers.get("content-type", "").startswith("application/json"):
                yield from self._whole_reply(response)  # a server that ignored stream: true
            else:
                yield from self._pieces(response)
        finally:
            response.close()

    def _body(self, messages: list[Message], max_tokens: int) -> dict:
        return {"model": self.model_name(), "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
                "stream": True, **self.extra_sampling}

    def _open(self, messages: list[Message], max_tokens: int) -> httpx.Response:
        """The streaming response, after the one retry without llama.cpp's fields if the server refused them."""
        for _ in range(2):
            response = self._send("POST", f"{self.url}/chat/completions", self._body(messages, max_tokens), stream=True)
            if response.status_code < 300:
                return response
            text = _error_text(response)
            if self._refused_sampling(response.status_code, text):
                continue
            raise self._http_error(response, text, "chat/completions")
        raise self._http_error(response, text, "chat/completions")  # pragma: no cover - refused twice is caught above

    def _refused_sampling(self, status: int, text: str) -> bool:
        """Whether the server refused llama.cpp's sampling fields (HTTP 400 naming one of them); if so
        they are dropped: this server takes only the OpenAI fields, so they are never sent again."""
        if status == 400 and any(name in text.lower() for name in self.extra_sampling):
            self.extra_sampling = {}
            return True
        return False

    def _pieces(self, response: httpx.Response) -> Iterator[str]:
        """The text deltas of an SSE stream; an error if it breaks off before ``[DONE]`` or a finish reason."""
        yielded, finished = 0, False
        try:
            for data in _sse_data(response):
                if data.strip() == "[DONE]":
                    return
                chunk = self._parse(data)
                choices = chunk.get("choices") or [{}]
                choice = choices[0] if isinstance(choices[0], dict) else {}
                text = (choice.get("delta") or {}).get("content")
                if isinstance(text, str) and text:
                    yielded += 1
                    yield text
                finished = finished or bool(choice.get("finish_reason"))
        except httpx.TimeoutException:
            raise LLMTimeoutError(f"the LLM server at {self.where} sent nothing for {self.timeout:g} s in the middle of "
                                  f"the answer (after {yielded} pieces); it may be overloaded: try again, or raise "
                                  "the timeout: --set llm_timeout=SECONDS") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise LLMServerError(f"the LLM server at {self.where} cut the answer off after {yielded} pieces "
                                 f"({_describe(exc)}); check the server's log") from None
        if not finished:
            # llama-cpp-python's server has already answered 200 when the prompt overflows: it just ends the stream.
            hint = "; with no piece at all the prompt may exceed the server's context (set n_ctx to it: --set n_ctx=N)"
            raise LLMServerError(f"the LLM server at {self.where} ended the stream after {yielded} pieces without "
                                 f"[DONE] or a finish reason: the answer was cut off; check the server's log"
                                 f"{hint if not yielded else ''}")

    def _parse(self, data: str) -> dict:
        """One SSE event's JSON; an error event (some servers report failures in the stream) raises."""
        try:
            chunk = json.loads(data)
        except ValueError:
            raise LLMServerError(f"the LLM server at {self.where} sent a malformed stream: an event is not JSON "
                                 f"({_clip(data)!r}); is --llm-url an OpenAI-compatible API?") from None
        if not isinstance(chunk, dict):
            raise LLMServerError(f"the LLM server at {self.where} sent a malformed stream: an event is not a JSON "
                                 f"object ({_clip(data)!r})")
        if chunk.get("error"):
            message = _clip(_message_of(chunk))
            if _OVERFLOW.search(message):
                raise _server_overflow(self.where, message)
            raise LLMServerError(f"the LLM server at {self.where} failed mid-answer: {message}")
        return chunk

    def _whole_reply(self, response: httpx.Response) -> Iterator[str]:
        try:
            reply = json.loads(response.read())
            text = reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMServerError(f"the LLM server at {self.where} answered JSON that is not a chat completion") from None
        if isinstance(text, str) and text:
            yield text

    # ---- the judge (rag.judge) ---------------------------------------------------------
    def yes_no(self, messages: Sequence[Message]) -> YesNo:
        """The server's one-token reply to ``messages`` (a chat completion, ``max_tokens`` 1, greedy) and,
        when it returns ``logprobs``/``top_logprobs`` (llama_cpp.server, llama-server, vLLM, OpenAI do), the
        margin of "Yes" over "No" in log-probability. A server that gives none is read from the reply's text
        (``how`` "reply text": 1 or 0). A server that refuses the fields (HTTP 4xx/5xx naming logprobs) is
        asked again without them, and never again with them. Errors are those of :meth:`stream`."""
        sent = plain_messages(messages)
        for _ in range(3):
            body = self._body(sent, 1) | {"stream": False}
            if self.logprobs:
                body.update(logprobs=True, top_logprobs=JUDGE_TOP_LOGPROBS)
            response = self._send("POST", f"{self.url}/chat/completions", body)
            if response.status_code < 300:
                return self._yes_no_reply(response)
            text = _error_text(response)
            if response.status_code in (400, 422, 500) and self.logprobs and "logprob" in text.lower():
                self.logprobs = False
                continue
            if self._refused_sampling(response.status_code, text):
                continue
            raise self._http_error(response, text, "chat/completions")
        raise self._http_error(response, text, "chat/completions")

    def _yes_no_reply(self, response: httpx.Response) -> YesNo:
        try:
            choice = json.loads(response.read())["choices"][0]
            text = (choice.get("message") or {}).get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMServerError(f"the LLM server at {self.where} answered JSON that is not a chat completion") from None
        margin = _yes_no_margin(choice.get("logprobs"))
        return YesNo(margin, text, "reply text" if margin is None else "logprobs")

    # ---- the model --------------------------------------------------------------------
    def model_name(self) -> str:
        """The model given, else the first id of ``GET {url}/models`` (asked once)."""
        with self._lock:
            if self.model is None:
                self.model = self._first_model()
            return self.model

    def _first_model(self) -> str:
        response = self._send("GET", f"{self.url}/models")
        if response.status_code >= 300:
            raise self._http_error(response, _error_text(response), "models")
        try:
            models = json.loads(response.read())["data"]
            first = models[0]["id"] if models else None
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMServerError(f"{self.url}/models is not an OpenAI model list; name the model with --llm-model") from None
        if not isinstance(first, str) or not first:
            raise LLMServerError(f"the LLM server at {self.where} lists no models; load one, or name it with --llm-model")
        return first

    # ---- tokens -----------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``: the server's tokenizer when it has one, else tiktoken's count times a margin."""
        counted = self._server_count(text)
        if counted is not None:
            return counted
        from index.tokens import count_tokens

        return math.ceil(count_tokens(text) * TOKEN_ESTIMATE_MARGIN)

    def _server_count(self, text: str) -> int | None:
        with self._lock:
            if self._tokenizer is False:  # probe once; a failure to connect leaves it to the next call
                for path, field in _TOKENIZERS:
                    counted = self._tokenize(path, field, text)
                    if counted is not None:
                        self._tokenizer = (path, field)
                        return counted
                self._tokenizer = None  # this server has no tokenizer: estimate from now on
            tokenizer = self._tokenizer
        return self._tokenize(*tokenizer, text) if tokenizer else None

    def _tokenize(self, path: str, field: str, text: str) -> int | None:
        """How many tokens the endpoint counts, or None when it is not a tokenizer (any answer but a token list)."""
        response = self._send("POST", f"{self.root}{path}", {field: text})
        try:
            tokens = json.loads(response.read()).get("tokens") if response.status_code == 200 else None
        except (ValueError, AttributeError):
            tokens = None
        finally:
            response.close()
        return len(tokens) if isinstance(tokens, list) else None

    def _check_fits(self, messages: list[Message], max_tokens: int) -> None:
        """Refuse, before sending, a prompt that with the longest answer would not fit ``n_ctx``."""
        text = "\n".join(str(m.get("content") or "") for m in messages)
        prompt = self.count_tokens(text) + MESSAGE_OVERHEAD_TOKENS * (len(messages) + 1)
        if prompt + max_tokens > self.n_ctx:
            how = "counted by the server" if self._tokenizer else "estimated"
            raise ContextOverflowError(
                f"the prompt ({prompt} tokens, {how}) and the answer (up to {max_tokens}) do not fit the "
                f"{self.n_ctx}-token context; shorten the question, ask with fewer passages (--k) or a smaller "
                "--context-tokens, or start a new conversation (--set n_ctx=N if the server's context is larger)")

    # ---- HTTP -------------------------------------------------------------------------
    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _send(self, method: str, url: str, body: dict | None = None, stream: bool = False) -> httpx.Response:
        """The response (status not checked); connection failures retried with backoff, nothing else."""
        request = self._client.build_request(method, url, json=body, headers=self._headers())
        for attempt in range(self.retries + 1):
            try:
                response = self._client.send(request, stream=True)
                if not stream and response.status_code < 300:
                    response.read()
                return response
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc
                if attempt < self.retries:
                    time.sleep(self.retry_delay * 2 ** attempt)
            except httpx.TimeoutException:
                raise LLMTimeoutError(
                    f"the LLM server at {self.where} accepted the request but sent nothing for {self.timeout:g} s; "
                    "it may be busy or stuck: check it, or raise the timeout: --set llm_timeout=SECONDS") from None
            except httpx.HTTPError as exc:
                raise LLMServerError(f"the LLM server at {self.where} broke off the request ({_describe(exc)}); "
                                     "check the server's log") from None
        attempts = self.retries + 1
        raise LLMUnreachableError(
            f"cannot reach the LLM server at {self.where} ({_describe(failure)}, {attempts} attempt"
            f"{'s' if attempts > 1 else ''}); start it, or check --llm-url (or {FIELD_ENVIRONMENT['llm_url']})")

    def _http_error(self, response: httpx.Response, text: str, endpoint: str) -> Exception:
        """The RagError for an HTTP status of 300 or more (``text``: the server's message)."""
        status = response.status_code
        quoted = f"HTTP {status}" + (f": {text}" if text else "")
        if 300 <= status < 400:
            location = _clip(response.headers.get("location", "(no Location)"))
            return LLMServerError(f"the LLM server at {self.where} redirects {endpoint} to {location} ({quoted}); "
                                  "redirects are not followed: give that URL as --llm-url if you trust it")
        if status in (401, 403):
            if self.api_key:
                source = f"${self.api_key_env}" if self.api_key_env else "the key given"
                return LLMAuthError(f"the LLM server at {self.where} rejected the API key in {source} ({quoted}); "
                                    "check the key, or whether this server wants one at all")
            return LLMAuthError(f"the LLM server at {self.where} needs an API key ({quoted}); put it in an environment "
                                f"variable and name that with --llm-api-key-env VAR (or {FIELD_ENVIRONMENT['llm_api_key_env']})")
        if status in (400, 413, 422) and _OVERFLOW.search(text):
            return _server_overflow(self.where, quoted)
        if status in (400, 404) and _UNKNOWN_MODEL.search(text):
            return LLMServerError(f"the LLM server at {self.where} does not know the model {self.model!r} ({quoted}); "
                                  f"see {self.url}/models, or leave out --llm-model to use the server's first model")
        if status == 404:
            return LLMServerError(f"the LLM server at {self.where} has no {urlsplit(self.url).path}/{endpoint} "
                                  f"({quoted}); --llm-url should be the API base, e.g. http://127.0.0.1:8080/v1")
        return LLMServerError(f"the LLM server at {self.where} answered {quoted}")


def _yes_no_margin(logprobs) -> float | None:
    """log P("Yes") - log P("No") at the first reply token of a chat completion's ``logprobs``
    (``{"content": [{"token", "logprob", "top_logprobs": [...]}]}``); a word missing from the
    alternatives counts as likely as the least likely one listed (a bound). None without both bounds."""
    try:
        first = logprobs["content"][0]
        listed = [(str(t["token"]), float(t["logprob"])) for t in first.get("top_logprobs") or []]
        listed.append((str(first["token"]), float(first["logprob"])))
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    best: dict[str, float] = {}
    for token, logprob in listed:
        word = token.strip().lower()
        if word in ("yes", "no"):
            best[word] = max(logprob, best.get(word, -math.inf))
    if not best:
        return None
    floor = min(logprob for _, logprob in listed)
    return best.get("yes", floor) - best.get("no", floor)


def _sse_data(response: httpx.Response) -> Iterator[str]:
    """The data of each Server-Sent Event (``data:`` lines joined; comments and other fields skipped)."""
    lines: list[str] = []
    for line in response.iter_lines():
        if not line:
            if lines:
                yield "\n".join(lines)
                lines = []
        elif line.startswith("data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(" ") else value)
    if lines:  # a last event without its blank line
        yield "\n".join(lines)


def _server_overflow(where: str, message: str) -> ContextOverflowError:
    return ContextOverflowError(f"the LLM server at {where} says the prompt does not fit its context ({message}); "
                                "shorten the question, ask with fewer passages (--k) or a smaller --context-tokens, "
                                "or start a new conversation")


def _error_text(response: httpx.Response) -> str:
    """The server's own message from an error response (JSON ``error.message``, ``detail``, ... or its text), one line."""
    body = b""
    try:
        for block in response.iter_bytes():
            body += block
            if len(body) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    finally:
        response.close()
    raw = body[:ERROR_BODY_BYTES].decode("utf-8", "replace")
    try:
        return _clip(_message_of(json.loads(raw)))
    except ValueError:
        return _clip(raw)


def _message_of(data) -> str:
    """The human part of an error object: OpenAI ``{"error": {"message"}}``, ``{"error": "..."}``, FastAPI ``detail``."""
    if isinstance(data, dict):
        for key in ("error", "detail", "message"):
            if data.get(key):
                return _message_of(data[key])
    if isinstance(data, list) and data:
        return "; ".join(_message_of(item) for item in data[:3])
    return data if isinstance(data, str) else json.dumps(data)


def _clip(text: str) -> str:
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= ERROR_TEXT_CHARS else one_line[:ERROR_TEXT_CHARS - 3] + "..."


def _describe(exc: BaseException) -> str:
    return _clip(str(exc) or type(exc).__name__)
