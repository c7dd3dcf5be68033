"""What form of answer a question asks for.

A *verdict* question asks for yes/no or for one of the options it names ("Does
the article say...?", "Between the June and the July report, was the focus
consistent?", "...before or after...?"). Its answer is a verdict followed by
the facts that decide it; the verdict word itself is not a fact a passage can
state, so the verifier treats it as a conclusion drawn from those facts.
"""

from __future__ import annotations

import re

__all__ = ["is_verdict_question", "verdict_of", "asks_about_now", "asks_for_a_name", "with_context", "asked_part"]

_FOLLOWING = re.compile(r"\s*\(following: .*\)\s*$", re.S)


def with_context(question: str, previous: str) -> str:
    """A follow-up made standalone without the LLM: the follow-up, then the question it follows
    ("Who is its head librarian? (following: How much did the library renovation cost?)")."""
    return f"{question.strip()} (following: {previous.strip()})"


def asked_part(question: str) -> str:
    """What ``question`` itself asks, without the earlier question :func:`with_context` appended:
    the "how much" of the question followed does not make "Who is its head librarian?" ask for a figure."""
    return _FOLLOWING.sub("", question)

_AUX = r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)"
# A wh-word at the start or after a lead-in clause ("Considering X, which ...") asks for an entity.
_WH = re.compile(r"(?:^|,)\s*(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)
# "Does ...?" at the start, or a lead-in clause and then the auxiliary: "Between A and B, is there ...?"
_VERDICT = re.compile(rf"^\s*{_AUX}\b|^[^?]*,\s*{_AUX}\s+\w", re.I)
# "What is the budget now?": the present state of something the corpus may report more than once.
_NOW = re.compile(r"\b(?:now|currently|current|latest|still|today|these days|at the moment|at present)\b", re.I)
# "Who won ...?", "Which company ...?": the answer is someone or something the question does not name.
# Not "Who is Tomasz Wierzbicki?" (it asks about a name it gives), nor a question offering options
# ("Which opens first, the bridge or the tunnel?", "Between A and B, which ...?").
_NAME_QUESTION = re.compile(r"^\W*(?:[Ww]hich|[Ww]hom?)\b(?!\s+(?:is|was|are|were)\s+[A-Z])")
_OPTIONS = re.compile(r"\bor\b", re.I)
_VERDICT_WORD = re.compile(r"^\s*(yes|no)\b[\s,.;:!-]*", re.I)

def is_verdict_question(question: str) -> bool:
    """Whether ``question`` asks for yes/no (or a choice between named options) rather than an entity."""
    question = question.strip()
    if not question or _WH.search(question):
        return False
    return bool(_VERDICT.search(question))


def verdict_of(sentence: str) -> tuple[str, str]:
    """``("yes"|"no"|"", rest)``: the leading verdict word of an answer sentence and what follows it."""
    match = _VERDICT_WORD.match(sentence)
    if not match:
        return "", sentence
    return match.group(1).lower(), sentence[match.end():]


def verdict_to_front(text: str) -> str:
    """``text`` with its last sentence moved to the front when that sentence, alone of all, opens with a
    verdict ("... [2]. Yes, both reported it." -> "Yes, both reported it. ... [2]."): the answer to a yes/no
    question shows its verdict first, however the model was asked to order it. Anything else is returned
    unchanged."""
    from index import split_sentences

    spans = split_sentences(text)
    if len(spans) < 2:
        return text
    sentences = [text[span.start:span.end].strip() for span in spans]
    last = sentences[-1]
    if not verdict_of(last)[0] or any(verdict_of(s)[0] for s in sentences[:-1]):
        return text
    return last + "\n" + text[:spans[-1].start].strip()


def asks_about_now(question: str) -> bool:
    """Whether ``question`` asks for the present state ("now", "currently", "latest"): then the most
    recent of several dated reports is the answer, and the passages are ordered newest first."""
    return bool(_NOW.search(question))


def asks_for_a_name(question: str) -> bool:
    """Whether ``question`` opens with who or which and asks for someone or something (a person, a
    company, a platform) that it does not name itself: not "Who is <a name>?", nor a choice between
    options it gives."""
    return bool(_NAME_QUESTION.match(question)) and not _OPTIONS.search(question)
