"""Recognise the publications a text names ("The Verge reported ...", "Did TechCrunch ...?").

An index knows each document's source as its site ("theverge.com",
"theage.com.au"); people write the publication's name ("The Verge", "The Age",
"The Sydney Morning Herald", "CBSSports.com"). A source is named when its
site's name ("theverge", "smh", "cbssports") is spelled by one to five
consecutive words of the text that start with a capital letter, run together
("The Verge", "TechCrunch") or as their initials ("The Sydney Morning Herald"
-> "smh"). Capitals matter: "at the time" does not name time.com, "Time" does.
Two or more words may also spell the end of a site's name ("Business Line" for
thehindubusinessline.com), when that end has at least eight letters.

Why it matters: an answer sentence that says who reported something ("The BBC
report mentions that Swift ...") is only supported by what that publication
wrote; :func:`rag.verification.attribute` does not let a passage from another
site stand behind it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

__all__ = ["named_sources", "site_name"]

# Labels of a host that name no publication: "www.", "en.", and the suffixes ".com", ".co.uk", ".com.au".
_GENERIC_LABELS = frozenset("www en m amp edition news com co org net gov edu uk au il in nz ca us de fr io ie".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&'’-]*")
_MAX_WORDS = 5
_MIN_NAME = 3  # "bbc", "smh", "ft": shorter site names are too easily spelled by accident
_MIN_PART = 8  # letters of a name's final part that may name a site ("businessline")


def site_name(source: str) -> str:
    """The publication's name in a site: its longest label that is not generic ("theage.com.au" ->
    "theage", "en.globes.co.il" -> "globes"); a source that is not a host comes back lower-cased
    with only its letters and digits ("The Verge" -> "theverge")."""
    labels = [label for label in source.lower().split(".") if label and label not in _GENERIC_LABELS]
    if "." in source and labels:
        return max(labels, key=len)
    return re.sub(r"[^a-z0-9]", "", source.lower())


def _spellings(text: str) -> tuple[set[str], set[str]]:
    """Every run of 1..5 consecutive capitalised words of ``text``, run together and as initials;
    and apart, the runs of two or more words run together (which may name a site in part)."""
    words = _WORD.findall(text)
    out: set[str] = set()
    multiword: set[str] = set()
    for i, first in enumerate(words):
        if not first[0].isupper():
            continue
        joined, initials = "", ""
        for count, word in enumerate(words[i:i + _MAX_WORDS], 1):
            if not (word[0].isupper() or word[0].isdigit()):
                break  # "The age of ..." does not spell "theage"
            plain = re.sub(r"\.(com|co|org|net)\b.*$", "", word.lower())  # "CBSSports.com" -> "cbssports"
            joined += re.sub(r"[^a-z0-9]", "", plain)
            initials += word[0].lower()
            out.update((joined, initials))
            if count >= 2 and words[i] != "The":
                multiword.add(joined)
            if words[i] == "The":
                out.add(initials[1:])  # "The Sydney Morning Herald" -> "smh"
    return out, multiword


@lru_cache(maxsize=16)
def _lookup(sources: tuple[str, ...]) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, int]]:
    """For a list of sources: its sources by site name, by each final part of a site name of at
    least :data:`_MIN_PART` letters, and each source's place in the list. Built once per list (an
    answer asks about every sentence it verifies, and an index may hold thousands of sources)."""
    whole: dict[str, set[str]] = {}
    tails: dict[str, set[str]] = {}
    for source in sources:
        name = site_name(source)
        if len(name) < _MIN_NAME:
            continue
        whole.setdefault(name, set()).add(source)
        for start in range(len(name) - _MIN_PART + 1):
            tails.setdefault(name[start:], set()).add(source)
    return whole, tails, {source: place for place, source in enumerate(sources)}


def named_sources(text: str, sources: Iterable[str]) -> list[str]:
    """The ``sources`` (as the index stores them) that ``text`` names, in the order given. Besides
    the site's whole name, two or more words of at least :data:`_MIN_PART` letters that its name
    ends with count ("Business Line" names thehindubusinessline.com)."""
    whole, tails, order = _lookup(tuple(sources))
    spellings, multiword = _spellings(text)
    named: set[str] = set()
    for spelling in spellings:
        named |= whole.get(spelling, set())
    for part in multiword:
        named |= tails.get(part, set())
    return sorted(named, key=order.__getitem__)
