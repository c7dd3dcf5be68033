"""Turn files into :class:`Document` objects.

Formats are chosen by extension, with a content check for the news format: a
``.txt`` file whose first three lines are a title, a ``YYYYMMDD`` date and a URL
is read as a news article. Loaders never raise for one bad file; the caller gets
a :class:`Skipped` record naming the file and the reason, and goes on.

Extra formats register themselves in :data:`LOADERS`, and a content sniffer in
:data:`SNIFFERS` that recognises PDF, DOCX/ODT and HTML whatever their name
(see ``index/formats``).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlparse

from .documents import Document, capped, document_id_for
from .errors import LoaderError

__all__ = [
    "Skipped",
    "LOADERS",
    "MAX_FILE_BYTES",
    "SNIFFERS",
    "loader_for",
    "iter_files",
    "is_index_dir",
    "supported_extensions",
    "load_path",
    "load_file",
    "parse_news",
    "read_text_file",
]

# A document bigger than this is almost certainly not an article; reading it
# would stall indexing for minutes and bloat the index. Reported and skipped.
MAX_FILE_BYTES = 50 * 1024 * 1024

_DATE_LINE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_URL_LINE = re.compile(r"^\s*(https?://\S+|www\.\S+)\s*$")


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


def read_text_file(path: Path) -> str:
    """Decode a text file the way ``open(path).read()`` would with the right encoding.

    UTF-8 first (with or without BOM); then UTF-16 when a BOM says so; then
    cp1252, which decodes any byte sequence that is plausibly Western text.
    Newlines are translated like text-mode ``open`` so offsets match what a
    user gets from ``open(path, encoding=...).read()``.
    """
    raw = path.read_bytes()
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoaderError(f"{path}: looks like a binary file (NUL bytes), not text")
    for encoding in ("utf-8-sig", "utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise LoaderError(f"{path}: not valid UTF-8 or cp1252 text ({exc.reason})") from None
    # Universal newlines, as text-mode open() does.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _source_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url if "://" in url else f"http://{url}").hostname or ""
    return host.removeprefix("www.") or None


def parse_news(text: str, path: str, doc_id: str) -> Document | None:
    """Parse the seed news format, or return None when the header does not match.

    Line 1 title, line 2 date ``YYYYMMDD``, line 3 URL, then one paragraph per line.
    """
    lines = text.split("\n", 3)
    if len(lines) < 3:
        return None
    title, date_line, url_line = lines[0].strip(), lines[1], lines[2]
    date_match = _DATE_LINE.match(date_line)
    if not title or not date_match or not _URL_LINE.match(url_line):
        return None
    year, month, day = (int(g) for g in date_match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    body_start = len(lines[0]) + len(lines[1]) + len(lines[2]) + 3
    body_start = min(body_start, len(text))
    url = url_line.strip()
    return Document(
        id=doc_id,
        title=title,
        text=text,
        path=path,
        date=f"{year:04d}-{month:02d}-{day:02d}",
        url=url,
        source=_source_of(url),
        body_start=body_start,
        metadata={"format": "news"},
    )


# One ATX heading line: up to 3 spaces, 1-6 '#', a space, the rest of the line. Possessive
# quantifiers and the closing '#'s stripped in Python keep it linear: the former pattern
# "\s+(.+?)\s*#*\s*$" backtracked for minutes over a heading with a long run of spaces.
_MD_HEADING = re.compile(r"^[ \t]{0,3}+#{1,6}+[ \t]++(.+)$", re.M)
# "key: value" front matter lines (the value is stripped in Python, for the same reason).
_FRONT_MATTER_FIELD = re.compile(r"^(\w++):[ \t]*+(.*)$", re.M)


def _first_heading(text: str, start: int) -> str | None:
    """Text of the first Markdown heading at or after ``start``, without its closing '#'s."""
    for match in _MD_HEADING.finditer(text, start):
        line = match.group(1).rstrip()
        title = line.rstrip("#").rstrip() or line
        if title:
            return title
    return None


def _load_text(path: Path, doc_id: str) -> Document:
    text = read_text_file(path)
    if not text.strip():
        raise LoaderError(f"{path}: file is empty")
    news = parse_news(text, str(path), doc_id)
    if news is not None:
        return news
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), path.stem)
    return Document(id=doc_id, title=first_line[:200], text=text, path=str(path), metadata={"format": "text"})


def _load_markdown(path: Path, doc_id: str) -> Document:
    text = read_text_file(path)
    if not text.strip():
        raise LoaderError(f"{path}: file is empty")
    meta: dict[str, str] = {}
    body_start = 0
    # YAML-style front matter: only flat "key: value" lines are read (no YAML parser needed).
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            fields = ((k, v.strip()) for k, v in _FRONT_MATTER_FIELD.findall(text[4:end]))
            meta = {k.lower(): v.strip("\"'") for k, v in fields if v}
            body_start = min(len(text), end + 4)
    title = meta.get("title") or _first_heading(text, body_start) or path.stem
    date = _iso_date(meta.get("date", ""))
    url = meta.get("url")
    return Document(
        id=doc_id,
        title=title,
        text=text,
        path=str(path),
        date=date,
        url=url,
        source=meta.get("source") or _source_of(url),
        body_start=body_start,
        metadata={"format": "markdown", **{k: v for k, v in meta.items() if k not in {"title", "date", "url"}}},
    )


_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _iso_date(value: str) -> str | None:
    match = _ISO_DATE.search(value or "")
    if not match:
        return None
    year, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{year}-{month}-{day}"


# A loader takes (path, doc_id) and returns documents (several for record files).
Loader = Callable[[Path, str], "Document | list[Document]"]

LOADERS: dict[str, Loader] = {
    ".txt": _load_text,
    ".text": _load_text,
    ".news": _load_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
}


# Content sniffers, asked before the extension: (path, first bytes of the file) ->
# the loader the content calls for, or None to go by extension. index.formats
# registers one that recognises PDF, DOCX/ODT and HTML whatever the file is called.
SNIFFERS: list[Callable[[Path, bytes], "Loader | None"]] = []
SNIFF_BYTES = 8192


def loader_for(path: Path) -> Loader | None:
    """The loader for ``path``: by content when a sniffer recognises it, else by extension."""
    if SNIFFERS:
        try:
            with open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:
            head = b""
        for sniffer in SNIFFERS:
            loader = sniffer(path, head)
            if loader is not None:
                return loader
    return LOADERS.get(path.suffix.lower())


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


def supported_extensions() -> tuple[str, ...]:
    """Every file extension a loader accepts (``.txt``, ``.md``, ``.odt``, ``.tsv``, ``.ndjson``...), sorted."""
    return tuple(sorted(LOADERS))


def _inside(real: str, roots: Iterable[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _outside_reason(real: str) -> str:
    return (f"symbolic link leads outside the indexed folders (to {real}); "
            "use --follow-symlinks to index it")


def is_index_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds an index (manifest.json + store.sqlite): never indexed as documents."""
    return os.path.isfile(os.path.join(path, "manifest.json")) and os.path.isfile(os.path.join(path, "store.sqlite"))


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


def load_file(path: Path) -> list[Document]:
    """Load one file into its documents; raises :class:`LoaderError` with the reason."""
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
    if size > MAX_FILE_BYTES:
        raise LoaderError(f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit per file")
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


def load_path(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths``; returns (documents, skipped)."""
    skipped: list[Skipped] = []
    documents: list[Document] = []
    for path in iter_files(paths, skipped):
        try:
            loaded = load_file(path)
        except LoaderError as exc:
            skipped.append(Skipped(str(path), str(exc).removeprefix(f"{path}: ")))
            continue
        if not loaded:
            skipped.append(Skipped(str(path), "no text to index"))
        documents.extend(loaded)
    return documents, skipped


# Registers the extracted formats (HTML, PDF, DOCX, ODT, JSON/CSV records) in
# LOADERS and SNIFFERS. At the bottom because index.formats imports this module;
# the heavy libraries load only when a file of their format is read.
from . import formats as _formats  # noqa: E402,F401
