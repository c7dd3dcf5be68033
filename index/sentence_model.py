"""Loading a local sentence-transformers model: offline, quietly, on the CPU.

The one module that imports sentence-transformers; the runtime embedder
(:mod:`index.embedder`) and the ONNX export (:mod:`index.onnx_export`) both load
models through it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["embedding_dimension", "load_sentence_transformer"]


def _quiet_offline_env() -> None:
    # Offline, and quiet: no hub look-ups, no progress bars on the user's terminal.
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                       ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)


def load_sentence_transformer(path: Path, **kwargs):
    """The sentence-transformers model in the folder ``path``, on the CPU, from local files only."""
    _quiet_offline_env()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True, **kwargs)


def embedding_dimension(st_model) -> int:
    # sentence-transformers 6 renamed get_sentence_embedding_dimension (the old name warns).
    method = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    return int(method())
