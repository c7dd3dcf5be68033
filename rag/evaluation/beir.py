"""BEIR-format retrieval benchmarks (``rag eval retrieval --beir DIR``).

A BEIR folder holds ``corpus.jsonl`` (``{_id, title, text}``), ``queries.jsonl``
(``{_id, text}``) and ``qrels/<split>.tsv`` (``query-id corpus-id score``).
The corpus is indexed once into a cache directory named by a hash of what
shapes the index (corpus bytes, embedder, chunker, index format), so every
later run - and every tuning run - reuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

from index import ChunkerSettings, CorpusIndex, Document, Embedder, Progress
from index.atomic import write_atomic
from index.corpus_index import FORMAT_VERSION
from index.documents import file_sha256

from ..errors import RagError
from ..settings import env_value

__all__ = [
    "BeirData",
    "load_beir",
    "beir_documents",
    "cache_root",
    "index_key",
    "open_cached_index",
]


@dataclass(frozen=True)
class BeirData:
    corpus_path: Path
    queries: dict[str, str]
    """query id -> text, only the queries that have qrels in the split."""
    qrels: dict[str, dict[str, int]]
    """query id -> {doc id: relevance}."""
    split: str


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise RagError(f"{path}:{number}: not a JSON line ({exc})") from None


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.strip().split("\t")
            if not line.strip() or (number == 1 and parts[0] == "query-id"):
                continue
            if len(parts) != 3:
                raise RagError(f"{path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score'")
            qid, did, score = parts
            qrels.setdefault(qid, {})[did] = int(float(score))
    return qrels


def load_beir(folder: str | os.PathLike[str], split: str = "test") -> BeirData:
    """Read a BEIR folder's queries and qrels for ``split`` (the corpus is streamed later)."""
    folder = Path(folder).expanduser()
    corpus, queries, qrels_path = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"
    for path in (corpus, queries, qrels_path):
        if not path.exists():
            raise RagError(f"{path} not found; --beir expects a BEIR folder (corpus.jsonl, queries.jsonl, qrels/{split}.tsv)")
    qrels = {q: docs for q, docs in load_qrels(qrels_path).items() if any(r > 0 for r in docs.values())}
    texts = {str(row["_id"]): row["text"] for row in _read_jsonl(queries)}
    missing = [q for q in qrels if q not in texts]
    if missing:
        raise RagError(f"{len(missing)} query ids of {qrels_path} are not in {queries} (first: {missing[0]})")
    return BeirData(corpus, {q: texts[q] for q in qrels}, qrels, split)


def beir_documents(corpus_path: Path) -> Iterator[Document]:
    """Documents of a BEIR corpus: the title is the header line, the abstract the body.

    ``body_start`` skips the title, so chunks hold body text only; the title
    still reaches every chunk through the index's embedding header.
    """
    for row in _read_jsonl(corpus_path):
        title = (row.get("title") or "").strip()
        body = (row.get("text") or "").strip()
        doc_id = str(row["_id"])
        if not body and not title:
            continue
        if not body:  # a title-only record: index the title as the body
            title, body = title or doc_id, title
        head = f"{title}\n\n" if title else ""
        yield Document(id=doc_id, title=title or doc_id, text=head + body, path=f"{corpus_path}#{doc_id}",
                       body_start=len(head), metadata={"beir_id": doc_id})


def cache_root() -> Path:
    """``$RAG_EVAL_CACHE``, else ``$XDG_CACHE_HOME/rag-news/eval``, else ``~/.cache/rag-news/eval``."""
    explicit = env_value("RAG_EVAL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = env_value("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag-news" / "eval"


def index_key(corpus_sha256: str, embedder_id: str, chunker: ChunkerSettings) -> str:
    """Short hash of everything that shapes the index; a change gives a new cache folder."""
    shape = json.dumps({"corpus": corpus_sha256, "embedder": embedder_id, "chunker": asdict(chunker),
                        "format": FORMAT_VERSION}, sort_keys=True)
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def open_cached_index(corpus_files: list[Path], documents: Callable[[], Iterator[Document]], name: str,
                      embedder: Embedder, index_dir: str | os.PathLike[str] | None = None,
                      chunker: ChunkerSettings | None = None,
                      log: Callable[[str], None] = lambda _: None) -> tuple[CorpusIndex, dict]:
    """Open (building or completing when needed) the index of a benchmark corpus.

    Indexing is incremental and committed in small batches, so an interrupted
    build resumes where it stopped; an unchanged corpus costs one pass over
    the document hashes.
    """
    chunker = chunker or ChunkerSettings()
    digest = hashlib.sha256()
    for path in sorted(corpus_files):
        digest.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    corpus_sha = digest.hexdigest()
    key = index_key(corpus_sha, embedder.id, chunker)
    path = Path(index_dir).expanduser() if index_dir else cache_root() / f"{name}-{key}"
    index = CorpusIndex.open(path, embedder, create=True, chunker=chunker)
    marker = path / "eval-complete.json"
    info = {"index_dir": str(path), "index_key": key, "corpus_sha256": corpus_sha, "reused": False}
    if marker.exists():
        try:
            done = json.loads(marker.read_text())
        except ValueError:
            done = {}
        if done.get("corpus_sha256") == corpus_sha:
            info["reused"] = True
            info["build_seconds"] = done.get("build_seconds")
            return index, info
    log(f"indexing {name} into {path} (reused on later runs)")
    started = time.perf_counter()
    last = [0.0]

    def progress(p: Progress) -> None:
        if time.perf_counter() - last[0] > 15:
            last[0] = time.perf_counter()
            log(f"  {p.documents_added} documents, {p.chunks_added} chunks, {p.seconds:.0f} s")

    report = index.add_documents(documents(), progress=progress)
    index._save_vectors()
    seconds = time.perf_counter() - started
    if report.duplicates:
        log(f"  note: {len(report.duplicates)} documents identical to another were stored once")
    info["build_seconds"] = round(seconds, 1)
    write_atomic(marker, json.dumps({"corpus_sha256": corpus_sha, "build_seconds": round(seconds, 1),
                                     "report": report.to_dict()}, indent=2))
    return index, info


# ---- running ------------------------------------------------------------------------------
def chunk_documents(index: CorpusIndex) -> dict[int, str]:
    """chunk row id -> document id for the whole index (one query, so pooling costs nothing per query)."""
    return index.chunk_documents()


def evaluate_beir(index: CorpusIndex, data: BeirData, retriever, mode: str, depth: int,
                  log: Callable[[str], None] = lambda _: None) -> dict:
    """Rank documents for every query of ``data`` and score them (nDCG@10, Recall@10/100, MRR@10, latency).

    Latency is the wall time of the product's own ``Retriever.search`` call
    (query embedding, both routes, fusion, near-duplicate removal, row fetch),
    measured after one warm-up query so model loading is not counted.
    """
    from .metrics import beir_metrics, latency_summary, max_pool

    owner = chunk_documents(index)
    retriever.search("warm-up query", 10, mode=mode, candidates=depth)
    rankings: dict[str, list[str]] = {}
    seconds: list[float] = []
    for n, (qid, text) in enumerate(data.queries.items(), 1):
        t0 = time.perf_counter()
        result = retriever.search(text, 10, mode=mode, candidates=depth)
        seconds.append(time.perf_counter() - t0)
        rankings[qid] = max_pool((owner[r], s) for r, s in result.ranking if r in owner)[:100]
        if n % 100 == 0:
            log(f"  {mode}: {n}/{len(data.queries)} queries")
    return {**beir_metrics(rankings, data.qrels), "latency": latency_summary(seconds)}
