"""One typed settings object with a documented default for every knob."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

__all__ = ["Settings", "default_index_dir"]


def default_index_dir() -> Path:
    """``$RAG_INDEX``, else ``$XDG_DATA_HOME/rag-news/index``, else ``~/.local/share/rag-news/index``."""
    explicit = os.environ.get("RAG_INDEX")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "rag-news" / "index"


@dataclass(frozen=True)
class Settings:
    index_dir: Path = field(default_factory=default_index_dir)
    """Where the index lives (``--index``, or the ``RAG_INDEX`` environment variable)."""

    model: str = "default"
    """``default`` (Qwen2.5-Coder-1.5B), ``small`` (0.5B) or a path to a GGUF file."""

    embedder: str = "all-MiniLM-L6-v2"
    """``all-MiniLM-L6-v2`` (packaged) or a sentence-transformers folder."""

    k: int = 4
    """Passages given to the model. Each costs prompt tokens, and prompt tokens are the latency on CPU."""

    candidates: int = 100
    """Chunks fetched from each retriever (dense, BM25) before fusion. 100 costs no more time than 30
    (FTS5 scores every match before sorting anyway) and gives evaluation its Recall@100 depth."""

    fusion: str = "linear"
    """How dense and BM25 candidates are combined: ``linear`` (weighted sum of min-max normalised
    scores) or ``rrf`` (reciprocal rank fusion). Linear beat RRF on SciFact train and MultiHop-RAG dev,
    see docs/BENCHMARKS.md."""

    rrf_k: float = 60
    """Reciprocal-rank-fusion constant (``fusion="rrf"``): score = sum weight / (rrf_k + rank)."""

    dense_weight: float = 0.5
    """Weight of the dense (embedding) route in the fusion."""

    lexical_weight: float = 0.5
    """Weight of the lexical (BM25) route in the fusion."""

    duplicate_cosine: float = 0.95
    """Passages at least this similar (cosine) to a better-ranked one are dropped as near-duplicates."""

    rerank: str = "none"
    """``none`` or ``sentences``: rescore the top ``rerank_depth`` fused chunks by their best single
    sentence's cosine to the question, with the embedder. Off: it gained 0.013 nDCG@10 on 200 SciFact
    train queries but lost 0.011 on test, and embeds ~70 sentences per query (seconds on 2 cores)."""

    rerank_depth: int = 20
    """Fused chunks rescored by the reranker."""

    rerank_weight: float = 0.5
    """Share of the reranker's (min-max normalised) score in the final score of reranked chunks."""

    context_tokens: int = 480
    """Token budget of the evidence in the prompt. Prompt evaluation is the wait on a CPU (~31
    tokens/s for the 1.5B model on 2 cores): 480 gave a median first token of 13.6 s on the sample
    corpus, 240 gave 6.6 s but lost one of 18 answers there and a sixth of MultiHop dev's gold facts
    from the evidence, so 480 is the default (docs/BENCHMARKS.md, "What the time goes to")."""

    max_answer_tokens: int = 200
    """Upper bound on the answer length; answers are a few sentences."""

    min_relevance: float = 0.45
    """Abstain without calling the LLM when no chunk reaches this cosine similarity to the question..."""

    min_coverage: float = 0.3
    """...and fewer than this share of the question's key terms occur in the retrieved passages.
    Both tuned on MultiHop-RAG dev (250 queries): 87% of null queries abstain before generation,
    1.8% of answerable ones do (docs/BENCHMARKS.md)."""

    injection_threshold: float = 0.5
    """Score of :func:`rag.injection.score` (the summed weights of a sentence's instruction features)
    at or above which a retrieved sentence is treated as an instruction planted for the assistant:
    left out of the evidence, never cited, and the passage shown as suspicious. Chosen on the even
    half of tests/data/injection_documents.json; both halves and the honest false-flag rates on four
    clean corpora are in docs/SECURITY.md (``benchmarks/injection.py``)."""

    injection_classifier_threshold: float = 0.5
    """Probability of the sentence classifier of :mod:`rag.injection` (over the embedder's vectors)
    at or above which a sentence that also shows a form signal of an address is flagged. Not tuned
    (the logistic regression's own midpoint); docs/SECURITY.md has its measured effect."""

    n_ctx: int = 4096
    """Context window of the LLM in tokens."""

    n_threads: int | None = None
    """CPU threads for the LLM (default: all cores)."""

    history_turns: int = 3
    """Previous turns of a conversation kept verbatim for rewriting follow-ups."""

    def with_overrides(self, **changes) -> "Settings":
        """A copy with the given fields changed; unknown names are an error, ``None`` means unchanged."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in changes.items() if v is not None}
        if "index_dir" in changes:
            changes["index_dir"] = Path(changes["index_dir"]).expanduser()
        return replace(self, **changes)
