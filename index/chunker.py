"""Split a document's body into token-budgeted chunks at natural boundaries.

Chunks are built from sentences: consecutive sentences are packed until the
next one would exceed ``max_tokens``; a paragraph break is preferred as the cut
point once a chunk is at least half full. Each new chunk starts with the last
sentences of the previous one, up to ``overlap_tokens``, so a fact stated
across a sentence boundary is still whole in one chunk. A single sentence
longer than the budget is cut at whitespace.

Why sentence granularity: answers are verified sentence by sentence and
citations quote whole sentences, so a chunk must never cut a sentence in two
(an evidence sentence split across chunks can never be matched).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from .documents import Chunk, Document, chunk_id_for
from .tokens import count_tokens, prefix_chars

__all__ = ["ChunkerSettings", "Span", "chunk_document", "split_sentences"]


@dataclass(frozen=True)
class ChunkerSettings:
    """How documents are cut. Recorded in the index manifest; changing it needs a rebuild."""

    max_tokens: int = 160
    """Token budget of one chunk (cl100k). Small enough that 3-4 chunks fit a fast CPU prompt."""
    overlap_tokens: int = 32
    """At most this many tokens of trailing whole sentences repeat at the start of the next chunk."""

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError("max_tokens must be at least 16")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise ValueError("overlap_tokens must be between 0 and max_tokens / 2")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    paragraph_start: bool  # first sentence of a paragraph


# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and
# whitespace, when the next character can start a sentence. Common abbreviations
# ("Mr.", "U.S.") are not ends. A match starts only where a run of . ! ? starts,
# and its quantifiers never give back: otherwise a long run of dots without a
# sentence after it ("....." x 20,000) is rescanned from every dot, quadratic time.
_SENTENCE_END = re.compile(r"""(?<![.!?])[.!?]++["'”’)\]]*+\s++(?=["'“‘(\[]?[A-Z0-9])""")
# An abbreviation is at most this many characters before its period ("Sept", "e.g", initials
# are found from inside too), so the check looks back this far, not to the sentence start:
# a line of "Mr. Mr. Mr. ..." would otherwise be rescanned from its start at every period.
_ABBREVIATION_WINDOW = 40
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|Inc|Ltd|Co|Corp|vs|No|Vol|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|etc|e\.g|i\.e)|\b[A-Z](?:\.[A-Z])*)\.$"
)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of ``text[start:end]`` with offsets into ``text``; whitespace is trimmed.

    Each line is a paragraph (the news format has one paragraph per line).
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p_start, p_end = start + para.start(), start + para.end()
        first = True
        cursor = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            if text[match.start():match.end()].rstrip().endswith(".") and _ABBREVIATION.search(
                    text, max(cursor, match.start() - _ABBREVIATION_WINDOW), match.start() + 1):
                continue  # "Mr. Smith", "U.S. troops": not a sentence end
            _append_trimmed(spans, text, cursor, match.end(), first)
            first = False
            cursor = match.end()
        _append_trimmed(spans, text, cursor, p_end, first)
    return spans


def _append_trimmed(spans: list[Span], text: str, start: int, end: int, paragraph_start: bool) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end, paragraph_start))


def _split_long(text: str, span: Span, max_tokens: int) -> Iterator[Span]:
    """Cut a sentence longer than the budget at whitespace into budget-sized pieces."""
    start = span.start
    first = span.paragraph_start
    while start < span.end:
        # Grow by words until the budget is reached; tokens ≈ chars/4 gives the first guess.
        guess = min(span.end, start + max_tokens * 4)
        # Finish the word, but only within a bounded reach: a run without whitespace
        # (a base64 blob, a minified line) is cut inside. Scanning to the run's end for
        # every piece made a few MB without spaces take hours.
        reach = min(span.end, guess + max_tokens * 4)
        while guess < reach and not text[guess].isspace():
            guess += 1
        if guess == reach < span.end and not text[reach].isspace():
            # Inside such a run, cut where the budget's last token ends: one tokenization
            # instead of shrinking by quarters (BPE is slow on one long word).
            guess = start + max(1, prefix_chars(text[start:guess], max_tokens))
        while count_tokens(text[start:guess]) > max_tokens:
            cut = text.rfind(" ", start + 1, start + max(1, (guess - start) * 3 // 4))
            guess = cut if cut > start else start + max(1, (guess - start) * 3 // 4)
        yield Span(start, guess, first)
        first = False
        start = guess
        while start < span.end and text[start].isspace():
            start += 1


def chunk_document(document: Document, settings: ChunkerSettings = ChunkerSettings()) -> list[Chunk]:
    """Chunks of the document body; ``document.text[c.start:c.end] == c.text`` for each."""
    text = document.text
    sentences: list[tuple[Span, int]] = []
    for span in split_sentences(text, document.body_start):
        n = count_tokens(text[span.start:span.end])
        if n > settings.max_tokens:
            for piece in _split_long(text, span, settings.max_tokens):
                sentences.append((piece, count_tokens(text[piece.start:piece.end])))
        else:
            sentences.append((span, n))

    # Tokens from each sentence to the end of its paragraph: lets the packer see
    # whether the next paragraph would fit whole.
    rest_of_paragraph = [0] * len(sentences)
    running = 0
    for idx in range(len(sentences) - 1, -1, -1):
        running += sentences[idx][1]
        rest_of_paragraph[idx] = running
        if sentences[idx][0].paragraph_start:
            running = 0

    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        group = [sentences[i]]
        total = sentences[i][1]
        j = i + 1
        while j < len(sentences):
            span, n = sentences[j]
            if total + n > settings.max_tokens:
                break
            if span.paragraph_start and total >= settings.max_tokens // 2 and total + rest_of_paragraph[j] > settings.max_tokens:
                break  # the next paragraph will not fit whole: cut at the paragraph break, not inside it
            group.append(sentences[j])
            total += n
            j += 1
        start, end = group[0][0].start, group[-1][0].end
        chunk_text = text[start:end]
        chunks.append(
            Chunk(
                id=chunk_id_for(document.id, len(chunks)),
                doc_id=document.id,
                text=chunk_text,
                start=start,
                end=end,
                n_tokens=count_tokens(chunk_text),
                ordinal=len(chunks),
            )
        )
        if j >= len(sentences):
            break
        # Overlap: step back over trailing whole sentences that fit the overlap budget,
        # but always advance by at least one sentence.
        back, carried = j, 0
        while back - 1 > i and carried + sentences[back - 1][1] <= settings.overlap_tokens:
            back -= 1
            carried += sentences[back][1]
        i = max(back, i + 1)
    return chunks
