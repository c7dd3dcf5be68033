"""Exceptions of the question side, and the exit codes the CLI maps them to.

``index`` errors (missing index, mismatch, ...) are re-exported here so API
users catch one family: every error this package raises is a ``RagError`` or
an ``index.CorpusError``; :data:`USER_ERRORS` is the tuple of both.

Exit codes (documented in the README):
  1 generic error, 2 usage error, 3 no index, 4 index built with other settings,
  5 index corrupt, 6 unknown document/passage id, 7 file could not be read,
  8 embedder missing, 10 model missing or corrupt, 11 model failed to load
  (often not enough memory), 12 prompt does not fit the model's context (also when
  an LLM server says so), 13 index is read-only, 14 LLM server unreachable (nothing
  accepts connections at --llm-url), 15 LLM server timed out, 16 LLM server error
  (HTTP 4xx/5xx, a rejected API key, an unknown model, a malformed or cut-off stream),
  17 ``rag index --cluster`` cannot use the cluster (index.errors.ClusterError), 130 interrupted. A setting with an unusable value (:class:`SettingsError`) is a
  usage error, 2.
"""

from __future__ import annotations

from index.errors import (
    CorpusError,
    DocumentNotFoundError,
    EmbedderError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    LoaderError,
)

__all__ = [
    "RagError",
    "ModelNotFoundError",
    "ModelLoadError",
    "EntailmentModelError",
    "ContextOverflowError",
    "SettingsError",
    "LLMUnreachableError",
    "LLMTimeoutError",
    "LLMServerError",
    "LLMAuthError",
    "CorpusError",
    "DocumentNotFoundError",
    "EmbedderError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "LoaderError",
    "USER_ERRORS",
]


class RagError(Exception):
    """Base class of errors raised by the ``rag`` package."""

    exit_code = 1


class ModelNotFoundError(RagError):
    """The named model is not known, its file is missing, or its bytes are corrupt."""

    exit_code = 10


class EntailmentModelError(ModelNotFoundError):
    """The shipped entailment model (rag/data/entailment) is missing or unreadable: a broken install."""


class ModelLoadError(RagError):
    """llama.cpp could not load the model (bad file, or not enough memory)."""

    exit_code = 11


class ContextOverflowError(RagError):
    """The prompt does not fit the model's context window."""

    exit_code = 12


class SettingsError(RagError):
    """A setting, or the environment variable it comes from, has an unusable value (a usage error)."""

    exit_code = 2


class LLMUnreachableError(RagError):
    """Nothing accepts connections at the LLM server's URL (after the bounded retries)."""

    exit_code = 14


class LLMTimeoutError(RagError):
    """The LLM server accepted the request but sent nothing for the configured timeout."""

    exit_code = 15


class LLMServerError(RagError):
    """The LLM server answered with an error (HTTP 3xx/4xx/5xx, unknown model) or a malformed or cut-off stream."""

    exit_code = 16


class LLMAuthError(LLMServerError):
    """The LLM server refused the request for its API key (HTTP 401/403): missing or wrong."""


USER_ERRORS = (RagError, CorpusError)
