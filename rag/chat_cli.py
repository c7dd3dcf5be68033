"""``rag chat``: a conversation in the terminal, or JSON lines on stdin/stdout.

Commands in the interactive chat: ``/source N`` shows citation N of the last
answer in context, ``/new`` starts over, ``/quit`` (or Ctrl-D) leaves.
"""

from __future__ import annotations

import json
import re
import sys

from .errors import USER_ERRORS
from .terminal import printable

HELP = "Type a question. /source N shows a cited passage, /new starts over, /quit leaves."
NOT_UTF8 = "the line is not valid UTF-8 text; check the encoding of the terminal or of what is piped in"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _tolerant_stdin() -> None:
    """Bytes on stdin that are not UTF-8 arrive as lone surrogates (that line is refused), instead of a
    UnicodeDecodeError out of ``input()`` ending the chat."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="surrogateescape")
        except (ValueError, OSError):  # not a text stream that can change its error handler
            pass


def run_chat(assistant, json_mode: bool = False, resume: str | None = None) -> int:
    assistant.index  # fail early (missing index) before the first prompt
    conversation = assistant.conversation(resume)
    _tolerant_stdin()
    interactive = sys.stdin.isatty() and not json_mode
    if interactive:
        print(HELP)
        if resume:
            print(f"(resumed conversation {conversation.id}, {len(conversation.turns)} turns)")
    last = None
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        question = line.strip()
        if not question:
            continue
        if _SURROGATE.search(question):
            if json_mode:
                print(json.dumps({"question": question, "error": NOT_UTF8}), flush=True)  # ASCII: \udcxx escapes
            else:
                print(f"error: {NOT_UTF8}", file=sys.stderr)
            continue
        if question in ("/quit", "/exit", "/q"):
            break
        if question == "/new":
            conversation.reset()
            last = None
            if not json_mode:
                print("(new conversation)")
            continue
        if question.startswith("/source"):
            _show_source(assistant, last, question)
            continue
        try:
            stream = conversation.stream(question)
            if interactive:
                if stream.standalone_question != question:
                    print(f"(searching for: {printable(stream.standalone_question)})")
                for piece in stream:
                    print(printable(piece, lines=True), end="", flush=True)
                print("\n")
            answer = stream.answer
        except USER_ERRORS as exc:
            if json_mode:
                print(json.dumps({"question": question, "error": str(exc)}), flush=True)
            else:
                print(f"error: {printable(exc)}", file=sys.stderr)
            continue
        last = answer
        if json_mode:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(printable(answer.with_references(), lines=True))
            print()
    if interactive and conversation.turns:
        print(f"(saved as conversation {conversation.id}; resume with: rag chat --resume {conversation.id})")
    return 0


def _show_source(assistant, answer, command: str) -> None:
    parts = command.split()
    # ASCII digits only: str.isdigit() accepts '²', which int() then refuses.
    if answer is None or len(parts) != 2 or not re.fullmatch(r"[0-9]{1,9}", parts[1]):
        print("usage: /source N  (after an answer with citations)")
        return
    n = int(parts[1])
    match = [c for c in answer.citations if c.n == n]
    if not match:
        print(f"the last answer has no citation [{n}]")
        return
    c = match[0]
    found = assistant.lookup(c.chunk_id)
    print(f"[{n}] {printable(c.title)} ({printable(c.date) or 'undated'}) {printable(c.url or c.path)}")
    print(printable(f"...{found.before[-300:]}>>>{c.quote}<<<{found.after[:300]}...", lines=True))
