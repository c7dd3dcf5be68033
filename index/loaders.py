"""Turn files and folders into :class:`Document` objects.

Which loader reads a file is the format registry's business (``index/formats``:
by content when it is unambiguous, else by extension). This module walks the
folders, refuses what must not be read (special files, links leading outside,
oversized files, index folders) and turns every failure into a :class:`Skipped`
record naming the file and the reason: loading never stops for one bad file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

from .documents import Document, capped, document_id_for
from .errors import LoaderError
from .formats import LOADERS, loader_for, parse_news, read_text_file, supported_extensions
from .layout import MANIFEST, STORE
from .settings import IndexingSettings

__all__ = [
    "Skipped",
    "LOADERS",
    "loader_for",
    "iter_files",
    "is_index_dir",
    "supported_extensions",
    "load_files",
    "load_path",
    "load_file",
    "parse_news",
    "read_text_file",
]

@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str

    def __post_init__(self) -> None:
        # A file name that is not valid UTF-8 reaches Python as lone surrogates, which
        # print() and JSON output cannot encode: report it with U+FFFD in their place.
        object.__setattr__(self, "path", _printable(self.path))
        object.__setattr__(self, "reason", _printable(self.reason))


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _printable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


_LINK_LOOP = "symbolic link loop (the link leads back to itself)"
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _special_file(path: Path) -> str | None:
    """What ``path`` is when it is neither a regular file nor a folder, else None.

    Such files are skipped before anything opens them: reading a FIFO with no writer
    blocks forever, and a device never ends.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing or a dangling link: load_file reports the error
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), None)


def _missing_reason(path: Path) -> str:
    """Why ``path``, which does not exist, cannot be read: said the same way load_file says it."""
    if not path.is_symlink():
        return "no such file or folder"
    try:
        os.stat(path)
    except OSError as exc:
        return _LINK_LOOP if exc.errno == errno.ELOOP else exc.strerror or str(exc)
    return "no such file or folder"


def _inside(real: str, roots: Iterable[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _outside_reason(real: str) -> str:
    return (f"symbolic link leads outside the indexed folders (to {real}); "
            "use --follow-symlinks to index it")


def is_index_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds an index (manifest.json + store.sqlite): never indexed as documents."""
    return os.path.isfile(os.path.join(path, MANIFEST)) and os.path.isfile(os.path.join(path, STORE))


def iter_files(paths: Iterable[str | os.PathLike[str]], skipped: list[Skipped], *, follow_symlinks: bool = False,
               exclude: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Yield supported files under ``paths`` (recursive, sorted, symlink loops safe).

    Hidden files and folders (``.git``, ``.index``) are not entered. Paths that
    do not exist or are unsupported are reported in ``skipped``. Each real file
    is yielded once per run, however many links reach it (two would give one
    document id twice). Unless ``follow_symlinks``, a symbolic link whose target
    lies outside the real paths of ``paths`` is skipped and reported: a folder
    must not pull in /etc/passwd through a link. Folders in ``exclude`` and any
    folder holding an index are never entered (an index must not index itself).
    """
    paths = list(paths)
    roots = [os.path.realpath(Path(p).expanduser()) for p in paths]
    excluded = {os.path.realpath(e) for e in exclude}
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()

    def accept(path: Path) -> bool:
        """Whether ``path`` may be yielded (inside the roots, not seen yet); reports the refusals."""
        real = os.path.realpath(path)
        if not follow_symlinks and not _inside(real, roots):
            skipped.append(Skipped(str(path), _outside_reason(real)))
            return False
        if real in seen_files:  # a second link to a file already indexed in this run
            return False
        seen_files.add(real)
        return True

    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            skipped.append(Skipped(str(root), _missing_reason(root)))
            continue
        special = _special_file(root)
        if special:
            skipped.append(Skipped(str(root), f"not a regular file: {special}"))
            continue
        if root.is_file():
            if root.suffix.lower() in LOADERS or loader_for(root) is not None:
                if accept(root):
                    yield root
            else:
                skipped.append(Skipped(str(root), f"unsupported file type {root.suffix or '(none)'}"))
            continue
        if os.path.realpath(root) in excluded or is_index_dir(root):
            skipped.append(Skipped(str(root), "this folder is an index, not documents"))
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=lambda e: skipped.append(Skipped(str(e.filename), e.strerror or str(e)))):
            try:
                stat = os.stat(dirpath)
            except OSError as exc:
                skipped.append(Skipped(dirpath, exc.strerror or str(exc)))
                dirnames[:] = []
                continue
            key = (stat.st_dev, stat.st_ino)
            if key in seen_dirs:  # a symlink loop or a second link to a folder already walked
                dirnames[:] = []
                continue
            seen_dirs.add(key)
            kept = []
            for d in sorted(d for d in dirnames if not d.startswith(".")):
                sub = os.path.join(dirpath, d)
                real = os.path.realpath(sub)
                if not follow_symlinks and not _inside(real, roots):
                    skipped.append(Skipped(sub, _outside_reason(real)))
                elif real in excluded or is_index_dir(sub):
                    continue  # the index's own folder (conversations, uploads) or another index
                else:
                    kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                special = _special_file(path)
                if special:
                    skipped.append(Skipped(str(path), f"not a regular file: {special}"))
                elif path.suffix.lower() in LOADERS or loader_for(path) is not None:
                    if accept(path):
                        yield path
                else:
                    skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'}"))


def load_file(path: Path, max_bytes: int | None = None) -> list[Document]:
    """Load one file into its documents; raises :class:`LoaderError` with the reason. A file over
    ``max_bytes`` (None: :attr:`IndexingSettings.max_file_bytes`) is refused."""
    if max_bytes is None:
        max_bytes = IndexingSettings().max_file_bytes
    if _SURROGATE.search(str(path)):
        # The store and every citation need the path as text; bytes that are not UTF-8
        # cannot be written there and the file could not be opened again from it.
        raise LoaderError(f"{path}: the file name is not valid UTF-8; rename the file to index it")
    try:
        resolved = path.resolve()
        info = resolved.stat()
    except RuntimeError:  # what Path.resolve() raises in a symlink loop before Python 3.13
        raise LoaderError(f"{path}: {_LINK_LOOP}") from None
    except OSError as exc:
        reason = _LINK_LOOP if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise LoaderError(f"{path}: {reason}") from None
    size = info.st_size
    if not stat.S_ISREG(info.st_mode):
        kind = next((kind for test, kind in _SPECIAL_KINDS if test(info.st_mode)), "a folder")
        raise LoaderError(f"{path}: not a regular file: {kind}")
    if size > max_bytes:
        raise LoaderError(f"{path}: {size / 1e6:.0f} MB is over the {max_bytes / 1e6:.0f} MB limit per file")
    # A link's own name counts too: iter_files accepted "notes.txt" -> "/data/notes" by it.
    loader = loader_for(resolved) or LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(f"{path}: unsupported file type {path.suffix or '(none)'}")
    try:
        result = loader(resolved, document_id_for(str(resolved)))
    except LoaderError as exc:
        # Loaders name the resolved path; callers strip the path they passed in.
        message = str(exc)
        if message.startswith(f"{resolved}: ") and resolved != path:
            raise LoaderError(f"{path}: {message[len(str(resolved)) + 2:]}") from None
        raise
    except (OSError, ValueError, UnicodeError) as exc:
        raise LoaderError(f"{path}: {exc}") from None
    except RecursionError:  # JSON arrays or XML elements nested thousands deep
        raise LoaderError(f"{path}: nested too deeply to read") from None
    except MemoryError:  # freed again once this file's objects are dropped; the next file may fit
        raise LoaderError(f"{path}: not enough memory to read it") from None
    docs = result if isinstance(result, list) else [result]
    return [capped(_without_surrogates(d)) for d in docs if d.text[d.body_start:].strip()]


def _without_surrogates(doc: Document) -> Document:
    """The document with lone UTF-16 surrogates replaced by U+FFFD.

    JSON may spell them (``"\\ud800"``), but the embedder's tokenizer and SQLite
    reject them, and the whole batch would fail. One code point for one keeps every
    offset (``body_start``, pages) valid.
    """
    fields = {name: _printable(value) for name in ("text", "title", "url", "source", "date")
              if isinstance(value := getattr(doc, name), str) and _SURROGATE.search(value)}
    if any(isinstance(v, str) and _SURROGATE.search(v) for v in doc.metadata.values()):
        fields["metadata"] = {k: _printable(v) if isinstance(v, str) else v for k, v in doc.metadata.items()}
    return replace(doc, **fields) if fields else doc


def load_files(files: Iterable[Path], skipped: list[Skipped],
               max_bytes: int | None = None) -> Iterator[tuple[Path, list[Document]]]:
    """Load each of ``files`` in turn, yielding ``(file, its documents)`` (``max_bytes``: :func:`load_file`).

    A file that cannot be read, or holds no text, yields no documents and is
    reported in ``skipped`` with the reason; any error in one file (a loader's
    own bug included) never stops the files after it.
    """
    for path in files:
        try:
            loaded = load_file(path, max_bytes)
        except Exception as exc:  # one bad file never stops a run
            skipped.append(Skipped(str(path), str(exc).removeprefix(f"{path}: ")))
            loaded = []
        else:
            if not loaded:
                skipped.append(Skipped(str(path), "no text to index"))
        yield path, loaded


def load_path(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths``; returns (documents, skipped)."""
    skipped: list[Skipped] = []
    documents = [doc for _, docs in load_files(iter_files(paths, skipped), skipped) for doc in docs]
    return documents, skipped
