"""Small hand-written fakes shared by fast unit tests (integration tests use the real models)."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading

import numpy as np


class HashEmbedder:
    """Bag of words hashed into ``dim`` dimensions: deterministic, instant, good enough to rank toy corpora.

    ``texts`` counts what was embedded, for tests that check no work is repeated.
    """

    def __init__(self, id: str = "hashing-64", dim: int = 64) -> None:
        self.id = id
        self.dim = dim
        self.texts = 0

    def embed(self, texts):
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)



class KillOnceEmbedder(HashEmbedder):
    """A :class:`HashEmbedder` whose first call anywhere kills its own process (SIGKILL), once.

    ``marker`` is a file that the dying call creates first, so among several processes (a
    cluster's workers, and the same worker restarted) exactly one call dies: a worker killed
    in the middle of a task. Every other call embeds as :class:`HashEmbedder` does.
    """

    def __init__(self, marker, id: str = "hashing-64", dim: int = 64) -> None:
        super().__init__(id, dim)
        self.marker = str(marker)

    def embed(self, texts):
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().embed(texts)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable: the process is gone")

class CopyingGenerator:
    """A fake LLM that answers with the first sentence of passage [1] of its prompt, cited ``[1]``.

    A prompt without numbered passages (e.g. a follow-up rewrite) gets ``reply`` (default: the
    last user message's final line). ``prompts`` counts the calls.
    """

    id = "copying"

    def __init__(self, reply: str | None = None) -> None:
        self.reply = reply
        self.prompts = 0

    def stream(self, messages, max_tokens=256):
        self.prompts += 1
        content = messages[-1]["content"] if messages else ""
        found = re.search(r"^\[1\] [^\n]*\n([^\n]+)", content, re.M)
        if self.reply is not None:
            text = self.reply
        elif found:
            text = re.split(r"(?<=[.!?])\s", found.group(1).strip(), maxsplit=1)[0] + " [1]"
        else:
            text = content.strip().splitlines()[-1] if content.strip() else ""
        for word in re.findall(r"\S+\s*", text):
            yield word


class GatedGenerator(CopyingGenerator):
    """A :class:`CopyingGenerator` that waits for ``gate`` (a ``threading.Event``) before its first word:
    a generation that stays busy until the test lets it go (queueing, time limits, cancellation).

    ``started`` is set when a generation reaches the gate; ``closed`` counts generations whose iterator
    was closed before their last word (GeneratorExit: the consumer stopped them), ``finished`` those
    that gave every word. The wait is bounded by ``timeout_s`` so a failing test cannot hang.
    """

    id = "gated"

    def __init__(self, reply: str | None = None, timeout_s: float = 30.0) -> None:
        super().__init__(reply)
        self.timeout_s = timeout_s
        self.reset()

    def reset(self) -> None:
        """Close the gate and forget earlier generations."""
        self.gate = threading.Event()
        self.started = threading.Event()
        self.prompts = self.closed = self.finished = 0

    def stream(self, messages, max_tokens=256):
        words = list(super().stream(messages, max_tokens))  # counts the prompt
        self.started.set()
        self.gate.wait(self.timeout_s)
        try:
            for word in words:
                yield word
        except GeneratorExit:
            self.closed += 1
            raise
        self.finished += 1


class ScriptedGenerator:
    """A fake LLM that gives a scripted reply and records every prompt it is sent.

    ``reply``: the text of every answer; or ``replies``: {key: reply}, the first whose key occurs in the
    last message wins, else ``default``. The reply comes word by word, as a model streams. ``sent``
    holds the messages of every call, in order (an empty list: the model was never asked).
    """

    id = "scripted"

    def __init__(self, reply: str | None = None, *, replies: dict[str, str] | None = None,
                 default: str = "The documents do not answer this.") -> None:
        self.reply, self.replies, self.default = reply, dict(replies or {}), default
        self.sent: list[list[dict]] = []

    @property
    def last_prompt(self) -> str:
        """The last message of the latest call (the question and its passages, or the rewrite request)."""
        return self.sent[-1][-1]["content"]

    def stream(self, messages, max_tokens=256):
        self.sent.append([dict(m) for m in messages])
        prompt = messages[-1]["content"] if messages else ""
        text = self.reply if self.reply is not None else next(
            (reply for key, reply in self.replies.items() if key in prompt), self.default)
        words = text.split(" ")
        yield from words[:1] + [" " + w for w in words[1:]]


class ScriptedStream:
    """An answer stream (``rag.AnswerStream``'s surface the UI uses) that gives scripted pieces, then ``final``.

    ``given`` lists the pieces handed out so far; ``cancelled`` is set by :meth:`cancel` and ends the pieces.
    """

    def __init__(self, question: str, passages, pieces, final) -> None:
        self.question = self.standalone_question = question
        self.passages = tuple(passages)
        self.abstain_reason = None
        self.pieces, self.final = list(pieces), final
        self.given: list[str] = []
        self.cancelled = threading.Event()

    @property
    def text(self) -> str:
        return "".join(self.given)

    def cancel(self) -> None:
        self.cancelled.set()

    def __iter__(self):
        for piece in self.pieces:
            if self.cancelled.is_set():
                break
            self.given.append(piece)
            yield piece

    @property
    def answer(self):
        return self.final


class StreamingAssistant:
    """An Assistant stand-in for UI handlers: its conversations answer with ``make_stream(question)``
    (e.g. a :class:`ScriptedStream`); ``conversations`` lists those it started."""

    def __init__(self, make_stream) -> None:
        self.make_stream = make_stream
        self.conversations: list[ScriptedConversation] = []

    def conversation(self):
        self.conversations.append(ScriptedConversation(self))
        return self.conversations[-1]


class ScriptedConversation:
    """``rag.Conversation``'s surface the UI uses; ``resets`` counts :meth:`reset` calls."""

    def __init__(self, assistant: StreamingAssistant) -> None:
        self.assistant = assistant
        self.resets = 0

    def stream(self, question, **kwargs):
        return self.assistant.make_stream(question)

    def reset(self) -> None:
        self.resets += 1


def send_json(handler, status: int, data) -> None:
    """Reply from a fake HTTP server's request handler (``BaseHTTPRequestHandler``) with a JSON body."""
    import json

    raw = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)
