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
    "IndexFullError",
    "IndexReadOnlyError",
    "ClusterError",
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


class IndexFullError(CorpusError):
    """The disk (or the file system quota) is full while writing the index: exit code 9.

    Writes are transactions, so the index is unchanged since the last committed batch;
    free some space and run ``rag index`` again to resume.
    """

    exit_code = 9


class IndexReadOnlyError(CorpusError):
    """The index folder or its store.sqlite is read-only, so ``rag index`` cannot write it: exit code 13.

    A read-only index can still be searched and asked.
    """

    exit_code = 13


class ClusterError(CorpusError):
    """``rag index --cluster`` cannot use the cluster: exit code 17.

    Dask (the optional extra ``cluster``) is not installed, the scheduler cannot be reached,
    a worker embeds with another model, or the cluster failed mid-build. Every batch
    committed before stays in the index; run ``rag index`` again to resume.
    """

    exit_code = 17
