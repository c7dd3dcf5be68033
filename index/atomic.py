"""Writing a file so that a reader sees the old content or the new, never half of it.

The new content goes to a hidden temporary file beside the target (same folder,
so same file system), which then replaces the target in one rename. A crash or
an error on the way leaves the target as it was, and the temporary file is
removed. The temporary name starts with a dot, so the indexer, which skips
hidden files, never picks one up from a folder it watches (uploads).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_target", "write_atomic"]


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on leaving the block without error it replaces ``path``.

    For writers that need a file name rather than bytes (FAISS, a copy, a
    streamed download). On an error the temporary file is removed and
    ``path`` is left untouched.
    """
    path = Path(path)
    # pid and thread: two writers of one file, in two processes or two threads, never share a temporary.
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, encoding: str | None = None) -> None:
    """Write ``data`` to ``path`` atomically: bytes as they are, text like ``Path.write_text(data, encoding)``."""
    with atomic_target(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
