"""The nouns of the question side: passages, citations, answers.

All are frozen dataclasses with ``to_dict()`` giving the JSON shape that
``rag ask --json`` prints (documented in the README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Passage", "Citation", "SentenceCheck", "Answer", "Lookup", "OUTCOMES", "VERDICTS"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its document metadata and scores.

    ``score`` is the fused retrieval score used for ranking; ``dense`` is the
    cosine similarity to the question and ``lexical`` the BM25 score (0 when
    the chunk was not found by that route).
    """

    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    url: str | None
    path: str
    source: str | None
    text: str
    start: int
    end: int
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    page: int | None = None
    suspicious: tuple[str, ...] = ()
    """Sentences of ``text`` addressed to the assistant as instructions (:mod:`rag.injection`): never
    evidence, left out of the prompt, and the answer notes the passage."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["suspicious"] = list(self.suspicious)
        for key in ("score", "dense", "lexical"):
            data[key] = round(data[key], 4)
        return data


@dataclass(frozen=True)
class Citation:
    """One numbered reference of an answer, resolved to the exact supporting quote.

    ``n`` is the number shown as ``[n]`` in the answer text. ``start``/``end``
    are offsets of ``quote`` in the document text: for text files
    ``open(path, encoding="utf-8").read()[start:end] == quote``.
    ``support`` (0..1) is how well the quote supports the sentences citing it.
    """

    n: int
    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    url: str | None
    path: str
    start: int
    end: int
    quote: str
    support: float = 0.0
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["support"] = round(self.support, 3)
        return data


VERDICTS = ("kept", "marker corrected", "left out")
"""What verification decided for a sentence of the model's draft: kept with the passages the model
cited, kept with other citations than the model gave (``marker corrected``), or left out."""


@dataclass(frozen=True)
class SentenceCheck:
    """How verification decided one sentence of the model's draft (the trace, ``Answer.verification``)."""

    sentence: str
    """The sentence as the model wrote it, without its markers."""
    verdict: str
    """One of :data:`VERDICTS`."""
    rule: str
    """The named rule (docs/VERIFIER.md) or model that decided the verdict."""
    reason: str
    """One line a reader can check against the quotes: why it was kept or left out."""
    scores: dict[str, float] = field(default_factory=dict)
    """The numbers the decision read: ``support`` (0..1), and where measured ``lexical`` (share of the
    sentence's words found), ``semantic`` (embedding cosine), ``entailment`` (the model's probability)."""
    citations: tuple[Citation, ...] = ()
    """Kept: the citations it carries, with their quotes. Left out: the closest passage sentences
    (``n`` 0: not cited), so a reader can see what the documents do say."""

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "verdict": self.verdict, "rule": self.rule, "reason": self.reason,
                "scores": {k: round(v, 3) for k, v in self.scores.items()},
                "citations": [c.to_dict() for c in self.citations]}


OUTCOMES = ("answered", "no_relevant_passages", "answer_not_in_passages", "unverified_draft")
"""``Answer.outcome``: an answer; nothing relevant found (abstained before the model); passages found but
the model declined or its draft does not answer; a draft whose sentences no passage confirms (shown
labelled as unverified, with the closest passages)."""


@dataclass(frozen=True)
class Answer:
    """A cited answer.

    ``text`` carries ``[n]`` markers that resolve to ``citations``; ``passages``
    are everything retrieved (cited or not) with scores. ``abstained`` is true
    when no verified answer is given (any ``outcome`` but ``answered``); ``text`` then says why, and
    for ``unverified_draft`` shows the draft labelled as not confirmed.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    confidence: float
    model: str
    embedder: str
    timings: dict[str, float] = field(default_factory=dict)
    standalone_question: str | None = None
    verification: tuple[SentenceCheck, ...] = ()
    """Each sentence of the model's draft with what verification decided and why, in draft order (empty
    when the model was not asked or declined). Left-out sentences are out of ``text`` (every sentence
    of ``text`` carries a citation); they stay here so a reader can still see them."""
    outcome: str = "answered"
    """One of :data:`OUTCOMES`."""
    filters: dict[str, Any] = field(default_factory=dict)
    """Metadata filters the retrieval used (given by the user, or a period read from the question)."""
    conflicts: int = 0
    """Disagreements between sources found and described in ``text``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 3),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "outcome": self.outcome,
            "left_out": [{"sentence": c.sentence, "reason": c.reason} for c in self.left_out],
            "verification": [c.to_dict() for c in self.verification],
            "filters": self.filters,
            "conflicts": self.conflicts,
            "model": self.model,
            "embedder": self.embedder,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    @property
    def left_out(self) -> tuple[SentenceCheck, ...]:
        """The sentences verification left out, with why (``reason``), in draft order."""
        return tuple(c for c in self.verification if c.verdict == "left out")

    def left_out_lines(self) -> list[str]:
        """:attr:`left_out` as the terminal lists it: "  - <sentence> (<why>)"."""
        return [f"  - {c.sentence}" + (f" ({c.reason})" if c.reason else "") for c in self.left_out]

    def with_references(self) -> str:
        """The answer followed by its numbered references and the sentences verification left out:
        for copying and the terminal."""
        lines = [self.text]
        if self.citations:
            lines.append("")
            for c in self.citations:
                where = c.url or c.path
                date = f", {c.date}" if c.date else ""
                page = f", p. {c.page}" if c.page else ""
                lines.append(f"[{c.n}] {c.title}{date}{page} - {where}")
                lines.append(f'    "{c.quote}"')
        if self.left_out and not self.abstained:
            lines += ["", "Left out of the answer, not supported by the documents:"]
            lines += self.left_out_lines()
        return "\n".join(lines)


@dataclass(frozen=True)
class Lookup:
    """A passage with its document metadata and the text around it (citation lookup)."""

    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    url: str | None
    path: str
    source: str | None
    start: int
    end: int
    text: str
    before: str
    after: str
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["context"] = {"before": self.before, "after": self.after}
        del data["before"], data["after"]
        return data
