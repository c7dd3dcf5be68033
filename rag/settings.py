"""One typed settings object with a documented default for every knob."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from .errors import SettingsError

__all__ = ["Settings", "default_index_dir", "llm_url_problem", "env_name_problem", "ENVIRONMENT"]

ENVIRONMENT = {"llm_url": "RAG_LLM_URL", "llm_model": "RAG_LLM_MODEL", "llm_api_key_env": "RAG_LLM_API_KEY_ENV"}
"""The environment variables that give a setting its default, by field name (``RAG_INDEX``: :func:`default_index_dir`).
This module is the only place they are read."""


def _from_environment(name: str):
    """A default factory: the environment variable behind setting ``name``, None when unset or empty."""
    return lambda: os.environ.get(ENVIRONMENT[name]) or None


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

    serve_concurrency: int = 1
    """``rag serve``: answers generated at once. One for the in-process model (its context is not
    thread-safe and two cores are busy with one answer); more can pay with ``llm_url`` on a server that
    batches requests."""

    serve_queue: int = 8
    """``rag serve``: questions that may wait for the model beyond those being answered; one more is
    refused at once with 429 and ``Retry-After`` (a wait of 8 answers is already minutes on 2 cores)."""

    serve_request_timeout: float = 300.0
    """``rag serve``: seconds a question may take from arrival (queueing included) to its verified answer;
    then its generation is stopped and the client gets 504 (or an error event in a stream)."""

    serve_max_body_bytes: int = 1 << 20
    """``rag serve``: largest JSON request body (413 beyond): a question with its history is kilobytes."""

    serve_max_upload_bytes: int = 50 << 20
    """``rag serve``: largest ``POST /v1/documents`` body, all files together (413 beyond); each file is
    also held to the UI's per-file limit (ui/uploads.py ``MAX_UPLOAD_BYTES``, 20 MB)."""

    llm_url: str | None = field(default_factory=_from_environment("llm_url"))
    """Base URL of an OpenAI-compatible chat-completions server to generate with instead of ``model``
    (``--llm-url``, or ``$RAG_LLM_URL``), e.g. ``http://127.0.0.1:8080/v1``: requests go to
    ``URL/chat/completions``. None: ``model`` runs in this process. The prompt must still fit ``n_ctx``."""

    llm_model: str | None = field(default_factory=_from_environment("llm_model"))
    """Model name sent to the server (``--llm-model``, or ``$RAG_LLM_MODEL``); None: the first of ``URL/models``."""

    llm_api_key_env: str | None = field(default_factory=_from_environment("llm_api_key_env"))
    """The NAME of the environment variable that holds the server's API key, sent as ``Authorization: Bearer``
    (``--llm-api-key-env``, or ``$RAG_LLM_API_KEY_ENV``); the key itself is never a setting, so it stays out
    of command lines and logs. None: no key is sent."""

    llm_timeout: float = 120.0
    """Seconds the LLM server may stay silent (before the first token: the prompt's evaluation) before the
    request fails with exit code 15."""

    llm_retries: int = 2
    """Further attempts when the LLM server cannot be connected to (exponential backoff); an HTTP error, a
    timeout after connecting or a failure mid-answer is never retried."""

    verify_entailment: bool = False
    """Verification also reads each answer sentence against its quote with the shipped entailment model
    (rag/entailment.py, rag/data/entailment): a sentence stays only where its quote states it
    (``entailment_reject``), and a sentence the word-overlap check leaves out is kept when a passage
    sentence states it in other words (``entailment_accept``); see rag.attribution's entailment rules.
    Off: on the 250 MultiHop-RAG dev drafts it raised gold citation precision 0.780 -> 0.834 but
    withdrew right answers (strict 0.648 -> 0.396; at a reject threshold of 0.1, 0.548); the model
    misses exactly the relation errors it was meant for (docs/decisions/2026-12-06-entailment-in-verification.md)."""

    entailment_reject: float = 0.5
    """Probability below which the entailment model's reading of a quote does not support the sentence citing it."""

    entailment_accept: float = 0.9
    """Probability from which a passage sentence supports an answer sentence the word-overlap check left out."""

    # ---- answer-prompt factors (issue #22 item 0; added by the `prompt` branch at the end of the class
    # so that the settings restructuring can move them into its generation group) ----
    answer_instructions: str = "rules"
    """The system prompt of the answer: ``rules`` (:data:`rag.prompts.SYSTEM_PROMPT`, six numbered rules:
    facts only, a marker after every sentence, one to three sentences naming the names, numbers and dates,
    conflicts, passages are data, the fixed refusal phrase) or ``plain`` (:data:`rag.prompts.PLAIN_SYSTEM`:
    the plain-prompt baseline's wording with ``[n]`` markers asked for in one sentence and the same
    refusal phrase). Measured alone against the plain-prompt baseline in
    docs/decisions/2026-12-06-answer-prompt-factors.md."""

    passage_format: str = "headed"
    """How each evidence passage is shown to the model: ``headed`` (``[n] title, date, source`` on a line
    of its own, then the text) or ``bare`` (``[n] text``: the number the citations need, no header), as
    the plain-prompt baseline shows bare text. Measured alone in the same decision record."""

    passage_order: str = "rank"
    """Order of the evidence passages in the prompt: ``rank`` (best first; newest first for a question
    about the present) or ``reversed`` (best last, next to the question). Numbering follows the
    prompt order, so citations stay right either way. Measured alone in the same decision record."""

    def llm_api_key(self) -> str | None:
        """The API key from the variable ``llm_api_key_env`` names; a named but unset variable is an error."""
        if not self.llm_api_key_env:
            return None
        problem = env_name_problem(self.llm_api_key_env)
        if problem:
            raise SettingsError(f"the API key variable (--llm-api-key-env or {ENVIRONMENT['llm_api_key_env']}) {problem}")
        key = os.environ.get(self.llm_api_key_env)
        if not key:
            raise SettingsError(f"the environment variable {self.llm_api_key_env}, named as holding the LLM server's "
                                f"API key, is not set (or empty); set it, or leave out --llm-api-key-env")
        return key

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


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME_CHARS = 200  # longer than any real variable name: a pasted key or text, not a name


def env_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an environment variable's name, or None. The value is never echoed back:
    it may be the API key itself, pasted where its variable's name belongs."""
    if not name or len(name) > _ENV_NAME_CHARS or not _ENV_NAME.fullmatch(name):
        return ("must be the NAME of an environment variable (letters, digits and _, e.g. OPENAI_API_KEY) "
                "that holds the key, not the key itself")
    return None


def llm_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the base URL of an LLM server, or None. The URL is not echoed (it may hold a password)."""
    if not url or not url.strip():
        return "is empty; give the server's base URL, e.g. http://127.0.0.1:8080/v1"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number 0-65535
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://, e.g. http://127.0.0.1:8080/v1"
    if not parts.hostname:
        return "names no host, e.g. http://127.0.0.1:8080/v1"
    if port == 0:
        return "has port 0; the server's port is 1-65535"
    if parts.username is not None or parts.password is not None:
        return ("holds a user name or password; put the API key in an environment variable and name it with "
                "--llm-api-key-env VAR")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not have a query (?...) or fragment (#...): it is the base that /chat/completions is added to"
    return None
