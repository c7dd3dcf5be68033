"""The answering LLM as the entailment judge: "does this passage say what this sentence says?" Yes or No.

``VerifierSettings.entailment_judge = "llm"`` (with ``verify_entailment``) makes the verifier's two
entailment rules (``quote_entails_claim``, ``passage_entails_claim``) read their (premise, claim)
pairs with the model that wrote the answer instead of the shipped cross-encoder
(:mod:`rag.entailment`). :class:`LLMJudge` is an :data:`rag.verification.Entails`: it takes the pairs
and gives, per pair, P(Yes) against No at the first reply position:

- a local GGUF model (:meth:`rag.generator.LlamaGenerator.yes_no`): the logistic of the logit
  margin of "Yes" over "No", read by a logits processor; under the generator's lock (never while an
  answer is generated; ``rag serve`` runs verification inside the answer's queue slot), with its own
  KV snapshot of the fixed judge prompt;
- an OpenAI-compatible server (``llm_url``, :meth:`rag.remote.OpenAIGenerator.yes_no`): one chat
  completion per pair, ``max_tokens`` 1, the margin from ``top_logprobs``; a server that returns no
  log-probabilities is read from its reply's text (1 for "Yes", 0 otherwise), and the trace says so.

When the server fails (an HTTP error, a timeout, unreachable) the judge raises
:class:`rag.verification.EntailsUnavailable`: the verification goes on without it, each claim is
decided by the word-overlap rules, and its trace says the judge was unavailable. The answer is
never lost to a failed judgement.

The prompt is the wording measured in 2026-11-29 (AUC 0.83-0.87 on reader-labelled citation pairs,
docs/decisions/2026-11-29-llm-citation-reader.md), with the premise the entailment rules build
(the article's title, the sentence before and the sentence).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from .errors import ContextOverflowError, LLMServerError, LLMTimeoutError, LLMUnreachableError, RagError
from .generator import Message, YesNo, YesNoReader
from .verification.state import EntailsUnavailable, Readings

__all__ = ["ENTAILMENT_JUDGES", "JUDGE_SYSTEM", "LLMJudge", "judge_messages"]

ENTAILMENT_JUDGES = ("model", "llm")
"""The values of ``VerifierSettings.entailment_judge``."""

JUDGE_SYSTEM = "You check whether a passage supports a statement. Reply with one word, Yes or No."
"""The judge's fixed system prompt (its KV state is kept apart from the answer prompt's)."""

_FAILURES = (LLMServerError, LLMTimeoutError, LLMUnreachableError, ContextOverflowError)
"""Errors that make the judge unavailable for the rest of one verification (the answer stands)."""


def judge_messages(premise: str, claim: str) -> list[Message]:
    """The Yes/No question for one pair: does ``premise`` say what ``claim`` says?"""
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Passage:\n{premise}\n\nSentence: {claim}\n"
                                        "Does the passage say what the sentence says? Reply Yes or No."}]


class LLMJudge:
    """An entailment scorer (:data:`rag.verification.Entails`) that asks an LLM, pair by pair.

    ``reader``: a :class:`rag.generator.YesNoReader` (a local model or a server), or a function that
    makes one on first use (so an answer that abstains before generation loads nothing). ``pairs``
    and ``seconds`` count what it has read, for cost reports.
    """

    name = "llm"

    def __init__(self, reader: YesNoReader | Callable[[], YesNoReader]) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self.pairs = 0
        self.seconds = 0.0

    def reader(self) -> YesNoReader:
        reader = self._reader
        if not hasattr(reader, "yes_no") and callable(reader):
            reader = reader()
        if not hasattr(reader, "yes_no"):
            raise RagError(f"entailment_judge=llm needs a model that can be asked Yes or No (a GGUF model or an "
                           f"OpenAI-compatible server); {getattr(reader, 'id', type(reader).__name__)} cannot: "
                           "set entailment_judge=model")
        return reader

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> Readings:
        """P(premise says what claim says) per pair, with how each was read (``Readings.how``)."""
        reader = self.reader()
        out = Readings()
        for premise, claim in pairs:
            started = time.perf_counter()
            try:
                reply: YesNo = reader.yes_no(judge_messages(premise, claim))
            except _FAILURES as exc:
                raise EntailsUnavailable(str(exc)) from exc
            with self._lock:
                self.pairs += 1
                self.seconds += time.perf_counter() - started
            out.append(reply.probability)
            out.how.append(reply.how)
        return out
