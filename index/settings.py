"""The indexing knobs of ``index/``: how documents are batched into transactions, how big a file may be,
and BM25's frequent-term rule. ``rag.settings.Settings`` holds them as its ``indexing`` group (``index/``
cannot import ``rag``); :meth:`index.corpus_index.CorpusIndex.open` takes them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IndexingSettings"]


@dataclass(frozen=True)
class IndexingSettings:
    """How documents are read and committed, and which words BM25 leaves out (index/corpus_index.py, index/store.py)."""

    commit_chunks: int = 256
    """A batch of documents is chunked, embedded and committed in one transaction when it holds this many
    chunks (or ``commit_docs`` documents, whichever comes first); a crash loses at most the batch in flight.
    The embedder sorts a batch by length and pads each group of 32 only to its own longest text, so batches
    of a few hundred chunks embed short news about twice as fast as 16-document batches (1.19x faster builds
    for 140 MiB more peak RSS, docs/decisions/2026-11-28-commit-batches.md). A document of more chunks is
    embedded and staged in steps of this many (docs/decisions/2026-12-05-big-files-and-dedup.md)."""

    commit_docs: int = 64
    """...or when it holds this many documents: small enough that a kill loses little work, large enough
    that embedding batches stay efficient."""

    build_batch: int = 65_536
    """Vectors read from the store per step when the FAISS index is rebuilt: the build never holds every
    float32 vector at once, only the index's own codes (index/vectors.py: memory per passage)."""

    max_file_bytes: int = 50 * 1024 * 1024
    """A file bigger than this is reported and skipped: it is almost certainly not an article, and reading
    it would stall indexing for minutes and bloat the index."""

    bm25_max_term_postings: int | None = 50_000
    """BM25 leaves out of the query a word found in more than this many passages (when every word is, it
    asks for passages holding all of them instead); None keeps every word. FTS5 scores every passage that
    matches any query word, so a frequent word costs time in proportion to its posting list while adding
    little to the ranking. A corpus of at most this many passages never drops a word. 100 queries, p50 / p95:
    74.6 / 125.9 ms at 1M synthetic passages, 65.8 / 139.0 ms at 3M (every word: 943 / 2,090 ms at 3M);
    20,000 was faster at p50 but 1.5 s at p95 at 3M, 100,000 was 150 / 268 ms at 1M
    (docs/decisions/2026-12-06-scale-bm25-nprobe.md)."""
