"""Files of records: a JSON array, JSON lines, CSV/TSV. Each record becomes one document.

Fields are found by name (case-insensitive), first match wins:

=========  ==========================================================
title      ``title``, ``headline``, ``name``
text       ``body``, ``text``, ``content``, ``article``, ``abstract``
date       ``published_at``, ``publishedAt``, ``date``, ``published``, ``pubDate``, ``created_at``
url        ``url``, ``link``
source     ``source``, ``site``, ``publisher``
author     ``author``
=========  ==========================================================

``RAG_RECORD_FIELDS`` overrides a role for every record file, e.g.
``RAG_RECORD_FIELDS='text=abstract,title=headline|subject'``.

A record's document text is ``title + "\\n\\n" + text`` with ``body_start`` at
the text, so chunk offsets are into that record text (not into the file). The
document id is ``document_id_for(f"{resolved path}#{key}")`` where ``key`` is the
record's ``_id``/``id`` when it has one, else its 0-based position in the file;
so re-indexing an edited dump updates records in place. Fields the mapping does
not use (``category``, ``metadata``...) are kept in the document's metadata when
they are short scalars. A record without text is left out.

A JSON file may also be one object holding the records in a list (``{"data": [...]}``),
or a single record.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..documents import Document, document_id_for
from ..errors import LoaderError
from ._common import normalize_date, site_of
from .text import read_text_file

__all__ = ["DEFAULT_FIELDS", "FIELDS_ENV", "field_mapping", "load_records", "record_document"]

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("body", "text", "content", "article", "abstract"),
    "date": ("published_at", "publishedat", "date", "published", "pubdate", "created_at"),
    "url": ("url", "link"),
    "source": ("source", "site", "publisher"),
    "author": ("author",),
}
FIELDS_ENV = "RAG_RECORD_FIELDS"
_KEY_FIELDS = ("_id", "id")
# Metadata keeps the small fields only: a second copy of a long field would bloat the store.
_MAX_META_CHARS = 500


def field_mapping(override: str | None = None) -> dict[str, tuple[str, ...]]:
    """The default mapping with ``override`` (``role=name|name,...``; default: $RAG_RECORD_FIELDS) applied."""
    override = os.environ.get(FIELDS_ENV, "") if override is None else override
    mapping = dict(DEFAULT_FIELDS)
    for item in filter(None, (part.strip() for part in override.split(","))):
        role, sep, names = item.partition("=")
        role = role.strip().lower()
        if not sep or role not in DEFAULT_FIELDS or not names.strip():
            raise LoaderError(f"{FIELDS_ENV}: cannot read {item!r}; write role=field[|field...] with role one of "
                              f"{', '.join(DEFAULT_FIELDS)} (e.g. text=abstract,title=headline)")
        mapping[role] = tuple(n.strip().lower() for n in names.split("|") if n.strip())
    return mapping


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # paragraphs as a list of strings
        return "\n".join(_as_text(v) for v in value if v is not None)
    if isinstance(value, dict):  # {"source": {"id": null, "name": "BBC News"}} in news API dumps
        for key in ("name", "title", "text", "value"):
            if isinstance(value.get(key), str):
                return value[key]
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _lookup(record: dict, names: Iterable[str], lowered: dict[str, str]) -> tuple[str | None, Any]:
    for name in names:
        key = lowered.get(name)
        if key is not None and record[key] not in (None, "", []):
            return key, record[key]
    return None, None


def record_document(record: dict, key: str, path: Path, fmt: str, mapping: dict[str, tuple[str, ...]]) -> Document | None:
    """One record as a Document, or None when it has no text."""
    lowered = {str(k).lower(): k for k in record}
    used: set[str] = set()
    values: dict[str, Any] = {}
    for role, names in mapping.items():
        field, value = _lookup(record, names, lowered)
        if field is not None:
            used.add(field)
            values[role] = value
    body = _as_text(values.get("text")).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        return None
    title = " ".join(_as_text(values.get("title")).split())
    if title:
        text, body_start = f"{title}\n\n{body}", len(title) + 2
    else:
        text, body_start = body, 0
        first = body.split("\n", 1)[0]
        title = first if len(first) <= 120 else f"{path.stem} #{key}"
    url = _as_text(values.get("url")).strip() or None
    source = " ".join(_as_text(values.get("source")).split()) or site_of(url)
    metadata: dict[str, Any] = {"format": fmt, "record": key}
    author = values.get("author")
    if author:
        metadata["author"] = ", ".join(map(str, author)) if isinstance(author, list) else str(author)
    for field, value in record.items():
        if field in used or field in _KEY_FIELDS or str(field) in metadata:
            continue
        if isinstance(value, (int, float, bool)) or (isinstance(value, str) and 0 < len(value) <= _MAX_META_CHARS):
            metadata[str(field)] = value
        elif isinstance(value, dict) and value and len(json.dumps(value, default=str)) <= _MAX_META_CHARS:
            metadata[str(field)] = value
    return Document(
        id=document_id_for(f"{path}#{key}"),
        title=title,
        text=text,
        path=str(path),
        date=normalize_date(values.get("date")),
        url=url,
        source=source or None,
        body_start=body_start,
        metadata=metadata,
    )


def _json_records(text: str, path: Path) -> tuple[str, list]:
    stripped = text.lstrip()
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if not (exc.msg == "Extra data" and stripped.startswith("{")):
            raise LoaderError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        return "jsonl", _jsonl_records(text, path)
    if isinstance(data, list):
        return "json", data
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
        if len(lists) == 1:  # {"data": [...]} and the like
            return "json", lists[0]
        return "json", [data]
    raise LoaderError(f"{path}: JSON holds a {type(data).__name__}, not records")


def _jsonl_records(text: str, path: Path) -> list:
    records = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise LoaderError(f"{path}: invalid JSON on line {lineno}: {exc.msg}") from None
    return records


def _csv_records(text: str, path: Path, delimiter: str | None) -> list:
    if delimiter is None:
        # The header row decides: names rarely contain a delimiter, while csv.Sniffer,
        # which looks at the data, is misled by commas inside quoted article text.
        header = text.split("\n", 1)[0]
        delimiter = max(",;\t|", key=lambda d: (header.count(d), d == ","))
    # Article bodies are longer than csv's default 128 KB field limit.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        if not reader.fieldnames:
            raise LoaderError(f"{path}: CSV has no header row")
        return [{k: v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise LoaderError(f"{path}: broken CSV ({exc})") from None


def _iter_documents(records: list, path: Path, fmt: str, mapping: dict) -> Iterator[Document]:
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise LoaderError(f"{path}: record {index} is a {type(record).__name__}, not an object")
        lowered = {str(k).lower(): k for k in record}
        key_field = next((lowered[k] for k in _KEY_FIELDS if k in lowered and record[lowered[k]] not in (None, "")), None)
        key = str(record[key_field]) if key_field is not None else str(index)
        if key in seen:  # duplicate ids in a dump must not overwrite each other
            key = f"{key}@{index}"
        seen.add(key)
        doc = record_document(record, key, path, fmt, mapping)
        if doc is not None:
            yield doc


def load_records(path: Path, doc_id: str) -> list[Document]:
    """All records of a .json/.jsonl/.csv/.tsv file (``doc_id`` is unused: each record has its own)."""
    mapping = field_mapping()
    text = read_text_file(path)
    if not text.strip():
        raise LoaderError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        fmt, records = "csv", _csv_records(text, path, "\t" if suffix == ".tsv" else None)
    elif suffix in (".jsonl", ".ndjson"):
        fmt, records = "jsonl", _jsonl_records(text, path)
    else:
        fmt, records = _json_records(text, path)
    if not records:
        raise LoaderError(f"{path}: no records")
    documents = list(_iter_documents(records, path, fmt, mapping))
    if not documents:
        first = records[0] if isinstance(records[0], dict) else {}
        raise LoaderError(
            f"{path}: no record has a text field; records have {sorted(map(str, first))[:12]}, expected one of "
            f"{'|'.join(mapping['text'])} (set {FIELDS_ENV}, e.g. text=summary)")
    return documents
