"""Exceptions raised by the corpus side.

Every error carries an actionable message; the CLI and UI translate them into
one line and an exit code (see ``rag/cli.py``), never a traceback.
"""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "IndexNotFoundError",
    "IndexMismatchError",
    "IndexCorruptError",
    "DocumentNotFoundError",
    "LoaderError",
    "EmbedderError",
]


class CorpusError(Exception):
    """Base class of every error raised by the ``index`` package."""

    exit_code = 1


class IndexNotFoundError(CorpusError):
    """No index exists at the given directory."""

    exit_code = 3


class IndexMismatchError(CorpusError):
    """The index was built with settings that differ from the requested ones."""

    exit_code = 4


class IndexCorruptError(CorpusError):
    """The index files exist but cannot be read."""

    exit_code = 5


class DocumentNotFoundError(CorpusError):
    """A document or chunk id is not in the index."""

    exit_code = 6


class LoaderError(CorpusError):
    """A file could not be turned into a document (reported, then skipped)."""

    exit_code = 7


class EmbedderError(CorpusError):
    """The embedding model is missing or could not be loaded."""

    exit_code = 8
