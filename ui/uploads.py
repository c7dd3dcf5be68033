"""Saving uploaded files under ``<index_dir>/uploads`` safely.

The browser sends a file name; nothing about it is trusted. Names are reduced
to a plain base name of safe characters (no folders, no ``..``, no hidden
files, which the indexer skips), the type and size are checked, and a file is
never overwritten: a clash gets a ``-1``, ``-2``... suffix, created with
``O_EXCL`` so two uploads at once cannot pick the same name, then filled by
an atomic rename (``rag.atomic_target``). Uploading the
same bytes under the same name again reuses the saved file.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag import LimitsSettings, atomic_target, supported_extensions

__all__ = ["ALLOWED_EXTENSIONS", "UploadError", "SavedUpload", "safe_filename", "save_upload"]

# What a user may upload. The index decides what it can actually read (formats
# are added there over time); a file it cannot read is reported and removed.
ALLOWED_EXTENSIONS = supported_extensions()


_MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class UploadError(ValueError):
    """An upload that is refused; the message says why and is shown to the user."""


@dataclass(frozen=True)
class SavedUpload:
    path: Path
    original_name: str
    reused: bool = False  # identical bytes were already saved under this name


def safe_filename(name: str) -> str:
    """A harmless base name for ``name``: no folders, no leading dots, safe characters, allowed extension.

    Raises :class:`UploadError` when the extension is not allowed or nothing usable is left.
    """
    base = re.split(r"[\\/]", name or "")[-1]  # a browser may send C:\\fakepath\\x or ../../x
    base = unicodedata.normalize("NFKC", base).replace("\x00", "")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = "." + ext.lower() if ext else ""
    if ext not in ALLOWED_EXTENSIONS:
        allowed = " ".join(ALLOWED_EXTENSIONS)
        raise UploadError(f"file type {ext or '(none)'} is not accepted (allowed: {allowed})")
    stem = _UNSAFE.sub("_", stem).strip(" ._-")
    stem = re.sub(r"\.{2,}", ".", stem)[: _MAX_NAME - len(ext)].strip(" ._-")
    return f"{stem or 'upload'}{ext}"


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def save_upload(source: str | os.PathLike[str], folder: str | os.PathLike[str], name: str | None = None,
                max_bytes: int = LimitsSettings.max_upload_bytes) -> SavedUpload:
    """Copy the uploaded file ``source`` into ``folder`` under a safe, unused name; ``max_bytes``: the
    ``limits.max_upload_bytes`` setting."""
    source = Path(source)
    original = name or source.name
    clean = safe_filename(original)
    size = source.stat().st_size
    if size > max_bytes:
        raise UploadError(f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit per file")
    if size == 0:
        raise UploadError("the file is empty")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    stem, ext = clean[: -len(Path(clean).suffix)], Path(clean).suffix
    for i in range(10_000):
        candidate = folder / (clean if i == 0 else f"{stem}-{i}{ext}")
        if candidate.resolve().parent != root:  # belt and braces: the name cannot leave the folder
            raise UploadError("unsafe file name")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if candidate.is_file() and _same_bytes(candidate, source):
                return SavedUpload(candidate, original, reused=True)
            continue
        os.close(fd)
        # The name is now reserved; fill it atomically so a crash never leaves half a file under it.
        try:
            with atomic_target(candidate) as tmp:
                shutil.copyfile(source, tmp)
        except BaseException:
            candidate.unlink(missing_ok=True)
            raise
        return SavedUpload(candidate, original)
    raise UploadError("too many files with this name")
