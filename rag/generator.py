"""Text generation with a local GGUF model. llama_cpp is imported here and nowhere else.

A llama.cpp context is not thread-safe, so every generation holds the model's
lock from the first prompt token to the last output token; concurrent callers
queue. llama-cpp-python keeps the KV cache of the previous prompt and only
evaluates the tokens after the longest common prefix, so the fixed system
prompt is paid for once per process, not once per question. A conversation
alternates two prompts (the follow-up rewrite, then the answer) whose system
messages differ, so the generator also keeps one KV snapshot per system
message (:class:`KVSnapshots`) and restores it when the prompt switches.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import resource
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence, runtime_checkable

from .errors import ContextOverflowError, ModelLoadError

__all__ = ["Generator", "LazyGenerator", "LlamaGenerator", "Message", "YesNo", "YesNoReader", "loaded"]

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}

# Address space llama.cpp maps to load a model: a multiple of the file plus a fixed part
# (weights mapped, Q4_K weights repacked into a second copy, KV cache, compute buffers,
# thread stacks). Measured at n_ctx 4096: the 0.5B model (468 MiB file) took 1239 MiB more,
# the 1.5B model (1065 MiB) 2480 MiB. When ggml cannot get it, it aborts the process
# (SIGABRT, no Python exception), so the shortfall is checked before loading.
_ADDRESS_SPACE_PER_BYTE = 2
_ADDRESS_SPACE_FIXED = 384 << 20
_SMALL_MODEL_BYTES = 600 << 20  # the packaged small model is 491 MB: suggest it for anything bigger
_PHYSICAL, _ADDRESS_SPACE = 0, 1


def _number_in(path: str, pattern: str) -> int | None:
    """The first group of ``pattern`` in the file at ``path`` as an int, or None."""
    try:
        match = re.search(pattern, Path(path).read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _memory_limits() -> list[tuple[int, int, str]]:
    """(bytes left, kind, what limits it) for each memory limit this process can see."""
    limits: list[tuple[int, int, str]] = []
    available_kb = _number_in("/proc/meminfo", r"^MemAvailable:\s+(\d+) kB")
    if available_kb is not None:
        limits.append((available_kb * 1024, _PHYSICAL, "the free memory of this machine"))
    cgroup_max = _number_in("/sys/fs/cgroup/memory.max", r"^(\d+)$")  # "max" (no limit) reads as None
    cgroup_used = _number_in("/sys/fs/cgroup/memory.current", r"^(\d+)$")
    if cgroup_max is not None and cgroup_used is not None:
        cache = _number_in("/sys/fs/cgroup/memory.stat", r"^file (\d+)$") or 0  # page cache is reclaimable
        limits.append((max(0, cgroup_max - cgroup_used + cache), _PHYSICAL, "the container's memory limit"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    mapped_kb = _number_in("/proc/self/status", r"^VmSize:\s+(\d+) kB")
    if soft != resource.RLIM_INFINITY and mapped_kb is not None:
        limits.append((max(0, soft - mapped_kb * 1024), _ADDRESS_SPACE, "the address-space limit (ulimit -v)"))
    return limits


def memory_shortfall(model_path: str) -> str | None:
    """Why ``model_path`` cannot fit in the memory left to this process, or None when it may.

    Errs towards loading: physical memory must hold the file at least once (llama.cpp
    needs more, but page cache and swap blur any sharper bound); the address space
    must hold the measured multiple above.
    """
    try:
        size = os.path.getsize(model_path)
    except OSError:
        return None
    needs = {_PHYSICAL: size, _ADDRESS_SPACE: _ADDRESS_SPACE_PER_BYTE * size + _ADDRESS_SPACE_FIXED}
    for left, kind, what in _memory_limits():
        if left < needs[kind]:
            advice = "close other programs or raise the limit"
            if size > _SMALL_MODEL_BYTES:
                advice += ", or use the smaller model: --model small (0.5 GB)"
            return (f"{os.path.basename(model_path)} needs about {needs[kind] / 1e9:.1f} GB of memory, "
                    f"but {what} leaves {left / 1e9:.1f} GB; {advice}")
    return None


_SPECIAL = re.compile(r"<(?=\|)|(?<=\|)>|<(?=/?(?:tool_call|tool_response|think|s|unk)>)|\[(?=/?INST\])")


def neutralise(text: str) -> str:
    """``text`` with every chat-template token spelling broken by a zero-width space ("<|im_end|>"
    becomes "<\u200b|im_end|\u200b>"): the chat template is rendered into one string and tokenised
    with special tokens on, so an unbroken spelling in a document would become the real token.
    Text without such spellings is returned unchanged (the same prompt tokens as before)."""
    return _SPECIAL.sub(lambda m: m.group(0) + "\u200b" if m.group(0) in "<[" else "\u200b" + m.group(0), text)


def plain_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages with every content but the product's own system prompt neutralised (:func:`neutralise`)."""
    return [dict(m) if i == 0 and m.get("role") == "system" else {**m, "content": neutralise(m.get("content") or "")}
            for i, m in enumerate(messages)]


class KVSnapshots:
    """The llama.cpp context state last reached under each system message, restored on a switch.

    llama-cpp-python reuses the KV cache only for the prefix a prompt shares with the previous
    prompt. A follow-up runs the rewrite prompt (system rules and two worked examples, ~230
    tokens) and then the answer prompt (~130 tokens of rules): each one used to evict the
    other, so both fixed parts were evaluated again on every follow-up, ~360 tokens at
    about 31 tokens/s on 2 cores. Before the system message changes, the current state is
    saved here; the state saved under the incoming system message is loaded, and the
    library's prefix match then evaluates only what differs (the new history or passages).

    The snapshot holds the KV cells only. ``Llama.save_state`` would also copy the logits
    buffer, n_batch x n_vocab floats (311 MB for Qwen2.5), which a restored state never needs:
    llama-cpp-python evaluates at least one prompt token after a restore before sampling.
    """

    def __init__(self, keep: int = 3) -> None:
        self.keep = keep
        self._states: OrderedDict[str, object] = OrderedDict()
        self.current: str | None = None
        self.restored_tokens = 0
        """Tokens of KV state restored by the last :meth:`switch` (0: nothing restored)."""

    def switch(self, llm, system: str) -> None:
        """Make ``llm``'s context the best start for a prompt with this system message."""
        self.restored_tokens = 0
        if system == self.current:
            return
        if self.current is not None and llm.n_tokens > 0:
            self._states[self.current] = self._save(llm)
            self._states.move_to_end(self.current)
            while len(self._states) > self.keep:
                self._states.popitem(last=False)
        state = self._states.get(system)
        if state is not None:
            llm.load_state(state)
            self.restored_tokens = state.n_tokens
        self.current = system

    def forget(self) -> None:
        """After a failure mid-generation the context's contents are unknown: start clean."""
        self._states.clear()
        self.current = None

    @staticmethod
    def _save(llm):
        import llama_cpp
        import numpy as np

        size = llama_cpp.llama_state_get_size(llm.ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(llm.ctx, buffer, size)
        # One row of zero logits broadcasts into load_state's copy; the row is never sampled from.
        return llama_cpp.LlamaState(input_ids=llm.input_ids.copy(), scores=np.zeros((1, llm.n_vocab()), dtype=np.single),
                                    n_tokens=llm.n_tokens, llama_state=bytes(buffer)[:written],
                                    llama_state_size=written, seed=getattr(llm, "_seed", 0))


@dataclass(frozen=True)
class YesNo:
    """How a model began its reply to a Yes/No question (:mod:`rag.judge`)."""

    margin: float | None
    """How much more it would begin with "Yes" than with "No": the difference of the two tokens' logits
    (a local model) or log-probabilities (a server's ``top_logprobs``) at the first reply position;
    None when only the reply's text was read."""
    text: str = ""
    """The reply (one token)."""
    how: str = "logits"
    """``logits``, ``logprobs`` or ``reply text`` (the server gave no log-probabilities: 1 or 0)."""

    @property
    def probability(self) -> float:
        """P(Yes) against No: the logistic of ``margin``; from the text alone, 1.0 for a "Yes", else 0.0."""
        if self.margin is None:
            return 1.0 if self.text.strip().lower().startswith("yes") else 0.0
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, self.margin))))


@runtime_checkable
class YesNoReader(Protocol):
    """A model that can be asked a Yes/No question and say how it began its reply."""

    def yes_no(self, messages: Sequence[Message]) -> YesNo: ...


@runtime_checkable
class Generator(Protocol):
    """Streams the reply to a chat as text pieces."""

    id: str

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]: ...


class LazyGenerator:
    """A :class:`Generator` made on first use. An answer that abstains before generation, or a
    conversation turn that needs no rewrite, then never resolves a model file (nor contacts a
    server); ``id`` names the model without making it."""

    def __init__(self, make: Callable[[], Generator], model_id: Callable[[], str]) -> None:
        self.make = make
        self._model_id = model_id

    @property
    def id(self) -> str:
        return self._model_id()

    def count_tokens(self, text: str) -> int:
        return self.make().count_tokens(text)

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        return self.make().stream(messages, max_tokens=max_tokens)


def loaded(generator: Generator) -> Generator:
    """``generator`` ready to stream: a lazy one made, a local model's weights read (so that a caller can
    time loading apart from generation)."""
    if isinstance(generator, LazyGenerator):
        generator = generator.make()
    if hasattr(generator, "llm"):
        generator.llm  # loads once per process
    return generator


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
        self.snapshots = KVSnapshots()
        self._yes_no_ids: tuple[int, int] | None = None

    @property
    def llm(self):
        with self._load_lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama
                except ImportError as exc:  # pragma: no cover - hard dependency
                    raise ModelLoadError(f"llama-cpp-python is not installed: {exc}") from exc
                shortfall = memory_shortfall(self.model_path)
                if shortfall:
                    raise ModelLoadError(f"not enough memory to load the model: {shortfall}")
                try:
                    self._llm = Llama(
                        model_path=self.model_path,
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_batch=512,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError, OSError, MemoryError) as exc:
                    raise ModelLoadError(self._load_failure(exc)) from exc
            return self._llm

    def _load_failure(self, exc: BaseException) -> str:
        """What to do when llama.cpp refused the file: usually a damaged or partial download."""
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, MemoryError):
            return f"not enough memory to load {self.model_path} ({detail}); close other programs or use --model small"
        return (f"could not load {self.model_path} ({detail}): the file is damaged or incomplete, or memory ran out. "
                "Download the GGUF file again (a packaged model, default or small, is re-assembled on the next run "
                "once its file is deleted), or use --model small if memory is short")

    def count_tokens(self, text: str) -> int:
        # Document text is plain text: a "<|im_end|>" in it is characters, never a special token.
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def yes_no(self, messages: Sequence[Message]) -> YesNo:
        """The model's first reply token to ``messages`` and the margin of "Yes" over "No" there: the
        difference of the two tokens' logits, read by a logits processor (no ``logits_all``). Holds
        :attr:`lock` like :meth:`stream`, so it never runs while an answer is generated, and switches
        to the KV snapshot of its own system message, so the fixed judge prompt is evaluated once."""
        from llama_cpp import LogitsProcessorList

        llm = self.llm
        if self._yes_no_ids is None:
            self._yes_no_ids = tuple(llm.tokenize(word.encode("utf-8"), add_bos=False)[0] for word in ("Yes", "No"))
        yes, no = self._yes_no_ids
        margins: list[float] = []

        def record(_input_ids, logits):
            if not margins:  # the first reply position only
                margins.append(float(logits[yes] - logits[no]))
            return logits

        with self.lock:
            system = messages[0]["content"] if messages and messages[0].get("role") == "system" else ""
            self.snapshots.switch(llm, system)
            completed = False
            try:
                reply = llm.create_chat_completion(messages=plain_messages(messages), max_tokens=1, temperature=0.0,
                                                   top_k=1, logits_processor=LogitsProcessorList([record]))
                completed = True
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise ContextOverflowError(f"the judge's prompt does not fit the model's {self.n_ctx}-token "
                                               f"context ({exc})") from exc
                raise
            finally:
                if not completed:
                    self.snapshots.forget()
        text = reply["choices"][0]["message"].get("content") or ""
        return YesNo(margins[0] if margins else None, text, "logits" if margins else "reply text")

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply piece by piece; closing the iterator stops generation."""
        llm = self.llm
        with self.lock:
            system = messages[0]["content"] if messages and messages[0].get("role") == "system" else ""
            self.snapshots.switch(llm, system)
            completed = False
            try:
                pieces = llm.create_chat_completion(
                    messages=plain_messages(messages),
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
                completed = True
            except GeneratorExit:
                completed = True  # the caller stopped reading: the context holds a valid shorter prefix
                raise
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise ContextOverflowError(
                        f"the prompt does not fit the model's {self.n_ctx}-token context ({exc}); "
                        "shorten the question, ask with fewer passages (--k), or start a new conversation"
                    ) from exc
                raise
            finally:
                if not completed:
                    self.snapshots.forget()
