"""Evidence compression: fit the retrieved passages into the prompt's token budget.

On a CPU every prompt token costs time before the first answer token (about
30 ms each for the 1.5B model on 2 cores), so the prompt carries the
sentences that matter, not whole chunks. When the passages fit the budget
they go in whole; otherwise every sentence is scored by its cosine
similarity to the question (the same MiniLM embedder as retrieval, each
sentence prefixed with its article's title; about 0.1 s for 40 sentences)
plus up to 0.2 per shared key term (suffix-stemmed, so "budgeted" meets
"budget"), weighted by how few of the candidate sentences hold the term,
and sentences are taken best first until the budget is spent, then shown
in document order. A sentence that two
overlapping chunks of one article share is shown once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from index import embedding_header, split_sentences
from index.tokens import count_tokens

from .injection import CLASSIFIER_THRESHOLD, INJECTION_THRESHOLD, flagged_sentences, is_injection
from .settings import ContextSettings
from .text import stemmed_terms, term_rarity
from .types import Passage

__all__ = ["Evidence", "build_evidence", "is_instruction_like", "mark_suspicious", "passage_heading"]


@dataclass(frozen=True)
class Evidence:
    passages: tuple[Passage, ...]
    """The passages shown to the model, in prompt order: passage i is ``[i + 1]``."""
    texts: tuple[str, ...]
    """What the model sees of each passage (whole, or its selected sentences)."""
    tokens: int


# A passage is labelled in the prompt with the header it was embedded and BM25-indexed with.
passage_heading = embedding_header


# Retrieved text is data, never instructions. Sentences that address the model
# ("ignore previous instructions", "you are now ...") are left out of the prompt,
# and citation-like markers inside documents are removed so a document cannot
# plant "[1]" markers the model would copy.
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above|previous)\b|\bsystem prompt\b|"
    r"\byou are (now|an? (ai|assistant|language model))\b|\b(reply|respond|answer|say) (only )?with\b|\bnew instructions?\b",
    re.I,
)
_DOC_MARKER = re.compile(r"\s*\[\d{1,3}\]")


def is_instruction_like(sentence: str, threshold: float = INJECTION_THRESHOLD) -> bool:
    """Text addressed to the model (:func:`rag.injection.is_injection`, or the old phrase pattern)."""
    return bool(_INJECTION.search(sentence)) or is_injection(sentence, threshold)


def mark_suspicious(passage: Passage, threshold: float = INJECTION_THRESHOLD, *,
                    embed: Callable[[Sequence[str]], np.ndarray] | None = None, embedder_id: str | None = None,
                    classifier_threshold: float = CLASSIFIER_THRESHOLD) -> Passage:
    """``passage`` with :attr:`Passage.suspicious` holding its sentences addressed to the assistant
    (:func:`rag.injection.flagged_sentences`; with ``embed`` the sentence classifier too), added to
    any it already holds."""
    flagged = list(passage.suspicious)
    flagged += [f.text for f in flagged_sentences(passage.text, threshold, embed=embed, embedder_id=embedder_id,
                                                      classifier_threshold=classifier_threshold)]
    flagged += [text for text in (passage.text[s.start:s.end] for s in split_sentences(passage.text)) if _INJECTION.search(text)]
    unique = tuple(dict.fromkeys(flagged))
    return replace(passage, suspicious=unique) if unique != passage.suspicious else passage


def _sanitize(passage: Passage) -> Passage:
    """The passage as the model may see it: its suspicious sentences and fake markers dropped."""
    flagged = set(passage.suspicious)
    kept = [passage.text[s.start:s.end] for s in split_sentences(passage.text)
            if passage.text[s.start:s.end] not in flagged]
    return replace(passage, text=_DOC_MARKER.sub("", " ".join(kept)))


def build_evidence(passages: Sequence[Passage], question: str, budget: int,
                   embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                   injection_threshold: float | None = INJECTION_THRESHOLD,
                   term_weight: float = ContextSettings.term_weight) -> Evidence:
    """The passages' sentences that best answer ``question`` within ``budget`` tokens, suspicious ones left out.

    ``injection_threshold`` None: the passages are already marked (:func:`mark_suspicious`, as the answer
    pipeline does with the classifier before anything reads them), so the form rules do not run again.
    ``term_weight``: ``settings.context.term_weight``.
    """
    originals = list(passages) if injection_threshold is None else [mark_suspicious(p, injection_threshold) for p in passages]
    passages = [_sanitize(p) for p in originals]
    keep = [i for i, p in enumerate(passages) if p.text.strip()]
    originals, passages = [originals[i] for i in keep], [passages[i] for i in keep]
    headings = [passage_heading(p) for p in passages]
    heading_cost = sum(count_tokens(h) + 4 for h in headings)
    whole = [count_tokens(p.text) for p in passages]
    if heading_cost + sum(whole) <= budget:
        return Evidence(tuple(originals), tuple(p.text for p in passages), heading_cost + sum(whole))

    terms = stemmed_terms(question)
    sentences = [(rank, span) for rank, p in enumerate(passages) for span in split_sentences(p.text)]
    texts = [passages[rank].text[span.start:span.end] for rank, span in sentences]
    cosines = np.zeros(len(texts))
    if embed is not None and texts:
        # Each sentence is embedded with its article's title: "The project has a budget of
        # 48.5 million pounds" only matches a question about the bridge through its title.
        vectors = embed([question, *(f"{passages[rank].title}: {text}" for (rank, _), text in zip(sentences, texts))])
        cosines = vectors[1:] @ vectors[0]
    shared = [terms & stemmed_terms(text) for text in texts]
    rarity = term_rarity(shared)
    scored = []  # (score, passage rank, sentence position, rank, start, end, tokens)
    for (rank, span), text, cosine, common in zip(sentences, texts, cosines, shared):
        lexical = sum(rarity[t] for t in common)
        scored.append((float(cosine) + term_weight * min(lexical, 5.0), -rank, -span.start, rank, span.start, span.end,
                       count_tokens(text)))
    scored.sort(reverse=True)

    used = 0
    chosen: dict[int, list[tuple[int, int]]] = {}
    shown_sentences: set[tuple[str, str]] = set()
    for _, _, _, rank, start, end, tokens in scored:
        # Neighbouring chunks of one article overlap: a sentence they share is shown once.
        key = (passages[rank].doc_id, passages[rank].text[start:end])
        if key in shown_sentences:
            continue
        extra = tokens + (count_tokens(headings[rank]) + 4 if rank not in chosen else 0)
        if used + extra > budget:
            continue
        chosen.setdefault(rank, []).append((start, end))
        shown_sentences.add(key)
        used += extra
    kept_passages, shown = [], []
    for rank in sorted(chosen):
        p = passages[rank]
        spans = sorted(chosen[rank])
        pieces = []
        previous_end = None
        for start, end in spans:
            if previous_end is not None and p.text[previous_end:start].strip():
                pieces.append("...")
            pieces.append(p.text[start:end])
            previous_end = end
        kept_passages.append(originals[rank])
        shown.append(" ".join(pieces))
    return Evidence(tuple(kept_passages), tuple(shown), used)
