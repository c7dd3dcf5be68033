"""One browser session's chat: its conversation, the answer being generated, the last answer.

A :class:`ChatSession` lives in a ``gr.State``, so every tab gets its own and
no two users ever share a conversation. The Stop button runs while the answer
is still streaming (it is not queued behind it) and only flips a flag here;
the streaming handler sees it and ends generation cleanly, so the partial
answer is still verified and shown.
"""

from __future__ import annotations

import threading

__all__ = ["ChatSession"]


class ChatSession:
    def __init__(self) -> None:
        self.conversation = None  # rag.Conversation, created on the first question
        self.assistant = None  # the Assistant that produced the last answer (for citation lookup)
        self.stream = None
        self.answer = None
        self.messages: list[dict] = []  # what the Chatbot shows, as rendered HTML
        self.epoch = 0  # bumped by reset(): a handler still streaming for an older epoch stops updating the chat
        self._stop = threading.Event()

    def __deepcopy__(self, memo):
        # Gradio deep-copies a State's initial value per session; a fresh session is all that is needed.
        return ChatSession()

    def start(self, assistant, question: str, **kwargs):
        """Retrieve for ``question`` (rewritten against the history when it is a follow-up) and return the stream."""
        if self.conversation is None:
            self.conversation = assistant.conversation()
        elif self.assistant is not assistant:
            # The user switched models: keep the history (and its id), answer with the new model.
            previous, self.conversation = self.conversation, assistant.conversation()
            self.conversation.id, self.conversation.turns = previous.id, previous.turns
        self.assistant = assistant
        self.stream = self.conversation.stream(question, **kwargs)
        if self._stop.is_set():  # Stop was pressed while retrieval was running
            self.stream.cancel()
        return self.stream

    def begin(self) -> int:
        self._stop.clear()
        return self.epoch

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        self._stop.set()
        stream = self.stream
        if stream is not None:
            stream.cancel()

    def chat(self) -> list[dict]:
        """The messages for the Chatbot: a copy, so an update already sent is never changed afterwards."""
        return list(self.messages)

    def show_reply(self, html: str) -> None:
        """Replace the reply being written (the last message) with ``html``."""
        self.messages[-1] = {"role": "assistant", "content": html}

    def finish(self, answer) -> None:
        self.answer = answer
        self.stream = None

    def reset(self) -> None:
        self.cancel()
        self.epoch += 1
        if self.conversation is not None:
            self.conversation.reset()
        self.stream = None
        self.answer = None
        self.messages = []

    def citation(self, n: int):
        if self.answer is None:
            return None
        return next((c for c in self.answer.citations if c.n == n), None)
