"""The OpenAI chat-completions shapes of ``rag serve``: a message history in, a cited answer out.

What maps to what:
- the ``user``/``assistant`` messages before the last become the conversation's turns, so a
  follow-up is resolved exactly as in ``rag chat`` (the references block this server appended
  to its own earlier replies is cut off first, and the dates it names anchor "the month before");
- ``system`` and ``developer`` messages are ignored: the product's own prompt decides how
  answers are written, and a client cannot switch off "answer only from the documents";
- ``temperature``, ``max_tokens`` and other sampling fields are accepted and ignored: answers
  are generated at temperature 0 with the server's settings, so a question gets one answer;
- the reply's ``content`` is the verified answer with ``[n]`` markers followed by its references
  (:meth:`rag.Answer.with_references`); the structured answer, ``rag ask --json``'s object, is
  the extra field ``rag`` of the response (and of the final chunk of a stream).

A stream sends the *verified* answer, after verification: the raw draft may hold sentences that
verification removes, and a client concatenates every delta it gets, so the draft is never
sent as content. While the model works, SSE comment lines keep the connection alive.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Iterable

__all__ = ["ChatHistoryError", "completion", "completion_chunk", "split_history", "message_text", "words"]

_REFERENCES = re.compile(r"\n\n(?:\[1\] |Left out of the answer, not supported)", re.S)
_REFERENCE_LINE = re.compile(r"^\[\d+\] .*?, (\d{4}-\d{2}-\d{2})(?:, p\. \d+)? - ", re.M)


class ChatHistoryError(ValueError):
    """A message list this server cannot answer (400): the message says what is wrong."""


def message_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and part.get("type") != "text":
                raise ChatHistoryError(f"content parts of type {part.get('type')!r} are not supported; send text")
        return "\n".join(parts)
    raise ChatHistoryError("a message's content must be a string or a list of text parts")


def _answer_of_reply(content: str) -> tuple[str, list[dict]]:
    """An earlier reply of this server without its references block, and the dates its references name."""
    found = _REFERENCES.search(content)
    body = content[: found.start()] if found else content
    dates = [{"date": d} for d in _REFERENCE_LINE.findall(content[found.start():] if found else "")]
    return body.strip(), dates


def split_history(messages: Iterable[dict]) -> tuple[list[tuple[str, str, list[dict]]], str]:
    """``(turns, question)``: each earlier (question, answer, cited dates), and the last user message."""
    turns: list[tuple[str, str, list[dict]]] = []
    pending: str | None = None
    spoken = [(m.get("role"), message_text(m.get("content"))) for m in messages]
    spoken = [(role, text) for role, text in spoken if role in ("user", "assistant")]
    if not spoken or spoken[-1][0] != "user":
        raise ChatHistoryError("the last message must be the user's question")
    question = spoken.pop()[1].strip()
    if not question:
        raise ChatHistoryError("the question (the last user message) is empty")
    for role, text in spoken:
        if role == "user":
            pending = text.strip() or pending
        elif pending is not None:
            answer, dates = _answer_of_reply(text)
            turns.append((pending, answer, dates))
            pending = None
    return turns, question


def _envelope(kind: str, model: str, request_id: str, created: int) -> dict:
    return {"id": request_id, "object": kind, "created": created, "model": model}


def new_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def completion(answer, model: str, request_id: str | None = None) -> dict:
    """The non-streaming ``chat.completion`` object for ``answer`` (a :class:`rag.Answer`)."""
    body = _envelope("chat.completion", model, request_id or new_id(), int(time.time()))
    body["choices"] = [{"index": 0, "message": {"role": "assistant", "content": answer.with_references()},
                        "finish_reason": "stop", "logprobs": None}]
    body["rag"] = answer.to_dict()
    return body


def completion_chunk(model: str, request_id: str, created: int, *, content: str | None = None,
                     role: str | None = None, finish: str | None = None, answer=None) -> dict:
    """One ``chat.completion.chunk``; the last one (``finish``) carries the structured answer as ``rag``."""
    delta: dict[str, str] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    chunk = _envelope("chat.completion.chunk", model, request_id, created)
    chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
    if answer is not None:
        chunk["rag"] = answer.to_dict()
    return chunk


def words(text: str, size: int = 4) -> list[str]:
    """``text`` in pieces of about ``size`` words (whitespace kept), for streaming deltas."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i:i + size]) for i in range(0, len(tokens), size)] or [""]
