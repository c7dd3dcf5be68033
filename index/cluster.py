"""Indexing on a Dask cluster: the workers load, chunk and embed; this process decides and commits.

``rag index PATH... --cluster auto|ADDRESS`` (the optional extra ``cluster``: ``pip install -e .[cluster]``).
``auto`` starts a local cluster of one-thread worker processes on this machine; an address
(``tcp://host:port``) joins a running Dask scheduler. The only module that imports Dask.

Why Dask and not Ray: the one job that outgrows a machine is embedding, a plain map over
batches of texts. Dask's ``distributed`` is pure Python (a few MB of wheels), starts a local
cluster of two worker processes in seconds and needs no daemon; Ray ships a large binary wheel
and a raylet/GCS per node for features (actors, object store, autoscaling) this job does not use.

How a build runs (the driver is the process that runs ``rag index``):

1. The driver walks the folders as always, then sends the files, ``files_per_task`` at a time and in
   order, to the workers, which load and chunk them (*load tasks*). A document the index holds
   unchanged is loaded (its hash is needed) but not chunked.
2. The driver reads the load results in file order and runs the very decision loop of a build in
   one process (``CorpusIndex._add``): the same documents skipped as unchanged or duplicate, the
   same batches (IndexingSettings.commit_chunks, commit_docs), big documents in the same steps.
3. For each batch it looks up the vectors it may reuse (by embed_hash, in the store and in the
   batches still in flight) and sends only the texts still to embed to a worker (*embed task*):
   exactly the texts, in exactly the order, that a build in one process gives its embedder. Each
   worker process makes the index's ONNX embedder once and keeps it.
4. The driver commits the batches in the order they were formed, one transaction each, alone:
   workers never touch the store, so the index holds the same rows as a build in one process.

The ONNX runner's vectors depend on how texts are grouped into padded batches (up to 1e-7), not
on its thread count (1 or 2 threads gave the same bytes); grouping identical texts identically is
what makes the cluster's vectors the same bytes as a build in one process.

Crash safety: a killed worker's tasks (and the results it held) are recomputed by Dask on the
other workers; the driver only ever sees complete results. A killed driver loses the batches in
flight (at most ``embed_tasks_per_worker`` per worker); every batch committed before is in the
store, so a re-run skips those documents as unchanged, and a big document's staged vectors and
any stored text's vector are reused by embed_hash: nothing committed is embedded twice.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .chunker import ChunkerSettings, chunk_document
from .documents import Chunk, Document
from .embedder import DEFAULT_EMBEDDER, Embedder, SentenceTransformerEmbedder
from .errors import ClusterError
from .loaders import Skipped, load_files

__all__ = ["ClusterSession", "ClusterSettings", "INSTALL_HINT", "parse_cluster", "require_dask"]

INSTALL_HINT = "pip install -e .[cluster]"
_ADDRESS = re.compile(r"(tcp|tls)://[^\s/]+:[0-9]{1,5}")
_AUTO = re.compile(r"auto(?::([0-9]{1,3}))?")


@dataclass(frozen=True)
class ClusterSettings:
    """How ``--cluster`` splits the work. The batches themselves are the index's own (IndexingSettings.commit_chunks)."""

    workers: int | None = None
    """Worker processes ``--cluster auto`` starts (``auto:N`` names N): None gives one per CPU core (2 here).
    One process per core, each with one thread, is what the 0.9x throughput target is measured with
    (benchmarks/bench_cluster.py)."""
    threads_per_worker: int = 1
    """ONNX intra-op threads per worker: 1, so N one-thread processes use N cores without oversubscribing
    them. The thread count does not change the vectors (1 and 2 threads gave the same bytes)."""
    files_per_task: int = 8
    """Files one load task reads and chunks: a news article loads and chunks in a few milliseconds, so
    8 keep a task well above the scheduler's per-task cost while the driver never waits long for the next."""
    embed_tasks_per_worker: int = 2
    """Embed tasks (one commit batch each) in flight per worker: 2 keeps a worker busy while the driver
    commits the previous result; more only grows what a killed driver loses (batches in flight)."""
    load_tasks_per_worker: int = 2
    """Load tasks submitted ahead of the driver's reading, per worker: a batch of 64 documents needs 8 of
    them, so the next documents are ready when the decision loop needs them however many workers embed."""
    connect_timeout_s: float = 10.0
    """How long to wait for a scheduler (ADDRESS) or for its first worker before giving up with exit code 17."""

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1")
        if min(self.threads_per_worker, self.files_per_task, self.embed_tasks_per_worker, self.load_tasks_per_worker) < 1:
            raise ValueError("threads_per_worker, files_per_task, embed_tasks_per_worker and load_tasks_per_worker must be >= 1")


def parse_cluster(value: str) -> str:
    """``value`` if it names a cluster (``auto``, ``auto:N``, ``tcp://host:port``, ``tls://host:port``), else ValueError."""
    text = value.strip()
    auto = _AUTO.fullmatch(text)
    if auto and (auto.group(1) is None or int(auto.group(1)) >= 1):
        return text
    if _ADDRESS.fullmatch(text) and 1 <= int(text.rpartition(":")[2]) <= 65535:
        return text
    raise ValueError(f"--cluster {value!r} is neither auto (auto:N for N workers) nor a Dask scheduler address "
                     "like tcp://host:8786")


def require_dask() -> None:
    """Raise :class:`ClusterError` (one line, naming the install command) when Dask is not installed."""
    try:
        missing = [m for m in ("dask", "distributed") if importlib.util.find_spec(m) is None]
    except (ImportError, ValueError):  # a module set to None in sys.modules (how the tests hide Dask)
        missing = ["distributed"]
    if missing:
        raise ClusterError(f"--cluster needs Dask, which is not installed (the optional extra 'cluster'): {INSTALL_HINT}")


# ---- worker side: module-level functions, pickled by reference ---------------------------

@dataclass(frozen=True)
class EmbedderSpec:
    """What a worker needs to make the driver's embedder: a sentence-transformers model (by name or
    folder) run by a backend, or, for any other embedder (the tests' fakes), the object itself."""

    key: str
    name: str | None = None
    backend: str | None = None
    batch_size: int = 32
    threads: int = 1
    cache_dir: str | None = None
    embedder: object | None = None

    @classmethod
    def of(cls, embedder: Embedder, threads: int) -> "EmbedderSpec":
        if isinstance(embedder, SentenceTransformerEmbedder):
            name = DEFAULT_EMBEDDER if embedder.model_id == DEFAULT_EMBEDDER else os.path.abspath(embedder.path)
            backend = embedder.backend  # as resolved here: a worker must not silently use another one
            cache = str(embedder.cache_dir) if embedder.cache_dir else None
            return cls(key=f"{name}|{backend}|{embedder.batch_size}|{threads}|{cache}", name=name, backend=backend,
                       batch_size=embedder.batch_size, threads=threads, cache_dir=cache)
        return cls(key=f"object|{type(embedder).__qualname__}|{embedder.id}", embedder=embedder)

    def make(self) -> Embedder:
        if self.embedder is not None:
            return self.embedder  # type: ignore[return-value]
        return SentenceTransformerEmbedder(self.name or DEFAULT_EMBEDDER, batch_size=self.batch_size,
                                           backend=self.backend, threads=self.threads, cache_dir=self.cache_dir)


_WORKER_EMBEDDERS: dict[str, Embedder] = {}
"""The embedders this worker process has made, by spec key: each is loaded once and kept."""


def _worker_embedder(spec: EmbedderSpec) -> Embedder:
    embedder = _WORKER_EMBEDDERS.get(spec.key)
    if embedder is None:
        # The tokenizer would otherwise spread each batch over every core: one thread per worker means one.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        embedder = _WORKER_EMBEDDERS[spec.key] = spec.make()
    return embedder


def _embed_task(spec: EmbedderSpec, texts: list[str]) -> tuple[np.ndarray, float, str, str | None]:
    """Embed ``texts`` in one embedder call (as a build in one process would): (vectors, seconds, embedder id, backend)."""
    embedder = _worker_embedder(spec)
    started = time.perf_counter()
    vectors = np.ascontiguousarray(embedder.embed(texts), dtype=np.float32)
    return vectors, time.perf_counter() - started, embedder.id, getattr(embedder, "backend", None)


def _load_task(files: list[str], known: dict[str, str], chunker: dict,
               max_bytes: int | None = None) -> list[tuple[list[Document], list[list[Chunk] | None], str | None]]:
    """Load and chunk ``files`` (absolute paths): for each, its documents, their chunks (None for a document
    the index holds unchanged, by ``known``: id -> hash) and the reason it was skipped, if it was."""
    settings = ChunkerSettings(**chunker)
    out = []
    for file in files:
        skipped: list[Skipped] = []
        docs = [doc for _, loaded in load_files([Path(file)], skipped, max_bytes) for doc in loaded]
        cut = [None if known.get(doc.id) == doc.hash else chunk_document(doc, settings) for doc in docs]
        out.append((docs, cut, skipped[0].reason if skipped else None))
    return out


def _warm_up(spec: EmbedderSpec) -> str:
    """Make (load) the worker's embedder now; returns its id."""
    embedder = _worker_embedder(spec)
    embedder.embed(["warm up"])
    return embedder.id


# ---- driver side -------------------------------------------------------------------------

class ClusterSession:
    """A Dask client for one ``index_paths`` run (and the local cluster it started, for ``auto``)."""

    def __init__(self, client, cluster, index: "CorpusIndex", settings: ClusterSettings, workers: int) -> None:
        self.client = client
        self.cluster = cluster
        self.index = index
        self.settings = settings
        self.workers = workers
        self.spec = EmbedderSpec.of(index.embedder, settings.threads_per_worker)

    @classmethod
    def start(cls, where: str, index: "CorpusIndex", settings: ClusterSettings | None = None) -> "ClusterSession":
        """Start a local cluster (``auto``, ``auto:N``) or join the scheduler at an address."""
        require_dask()
        try:
            where = parse_cluster(where)
        except ValueError as exc:
            raise ClusterError(str(exc)) from None
        settings = settings or ClusterSettings()
        from distributed import Client, LocalCluster

        cluster = None
        auto = _AUTO.fullmatch(where)
        try:
            if auto:
                workers = int(auto.group(1) or 0) or settings.workers or os.cpu_count() or 1
                # Listening on 127.0.0.1 only: a Dask scheduler runs whatever pickled code a client sends it.
                cluster = LocalCluster(n_workers=workers, threads_per_worker=settings.threads_per_worker,
                                       processes=True, host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR)
                client = Client(cluster, set_as_default=False)
            else:
                client = Client(where, timeout=settings.connect_timeout_s, set_as_default=False)
                client.wait_for_workers(1, timeout=settings.connect_timeout_s)
                workers = len(client.scheduler_info()["workers"])
        except Exception as exc:
            if cluster is not None:
                cluster.close()
            what = "could not start a local Dask cluster" if auto else f"cannot use the Dask scheduler at {where}"
            raise ClusterError(f"{what} ({type(exc).__name__}: {exc}); nothing was indexed") from None
        return cls(client, cluster, index, settings, workers)

    def warm_up(self) -> list[str]:
        """Load the embedder in every worker now (benchmarks time the build without the model loads)."""
        return list(self.client.run(_warm_up, self.spec).values())

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    # ---- loading --------------------------------------------------------------------------
    def load_files(self, files: Sequence[Path], skipped: list[Skipped]) -> Iterator[tuple[Path, list[Document], list]]:
        """Like :func:`index.loaders.load_files` (same documents, same skips, in file order), on the workers,
        each document with its chunks (None where the index holds it unchanged)."""
        by_path: dict[str, dict[str, str]] = {}
        for doc_id, (digest, path) in self.index.store.document_hashes().items():
            by_path.setdefault(path, {})[doc_id] = digest
        chunker = asdict(self.index.chunker)
        step = self.settings.files_per_task
        groups = [list(files[i:i + step]) for i in range(0, len(files), step)]
        ahead: deque = deque()
        submitted = 0
        while submitted < len(groups) or ahead:
            while submitted < len(groups) and len(ahead) < self.settings.load_tasks_per_worker * self.workers:
                group = groups[submitted]
                known = {doc_id: digest for f in group for doc_id, digest in by_path.get(os.path.realpath(f), {}).items()}
                future = self.client.submit(_load_task, [os.path.abspath(f) for f in group], known, chunker,
                                            self.index.indexing.max_file_bytes,
                                            pure=False, priority=1)  # ahead of embedding: the driver waits for these
                ahead.append((group, future))
                submitted += 1
            group, future = ahead.popleft()
            for file, (docs, cut, reason) in zip(group, self._result(future)):
                if reason is not None:
                    skipped.append(Skipped(str(file), reason.replace(os.path.abspath(file), str(file))))
                yield file, docs, cut

    def batches(self, index: "CorpusIndex", report: "IndexReport", tell: Callable[[int], None]) -> "_ClusterBatches":
        return _ClusterBatches(self, index, report, tell)

    def _result(self, future):
        """A task's result; a task that killed its workers again and again, or a lost scheduler, is a ClusterError."""
        try:
            return future.result()
        except Exception as exc:
            from distributed import KilledWorker
            from distributed.comm import CommClosedError

            if isinstance(exc, KilledWorker):
                raise ClusterError(f"a task killed its Dask worker on every try ({exc}); the batches committed before "
                                   "it are kept, run rag index again to resume") from None
            if isinstance(exc, (CommClosedError, OSError, TimeoutError)) or type(exc).__name__ == "CancelledError":
                raise ClusterError(f"lost the Dask cluster ({type(exc).__name__}: {exc}); the batches committed "
                                   "before are kept, run rag index again to resume") from None
            raise


@dataclass(eq=False)
class _Step:
    """One embedder call of the build, and what to do with its vectors, in commit order."""

    keys: list[bytes]  # reuse keys of the step's texts, in chunk order
    found: dict[bytes, np.ndarray]  # vectors the store held when the step was formed
    earlier: dict[bytes, "_Step"]  # keys a step still in flight embeds
    missing: list[bytes]  # keys this step embeds, in the order of the texts sent
    future: object | None
    headed: list | None = None  # documents to write when done: (doc, chunks, header)
    staged: tuple[Document, int] | None = None  # a big document's batch: (document, chunks prepared after it)
    parts: list["_Step"] = field(default_factory=list)  # a big document's steps, written whole after the last
    new: dict[bytes, np.ndarray] = field(default_factory=dict)
    vectors: np.ndarray | None = None


class _ClusterBatches:
    """The index's :class:`~index.corpus_index.Batches` on a cluster: batches are embedded by the workers
    while the driver forms the next ones, and committed in the order formed."""

    def __init__(self, session: ClusterSession, index: "CorpusIndex", report: "IndexReport",
                 tell: Callable[[int], None]) -> None:
        self.session, self.index, self.report, self.tell = session, index, report, tell
        self.window = max(1, session.workers * session.settings.embed_tasks_per_worker)
        self.queue: deque[_Step] = deque()
        self.in_flight: dict[bytes, _Step] = {}
        self.checked = False

    def _plan(self, texts: list[str]) -> _Step:
        # What a build in one process would find in the store at this point: the store now, plus
        # what the batches formed before this one (not committed yet) embed.
        keys, found, missing = self.index._reusable(texts)
        earlier = {k: self.in_flight[k] for k in missing if k in self.in_flight}
        embed = {k: t for k, t in missing.items() if k not in earlier}
        future = None
        if embed:
            future = self.session.client.submit(_embed_task, self.session.spec, list(embed.values()), pure=False)
        step = _Step(keys, found, earlier, list(embed), future)
        for key in embed:
            self.in_flight[key] = step
        return step

    def commit(self, docs: list[tuple[Document, list[Chunk]]]) -> None:
        headed, texts = self.index._headed(docs)
        step = self._plan(texts)
        step.headed = headed
        self._push(step)

    def big_document(self, doc: Document, chunks: list[Chunk]) -> None:
        headed, texts = self.index._headed([(doc, chunks)])
        parts: list[_Step] = []
        pieces = self.index._pieces(len(texts))
        for i, (start, end) in enumerate(pieces):
            step = self._plan(texts[start:end])
            step.staged = (doc, end)
            parts.append(step)
            if i == len(pieces) - 1:
                step.headed, step.parts = headed, parts
            self._push(step)

    def _push(self, step: _Step) -> None:
        self.queue.append(step)
        while len(self.queue) > self.window:
            self._complete(self.queue.popleft())

    def finish(self) -> None:
        while self.queue:
            self._complete(self.queue.popleft())

    def close(self) -> None:
        for step in self.queue:  # an error stopped the build: what is in flight is dropped
            if step.future is not None:
                step.future.cancel()
        self.queue.clear()

    def _complete(self, step: _Step) -> None:
        if step.future is not None:
            vectors, seconds, embedder_id, backend = self.session._result(step.future)
            if not self.checked:
                self._check(embedder_id, backend)
            self.report.embed_seconds += seconds
            self.report.texts_embedded += len(step.missing)
            step.new = dict(zip(step.missing, vectors))
            step.future = None
        for key in step.missing:
            if self.in_flight.get(key) is step:
                del self.in_flight[key]
        by_key = dict(step.found)
        by_key.update((k, s.new[k]) for k, s in step.earlier.items())
        by_key.update(step.new)
        step.vectors = self.index._stacked(step.keys, by_key)
        step.found, step.earlier = {}, {}
        if step.staged is not None:
            doc, prepared = step.staged
            self.index.store.stage_vectors(doc.id, doc.path, step.new)
            self.tell(prepared)
        if step.headed is not None:
            vectors = np.concatenate([p.vectors for p in step.parts]) if step.parts else step.vectors
            self.index._write(step.headed, vectors, self.report)
            step.parts = []
            self.tell()

    def _check(self, embedder_id: str, backend: str | None) -> None:
        """The workers' embedder must give the vectors the index names (a worker without onnxruntime
        would fall back to torch: the same id, but other bytes)."""
        wanted_backend = getattr(self.index.embedder, "backend", None)
        if embedder_id != self.index.embedder.id or backend != wanted_backend:
            raise ClusterError(f"a Dask worker embeds with {embedder_id!r} (backend {backend}), but this index needs "
                               f"{self.index.embedder.id!r} (backend {wanted_backend}); install the same packages "
                               f"and model on every worker ({INSTALL_HINT})")
        self.checked = True
