"""The files of an index directory: the one place that names them.

See :mod:`index.corpus_index` for what each holds.
"""

from __future__ import annotations

__all__ = ["MANIFEST", "STORE", "VECTORS", "VECTORS_GEN"]

MANIFEST = "manifest.json"
STORE = "store.sqlite"
VECTORS = "vectors.faiss"
VECTORS_GEN = "vectors.gen"
