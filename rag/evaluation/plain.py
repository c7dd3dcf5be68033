"""The plain-prompt baseline (``--prompt plain``): the product's retrieval and model, a plain prompt, no verification.

It answers what a textbook RAG chain would answer over the same evidence:
the passages the product retrieves (same ``k``, same filters), cut to the
same evidence budget by the product's own :func:`~rag.context.build_evidence`,
given to the same generator with :data:`~rag.prompts.PLAIN_PROMPT` (modelled
on LangChain RetrievalQA's default "stuff" prompt). The answer is the raw
generation: no retrieval gate, no refusal phrase, no citation check. So the
difference between the two prompts' scores is what the product's prompt and
verification add, all else equal.

Works for any suite that holds an :class:`~rag.assistant.Assistant`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from ..context import build_evidence
from ..prompts import plain_messages

__all__ = ["PlainAnswer", "plain_answer", "plain_evidence", "declines"]

# Besides the product's refusal phrases, how a model told to "say that you don't know" declines.
_DONT_KNOW = re.compile(r"\b(?:i|we) (?:do not|don't|cannot|can't) know\b|\bi(?: am|'m) not sure\b|"
                        r"\b(?:text|context|passages?) (?:does not|doesn't) (?:give|tell|say|have)\b|"
                        r"\bnot (?:provided|given|mentioned|stated|specified|included|available) in the (?:\w+ )?"
                        r"(?:text|passages?|context|documents?|articles?|information)\b", re.I)


def declines(text: str) -> bool:
    """A raw generation declines to answer: empty, or its opening sentence is a refusal
    (:func:`rag.assistant.is_refusal`), says it does not know, or that the answer is "not provided in
    the given passages". Used for every unverified text (the baseline's answer, the product's draft)
    so both are read alike."""
    from ..assistant import is_refusal
    from ..verification import split_claims

    if not text.strip():
        return True
    if is_refusal(text):
        return True
    claims = [c for c, _ in split_claims(text)]
    return bool(claims) and bool(_DONT_KNOW.search(claims[0]))


@dataclass(frozen=True)
class PlainAnswer:
    text: str
    abstained: bool
    """:func:`declines` on the text: the baseline has no other way to abstain."""
    passages: tuple = ()
    """The evidence passages shown (:class:`~rag.types.Passage`), in prompt order."""
    texts: tuple[str, ...] = ()
    """What the model saw of each passage."""
    timings: dict = field(default_factory=dict)


def plain_evidence(assistant, question: str, *, filters=None) -> tuple[tuple, tuple[str, ...]]:
    """The passages and texts the baseline shows for ``question``: the product's evidence (or, where the
    product abstains before generating, the same passages cut to the same budget). No generation."""
    settings = assistant.settings
    stream = assistant.stream(question, filters=filters)
    if stream.evidence is not None:
        return tuple(stream.evidence.passages), tuple(stream.evidence.texts)
    evidence = build_evidence(stream.passages, stream.standalone_question, settings.context.context_tokens,
                              embed=assistant.index.embedder.embed, injection_threshold=None,  # stream.passages are marked
                              term_weight=settings.context.term_weight)
    return tuple(evidence.passages), tuple(evidence.texts)


def plain_answer(assistant, question: str, *, filters=None) -> PlainAnswer:
    """Answer ``question`` with the plain prompt over the evidence the product would show.

    Opening the product's answer stream retrieves and builds the evidence without generating;
    when the product would abstain before generating (its retrieval gate), the evidence is
    built here from the same passages with the same budget, since the baseline has no gate.
    """
    settings = assistant.settings
    t0 = time.perf_counter()
    passages, texts = plain_evidence(assistant, question, filters=filters)
    timings = {"retrieval": time.perf_counter() - t0}
    if not texts:
        return PlainAnswer("", True, (), (), timings)
    t1 = time.perf_counter()
    text = "".join(assistant.generator.stream(plain_messages(list(texts), question),
                                              max_tokens=settings.llm.max_answer_tokens)).strip()
    timings["generation"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    return PlainAnswer(text, declines(text), tuple(passages), tuple(texts), timings)
