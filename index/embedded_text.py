"""What the embedder sees for a chunk, and the key its vector is reused under.

A chunk is embedded as its document's header line, a newline, then its text.
Identical embedded texts get identical vectors, so a vector is stored with the
sha256 of that text (:func:`embed_key`) and looked up before embedding again:
news archives repeat boilerplate and wire copy, and a long file can repeat one
paragraph thousands of times. The store's migration back-fills the key with
these same functions, so the two can never disagree.
"""

from __future__ import annotations

import hashlib

__all__ = ["EMBED_KEY_BYTES", "embed_key", "embedded_text"]

# 16 bytes of sha256: a collision among even 10^10 texts has odds far below 10^-18, at half the index size.
EMBED_KEY_BYTES = 16


def embedded_text(header: str, chunk_text: str) -> str:
    """The exact string the embedder is given for a chunk: header line, newline, chunk text."""
    return f"{header}\n{chunk_text}"


def embed_key(text: str) -> bytes:
    """The reuse key of an embedded text: the first :data:`EMBED_KEY_BYTES` bytes of its sha256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:EMBED_KEY_BYTES]
