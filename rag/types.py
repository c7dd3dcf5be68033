"""The nouns of the question side: passages, citations, answers.

All are frozen dataclasses with ``to_dict()`` giving the JSON shape that
``rag ask --json`` prints (documented in the README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Passage", "Citation", "Answer", "Lookup"]


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


@dataclass(frozen=True)
class Answer:
    """A cited answer.

    ``text`` carries ``[n]`` markers that resolve to ``citations``; ``passages``
    are everything retrieved (cited or not) with scores. ``abstained`` is true
    when the corpus does not hold the answer; ``text`` then says so.
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
    unsupported: tuple[str, ...] = ()
    """Sentences of the model's answer that no passage supports, in answer order. Verification takes
    them out of ``text`` (every sentence of ``text`` carries a citation); they are kept here so a
    reader can still see them. With ``abstained``, what the unsupported answer said."""
    unsupported_reasons: tuple[str, ...] = ()
    """Why each sentence of ``unsupported`` was left out, in the same order ("no passage gives 7.5",
    "it names theverge.com, but the passage that says this is from techcrunch.com", ...)."""
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
            "unsupported": list(self.unsupported),
            "unsupported_reasons": list(self.unsupported_reasons),
            "filters": self.filters,
            "conflicts": self.conflicts,
            "model": self.model,
            "embedder": self.embedder,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def left_out(self) -> list[tuple[str, str]]:
        """Each sentence verification left out with why ("" where the Answer was built without reasons)."""
        reasons = self.unsupported_reasons + ("",) * (len(self.unsupported) - len(self.unsupported_reasons))
        return list(zip(self.unsupported, reasons))

    def left_out_lines(self) -> list[str]:
        """:meth:`left_out` as the terminal lists it: "  - <sentence> (<why>)"."""
        return [f"  - {sentence}" + (f" ({why})" if why else "") for sentence, why in self.left_out()]

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
        if self.unsupported and not self.abstained:
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
