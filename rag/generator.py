"""Text generation with a local GGUF model. llama_cpp is imported here and nowhere else.

A llama.cpp context is not thread-safe, so every generation holds the model's
lock from the first prompt token to the last output token; concurrent callers
queue. llama-cpp-python keeps the KV cache of the previous prompt and only
evaluates the tokens after the longest common prefix, so the fixed system
prompt is paid for once per process, not once per question.
"""

from __future__ import annotations

import os
import threading
from typing import Iterator, Protocol, Sequence, runtime_checkable

from .errors import ContextOverflowError, ModelLoadError

__all__ = ["Generator", "LlamaGenerator", "Message"]

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


@runtime_checkable
class Generator(Protocol):
    """Streams the reply to a chat as text pieces."""

    id: str

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]: ...


class LlamaGenerator:
    """A GGUF model run by llama-cpp-python on the CPU, loaded on first use."""

    def __init__(self, model_path: str, *, model_id: str | None = None, n_ctx: int = 4096,
                 n_threads: int | None = None, seed: int = 0) -> None:
        self.model_path = str(model_path)
        self.id = model_id or os.path.basename(self.model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.seed = seed
        self._llm = None
        self._load_lock = threading.Lock()
        self.lock = threading.Lock()  # held for the whole of a generation

    @property
    def llm(self):
        with self._load_lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama
                except ImportError as exc:  # pragma: no cover - hard dependency
                    raise ModelLoadError(f"llama-cpp-python is not installed: {exc}") from exc
                try:
                    self._llm = Llama(
                        model_path=self.model_path,
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_batch=512,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError, OSError) as exc:
                    raise ModelLoadError(
                        f"could not load {self.model_path} ({exc}); the file may be damaged, or there is not "
                        "enough memory for it: try --model small"
                    ) from exc
            return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply piece by piece; closing the iterator stops generation."""
        llm = self.llm
        with self.lock:
            try:
                pieces = llm.create_chat_completion(
                    messages=list(messages),
                    max_tokens=max_tokens,
                    temperature=0.0,
                    top_k=1,
                    repeat_penalty=1.05,
                    stream=True,
                )
                for piece in pieces:
                    delta = piece["choices"][0].get("delta", {})
                    text = delta.get("content")
                    if text:
                        yield text
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise ContextOverflowError(
                        f"the prompt does not fit the model's {self.n_ctx}-token context ({exc}); "
                        "ask with fewer passages (--k) or start a new conversation"
                    ) from exc
                raise
