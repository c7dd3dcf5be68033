"""Multi-turn conversations: follow-up questions resolved against the history.

A follow-up such as "what did he say about NATO?" cannot be retrieved as is.
Before retrieval it is rewritten into a standalone question. A question that
needs no rewrite (no pronoun or vague reference, or the first turn) costs no
LLM call; otherwise the local LLM rewrites it with a short prompt. The
standalone question is what is searched for and is reported in the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from .prompts import REWRITE_PROMPT
from .types import Answer

if TYPE_CHECKING:
    from .assistant import Assistant, AnswerStream

__all__ = ["Conversation", "Turn", "needs_rewrite"]

_FOLLOW_UP = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|the same|"
    r"same|former|latter|above|previous|earlier|later|before that|after that|else|also|too|another|other)\b",
    re.I,
)
_ELLIPSIS_START = re.compile(r"^(and|but|what about|how about|why|when|where|who|so|or)\b", re.I)


def needs_rewrite(question: str, has_history: bool) -> bool:
    """True when the question likely depends on earlier turns."""
    if not has_history:
        return False
    words = question.split()
    return bool(_FOLLOW_UP.search(question) or _ELLIPSIS_START.match(question.strip()) or len(words) <= 3)


@dataclass
class Turn:
    question: str
    standalone_question: str
    answer: Answer


@dataclass
class Conversation:
    assistant: "Assistant"
    turns: list[Turn] = field(default_factory=list)

    def reset(self) -> None:
        self.turns.clear()

    @property
    def history(self) -> list[Turn]:
        return list(self.turns)

    def standalone(self, question: str) -> str:
        """The question rewritten to stand alone (unchanged when it already does)."""
        question = question.strip()
        if not needs_rewrite(question, bool(self.turns)):
            return question
        recent = self.turns[-self.assistant.settings.history_turns:]
        history = "\n".join(f"User: {t.standalone_question}\nAssistant: {_plain(t.answer.text)}" for t in recent)
        prompt = REWRITE_PROMPT.format(history=history, question=question)
        pieces = self.assistant.generator.stream([{"role": "user", "content": prompt}], max_tokens=60)
        rewritten = "".join(pieces).strip().strip('"').split("\n")[0].strip()
        return rewritten or question

    def stream(self, question: str, **kwargs) -> "ConversationStream":
        standalone = self.standalone(question)
        stream = self.assistant.stream(question, standalone_question=standalone, **kwargs)
        return ConversationStream(self, stream)

    def ask(self, question: str, **kwargs) -> Answer:
        s = self.stream(question, **kwargs)
        for _ in s:
            pass
        return s.answer


class ConversationStream:
    """An :class:`AnswerStream` that records the turn in its conversation when done."""

    def __init__(self, conversation: Conversation, stream: "AnswerStream") -> None:
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
            self.conversation.turns.append(Turn(self.inner.question, self.inner.standalone_question, answer))
            self._recorded = True
        return answer


def _plain(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)[:400]
