"""Citation precision and recall: how an answer's citations are judged (``rag eval multihop --answers``).

An answer is split into statements (its sentences, citation markers removed),
each with the texts its markers point at. Two judges decide whether cited text
supports a statement; both are reported, and neither is the product's own
verifier score:

``gold``
    The cited text lies on the question's gold evidence: it contains a gold
    fact, or (for a quote) lies inside one, by
    :func:`~rag.evaluation.metrics.citation_matches_gold`. MultiHop-RAG's gold
    evidence says which passages answer the question, so this judge is
    independent of any wording. A citation on a null query is never gold.

``lexical``
    A local stand-in for ALCE's NLI judge (METRICS.md 2.4), with ALCE's
    definitions of recall and precision but φ(premise, hypothesis) decided
    lexically: every number of the statement appears in the premise, and at
    least :data:`LEXICAL_COVERAGE` of the statement's content terms (stemmed,
    stopwords and answer labels such as "yes" removed) appear in it. A statement
    with no content term left ("Yes.") is supported when its citations are.
    This shares its principle with the product's verifier, so it checks
    consistency more than it proves entailment; numbers from it are not
    comparable with ALCE's.

Citation precision = precise citations / citations; citation recall =
supported statements / statements (statements of answers that were given,
to answerable questions, for recall). The product's verification takes the
sentences it cannot support out of the answer (``Answer.left_out``): they
are not statements of the answer, and are counted apart as ``left_out`` so a
recall bought by removing sentences stays visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..verification import split_claims
from ..text import stemmed_terms
from .metrics import citation_matches_gold

__all__ = ["LEXICAL_COVERAGE", "Statement", "statements", "lexically_entails", "CitationCounts", "judge_statements",
           "quote_is_exact"]

LEXICAL_COVERAGE = 0.6
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Words that carry the verdict, not a fact a passage could state.
_LABELS = frozenset({"yes", "no", "before", "after", "answer", "both", "true", "false"})


@dataclass(frozen=True)
class Statement:
    text: str
    cited: tuple[str, ...]  # the text each citation points at (passage shown to the model, or the verified quote)
    invalid: int = 0  # markers that point at no passage


def statements(text: str, resolve: Callable[[int], str | None]) -> list[Statement]:
    """Split an answer into statements; ``resolve(n)`` gives the text citation ``[n]`` points at."""
    out = []
    for body, markers in split_claims(text):
        cited, invalid = [], 0
        for n in dict.fromkeys(markers):  # a marker repeated in one sentence is one citation
            target = resolve(n)
            if target is None:
                invalid += 1
            else:
                cited.append(target)
        out.append(Statement(body, tuple(cited), invalid))
    return out


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def lexically_entails(premise: str, hypothesis: str) -> bool:
    """φ of the lexical judge (module docstring)."""
    if not premise:
        return False
    if _numbers(hypothesis) - _numbers(premise):
        return False
    terms = stemmed_terms(hypothesis) - _LABELS
    if not terms:
        return True
    return len(terms & stemmed_terms(premise)) / len(terms) >= LEXICAL_COVERAGE


@dataclass
class CitationCounts:
    statements: int = 0
    statements_cited: int = 0
    citations: int = 0
    invalid_citations: int = 0
    gold_supported_statements: int = 0
    gold_precise_citations: int = 0
    lexical_supported_statements: int = 0
    lexical_precise_citations: int = 0
    left_out: int = 0  # sentences verification took out of the answer (not statements: the answer lacks them)
    per_answer: list[dict] = field(default_factory=list)

    def add(self, other: "CitationCounts") -> None:
        for name in ("statements", "statements_cited", "citations", "invalid_citations", "gold_supported_statements",
                     "gold_precise_citations", "lexical_supported_statements", "lexical_precise_citations", "left_out"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> dict:
        def share(a: int, b: int) -> float | None:
            return a / b if b else None

        return {
            "statements": self.statements,
            "left_out": self.left_out,
            "citations": self.citations,
            "invalid_citations": self.invalid_citations,
            "cited_statement_share": share(self.statements_cited, self.statements),
            "gold": {"precision": share(self.gold_precise_citations, self.citations),
                     "recall": share(self.gold_supported_statements, self.statements)},
            "lexical": {"precision": share(self.lexical_precise_citations, self.citations),
                        "recall": share(self.lexical_supported_statements, self.statements)},
        }


def judge_statements(items: Sequence[Statement], facts: Sequence[str]) -> CitationCounts:
    """Count supported statements and precise citations under both judges."""
    counts = CitationCounts()
    for s in items:
        counts.statements += 1
        counts.invalid_citations += s.invalid
        counts.citations += len(s.cited) + s.invalid
        if not s.cited:
            continue
        counts.statements_cited += 1
        gold = [citation_matches_gold(c, facts) for c in s.cited]
        counts.gold_precise_citations += sum(gold)
        counts.gold_supported_statements += any(gold) and not s.invalid
        # ALCE: recall needs the concatenation of all citations to entail the statement; a citation is
        # imprecise when the rest entails it without that citation and the citation alone does not.
        together = lexically_entails("\n".join(s.cited), s.text)
        if together and not s.invalid:
            counts.lexical_supported_statements += 1
        if together:
            if len(s.cited) == 1:
                counts.lexical_precise_citations += 1
            else:
                for i, c in enumerate(s.cited):
                    rest = "\n".join(x for j, x in enumerate(s.cited) if j != i)
                    irrelevant = not lexically_entails(c, s.text) and lexically_entails(rest, s.text)
                    counts.lexical_precise_citations += not irrelevant
    return counts


def quote_is_exact(citation, texts: dict[str, str]) -> bool:
    """The citation's quote is the document file's text at the citation's offsets.

    ``texts`` caches file contents by path across calls, so each file is read once.
    """
    if citation.path not in texts:
        try:
            texts[citation.path] = Path(citation.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            texts[citation.path] = ""
    return texts[citation.path][citation.start:citation.end] == citation.quote
