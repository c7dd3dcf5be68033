"""The corpus side: documents -> chunks -> vectors and BM25, persisted on disk.

Knows nothing about LLMs or prompts. Heavy libraries (sentence-transformers,
faiss) load lazily on first use.
"""

from .chunker import ChunkerSettings, chunk_document, split_sentences
from .corpus_index import CorpusIndex, IndexReport, Progress, embedding_header
from .documents import Chunk, Document
from .embedder import DEFAULT_EMBEDDER, Embedder, SentenceTransformerEmbedder
from .errors import (
    CorpusError,
    DocumentNotFoundError,
    EmbedderError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    LoaderError,
)
from .loaders import Skipped, load_file, load_path
from .store import ChunkRow, SearchFilter

__all__ = [
    "Chunk",
    "ChunkRow",
    "ChunkerSettings",
    "CorpusError",
    "CorpusIndex",
    "DEFAULT_EMBEDDER",
    "Document",
    "DocumentNotFoundError",
    "Embedder",
    "EmbedderError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "LoaderError",
    "Progress",
    "SearchFilter",
    "SentenceTransformerEmbedder",
    "Skipped",
    "chunk_document",
    "embedding_header",
    "load_file",
    "load_path",
    "split_sentences",
]
