"""Recognise the publications a question names ("Did The Verge and TechCrunch both report ...?").

An index knows each document's source as its site ("theverge.com",
"theage.com.au"); a question names the publication as people write it ("The
Verge", "The Age", "The Sydney Morning Herald", "CBSSports.com"). A source is
named when its site's name ("theverge", "smh", "cbssports") is spelled by one
to five consecutive words of the question that start with a capital letter,
run together ("The Verge", "TechCrunch") or as their initials ("The Sydney
Morning Herald" -> "smh"). Capitals matter: "at the time" does not name
time.com, "Time" does.

Why it matters: a multi-source question ("... while The Roar indicates ...")
is answered from several publications, and one retrieval ranking over the
whole question easily fills all its places with the publication whose
articles match the most words. :class:`rag.retrieval.Retriever` reserves a
place for each named source (see ``reserve``).
"""

from __future__ import annotations

import re
from typing import Iterable

__all__ = ["named_sources", "site_name"]

# Labels of a host that name no publication: "www.", "en.", and the suffixes ".com", ".co.uk", ".com.au".
_GENERIC_LABELS = frozenset("www en m amp edition news com co org net gov edu uk au il in nz ca us de fr io ie".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&'’-]*")
_MAX_WORDS = 5
_MIN_NAME = 3  # "bbc", "smh", "ft": shorter site names are too easily spelled by accident


def site_name(source: str) -> str:
    """The publication's name in a site: its longest label that is not generic ("theage.com.au" ->
    "theage", "en.globes.co.il" -> "globes"); a source that is not a host comes back lower-cased
    with only its letters and digits ("The Verge" -> "theverge")."""
    labels = [label for label in source.lower().split(".") if label and label not in _GENERIC_LABELS]
    if "." in source and labels:
        return max(labels, key=len)
    return re.sub(r"[^a-z0-9]", "", source.lower())


def _spellings(question: str) -> set[str]:
    """Every run of 1..5 consecutive capitalised question words, run together and as initials."""
    words = _WORD.findall(question)
    out: set[str] = set()
    for i, first in enumerate(words):
        if not first[0].isupper():
            continue
        joined, initials = "", ""
        for word in words[i:i + _MAX_WORDS]:
            if not (word[0].isupper() or word[0].isdigit()):
                break  # "The age of ..." does not spell "theage"
            plain = re.sub(r"\.(com|co|org|net)\b.*$", "", word.lower())  # "CBSSports.com" -> "cbssports"
            joined += re.sub(r"[^a-z0-9]", "", plain)
            initials += word[0].lower()
            out.update((joined, initials))
            if words[i] == "The":
                out.add(initials[1:])  # "The Sydney Morning Herald" -> "smh"
    return out


def named_sources(question: str, sources: Iterable[str]) -> list[str]:
    """The ``sources`` (as the index stores them) that ``question`` names, in the order given."""
    spellings = _spellings(question)
    return [s for s in sources if len(site_name(s)) >= _MIN_NAME and site_name(s) in spellings]
