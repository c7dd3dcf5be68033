"""A persistent, incrementally updated index of a document corpus.

Layout of an index directory::

    manifest.json   what built it: format version, embedder id and dimension,
                    chunker settings, tokenizer, package version
    store.sqlite    documents, chunks, vectors (their own table), BM25 (FTS5) - the source of truth
    vectors.faiss   FAISS cache of the vectors, valid for the generation in
    vectors.gen     this file; rebuilt from the store when it is stale

Writes go to SQLite in transactions of a few documents each, so killing the
process at any point loses at most the batch in flight, and re-running skips
every document already committed (its content hash is unchanged).

A document with more chunks than one batch holds is embedded batch by batch,
each batch's new vectors committed (staged) as it comes, and becomes
searchable in one final transaction: a search never sees half of it, and a
re-run after a kill embeds only the chunks not staged yet. Before embedding,
every text is looked up by the hash of exactly what the embedder would see
(header and chunk text): a repeated paragraph or wire story is embedded once,
within a document and across documents and runs (see index/store.py).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence

import numpy as np

from .atomic import write_atomic
from .chunker import ChunkerSettings, chunk_document
from .documents import Chunk, Document
from .embedded_text import embed_key, embedded_text
from .embedder import DEFAULT_EMBEDDER, Embedder, SentenceTransformerEmbedder, parse_embedder_name
from .errors import (CorpusError, DocumentNotFoundError, EmbedderError, IndexCorruptError, IndexMismatchError, IndexNotFoundError,
                     IndexReadOnlyError)
from .layout import MANIFEST, STORE, VECTORS, VECTORS_GEN
from .loaders import Skipped, iter_files, load_files
from .settings import IndexingSettings
from .store import ChunkRow, SearchFilter, Store
from .tokens import ENCODING_NAME
from .vectors import IVF_KINDS, VectorIndex, VectorLimits, choose_kind

if TYPE_CHECKING:
    from .cluster import ClusterSession, ClusterSettings

__all__ = ["CorpusIndex", "IndexReport", "Progress", "FORMAT_VERSION", "embedding_header"]

# 2: chunks carry the key of their embedded text, and big documents stage their vectors (index/store.py).
# 3: the vectors sit in their own table, chunk_vectors, out of the chunk rows; documents' text is their last column.
# An index of format 1 or 2 is still read, and upgraded in place (store and manifest) when opened writable.
FORMAT_VERSION = 3
READABLE_FORMATS = (1, 2, 3)

# Batches per transaction, the rebuild's read step, the file-size limit and BM25's frequent-term rule are
# IndexingSettings (index/settings.py), given to CorpusIndex.open.


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("rag-news")
    except Exception:
        return "0+unknown"


class Headed(Protocol):
    """What a header is made of: a :class:`Document`, or anything that carries its title, date and source."""

    title: str
    date: str | None
    source: str | None


def embedding_header(doc: Headed) -> str:
    """Short header embedded (and BM25-indexed) with every chunk so retrieval knows the article.

    ``title | date | source``; the answer prompt labels each passage with the same line.
    """
    parts = [doc.title]
    if doc.date:
        parts.append(doc.date)
    if doc.source:
        parts.append(doc.source)
    return " | ".join(parts)


@dataclass
class Progress:
    """Indexing progress, passed to the progress callback after every batch."""

    files_total: int = 0
    files_done: int = 0
    documents_added: int = 0
    chunks_added: int = 0
    """Chunks embedded (or given a reused vector) so far, including those of a big document that is
    still being prepared and becomes searchable with its last batch."""
    seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_added / self.seconds if self.seconds > 0 else 0.0


@dataclass
class IndexReport:
    """What an indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, path of the identical document kept)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_added: int = 0
    texts_embedded: int = 0  # texts the embedder was given; the other chunks reused a stored vector
    seconds: float = 0.0
    embed_seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "duplicates": [{"path": p, "same_as": q} for p, q in self.duplicates],
            "removed": len(self.removed),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "chunks_added": self.chunks_added,
            "texts_embedded": self.texts_embedded,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }


def _embedder_record(embedder: Embedder) -> dict:
    """The manifest's note of the embedder: its id and dimension, and the folder of a user's own model,
    so that ``rag ask`` opens an index built with ``--embedder DIR`` without being told the folder again."""
    record = {"id": embedder.id, "dim": embedder.dim}
    folder = getattr(embedder, "path", None)
    if folder is not None and getattr(embedder, "model_id", DEFAULT_EMBEDDER) != DEFAULT_EMBEDDER:
        record["path"] = os.path.abspath(folder)  # as named: a symlinked folder keeps its name, which is the id
    return record


def _embedder_that_built(path: Path, built_with: dict) -> Embedder:
    """The embedder an index names in its manifest: the packaged default, or the recorded folder."""
    name, backend = parse_embedder_name(built_with["id"])
    folder = built_with.get("path")
    if name != DEFAULT_EMBEDDER and not folder:
        raise IndexMismatchError(
            f"index at {path} was built with embedder {built_with['id']!r}; pass that embedder (--embedder DIR) "
            "to use it, or build a new index: rag index PATH... --index NEW_DIR"
        )
    try:
        embedder = SentenceTransformerEmbedder(folder or DEFAULT_EMBEDDER, backend=backend)
    except EmbedderError as exc:
        raise EmbedderError(f"index at {path} was built with the embedder in {folder}, which cannot be loaded now "
                            f"({exc}); restore that folder or rebuild the index") from None
    if embedder.id != built_with["id"]:
        raise IndexMismatchError(
            f"index at {path} was built with embedder {built_with['id']!r}, but {folder or DEFAULT_EMBEDDER} now gives "
            f"{embedder.id!r}; pass the original embedder (--embedder DIR) or rebuild the index"
        )
    return embedder


class CorpusIndex:
    """Documents -> chunks -> vectors + BM25, persisted in one directory."""

    def __init__(self, path: Path, store: Store, embedder: Embedder, manifest: dict,
                 vector_limits: VectorLimits | None = None, indexing: IndexingSettings | None = None) -> None:
        self.path = path
        self.store = store
        self.embedder = embedder
        self.manifest = manifest
        self.vector_limits = vector_limits  # None: index/vectors.py's defaults
        self.indexing = indexing or store.indexing
        self.chunker = ChunkerSettings(**manifest["chunker"])
        self._vectors: VectorIndex | None = None
        self._vectors_generation = -1
        self._vectors_file_generation = -1  # generation known to be in vectors.faiss (loaded or saved by us)
        self._vectors_lock = threading.Lock()

    # ---- opening ----------------------------------------------------------------------
    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """Whether an index is at ``path`` (its manifest is there): what :meth:`open` needs without ``create``."""
        return (Path(path).expanduser() / MANIFEST).exists()

    @classmethod
    def open(cls, path: str | os.PathLike[str], embedder: Embedder | None = None, *, create: bool = False,
             chunker: ChunkerSettings | None = None, vector_limits: VectorLimits | None = None,
             indexing: IndexingSettings | None = None) -> "CorpusIndex":
        """Open the index at ``path``; with ``create=True`` make it when absent.

        An existing index built with another embedder or chunker is refused with
        :class:`IndexMismatchError` saying what differs. ``vector_limits`` sets the
        sizes at which the FAISS index turns approximate, then compressed (not
        recorded: the FAISS file is a cache, rebuilt when its kind no longer fits). ``indexing``
        (:class:`IndexingSettings`, None: its defaults) sets the commit batches, the file-size limit
        and BM25's frequent-term rule (not recorded either: none changes what the index holds).
        """
        path = Path(path).expanduser()
        manifest_path = path / MANIFEST
        if not manifest_path.exists():
            if not create:
                raise IndexNotFoundError(
                    f"no index at {path}; build one with: rag index PATH... --index {path}"
                )
            embedder = embedder or SentenceTransformerEmbedder()
            manifest = {
                "format_version": FORMAT_VERSION,
                "embedder": _embedder_record(embedder),
                "chunker": asdict(chunker or ChunkerSettings()),
                "tokenizer": ENCODING_NAME,
                "package_version": _package_version(),
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            path.mkdir(parents=True, exist_ok=True)
            store = Store(path / STORE, indexing)
            write_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            return cls(path, store, embedder, manifest, vector_limits, indexing)

        try:
            manifest = json.loads(manifest_path.read_text())
            built_with = manifest["embedder"]
            manifest["chunker"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{manifest_path} is unreadable ({exc}); rebuild the index with rag index") from None
        if manifest.get("format_version") not in READABLE_FORMATS:
            raise IndexMismatchError(
                f"index at {path} has format version {manifest.get('format_version')}, this version of rag reads "
                f"{' and '.join(map(str, READABLE_FORMATS))}; rebuild it with: rag index PATH... --index NEW_DIR"
            )
        if embedder is None:
            embedder = _embedder_that_built(path, built_with)
        differences = []
        if built_with["id"] != embedder.id:
            differences.append(f"embedder {built_with['id']!r} (index) vs {embedder.id!r} (requested)")
        elif int(built_with["dim"]) != embedder.dim:
            differences.append(f"dimension {built_with['dim']} (index) vs {embedder.dim} (requested)")
        if chunker is not None and asdict(chunker) != manifest["chunker"]:
            differences.append(f"chunker {manifest['chunker']} (index) vs {asdict(chunker)} (requested)")
        if differences:
            raise IndexMismatchError(
                f"index at {path} was built with different settings: {'; '.join(differences)}. "
                "Use the settings it was built with, or build a new index in another directory: "
                "rag index PATH... --index NEW_DIR"
            )
        if not (path / STORE).exists():
            raise IndexCorruptError(f"{path / STORE} is missing; rebuild the index with rag index")
        try:
            store = Store(path / STORE, indexing)
        except CorpusError:
            raise
        except Exception as exc:
            raise IndexCorruptError(f"{path / STORE} cannot be opened ({exc}); rebuild the index") from None
        if manifest["format_version"] != FORMAT_VERSION and not store.read_only:
            # Store() has upgraded the database in place; the manifest follows (index/store.py, module docstring).
            manifest = {**manifest, "format_version": FORMAT_VERSION, "upgraded_from": manifest["format_version"]}
            write_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return cls(path, store, embedder, manifest, vector_limits, indexing)

    def close(self) -> None:
        """Close this thread's connection to the store (the index may be opened again)."""
        self.store.close()

    @property
    def dim(self) -> int:
        """Dimension of the index's vectors (from the manifest)."""
        return int(self.manifest["embedder"]["dim"])

    # ---- vectors ----------------------------------------------------------------------
    def _current_vectors(self) -> VectorIndex:
        """The FAISS index matching the store's current generation (reloaded when another writer changed it)."""
        generation = self.store.generation()
        with self._vectors_lock:
            if self._vectors is not None and self._vectors_generation == generation:
                return self._vectors
            dim = self.dim
            vectors = None
            gen_file, faiss_file = self.path / VECTORS_GEN, self.path / VECTORS
            try:
                if gen_file.exists() and int(gen_file.read_text().strip() or -1) == generation and faiss_file.exists():
                    vectors = VectorIndex.load(faiss_file, dim, limits=self.vector_limits)
                    if vectors.kind == "hnsw":
                        # HNSW keeps removed vectors in its file; the store says which ids are gone.
                        vectors.hide(np.setdiff1d(vectors.ids(), self.store.chunk_rowids(), assume_unique=True))
                    self._vectors_file_generation = generation
            except (OSError, ValueError, RuntimeError):
                vectors = None  # a stale or damaged cache is rebuilt from the store below
            if vectors is None:
                vectors = self._build_vectors(dim)
            self._vectors, self._vectors_generation = vectors, generation
            return vectors

    def _build_vectors(self, dim: int) -> VectorIndex:
        # The index kind (exact, IVF, then compressed IVF) follows the size; see index/vectors.py.
        n = self.store.counts()[1]
        if choose_kind(n, limits=self.vector_limits) not in IVF_KINDS:
            ids, matrix = self.store.all_vectors(dim)
            return VectorIndex.build(dim, ids, matrix, limits=self.vector_limits)
        # IVF: train on a sample fetched by rowid, then add the vectors from the store a batch at a time.
        rowids = self.store.chunk_rowids()
        vectors = VectorIndex.empty(dim, len(rowids), limits=self.vector_limits)
        sample = rowids[vectors.training_positions(len(rowids))]
        found = self.store.vectors_for(sample.tolist(), dim)
        vectors.train(np.stack([found[int(i)] for i in sample if int(i) in found]), trained_size=len(rowids))
        for ids, matrix in self.store.iter_vectors(dim, self.indexing.build_batch):
            vectors.add(ids, matrix)
        return vectors

    def _save_vectors(self) -> None:
        if self.store.read_only or not os.access(self.path, os.W_OK):
            return  # a read-only index keeps its vectors in memory only
        vectors = self._current_vectors()
        with self._vectors_lock:
            if self._vectors_file_generation == self._vectors_generation and not vectors.needs_rebuild():
                return  # the file already holds this generation: an unchanged re-run writes nothing
            if vectors.needs_rebuild():
                # Wrong kind for the size, an outgrown IVF, or an HNSW graph >10% tombstones: rebuild from the store.
                generation = self.store.generation()
                vectors = self._build_vectors(vectors.dim)
                self._vectors, self._vectors_generation = vectors, generation
            vectors.save(self.path / VECTORS)
            write_atomic(self.path / VECTORS_GEN, str(self._vectors_generation))
            self._vectors_file_generation = self._vectors_generation

    # ---- writing ----------------------------------------------------------------------
    def add_documents(self, documents: Iterable[Document], report: IndexReport | None = None,
                      progress: Callable[[Progress], None] | None = None, files_total: int = 0,
                      files_done: Callable[[], int] | None = None) -> IndexReport:
        """Add or replace documents; unchanged ones (same id and hash) cost nothing.

        ``files_done`` says how many files the documents came from so far (a records file
        holds many documents); without it each document counts as one file.
        """
        return self._add(((doc, None) for doc in documents), report or IndexReport(), progress, files_total,
                         files_done, _InProcessBatches)

    def _add(self, documents: Iterable[tuple[Document, list[Chunk] | None]], report: IndexReport,
             progress: Callable[[Progress], None] | None, files_total: int, files_done: Callable[[], int] | None,
             batches: "Callable[[CorpusIndex, IndexReport, Callable[[int], None]], Batches]") -> IndexReport:
        """The one decision loop of every build: which documents to skip, how they are grouped into
        batches, and in what order. ``documents`` may come with their chunks already cut (a cluster's
        workers cut them; None: cut here); ``batches`` embeds and commits the groups (:class:`Batches`)."""
        started = time.perf_counter()
        known = self.store.document_hashes()
        hashes = {h: (doc_id, p) for doc_id, (h, p) in known.items()}
        pending: list[tuple[Document, list[Chunk]]] = []
        pending_chunks = 0
        state = Progress(files_total=files_total)

        def tell(prepared: int = 0) -> None:
            state.documents_added = len(report.added) + len(report.updated)
            state.chunks_added = report.chunks_added + prepared
            state.seconds = time.perf_counter() - started
            if progress:
                progress(state)

        writer = batches(self, report, tell)

        def flush() -> None:
            nonlocal pending_chunks
            if not pending:
                return
            writer.commit(list(pending))
            pending.clear()
            pending_chunks = 0

        try:
            for doc, cut in documents:
                state.files_done = files_done() if files_done else state.files_done + 1
                digest = doc.hash
                if doc.id in known and known[doc.id][0] == digest:
                    report.unchanged += 1
                    continue
                twin = hashes.get(digest)
                if twin is not None and twin[0] != doc.id and twin[0] in known:
                    report.duplicates.append((doc.path, twin[1]))
                    continue
                (report.updated if doc.id in known else report.added).append(doc.id)
                hashes[digest] = (doc.id, doc.path)
                chunks = cut if cut is not None else chunk_document(doc, self.chunker)
                if len(chunks) > self.indexing.commit_chunks:
                    flush()  # the documents before it become searchable first
                    writer.big_document(doc, chunks)
                    continue
                pending.append((doc, chunks))
                pending_chunks += len(chunks)
                if pending_chunks >= self.indexing.commit_chunks or len(pending) >= self.indexing.commit_docs:
                    flush()
            flush()
            writer.finish()
        finally:
            writer.close()
        if progress and not report.chunks_added:
            state.seconds = time.perf_counter() - started
            progress(state)
        report.seconds += time.perf_counter() - started
        return report

    def _reusable(self, texts: Sequence[str]) -> tuple[list[bytes], dict[bytes, np.ndarray], dict[bytes, str]]:
        """The reuse keys of ``texts``, the vectors the store already holds for them (in a chunk, or staged
        for a big document), and the texts still to embed by key: each new text once, in first-seen order."""
        keys = [embed_key(t) for t in texts]
        found = {k: np.frombuffer(v, dtype=np.float32) for k, v in self.store.vectors_by_key(keys).items()}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts):
            if key not in found:
                missing.setdefault(key, text)
        return keys, found, missing

    def _stacked(self, keys: Sequence[bytes], vectors: dict[bytes, np.ndarray]) -> np.ndarray:
        return np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def _vectors_of(self, texts: Sequence[str], report: IndexReport) -> tuple[np.ndarray, dict[bytes, np.ndarray]]:
        """Vectors of ``texts`` (one embedder call for the texts not embedded before), and the new ones by key.

        A text is embedded at most once: repeats within ``texts`` share one vector, and a text
        whose key the store holds (a chunk, or a staged big-document batch) reuses that vector.
        """
        keys, found, missing = self._reusable(texts)
        new: dict[bytes, np.ndarray] = {}
        if missing:
            t0 = time.perf_counter()
            embedded = self.embedder.embed(list(missing.values()))
            report.embed_seconds += time.perf_counter() - t0
            report.texts_embedded += len(missing)
            new = dict(zip(missing, np.asarray(embedded, dtype=np.float32)))
            found.update(new)
        return self._stacked(keys, found), new

    def add_embedded(self, items: Iterable[tuple[Document, Sequence[Chunk], np.ndarray]], *, batch_chunks: int = 8192,
                     save: bool = True, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Add documents whose chunks arrive with their vectors already computed; nothing is embedded here.

        For bulk loads that embed elsewhere (the synthetic scale benchmark, an import of vectors made by
        this index's embedder on another machine). Each item is (document, its chunks, their vectors as a
        ``len(chunks) x dim`` array): the vector of a chunk must be this index's embedder's L2-normalised
        vector of ``embedded_text(embedding_header(doc), chunk.text)``, which is not checked. A document
        with an id already in the index replaces it. Writes go through the same store transactions as
        :meth:`add_documents`, one every ``batch_chunks`` chunks, so a kill loses at most the batch in
        flight. With ``save`` the FAISS file is brought up to date at the end (rebuilt from the store
        when the size calls for another kind). ``progress`` is told the chunks added so far after each
        batch. Returns the row ids of the added chunks, in order.
        """
        if self.store.read_only:
            raise IndexReadOnlyError(f"the index at {self.path} is read-only; it can be searched but not updated")
        dim = self.dim
        pending: list[tuple[Document, Sequence[Chunk], str, np.ndarray]] = []
        pending_chunks = 0
        rowids: list[np.ndarray] = []
        done = 0

        def flush() -> None:
            nonlocal pending_chunks, done
            if not pending:
                return
            removed, added = self.store.write(pending)
            added_ids = np.fromiter((r for r, _ in added), dtype=np.int64, count=len(added))
            self._apply_to_vectors(removed, added_ids.tolist(), np.concatenate([v for _, _, _, v in pending]))
            rowids.append(added_ids)
            done += len(added_ids)
            pending.clear()
            pending_chunks = 0
            if progress:
                progress(done)

        for doc, chunks, vectors in items:
            vectors = np.asarray(vectors, dtype=np.float32)
            if vectors.shape != (len(chunks), dim):
                raise ValueError(f"document {doc.id}: {len(chunks)} chunks need a {len(chunks)} x {dim} vector array, "
                                 f"got {vectors.shape}")
            pending.append((doc, chunks, embedding_header(doc), vectors))
            pending_chunks += len(chunks)
            if pending_chunks >= batch_chunks:
                flush()
        flush()
        if save:
            self._save_vectors()
        return np.concatenate(rowids) if rowids else np.zeros(0, np.int64)

    def disk_usage(self) -> dict:
        """Bytes on disk: the store file (and its write-ahead log), the FAISS file, and the BM25 index
        inside the store (FTS5 shadow tables, from SQLite's dbstat when this SQLite has it)."""
        files = {name: (self.path / name).stat().st_size if (self.path / name).exists() else 0
                 for name in (STORE, STORE + "-wal", VECTORS)}
        return {"store": files[STORE], "store_wal": files[STORE + "-wal"], "vectors_file": files[VECTORS],
                "fts": self.store.fts_bytes()}

    def _add_big_document(self, doc: Document, chunks: list[Chunk], report: IndexReport,
                          tell: Callable[[int], None]) -> None:
        """Embed a document of many chunks batch by batch, staging each batch's new vectors, then
        write it whole in one transaction (a kill loses at most the batch in flight)."""
        (headed,), texts = _headed([(doc, chunks)])
        parts = []
        for start, end in self._pieces(len(texts)):
            vectors, new = self._vectors_of(texts[start:end], report)
            self.store.stage_vectors(doc.id, doc.path, new)
            parts.append(vectors)
            tell(end)
        self._write([headed], np.concatenate(parts), report)

    def _pieces(self, n: int) -> list[tuple[int, int]]:
        """The (start, end) chunk ranges a big document of ``n`` chunks is embedded and staged in."""
        step = self.indexing.commit_chunks
        return [(start, min(start + step, n)) for start in range(0, n, step)]

    @staticmethod
    def _headed(docs: Sequence[tuple[Document, list[Chunk]]]) -> tuple[list[tuple[Document, list[Chunk], str]], list[str]]:
        return _headed(docs)

    def _commit(self, docs: Sequence[tuple[Document, list[Chunk]]], report: IndexReport) -> None:
        headed, texts = _headed(docs)
        vectors, _ = self._vectors_of(texts, report)
        self._write(headed, vectors, report)

    def _write(self, headed: Sequence[tuple[Document, list[Chunk], str]], vectors: np.ndarray,
               report: IndexReport) -> None:
        """Write documents with their chunks' vectors (in chunk order) in one transaction."""
        upserts = []
        offset = 0
        for doc, chunks, header in headed:
            upserts.append((doc, chunks, header, vectors[offset:offset + len(chunks)]))
            offset += len(chunks)
        removed, added = self.store.write(upserts)
        self._apply_to_vectors(removed, [rowid for rowid, _ in added], vectors)
        report.chunks_added += len(added)

    def _apply_to_vectors(self, removed: list[int], added: list[int], vectors: np.ndarray) -> None:
        """Keep the in-memory FAISS index in step with a write, without reloading it."""
        with self._vectors_lock:
            if self._vectors is not None and self._vectors_generation == self.store.generation() - 1:
                self._vectors.remove(removed)
                self._vectors.add(np.asarray(added, dtype=np.int64), vectors)
                self._vectors_generation += 1

    def remove_documents(self, doc_ids: Sequence[str]) -> list[str]:
        known = self.store.document_hashes()
        missing = [d for d in doc_ids if d not in known]
        if missing:
            raise DocumentNotFoundError(f"no document with id {', '.join(missing)} in the index")
        removed, _ = self.store.write([], removals=doc_ids)
        self._apply_to_vectors(removed, [], np.zeros((0, self.dim), np.float32))
        self._save_vectors()
        return list(doc_ids)

    def index_paths(self, paths: Sequence[str | os.PathLike[str]], *, prune: bool = True,
                    progress: Callable[[Progress], None] | None = None,
                    follow_symlinks: bool = False, cluster: str | None = None,
                    cluster_settings: "ClusterSettings | None" = None) -> IndexReport:
        """Index every supported file under ``paths``.

        Only files whose real path lies inside ``paths`` are read: a symbolic link
        leading out of them is skipped and reported unless ``follow_symlinks``. The
        index's own folder is never read. With ``prune``, documents that came from
        under one of ``paths`` (by the path as walked, so a link counts where it
        stands) and were not found again now are removed, so the index mirrors the
        folder: a deleted file, a deleted link, or a link that now leads outside.

        ``cluster`` (``"auto"`` or a Dask scheduler address, needs the ``cluster`` extra) has a
        cluster's workers load, chunk and embed, while this process decides and commits exactly
        as without it: the same documents in the same batches and order (index/cluster.py).
        """
        if self.store.read_only:
            raise IndexReadOnlyError(f"the index at {self.path} is read-only; it can be searched but not updated. "
                                     "Make it writable or build a new index with --index NEW_DIR")
        session = None
        if cluster is not None:
            from .cluster import ClusterSession

            session = ClusterSession.start(cluster, self, cluster_settings)  # fails here, before any work
        try:
            report = self._index_paths(paths, prune, progress, follow_symlinks, session)
        finally:
            if session is not None:
                session.close()
        self._save_vectors()
        return report

    def _index_paths(self, paths: Sequence[str | os.PathLike[str]], prune: bool,
                     progress: Callable[[Progress], None] | None, follow_symlinks: bool,
                     session: "ClusterSession | None") -> IndexReport:
        report = IndexReport()
        files = list(iter_files(paths, report.skipped, follow_symlinks=follow_symlinks, exclude=[self.path]))
        seen_paths: set[str] = set()
        state = {"files_done": 0}
        if session is None:
            loaded = ((file, docs, None) for file, docs in load_files(files, report.skipped, self.indexing.max_file_bytes))
        else:
            loaded = session.load_files(files, report.skipped)

        def documents() -> Iterable[tuple[Document, list[Chunk] | None]]:
            for file, docs, cut in loaded:
                state["files_done"] += 1
                walked = os.path.abspath(file)
                for i, doc in enumerate(docs):
                    if doc.path != walked:  # reached through a link: remember where the link stands
                        doc = replace(doc, metadata={**doc.metadata, "walked_path": walked})
                    seen_paths.add(doc.path)
                    yield doc, (cut[i] if cut is not None else None)

        self._add(documents(), report, progress, len(files), lambda: state["files_done"],
                  _InProcessBatches if session is None else session.batches)
        if prune:
            roots = [Path(os.path.abspath(Path(p).expanduser())) for p in paths if Path(p).expanduser().is_dir()]
            roots += [Path(os.path.realpath(r)) for r in roots]
            gone = [doc_id for doc_id, path, walked in self.store.iter_paths_walked()
                    if path not in seen_paths
                    and any(_is_under(Path(walked or path), root) for root in roots)
                    and (walked is not None or not Path(path).exists())]
            if gone:
                removed, _ = self.store.write([], removals=gone)
                self._apply_to_vectors(removed, [], np.zeros((0, self.dim), np.float32))
                report.removed.extend(gone)
            # A big document left unfinished by a kill, whose file is gone now: its staged vectors go too.
            self.store.drop_staged([doc_id for doc_id, path in self.store.staged_documents()
                                    if path not in seen_paths and any(_is_under(Path(path), root) for root in roots)])
        return report

    # ---- reading ----------------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def dense_search(self, vector: np.ndarray, k: int, flt: SearchFilter | None = None) -> list[tuple[int, float]]:
        allowed = None if flt is None or flt.is_empty() else self.store.allowed_rowids(flt)
        vectors = self._current_vectors()
        # A FAISS index must not be searched while a writer in this process adds or removes
        # ids; searches take milliseconds, so they share the writers' lock.
        with self._vectors_lock:
            # A compressed index re-scores its shortlist with the store's exact vectors.
            return vectors.search(vector, k, allowed, exact=lambda ids: self.store.vectors_for(ids, self.dim))

    def lexical_search(self, query: str, k: int, flt: SearchFilter | None = None,
                       max_postings=...) -> list[tuple[int, float]]:
        """BM25 (index/store.py): words found in more than ``max_postings`` passages (left out:
        ``indexing.bm25_max_term_postings``) are left out of the query unless all are (None keeps every word)."""
        return self.store.lexical_search(query, k, flt, max_postings)

    def bm25_terms(self, query: str, max_postings=...) -> list[str]:
        """The words :meth:`lexical_search` searches for (index/store.py: the frequent-term rule)."""
        return self.store.bm25_terms(query, max_postings)

    def rows(self, rowids: Sequence[int]) -> dict[int, ChunkRow]:
        return self.store.chunk_rows(rowids)

    def chunk(self, chunk_id: str) -> ChunkRow:
        row = self.store.chunk_by_id(chunk_id)
        if row is None:
            raise DocumentNotFoundError(f"no passage with id {chunk_id!r} in the index (ids look like 1a2b3c4d5e6f7a8b-0)")
        return row

    def document(self, doc_id: str) -> Document:
        doc = self.store.document(doc_id)
        if doc is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")
        return doc

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.store.chunks_of(doc_id)

    def documents(self) -> list[dict]:
        return self.store.list_documents()

    def sources(self) -> list[str]:
        """Every publication (document ``source``) in the index, sorted: what a source filter can name."""
        return self.store.sources()

    def date_range(self) -> tuple[str | None, str | None]:
        """The earliest and latest document date (ISO), or (None, None) when no document has one."""
        return self.store.date_range()

    def vectors_for(self, rowids: Sequence[int]) -> dict[int, np.ndarray]:
        """rowid -> stored vector for the chunks that still exist (a concurrent writer may have removed some)."""
        return self.store.vectors_for(rowids, self.dim)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rowids, their vectors as one float32 matrix), in rowid order."""
        return self.store.all_vectors(self.dim)

    def chunk_texts(self) -> list[str]:
        """The text of every chunk, in rowid order."""
        return self.store.chunk_texts()

    def chunk_documents(self) -> dict[int, str]:
        """chunk rowid -> id of its document, for the whole index (one query)."""
        return self.store.chunk_documents()

    def read_bm25_index(self) -> int:
        """Read the BM25 (FTS5) index once into the OS page cache (see :meth:`Store.read_bm25_index`); its bytes."""
        return self.store.read_bm25_index()

    def checkpoint(self) -> None:
        """Settle the store on disk (SQLite's write-ahead log folded in), so file sizes are the lasting ones."""
        self.store.checkpoint()

    def stats(self) -> dict:
        docs, chunks = self.store.counts()
        first, last = self.store.date_range()
        return {"path": str(self.path), "documents": docs, "chunks": chunks, "first_date": first, "last_date": last,
                "embedder": self.manifest["embedder"], "chunker": self.manifest["chunker"]}


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return path == root


def _headed(docs: Sequence[tuple[Document, list[Chunk]]]) -> tuple[list[tuple[Document, list[Chunk], str]], list[str]]:
    """Each document with its chunks and header, and the texts the embedder is given for them, in order."""
    headed = []
    texts: list[str] = []
    for doc, chunks in docs:
        header = embedding_header(doc)
        headed.append((doc, chunks, header))
        texts.extend(embedded_text(header, c.text) for c in chunks)
    return headed, texts


class Batches(Protocol):
    """Embeds and commits the batches the decision loop (:meth:`CorpusIndex._add`) forms, in the order given:
    here, in this process (:class:`_InProcessBatches`), or on a cluster's workers (index/cluster.py)."""

    def commit(self, docs: list[tuple[Document, list[Chunk]]]) -> None:
        """Embed and write these documents in one transaction."""

    def big_document(self, doc: Document, chunks: list[Chunk]) -> None:
        """Embed a document of more than ``indexing.commit_chunks`` chunks batch by batch (staged), then write it whole."""

    def finish(self) -> None:
        """Return once every batch given is committed."""

    def close(self) -> None:
        """Let go of what the batches hold (also after an error; uncommitted work is dropped)."""


class _InProcessBatches:
    """Every batch embedded by the index's own embedder and committed before the next one is formed."""

    def __init__(self, index: CorpusIndex, report: IndexReport, tell: Callable[[int], None]) -> None:
        self.index, self.report, self.tell = index, report, tell

    def commit(self, docs: list[tuple[Document, list[Chunk]]]) -> None:
        self.index._commit(docs, self.report)
        self.tell()

    def big_document(self, doc: Document, chunks: list[Chunk]) -> None:
        self.index._add_big_document(doc, chunks, self.report, self.tell)
        self.tell()

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass
