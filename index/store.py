"""SQLite store of documents, chunks, their vectors and the BM25 (FTS5) index.

SQLite is the single source of truth: a write is one transaction, so a crash
(even SIGKILL) leaves either the old or the new state, and WAL mode lets
readers keep reading while one writer updates. The FAISS file next to the
database is a cache keyed by the store's ``generation`` counter (see ``corpus_index.py``).

Format 3 keeps each chunk's float32 vector in its own table, ``chunk_vectors`` (same rowid),
written in the same transaction as the chunk and removed with it by a trigger. The pages that
every query reads, the FTS5 index and the chunk rows, then hold no vectors: at 10M passages the
vectors are 1,536 of the 5,556 bytes a passage and made the chunks table too large to stay in
the page cache (docs/SCALING.md, "The store's hot set"). Vectors are read by rowid only: to
re-score a compressed index's shortlist, to rebuild the FAISS file, to find a reusable vector.
The documents table keeps its full ``text`` last, so reading a row's metadata (title, pages)
does not walk the overflow pages of a long text.

Format 1 -> 2 added ``chunks.embed_hash``; format 2 -> 3 moves the vectors out and puts
``documents.text`` last. Both upgrades run when a store is opened writable, each as one
transaction (a crash leaves the old format, upgraded again at the next open); a read-only
store of an older format is read as it is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .documents import Chunk, Document
from .embedded_text import embed_key, embedded_text
from .errors import CorpusError, IndexCorruptError, IndexFullError, IndexReadOnlyError
from .settings import IndexingSettings

__all__ = ["Store", "ChunkRow", "SearchFilter", "domain_error"]


def domain_error(exc: sqlite3.Error, path: Path) -> CorpusError | None:
    """The index error an SQLite error stands for (full disk, read-only, corrupt), else None."""
    message = str(exc).lower()
    if "disk is full" in message or getattr(exc, "sqlite_errorcode", None) == 13:  # SQLITE_FULL
        return IndexFullError(f"the disk is full while writing {path}; the index is unchanged since the last "
                              "committed batch. Free some space and run rag index again to resume")
    if "readonly" in message or "read-only" in message:
        return IndexReadOnlyError(f"the index at {path.parent} is read-only ({exc}); it can be searched but not "
                                  "updated. Make it writable or build a new index with --index NEW_DIR")
    if "malformed" in message or "not a database" in message:
        return IndexCorruptError(f"{path} is corrupt ({exc}); rebuild the index with rag index")
    return None

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    date TEXT,
    url TEXT,
    source TEXT,
    body_start INTEGER NOT NULL,
    hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    pages TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    text TEXT NOT NULL  -- last: reading the columns before it does not walk a long text's overflow pages
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(hash);
CREATE INDEX IF NOT EXISTS documents_path ON documents(path);
CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
-- rag.verification asks for the sources at every answer (who reported what): 150-200 ms a call at 100k
-- documents without this index, ~6 ms with it (measured on a synthetic table, session 16).
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    header TEXT NOT NULL,
    text TEXT NOT NULL,
    embed_hash BLOB  -- embed_key(header + newline + text); NULL only while a format 1 store is upgraded
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    header, text, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, header, text) VALUES (new.rowid, new.header, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, header, text) VALUES ('delete', old.rowid, old.header, old.text);
END;
"""

# Format 3: the chunks' float32 vectors, by the chunk's rowid (see the module docstring).
SCHEMA_VECTORS = """
CREATE TABLE IF NOT EXISTS chunk_vectors (rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunks_vector_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_vectors WHERE rowid = old.rowid;
END;
"""

# Format 2 additions, created after the upgrade of a format 1 store gave chunks its embed_hash column.
SCHEMA_REUSE = """
CREATE INDEX IF NOT EXISTS chunks_embed_hash ON chunks(embed_hash);
CREATE TABLE IF NOT EXISTS staged_vectors (
    embed_hash BLOB PRIMARY KEY,
    doc_id TEXT NOT NULL,
    path TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS staged_vectors_doc ON staged_vectors(doc_id);
"""


def _statements(script: str) -> list[str]:
    """The statements of a schema script, one by one: ``executescript`` would commit an open transaction."""
    out, part = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        part += line
        if sqlite3.complete_statement(part):
            out.append(part.strip())
            part = ""
    return out


# Format 2 -> 3 (Store._upgrade_vectors): the new tables are filled from the old ones, then take their names.
_UPGRADE_3 = """
CREATE TABLE documents_3 (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, path TEXT NOT NULL, date TEXT, url TEXT, source TEXT,
    body_start INTEGER NOT NULL, hash TEXT NOT NULL, metadata TEXT NOT NULL, pages TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), text TEXT NOT NULL
);
INSERT INTO documents_3 (rowid, id, title, path, date, url, source, body_start, hash, metadata, pages, added_at, text)
    SELECT rowid, id, title, path, date, url, source, body_start, hash, metadata, pages, added_at, text FROM documents;
CREATE TABLE chunks_3 (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, n_tokens INTEGER NOT NULL,
    header TEXT NOT NULL, text TEXT NOT NULL, embed_hash BLOB
);
INSERT INTO chunks_3 (rowid, id, doc_id, ordinal, start, end, n_tokens, header, text, embed_hash)
    SELECT rowid, id, doc_id, ordinal, start, end, n_tokens, header, text, embed_hash FROM chunks;
CREATE TABLE chunk_vectors (rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);
INSERT INTO chunk_vectors (rowid, vector) SELECT rowid, vector FROM chunks;
DROP TABLE chunks;
DROP TABLE documents;
ALTER TABLE documents_3 RENAME TO documents;
ALTER TABLE chunks_3 RENAME TO chunks;
"""

# Keys per lookup query: well under SQLite's oldest bound-parameter limit (999).
_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class SearchFilter:
    """Metadata restrictions applied to both dense and lexical search.

    Dates are ISO ``YYYY-MM-DD`` strings, inclusive. ``sources`` match the
    document's source (site) case-insensitively, as a suffix of the host
    ("reuters.com" matches "www.reuters.com") or the whole name.
    """

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.sources or self.doc_ids)

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE clause over the ``documents`` table (alias d)."""
        clauses: list[str] = []
        params: list[object] = []
        if self.since:
            clauses.append("d.date >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("d.date <= ?")
            params.append(self.until)
        if self.sources:
            parts = []
            for source in self.sources:
                source = source.lower().strip()
                parts.append("(lower(d.source) = ? OR lower(d.source) LIKE ? OR lower(d.url) LIKE ?)")
                params.extend([source, f"%.{source}", f"%://{source}/%"])
            clauses.append("(" + " OR ".join(parts) + ")")
        if self.doc_ids:
            clauses.append(f"d.id IN ({','.join('?' * len(self.doc_ids))})")
            params.extend(self.doc_ids)
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True)
class ChunkRow:
    """A chunk joined with the metadata of its document."""

    rowid: int
    chunk: Chunk
    title: str
    date: str | None
    url: str | None
    path: str
    source: str | None
    page: int | None = None  # page of the chunk's first character, for paged formats (PDF)


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)

# English function words left out of BM25 queries. They carry almost no IDF weight, yet
# "the" or "of" matches nearly every chunk, and FTS5 must score every match before it
# can sort: dropping them made SciFact queries 4x faster (56 -> 14 ms p50) and nDCG@10
# slightly better (docs/BENCHMARKS.md). Words that can be content in news are kept on
# purpose: "us" (U.S.), "won", "will", "may".
_QUERY_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can cannot could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself me more most my myself no nor not of off on once
    only or other ought our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why with would you your yours yourself yourselves""".split()
)


def fts_terms(text: str) -> list[str]:
    """The words a BM25 query searches for: content words, in order, once each.

    Stopwords are dropped unless the query has nothing else (then all its words are kept).
    """
    words = [w for w in _FTS_TOKEN.findall(text.lower()) if len(w) > 1 or w.isdigit()]
    content = [w for w in words if w not in _QUERY_STOPWORDS]
    return list(dict.fromkeys(content or words))


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the query's content words OR-ed, each quoted (no syntax injection)."""
    return _match(fts_terms(text))


def _match(terms: Sequence[str]) -> str:
    return " OR ".join(f'"{w}"' for w in terms)


# BM25 frequent-term rule (IndexingSettings.bm25_max_term_postings, index/settings.py: why that value). The
# methods below take ``max_postings``; left out (``...``) it is the store's own setting.
_SETTING = ...


class Store:
    """Thread-safe access to one index database (one connection per thread)."""

    def __init__(self, path: Path, indexing: IndexingSettings | None = None) -> None:
        self.path = path
        self.indexing = indexing or IndexingSettings()
        self._local = threading.local()
        self._write_lock = threading.Lock()
        # A read-only file or folder (mode 555) is opened read-only, so the index stays searchable;
        # rag index then fails with IndexReadOnlyError instead of "cannot be opened".
        self.read_only = path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        self._immutable = False
        self._vectors = "chunk_vectors"  # the table holding the vectors: "chunks" in a read-only store of format 1 or 2
        self._upgrade_pending: str | None = None  # why writes refuse: an old store the disk has no room to upgrade
        try:
            with self.connection() as conn:
                if self.read_only:
                    self._vectors = self._vector_table(conn)
                else:
                    conn.executescript(SCHEMA)
                    self._upgrade(conn)
        except sqlite3.Error as exc:
            if self.read_only and not self._immutable:
                # WAL mode needs a -shm file it cannot create in a read-only folder; nobody can
                # write this database meanwhile, so reading it as immutable is safe.
                self.close()
                self._immutable = True
                with self.connection() as conn:
                    self._vectors = self._vector_table(conn)
            else:
                raise domain_error(exc, path) or exc from None

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:
                uri = f"{self.path.resolve().as_uri()}?{'immutable=1' if self._immutable else 'mode=ro'}"
                conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return _ConnectionContext(conn)  # type: ignore[return-value]

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and truncate it (a read-only store has none)."""
        if not self.read_only:
            with self.connection() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @staticmethod
    def _vector_table(conn: sqlite3.Connection) -> str:
        """``chunk_vectors`` (format 3), or ``chunks`` in a store of format 1 or 2 (its rows hold the vector)."""
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunk_vectors'").fetchone()
        return "chunk_vectors" if found else "chunks"

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Bring a store of format 1 or 2 to format 3, each step one transaction (a no-op on a current one)."""
        def has_key_column() -> bool:
            return "embed_hash" in {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}

        if not has_key_column():
            with self._transaction():
                if not has_key_column():  # another process may have upgraded it meanwhile
                    conn.execute("ALTER TABLE chunks ADD COLUMN embed_hash BLOB")
                    last = -1
                    while True:  # in pages of rowids: a million chunks' text need not sit in memory at once
                        rows = conn.execute("SELECT rowid, header, text FROM chunks WHERE rowid > ? ORDER BY rowid LIMIT 10000",
                                            (last,)).fetchall()
                        if not rows:
                            break
                        conn.executemany("UPDATE chunks SET embed_hash = ? WHERE rowid = ?",
                                         [(embed_key(embedded_text(h, t)), r) for r, h, t in rows])
                        last = rows[-1][0]
        conn.executescript(SCHEMA_REUSE)
        if self._upgrade_vectors(conn):
            conn.executescript(SCHEMA_VECTORS)

    def _has_vector_column(self, conn: sqlite3.Connection) -> bool:
        return "vector" in {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}

    def _upgrade_vectors(self, conn: sqlite3.Connection) -> bool:
        """Format 2 -> 3: the vectors move from the chunk rows into ``chunk_vectors`` and the documents'
        text becomes their last column. One transaction: the tables are copied, the old ones dropped and the
        copies renamed, so a crash (or a full disk) at any point leaves the format 2 store as it was.

        It rewrites the store once: the copies go to the WAL, then into the file, while the old tables' pages stay
        in the file as free pages that later writes reuse (a 1.11 GB store of 200k passages became 1.86 GB, in
        17.7 s). So it asks for free disk of twice the store's size; without it, it stops before writing
        anything, leaves the store searchable in its old format and makes every write raise IndexFullError
        (returns False). The WAL is truncated once the upgrade is committed."""
        if not self._has_vector_column(conn):
            return True
        size = self.path.stat().st_size
        free = shutil.disk_usage(self.path.parent).free
        if free < 2 * size:
            # Searching must not depend on free disk: the store stays in its old format, read as it is
            # (vectors in the chunk rows), and only a write refuses, with this message (_transaction).
            self._vectors = "chunks"
            self._upgrade_pending = (
                f"the index store {self.path} ({size / 1e9:.1f} GB) is of an older format (vectors inside the chunk "
                f"rows) and must be upgraded once before it is written to; that needs about {2 * size / 1e9:.1f} GB "
                f"free disk, and {free / 1e9:.1f} GB is free. Free some space and run the command again; the index "
                "is unchanged and can still be searched")
            print(f"rag: warning: {self._upgrade_pending}", file=sys.stderr, flush=True)
            return False
        print(f"rag: upgrading the index store {self.path} to format 3 (vectors in their own table), once; "
              f"{size / 1e9:.1f} GB to rewrite", file=sys.stderr, flush=True)
        # Dropping the old documents table with foreign keys on would delete every chunk (ON DELETE CASCADE);
        # the pragma cannot change inside a transaction, so it is switched off around it and checked before COMMIT.
        conn.execute("PRAGMA foreign_keys=OFF")
        try:
            with self._transaction():
                if not self._has_vector_column(conn):  # another process upgraded it meanwhile
                    return True
                for statement in _statements(_UPGRADE_3 + SCHEMA + SCHEMA_REUSE + SCHEMA_VECTORS):
                    conn.execute(statement)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise IndexCorruptError(f"{self.path} holds a chunk without its document; the upgrade to format 3 "
                                            "was rolled back. Rebuild the index with rag index --index NEW_DIR")
        except sqlite3.Error as exc:  # not a full disk, a read-only or corrupt file: those are CorpusErrors already
            raise IndexCorruptError(f"upgrading {self.path} to format 3 failed ({exc}) and was rolled back: the store is "
                                    "unchanged, in its old format, and can be searched read-only. Rebuild the index "
                                    "with rag index --index NEW_DIR") from None
        finally:
            conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    # ---- meta -------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.connection() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    # ---- writes -----------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any error, with an
        SQLite error turned into the index error it stands for (full disk, read-only, corrupt)."""
        if self._upgrade_pending:
            raise IndexFullError(self._upgrade_pending)
        with self._write_lock, self.connection() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite may already have rolled back itself (a full disk does): a second ROLLBACK
                # would raise "no transaction is active" and hide the real error.
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, sqlite3.Error):
                    raise domain_error(exc, self.path) or exc from None
                raise

    def write(self, upserts: Sequence[tuple[Document, Sequence[Chunk], str, np.ndarray]], removals: Iterable[str] = ()) -> tuple[list[int], list[tuple[int, str]]]:
        """Apply document replacements and removals in one transaction.

        ``upserts`` holds (document, chunks, header, vectors). Returns the row ids
        that were removed and the (rowid, chunk id) pairs that were added, so the
        caller can update its vector index the same way.
        """
        removed: list[int] = []
        added: list[tuple[int, str]] = []
        # The same document twice in one batch (two links to one file) must not fail the whole
        # batch on UNIQUE(documents.id): the last version wins, as a later batch would.
        upserts = list({d.id: (d, c, h, v) for d, c, h, v in upserts}.values())
        with self._transaction() as conn:
            for doc_id in list(removals) + [d.id for d, _, _, _ in upserts]:
                removed.extend(r[0] for r in conn.execute("SELECT rowid FROM chunks WHERE doc_id = ?", (doc_id,)))
                conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                conn.execute("DELETE FROM staged_vectors WHERE doc_id = ?", (doc_id,))
            for doc, chunks, header, vectors in upserts:
                conn.execute(
                    "INSERT INTO documents (id, title, path, date, url, source, body_start, hash, metadata, pages, text)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, doc.title, doc.path, doc.date, doc.url, doc.source, doc.body_start, doc.hash,
                     json.dumps(dict(doc.metadata), default=str), json.dumps(list(doc.pages)), doc.text),
                )
                for chunk, vector in zip(chunks, vectors):
                    cur = conn.execute(
                        "INSERT INTO chunks (id, doc_id, ordinal, start, end, n_tokens, header, text, embed_hash)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (chunk.id, chunk.doc_id, chunk.ordinal, chunk.start, chunk.end, chunk.n_tokens, header,
                         chunk.text, embed_key(embedded_text(header, chunk.text))),
                    )
                    conn.execute("INSERT INTO chunk_vectors (rowid, vector) VALUES (?, ?)",
                                 (cur.lastrowid, np.asarray(vector, dtype=np.float32).tobytes()))
                    added.append((int(cur.lastrowid), chunk.id))
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('generation', '1')"
                " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
        return removed, added

    def stage_vectors(self, doc_id: str, path: str, vectors: dict[bytes, np.ndarray]) -> None:
        """Commit vectors embedded for a document that is not written yet (key -> vector), so a
        re-run after a kill finds them; they stay invisible to searches (see the module docstring)."""
        if not vectors:
            return
        with self._transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO staged_vectors (embed_hash, doc_id, path, vector) VALUES (?, ?, ?, ?)",
                             ((key, doc_id, path, np.asarray(v, dtype=np.float32).tobytes()) for key, v in vectors.items()))

    def drop_staged(self, doc_ids: Sequence[str]) -> None:
        """Forget the staged vectors of documents that will not be finished (their file is gone)."""
        if doc_ids:
            with self._write_lock, self.connection() as conn:
                conn.executemany("DELETE FROM staged_vectors WHERE doc_id = ?", ((d,) for d in doc_ids))

    def set_meta(self, key: str, value: str) -> None:
        with self._write_lock, self.connection() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # ---- reads ------------------------------------------------------------------------
    def document_hashes(self) -> dict[str, tuple[str, str]]:
        """doc id -> (content hash, path) for every document."""
        with self.connection() as conn:
            return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, hash, path FROM documents")}

    def vectors_by_key(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """embed key -> stored float32 vector bytes, for the keys already embedded: in a chunk, or
        staged for a document not finished yet. Keys never seen are absent."""
        if self._upgrade_pending:  # only indexing asks: it writes what it finds
            raise IndexFullError(self._upgrade_pending)
        keys = list(dict.fromkeys(keys))
        found: dict[bytes, bytes] = {}
        with self.connection() as conn:
            for i in range(0, len(keys), _KEYS_PER_QUERY):
                part = keys[i:i + _KEYS_PER_QUERY]
                # One index probe and at most one vector per key. A paragraph repeated 20,000 times has
                # 20,000 chunk rows; "WHERE embed_hash IN (...)" read the vectors of all of them (130 ms
                # a batch of 256 against 0.4 ms this way, measured on such an index).
                rows = conn.execute(
                    f"WITH k(key) AS (VALUES {','.join(['(?)'] * len(part))}) SELECT key, COALESCE("
                    "(SELECT v.vector FROM chunks c JOIN chunk_vectors v ON v.rowid = c.rowid WHERE c.embed_hash = k.key LIMIT 1),"
                    " (SELECT vector FROM staged_vectors WHERE embed_hash = k.key)) FROM k", part)
                found.update((key, vector) for key, vector in rows if vector is not None)
        return found

    def staged_documents(self) -> list[tuple[str, str]]:
        """(doc id, path) of every document with staged vectors (an unfinished big document)."""
        with self.connection() as conn:
            return conn.execute("SELECT DISTINCT doc_id, path FROM staged_vectors").fetchall()

    def ids_with_hash(self, digest: str) -> list[str]:
        with self.connection() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM documents WHERE hash = ?", (digest,))]

    def chunk_rowids(self) -> np.ndarray:
        """Every chunk's rowid, ascending (the order of :meth:`all_vectors` and :meth:`iter_vectors`)."""
        with self.connection() as conn:
            rows = conn.execute("SELECT rowid FROM chunks ORDER BY rowid").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_texts(self) -> list[str]:
        with self.connection() as conn:
            return [r[0] for r in conn.execute("SELECT text FROM chunks ORDER BY rowid")]

    def chunk_documents(self) -> dict[int, str]:
        with self.connection() as conn:
            return {int(r): d for r, d in conn.execute("SELECT rowid, doc_id FROM chunks")}

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        with self.connection() as conn:
            rows = conn.execute(f"SELECT rowid, vector FROM {self._vectors} ORDER BY rowid").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim) if rows else np.zeros((0, dim), np.float32)
        return ids, vectors

    def iter_vectors(self, dim: int, batch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(rowids, vectors) of every chunk in rowid order, ``batch`` at a time (bounded memory)."""
        last = -1
        while True:
            with self.connection() as conn:
                rows = conn.execute(f"SELECT rowid, vector FROM {self._vectors} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                    (last, batch)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                   np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim))

    def vectors_for(self, rowids: Sequence[int], dim: int) -> dict[int, np.ndarray]:
        """rowid -> vector for the chunks that still exist (a concurrent writer may have removed some)."""
        rowids = list(rowids)
        found: list[tuple[int, bytes]] = []
        with self.connection() as conn:
            for i in range(0, len(rowids), _KEYS_PER_QUERY):  # a training sample asks for tens of thousands
                part = rowids[i:i + _KEYS_PER_QUERY]
                found += conn.execute(f"SELECT rowid, vector FROM {self._vectors} WHERE rowid IN ({','.join('?' * len(part))})",
                                      part).fetchall()
        return {r: np.frombuffer(v, dtype=np.float32) for r, v in found}

    def allowed_rowids(self, flt: SearchFilter) -> np.ndarray:
        where, params = flt.sql()
        with self.connection() as conn:
            rows = conn.execute(f"SELECT c.rowid FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE {where}", params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def fts_bytes(self) -> int | None:
        """Bytes of the BM25 (FTS5) index: its shadow tables' pages, by SQLite's dbstat (None without it).

        Pages times the page size: dbstat's aggregated ``pgsize`` is a 32-bit sum and wrapped past 4 GiB
        (the 10M-passage series' 5.2 GB index read as 0.9 GB); its aggregated ``pageno`` is the page count."""
        with self.connection() as conn:
            try:
                page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
                total = 0
                for table in ("chunks_fts_data", "chunks_fts_idx", "chunks_fts_docsize", "chunks_fts_config"):
                    row = conn.execute("SELECT pageno FROM dbstat(?, 1) WHERE name = ?", ("main", table)).fetchone()
                    total += int(row[0] or 0) * page_size if row else 0
                return total
            except sqlite3.Error:
                return None

    def read_bm25_index(self) -> int:
        """Read every page of the FTS5 index once, so the OS page cache holds it; returns its bytes.

        The posting lists are what a BM25 query reads; read from disk the first time each is needed,
        they made hybrid retrieval at 10M passages 154.8 / 1,054 ms p50/p95, against 87.0 / 149.6 ms once
        read (5.0 GB in 44 s; docs/decisions/2026-12-06-store-hot-set.md)."""
        with self.connection() as conn:
            return int(conn.execute("SELECT sum(length(block)) FROM chunks_fts_data").fetchone()[0] or 0)

    def bm25_terms(self, query: str, max_postings=_SETTING) -> list[str]:
        """The words :meth:`lexical_search` searches for: without those found in more than ``max_postings``
        passages (default: ``indexing.bm25_max_term_postings``), unless that is all of them. None keeps every word."""
        rare, frequent = self._split_terms(query, max_postings)
        return rare or frequent

    def bm25_match(self, query: str, max_postings=_SETTING) -> str:
        """The FTS5 MATCH expression :meth:`lexical_search` runs: its words OR-ed, without the frequent
        ones; when every word is frequent, all of them AND-ed (the passages holding every word: scoring
        any of them OR-ed would score most of a big corpus)."""
        if max_postings is _SETTING:
            max_postings = self.indexing.bm25_max_term_postings
        rare, frequent = self._split_terms(query, max_postings)
        if rare or len(frequent) < 2 or max_postings is None:
            return _match(rare or frequent)
        return " AND ".join(f'"{w}"' for w in frequent)

    def _split_terms(self, query: str, max_postings: int | None) -> tuple[list[str], list[str]]:
        """(words in at most ``max_postings`` passages, the others); all words are rare when the corpus
        holds at most ``max_postings`` passages or ``max_postings`` is None."""
        terms = fts_terms(query)
        if max_postings is _SETTING:
            max_postings = self.indexing.bm25_max_term_postings
        if max_postings is None or len(terms) < 2:
            return terms, []
        with self.connection() as conn:
            # The largest rowid bounds the passage count at the cost of one index probe (count(*) scans).
            top = conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0] or 0
            if top <= max_postings:
                return terms, []
            # Count each word's passages, stopping one past the limit: at most max_postings + 1 steps a word.
            rare = {t for t in terms if conn.execute(
                "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                (_match([t]), max_postings + 1)).fetchone()[0] <= max_postings}
        return [t for t in terms if t in rare], [t for t in terms if t not in rare]

    def lexical_search(self, query: str, k: int, flt: SearchFilter | None = None,
                       max_postings=_SETTING) -> list[tuple[int, float]]:
        """BM25 over chunk text and header; returns (rowid, score) with higher = better.

        Words in more than ``max_postings`` passages are left out (default: ``indexing.bm25_max_term_postings``).
        """
        match = self.bm25_match(query, max_postings)
        if not match:
            return []
        if flt is None or flt.is_empty():
            # No filter, no joins: joining every match to chunks and documents only to test
            # "WHERE 1" cost 2.5x the CPU time of the BM25 ranking itself (SciFact: 25 -> 10 ms).
            sql = "SELECT rowid, bm25(chunks_fts, 0.5, 1.0) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?"
            params: list[object] = []
        else:
            where, params = flt.sql()
            sql = (
                "SELECT f.rowid, bm25(chunks_fts, 0.5, 1.0) AS score FROM chunks_fts f"
                " JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.doc_id"
                f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?"
            )
        with self.connection() as conn:
            rows = conn.execute(sql, [match, *params, k]).fetchall()
        # FTS5's bm25() is lower-is-better (negative); flip the sign.
        return [(int(r[0]), -float(r[1])) for r in rows]

    def chunk_rows(self, rowids: Sequence[int]) -> dict[int, ChunkRow]:
        if not rowids:
            return {}
        sql = (
            "SELECT c.rowid, c.id, c.doc_id, c.text, c.start, c.end, c.n_tokens, c.ordinal,"
            " d.title, d.date, d.url, d.path, d.source, d.pages FROM chunks c JOIN documents d ON d.id = c.doc_id"
            f" WHERE c.rowid IN ({','.join('?' * len(rowids))})"
        )
        with self.connection() as conn:
            rows = conn.execute(sql, list(rowids)).fetchall()
        return {r[0]: _chunk_row(r) for r in rows}

    def chunk_by_id(self, chunk_id: str) -> ChunkRow | None:
        with self.connection() as conn:
            r = conn.execute(
                "SELECT c.rowid, c.id, c.doc_id, c.text, c.start, c.end, c.n_tokens, c.ordinal,"
                " d.title, d.date, d.url, d.path, d.source, d.pages FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
                (chunk_id,),
            ).fetchone()
        return _chunk_row(r) if r else None

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT id, doc_id, text, start, end, n_tokens, ordinal FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            ).fetchall()
        return [Chunk(id=r[0], doc_id=r[1], text=r[2], start=r[3], end=r[4], n_tokens=r[5], ordinal=r[6]) for r in rows]

    def document(self, doc_id: str) -> Document | None:
        with self.connection() as conn:
            r = conn.execute(
                "SELECT id, title, text, path, date, url, source, body_start, metadata, pages FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
        if r is None:
            return None
        return Document(
            id=r[0], title=r[1], text=r[2], path=r[3], date=r[4], url=r[5], source=r[6], body_start=r[7],
            metadata=json.loads(r[8]), pages=tuple(tuple(p) for p in json.loads(r[9])),
        )

    def list_documents(self) -> list[dict]:
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT d.id, d.title, d.date, d.url, d.path, d.source, d.added_at, length(d.text),"
                " (SELECT count(*) FROM chunks c WHERE c.doc_id = d.id) FROM documents d ORDER BY d.date DESC, d.title"
            ).fetchall()
        keys = ("doc_id", "title", "date", "url", "path", "source", "added_at", "chars", "chunks")
        return [dict(zip(keys, r)) for r in rows]

    def counts(self) -> tuple[int, int]:
        with self.connection() as conn:
            docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def sources(self) -> list[str]:
        with self.connection() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT source FROM documents WHERE source IS NOT NULL ORDER BY source")]

    def date_range(self) -> tuple[str | None, str | None]:
        with self.connection() as conn:
            r = conn.execute("SELECT min(date), max(date) FROM documents").fetchone()
        return r[0], r[1]

    def iter_paths(self) -> Iterator[tuple[str, str]]:
        with self.connection() as conn:
            yield from conn.execute("SELECT id, path FROM documents").fetchall()

    def iter_paths_walked(self) -> Iterator[tuple[str, str, str | None]]:
        """(id, stored path, path as walked when it came through a symbolic link, else None)."""
        with self.connection() as conn:
            rows = conn.execute("SELECT id, path, json_extract(metadata, '$.walked_path') FROM documents").fetchall()
        yield from rows


def _chunk_row(r: tuple) -> ChunkRow:
    chunk = Chunk(id=r[1], doc_id=r[2], text=r[3], start=r[4], end=r[5], n_tokens=r[6], ordinal=r[7])
    page = None
    if r[13] and r[13] != "[]":
        page = Document(id=r[2], title="", text="", pages=tuple(tuple(p) for p in json.loads(r[13]))).page_at(chunk.start)
    return ChunkRow(rowid=r[0], chunk=chunk, title=r[8], date=r[9], url=r[10], path=r[11], source=r[12], page=page)


class _ConnectionContext:
    """``with store.connection() as conn`` without closing the per-thread connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc) -> None:
        return None
