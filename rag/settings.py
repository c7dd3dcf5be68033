"""One typed settings object with a documented default for every knob.

:class:`Settings` holds the knobs of the whole product in groups (``settings.retrieval.k``,
``settings.llm.n_ctx``, ``settings.serve.serve_queue``, ...); each knob's default is written once,
here (the index's own knobs in ``index/``, held here as the ``vectors``, ``cluster`` and ``indexing`` groups), with a docstring
saying what it does and why that value. ``rag settings`` prints them all.

Knob names are unique across the groups, so a knob can also be named alone: ``Settings(k=8)``,
``settings.with_overrides(k=8)`` and ``rag ask --set k=8`` all change ``settings.retrieval.k``.

This module is also the one place the product's environment variables are read (:data:`ENVIRONMENT`,
:func:`env_value`); ``index/`` cannot import it and reads its own two (``RAG_EMBEDDER_CACHE``,
``RAG_RECORD_FIELDS``) in ``index/``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import textwrap
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from index.cluster import ClusterSettings
from index.settings import IndexingSettings
from index.vectors import VectorLimits

from .errors import SettingsError
from .verification.settings import VerifierSettings

__all__ = ["Settings", "RetrievalSettings", "ContextSettings", "ConversationSettings", "LLMSettings",
           "ServeSettings", "LimitsSettings", "GROUPS", "default_index_dir", "llm_url_problem", "env_name_problem",
           "env_value", "ENVIRONMENT", "FIELD_ENVIRONMENT"]

ENVIRONMENT = {
    "RAG_INDEX": "default of Settings.index_dir (see default_index_dir)",
    "RAG_LLM_URL": "default of Settings.llm.llm_url",
    "RAG_LLM_MODEL": "default of Settings.llm.llm_model",
    "RAG_LLM_API_KEY_ENV": "default of Settings.llm.llm_api_key_env",
    "RAG_CACHE_DIR": "where downloaded models are kept (rag.models.cache_dir)",
    "RAG_EVAL_CACHE": "where evaluation data sets and their indexes are kept (rag.evaluation.beir.cache_root)",
    "RAG_DEBUG": "1: the command line prints the traceback of an unexpected error",
    "RAG_UI_PASSWORD": "the password of 'rag ui' (ui.web_security)",
    "RAG_API_KEY": "the API key 'rag serve' requires unless --api-key-env names another variable",
    "RAG_EMBEDDER_CACHE": "where ONNX exports of the embedder are kept (read in index/embedder.py)",
    "RAG_RECORD_FIELDS": "which fields of JSON/CSV records are title, text, date... (read in index/formats/records.py)",
    "XDG_DATA_HOME": "base of the default index folder",
    "XDG_CACHE_HOME": "base of the default cache folders",
}
"""The environment variables the product reads, and what for. :func:`env_value` is the only reader
outside ``index/`` (which reads ``RAG_EMBEDDER_CACHE`` and ``RAG_RECORD_FIELDS`` itself, since it
cannot import ``rag``), besides the API-key variable a user names (``llm_api_key_env``, ``--api-key-env``)."""


FIELD_ENVIRONMENT = {"index_dir": "RAG_INDEX", "llm_url": "RAG_LLM_URL", "llm_model": "RAG_LLM_MODEL",
                     "llm_api_key_env": "RAG_LLM_API_KEY_ENV"}
"""The environment variables that give a setting its default, by the setting's name."""


def env_value(name: str, environ: typing.Mapping[str, str] | None = None) -> str | None:
    """The value of environment variable ``name``; None when unset or empty."""
    return (os.environ if environ is None else environ).get(name) or None


def _from_environment(name: str):
    """A default factory: the environment variable behind setting ``name``, None when unset or empty."""
    return lambda: env_value(FIELD_ENVIRONMENT[name])


def default_index_dir() -> Path:
    """``$RAG_INDEX``, else ``$XDG_DATA_HOME/rag-news/index``, else ``~/.local/share/rag-news/index``."""
    explicit = env_value(FIELD_ENVIRONMENT["index_dir"])
    if explicit:
        return Path(explicit).expanduser()
    base = env_value("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "rag-news" / "index"


FUSIONS = ("rrf", "linear")
"""Values of ``retrieval.fusion``."""
RERANKERS = ("none", "sentences")
"""Values of ``retrieval.rerank``."""


# ---- the groups ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalSettings:
    """How passages are chosen: hybrid retrieval, fusion, reranking, and the gate that abstains before generating."""

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

    min_relevance: float = 0.45
    """Abstain without calling the LLM when no chunk reaches this cosine similarity to the question..."""

    min_coverage: float = 0.3
    """...and fewer than this share of the question's key terms occur in the retrieved passages.
    Both tuned on MultiHop-RAG dev (250 queries): 87% of null queries abstain before generation,
    1.8% of answerable ones do (docs/BENCHMARKS.md)."""

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion method {self.fusion!r}; use one of {', '.join(FUSIONS)}")
        if self.rerank not in RERANKERS:
            raise ValueError(f"unknown reranker {self.rerank!r}; use one of {', '.join(RERANKERS)}")


@dataclass(frozen=True)
class ContextSettings:
    """What of the retrieved passages goes into the prompt, and what is kept out of it."""

    context_tokens: int = 480
    """Token budget of the evidence in the prompt. Prompt evaluation is the wait on a CPU (~31
    tokens/s for the 1.5B model on 2 cores): 480 gave a median first token of 13.6 s on the sample
    corpus, 240 gave 6.6 s but lost one of 18 answers there and a sixth of MultiHop dev's gold facts
    from the evidence, so 480 is the default (docs/BENCHMARKS.md, "What the time goes to")."""

    term_weight: float = 0.2
    """When the evidence must be cut to ``context_tokens``, a sentence's score is its cosine to the question
    plus this much per key term it shares with the question, times the term's rarity among the candidate
    sentences (:func:`rag.text.term_rarity`: "Port Alder", in every sentence, barely counts; "manager", in
    one, decides, where MiniLM's cosine rated the mayor's election sentences above "Manager Callum Reyes,
    ..." for "Who is the manager of Port Alder Rovers?"). Swept over 0.03-0.3 (docs/BENCHMARKS.md): 0.2
    showed the most gold facts at 240 tokens and lost none at 480."""

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

    verdict_position: str = "first"
    """Where the hint after a yes/no question asks for the verdict: ``first`` (:data:`rag.prompts.VERDICT_HINT`:
    "Begin your answer with Yes or No", then the deciding facts) or ``last`` (:data:`rag.prompts.VERDICT_LAST_HINT`:
    the deciding fact of each passage first, then the verdict, which the answer then shows first, as
    :func:`rag.questions.verdict_to_front` moves it). Measured in
    docs/decisions/2026-12-06-verdict-after-the-facts.md."""


@dataclass(frozen=True)
class ConversationSettings:
    """How much of a conversation is read to rewrite a follow-up question into a standalone one."""

    history_turns: int = 3
    """Previous turns of a conversation kept verbatim for rewriting follow-ups."""

    history_tokens: int = 350
    """Token budget of the history in the rewrite prompt (the verbatim turns, newest first; a quarter of
    it for the compact list of earlier topics). The rewrite is a second prompt evaluated on the CPU
    before retrieval, so it is kept under the evidence budget (``context_tokens``, 480)."""


@dataclass(frozen=True)
class LLMSettings:
    """The model that writes the draft answer: in this process (``model``) or on a server (``llm_url``)."""

    model: str = "default"
    """``default`` (Qwen2.5-Coder-1.5B), ``small`` (0.5B) or a path to a GGUF file."""

    n_ctx: int = 4096
    """Context window of the LLM in tokens."""

    n_threads: int | None = None
    """CPU threads for the LLM (default: all cores)."""

    max_answer_tokens: int = 200
    """Upper bound on the answer length; answers are a few sentences."""

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

    llm_connect_timeout: float = 5.0
    """Seconds to establish a connection to the LLM server. A server that accepts nothing in 5 s is down or
    filtered, and this wait is paid on every retry; ``llm_timeout`` bounds the waits after connecting."""

    llm_retry_delay: float = 0.5
    """Seconds before the first retry of a failed connection; each further retry waits twice as long
    (0.5 s, then 1 s with the default two retries): long enough for a server that is just starting to
    bind its port, short enough that a server that is not running fails within seconds."""

    def llm_api_key(self) -> str | None:
        """The API key from the variable ``llm_api_key_env`` names; a named but unset variable is an error."""
        if not self.llm_api_key_env:
            return None
        problem = env_name_problem(self.llm_api_key_env)
        if problem:
            raise SettingsError(f"the API key variable (--llm-api-key-env or {FIELD_ENVIRONMENT['llm_api_key_env']}) {problem}")
        key = env_value(self.llm_api_key_env)
        if not key:
            raise SettingsError(f"the environment variable {self.llm_api_key_env}, named as holding the LLM server's "
                                f"API key, is not set (or empty); set it, or leave out --llm-api-key-env")
        return key


@dataclass(frozen=True)
class ServeSettings:
    """``rag serve`` and ``rag ui``: how many answers at once, how long they may take, how logins are throttled."""

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

    warm_bm25_index: bool = True
    """``rag serve``: read the index's BM25 (FTS5) postings once at start, in the background, so the OS page
    cache holds them before questions need them. At 10M passages (5.0 GB of postings, read in 44 s) hybrid
    retrieval on fresh questions took 154.8 / 1,054 ms p50/p95 with them on disk and 87.0 / 149.6 ms once
    read (benchmarks/bench_fts_warm.py); on a small index it takes milliseconds and changes nothing."""

    max_loaded_models: int = 3
    """``rag ui``: models kept loaded for the next question; a user trying several GGUF files should not
    fill the memory with all of them (each takes 0.5-2 GB)."""

    login_max_failures: int = 5
    """Wrong passwords from one client address within ``login_window_s`` after which that address's
    attempts are refused, even with the right password, until the oldest failure is a window old:
    at most 5 guesses a minute, which a person mistyping never reaches."""

    login_window_s: float = 60.0
    """Seconds of the sliding window ``login_max_failures`` counts in."""

    login_delay_step_s: float = 0.25
    """Seconds a failed login waits before it is answered, doubling with each failure in the window
    (0.25, 0.5, 1, 2, 2 s): a script guesses slowly, a person barely notices."""

    login_delay_max_s: float = 2.0
    """Longest wait of a failed (or refused) login."""

    login_max_clients: int = 10_000
    """Client addresses whose failed logins are remembered at most (the oldest are forgotten first),
    so a flood of addresses cannot fill the memory."""


@dataclass(frozen=True)
class LimitsSettings:
    """The largest inputs accepted from a user or a client; beyond them a request is refused, not cut."""

    max_upload_bytes: int = 20 * 1024 * 1024
    """Largest file that may be uploaded (``rag ui`` and ``POST /v1/documents``): larger files are almost
    never articles, and they hold the indexer (and the two CPU cores) for minutes."""

    serve_max_body_bytes: int = 1 << 20
    """``rag serve``: largest JSON request body (413 beyond): a question with its history is kilobytes."""

    serve_max_upload_bytes: int = 50 << 20
    """``rag serve``: largest ``POST /v1/documents`` body, all files together (413 beyond); each file is
    also held to ``max_upload_bytes``."""


GROUPS: dict[str, type] = {
    "retrieval": RetrievalSettings,
    "context": ContextSettings,
    "conversation": ConversationSettings,
    "llm": LLMSettings,
    "serve": ServeSettings,
    "limits": LimitsSettings,
    "vectors": VectorLimits,
    "verification": VerifierSettings,
    "cluster": ClusterSettings,
    "indexing": IndexingSettings,
}
"""The groups of :class:`Settings`, by attribute name (``vectors`` is defined in index/vectors.py, ``cluster``
in index/cluster.py, ``indexing`` in index/settings.py)."""


# ---- Settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """Every knob of the product, in groups. ``Settings(k=8)`` and ``Settings(retrieval=...)`` both work."""

    index_dir: Path = field(default_factory=default_index_dir)
    """Where the index lives (``--index``, or the ``RAG_INDEX`` environment variable)."""

    embedder: str = "all-MiniLM-L6-v2"
    """``all-MiniLM-L6-v2`` (packaged) or a sentence-transformers folder."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    vectors: VectorLimits = field(default_factory=VectorLimits)

    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    indexing: IndexingSettings = field(default_factory=IndexingSettings)
    verification: VerifierSettings = field(default_factory=VerifierSettings)
    """The sentence verifier's thresholds and switches (rag/verification/settings.py; docs/VERIFIER.md)."""

    def llm_api_key(self) -> str | None:
        """The API key of the LLM server (:meth:`LLMSettings.llm_api_key`)."""
        return self.llm.llm_api_key()

    def with_overrides(self, **changes) -> "Settings":
        """A copy with the given knobs changed; ``None`` means unchanged.

        A name is a field of Settings (``index_dir``, a whole group such as ``retrieval``) or a knob of
        one group (``k`` changes ``retrieval.k``). An unknown name is a :class:`TypeError`.
        """
        unknown = [name for name in changes if name not in _TOP and name not in _OWNER]
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in changes.items() if v is not None}
        top = {k: v for k, v in changes.items() if k in _TOP}
        for name, value in changes.items():
            if name not in _TOP:
                group = _OWNER[name]
                top[group] = replace(top.get(group, getattr(self, group)), **{name: value})
        if "index_dir" in top:
            top["index_dir"] = Path(top["index_dir"]).expanduser()
        return replace(self, **top)

    @staticmethod
    def knob_names() -> list[str]:
        """Every knob's flat name (what ``with_overrides`` and ``--set NAME=VALUE`` take), groups excluded."""
        return [name for name in _TOP if name not in GROUPS] + list(_OWNER)

    def describe(self) -> list[tuple[str, object, str]]:
        """``(dotted name, value, description)`` for every knob, in order: what ``rag settings`` prints."""
        rows = []
        for f in fields(self):
            if f.name in GROUPS:
                group = getattr(self, f.name)
                docs = field_docs(type(group))
                rows.extend((f"{f.name}.{g.name}", getattr(group, g.name), docs.get(g.name, "")) for g in fields(group))
            else:
                rows.append((f.name, getattr(self, f.name), field_docs(Settings).get(f.name, "")))
        return rows

    def with_assignments(self, assignments: typing.Iterable[str]) -> "Settings":
        """A copy with ``NAME=VALUE`` assignments applied in order (``--set``; NAME flat or ``group.name``).

        Raises :class:`SettingsError` (exit code 2) for a malformed assignment, an unknown name or a bad value.
        """
        settings = self
        for assignment in assignments:
            name, sep, text = assignment.partition("=")
            name = name.strip()
            if not sep or not name:
                raise SettingsError(f"--set {assignment}: expected NAME=VALUE, e.g. --set k=6; 'rag settings' lists the names")
            flat, value = settings.parse_value(name, text)
            try:
                settings = settings.with_overrides(**{flat: value}) if value is not None else _set_none(settings, flat)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"--set {assignment}: {exc}") from None
        return settings

    def parse_value(self, name: str, text: str):
        """``text`` (from ``--set NAME=VALUE``) as the type of knob ``name`` (flat or ``group.name``).

        Raises :class:`SettingsError` for an unknown name or a value that is not of the knob's type.
        """
        flat = name.split(".", 1)[1] if name.count(".") == 1 and name.split(".", 1)[0] in GROUPS else name
        if "." in name and _OWNER.get(flat) != name.split(".", 1)[0]:
            flat = None
        if flat not in _OWNER and (flat not in _TOP or flat in GROUPS):
            close = [n for n in self.knob_names() if flat and (flat in n or n in flat)]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            raise SettingsError(f"--set {name}: no such setting{hint}; 'rag settings' lists them all")
        owner = Settings if flat in _TOP else GROUPS[_OWNER[flat]]
        current = getattr(self, flat) if flat in _TOP else getattr(getattr(self, _OWNER[flat]), flat)
        kind = typing.get_type_hints(owner)[flat]
        return flat, _convert(name, text, kind, current)


def _set_none(settings: Settings, name: str) -> Settings:
    """``settings`` with knob ``name`` set to None (``with_overrides`` reads None as "unchanged")."""
    if name in _TOP:
        return replace(settings, **{name: None})
    group = _OWNER[name]
    return replace(settings, **{group: replace(getattr(settings, group), **{name: None})})


def _convert(name: str, text: str, kind, current):
    """``text`` as a value of type ``kind`` (int, float, bool, str, Path, or one of them or None)."""
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union else (kind,)
    if type(None) in options and text.strip().lower() in ("none", "null", ""):
        return None
    options = [o for o in options if o is not type(None)]
    base = options[0] if options else str
    if typing.get_origin(base) is frozenset or base is frozenset:  # a set of names: "a,b" (empty: none)
        return frozenset(part.strip() for part in text.split(",") if part.strip())
    try:
        if base is bool:
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("not true/false")
        if base is int:
            return int(text.replace("_", ""))
        if base is float:
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("not a finite number")
            return value
        if base is Path:
            return Path(text).expanduser()
        return text
    except ValueError:
        raise SettingsError(f"--set {name}={text}: expected {base.__name__} (now {current!r})") from None


def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of dataclass ``cls`` (a string literal after the field)."""
    cached = _DOCS.get(cls)
    if cached is None:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        body = tree.body[0].body
        cached = {}
        for node, after in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
                cached[node.target.id] = " ".join(after.value.value.split())
        for name in GROUPS:  # a group is described by its class's docstring
            if cls is Settings:
                cached[name] = " ".join((GROUPS[name].__doc__ or "").split())
        _DOCS[cls] = cached
    return cached


_DOCS: dict[type, dict[str, str]] = {}
_TOP = tuple(f.name for f in fields(Settings))
_OWNER: dict[str, str] = {}
for _group, _cls in GROUPS.items():
    assert is_dataclass(_cls), _cls
    for _f in fields(_cls):
        if _f.name in _OWNER or _f.name in _TOP:
            raise AssertionError(f"setting {_f.name!r} is in two places ({_OWNER.get(_f.name, 'Settings')}, {_group}): "
                                 "knob names must be unique so that with_overrides(name=...) finds one")
        _OWNER[_f.name] = _group
    assert _f.default is not MISSING or _f.default_factory is not MISSING, _f.name

_generated_init = Settings.__init__


def _init(self, **changes) -> None:
    """``Settings(index_dir=..., k=8, retrieval=...)``: fields of Settings, or knobs of a group by their name."""
    unknown = [name for name in changes if name not in _TOP and name not in _OWNER]
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    top = {k: v for k, v in changes.items() if k in _TOP}
    grouped: dict[str, dict] = {}
    for name, value in changes.items():
        if name not in _TOP:
            grouped.setdefault(_OWNER[name], {})[name] = value
    for group, knobs in grouped.items():
        top[group] = replace(top[group], **knobs) if group in top else GROUPS[group](**knobs)
    _generated_init(self, **top)


Settings.__init__ = _init


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
