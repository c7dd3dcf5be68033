"""Multi-turn conversations: follow-up questions resolved against the history.

A follow-up such as "what did he say about NATO?" cannot be retrieved as is.
Before retrieval it becomes a standalone question, in two cheap-first steps:

1. Relative dates ("the month before", "that week", "the same month") are
   resolved by rule against the date of the article the previous answer cited
   first, and become both words in the question and a date filter.
2. If the question still depends on the conversation (a pronoun, a vague
   reference, or an elliptical "and the cost?"), the local LLM rewrites it with
   a short prompt. A question that needs neither costs no LLM call.

Only the standalone question and the passages go into the answer prompt, never
the whole history: the prompt stays as short as a first question's, so the
time to first token does not grow with the conversation. The rewrite prompt
carries the recent turns verbatim (answers without citation markers) and a
compact list of earlier topics, all within ``settings.conversation.history_tokens`` (counted with
tiktoken).

A conversation answers through an :class:`~rag.pipeline.AnswerPipeline` and a
generator, the same two an ``Assistant`` uses. A :class:`ConversationStore` saves
it as JSON under ``<index>/conversations/`` after every turn (atomic write), so it
can be listed and resumed; citations of earlier turns stay resolvable through
``Assistant.lookup(chunk_id)``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterator

from index import SearchFilter
from index.atomic import write_atomic
from index.tokens import count_tokens

from .dates import resolve_relative_period
from .errors import RagError
from .generator import Generator
from .pipeline import UNVERIFIED, AnswerPipeline, AnswerStream
from .prompts import NO_ANSWER, rewrite_messages
from .questions import with_context
from .types import Answer

__all__ = ["Conversation", "ConversationStore", "ConversationStream", "Turn", "needs_rewrite", "names_nothing",
           "usable_rewrite", "context_fallback", "resolve_relative_period"]

_FOLLOW_UP = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|"
    r"the same|former|latter|above|previous|earlier|before that|after that|else|also|too|another)\b",
    re.I,
)
_ELLIPSIS_START = re.compile(r"^(and|but|what about|how about|so|or|also)\b", re.I)

def names_nothing(question: str) -> bool:
    """No name (a capitalised word after the first) and no number or date: "Who runs the company?",
    "How did the strike end?". In a conversation such a question is about what was discussed."""
    words = question.strip().split()
    return not any(w[:1].isupper() for w in words[1:]) and not re.search(r"\d", question)


def needs_rewrite(question: str, has_history: bool) -> bool:
    """True when the question likely depends on earlier turns.

    Besides pronouns and elliptical starts, a question that names nothing counts: "Who runs the
    company?" after a question about Brightwater Analytics searched the whole corpus for "the
    company" and answered with the ferry operator's chief executive.
    """
    if not has_history:
        return False
    return bool(_FOLLOW_UP.search(question) or _ELLIPSIS_START.match(question.strip()) or len(question.split()) <= 3
                or names_nothing(question))


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_PRONOUN = re.compile(r"\b(he|she|him|her|his|they|them|their|it|its)\b", re.I)


def _same_words(a: str, b: str) -> bool:
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())


def _added_figures(question: str, rewritten: str) -> set[str]:
    """Numbers the rewrite has and the follow-up does not, years aside."""
    def figures(text: str) -> set[str]:
        return {n for n in _FIGURE.findall(text) if not re.fullmatch(r"(?:19|20)\d\d", n)}
    return figures(rewritten) - figures(question)


def usable_rewrite(question: str, rewritten: str) -> bool:
    """Whether the model's rewrite is a standalone question, not an answer, a refusal or a ramble.

    Two failures of the 1.5B model are caught by rule. It copies a figure from an earlier answer
    into the question ("Who gave the higher figure?" became "... the higher figure of 4.2 million
    pounds ...", the lower one): a follow-up asks about a figure, it does not state one, so a
    rewrite that adds numbers (years aside) is refused. And it returns a pronoun-led follow-up
    unchanged ("Who do they play next, and when?"), which searched the whole corpus for "they".
    """
    if not rewritten or len(rewritten) > 4 * len(question) + 200:
        return False
    if NO_ANSWER.lower().rstrip(".") in rewritten.lower() or "[" in rewritten:
        return False  # an answer with citations, or the no-answer phrase
    if _added_figures(question, rewritten):
        return False
    if _same_words(question, rewritten) and _PRONOUN.search(question):
        return False
    return rewritten.endswith("?") or not question.strip().endswith("?")


def context_fallback(question: str, previous: str) -> str:
    """A standalone form without the LLM: the follow-up, then the question it follows."""
    return with_context(question, previous)


@dataclass
class Turn:
    question: str
    standalone_question: str
    text: str
    citations: list[dict]
    abstained: bool
    answer: Answer | None = None  # present for turns of this process, absent for resumed ones

    @property
    def anchor_date(self) -> date | None:
        """The date of the article the answer cited first (for "the month before")."""
        for c in self.citations:
            if c.get("date"):
                try:
                    return date.fromisoformat(c["date"])
                except ValueError:
                    continue
        return None

    def to_dict(self) -> dict:
        return {"question": self.question, "standalone_question": self.standalone_question, "text": self.text,
                "citations": self.citations, "abstained": self.abstained}


def _new_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


class ConversationStore:
    """Saved conversations: one JSON file per conversation in ``folder`` (``<index>/conversations``)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def exists(self, conversation_id: str) -> bool:
        return self._path(conversation_id).exists()

    def save(self, conversation: "Conversation") -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(conversation.id)
        write_atomic(path, json.dumps({"id": conversation.id, "turns": [t.to_dict() for t in conversation.turns]},
                                      ensure_ascii=False, indent=1))
        return path

    def load(self, conversation_id: str) -> list[Turn]:
        """The turns of the saved conversation ``conversation_id``."""
        if not re.fullmatch(r"[\w-]+", conversation_id or ""):
            raise RagError(f"invalid conversation id {conversation_id!r}")
        path = self._path(conversation_id)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise RagError(f"no conversation {conversation_id!r}; list them with: rag chat --list") from None
        except (OSError, ValueError) as exc:
            raise RagError(f"conversation {conversation_id!r} is unreadable ({exc})") from None
        return [Turn(t["question"], t["standalone_question"], t["text"], t.get("citations", []), t.get("abstained", False))
                for t in data.get("turns", [])]

    def saved(self) -> list[dict]:
        """Saved conversations, newest first: id, number of turns, first question."""
        out = []
        for path in sorted(self.folder.glob("*.json"), reverse=True) if self.folder.exists() else []:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            turns = data.get("turns", [])
            out.append({"id": data.get("id", path.stem), "turns": len(turns),
                        "first_question": turns[0]["question"] if turns else ""})
        return out

    def _path(self, conversation_id: str) -> Path:
        return self.folder / f"{conversation_id}.json"


@dataclass
class Conversation:
    """Questions answered against the history: follow-ups are rewritten to stand alone before retrieval.

    ``store`` saves it after every turn (None: not saved).
    """

    pipeline: AnswerPipeline
    generator: Generator
    turns: list[Turn] = field(default_factory=list)
    id: str = field(default_factory=_new_id)
    store: ConversationStore | None = None
    rewrites: int = 0
    rewrites_rejected: int = 0
    rewrite_seconds: float = 0.0

    def save(self) -> Path | None:
        if self.store is None or not self.turns:
            return None
        return self.store.save(self)

    def reset(self) -> None:
        """Start over: a new, empty conversation (the old one stays saved)."""
        self.turns = []
        self.id = _new_id()

    @property
    def history(self) -> list[Turn]:
        return list(self.turns)

    # ---- follow-up resolution ---------------------------------------------------------
    def resolve(self, question: str) -> tuple[str, tuple[str, str] | None]:
        """(standalone question, date period or None) for a new question."""
        question = question.strip()
        if not self.turns:
            return question, None
        period = None
        anchor = self.turns[-1].anchor_date
        if anchor is not None:
            resolved = resolve_relative_period(question, anchor)
            if resolved:
                question, period = resolved
        if needs_rewrite(question, True):
            question = self._llm_rewrite(question)
        return question, period

    def _history_text(self) -> str:
        lines: list[str] = []
        used = 0
        kept = 0
        knobs = self.pipeline.settings.conversation
        for turn in reversed(self.turns):
            # A draft no passage confirmed is not something the assistant said: the rewrite reads it as no answer.
            said = NO_ANSWER if turn.abstained and turn.text.startswith(UNVERIFIED) else _plain(turn.text)
            entry = f"User: {turn.standalone_question}\nAssistant: {said}"
            cost = count_tokens(entry)
            if kept >= knobs.history_turns or used + cost > knobs.history_tokens:
                break
            lines.insert(0, entry)
            used += cost
            kept += 1
        earlier = self.turns[: len(self.turns) - kept]
        if earlier:
            topics = "; ".join(t.standalone_question for t in earlier[-5:])
            while topics and count_tokens(topics) > knobs.history_tokens // 4:
                topics = topics[topics.find(";") + 1:].strip() if ";" in topics else ""
            if topics:
                lines.insert(0, f"(Earlier questions: {topics})")
        return "\n".join(lines)

    def _llm_rewrite(self, question: str) -> str:
        t0 = time.perf_counter()
        messages = rewrite_messages(self._history_text(), question)
        pieces = self.generator.stream(messages, max_tokens=60)
        rewritten = "".join(pieces).strip().split("\n")[0].strip().strip('"').strip()
        self.rewrites += 1
        self.rewrite_seconds += time.perf_counter() - t0
        if usable_rewrite(question, rewritten):
            return rewritten
        # The model answered, refused or rambled instead of rewriting: search with the follow-up
        # and the question it follows, which names what the pronouns point at.
        self.rewrites_rejected += 1
        return context_fallback(question, self.turns[-1].standalone_question)

    # ---- asking -----------------------------------------------------------------------
    def stream(self, question: str, **kwargs) -> "ConversationStream":
        if not question or not question.strip():
            raise RagError("the question is empty")
        t0 = time.perf_counter()
        standalone, period = self.resolve(question)
        rewrite_seconds = time.perf_counter() - t0
        if period and kwargs.get("filters") is None:
            kwargs["filters"] = SearchFilter(since=period[0], until=period[1])
        prepared = self.pipeline.prepare(question.strip(), standalone_question=standalone, **kwargs)
        prepared.timings["rewrite"] = rewrite_seconds
        return ConversationStream(self, AnswerStream(self.pipeline, prepared, self.generator))

    def ask(self, question: str, **kwargs) -> Answer:
        return self.stream(question, **kwargs).answer


class ConversationStream:
    """An :class:`AnswerStream` that records the turn in its conversation when done."""

    def __init__(self, conversation: Conversation, stream: AnswerStream) -> None:
        self.conversation = conversation
        self.inner = stream
        self._recorded = False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.inner)

    @property
    def answer(self) -> Answer:
        answer = self.inner.answer
        if not self._recorded:
            self._recorded = True
            self.conversation.turns.append(
                Turn(answer.question, answer.standalone_question or answer.question, answer.text,
                     [c.to_dict() for c in answer.citations], answer.abstained, answer)
            )
            self.conversation.save()
        return answer


def _plain(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)[:400]
