"""Exceptions of the question side, and the exit codes the CLI maps them to.

``index`` errors (missing index, mismatch, ...) are re-exported here so API
users catch one family: every error this package raises is a ``RagError`` or
an ``index.CorpusError``; :data:`USER_ERRORS` is the tuple of both.

Exit codes (documented in the README):
  1 generic error, 2 usage error, 3 no index, 4 index built with other settings,
  5 index corrupt, 6 unknown document/passage id, 7 file could not be read,
  8 embedder missing, 10 model missing or corrupt, 11 model failed to load
  (often not enough memory), 12 prompt does not fit the model's context,
  130 interrupted.
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
    "ContextOverflowError",
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


class ModelLoadError(RagError):
    """llama.cpp could not load the model (bad file, or not enough memory)."""

    exit_code = 11


class ContextOverflowError(RagError):
    """The prompt does not fit the model's context window."""

    exit_code = 12


USER_ERRORS = (RagError, CorpusError)
