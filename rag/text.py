"""Words of a text as the answer checks compare them: key terms, crude stems, rarity weights.

Retrieval ranks with the index's own BM25; these helpers serve the checks around it: how much of a
question the passages cover (abstention), which evidence sentences to keep (context), whether a
sentence of the answer is backed by a passage (attribution), whether two citations disagree
(conflicts).
"""

from __future__ import annotations

import math
import re
from typing import Sequence

__all__ = ["key_terms", "stemmed_terms", "term_rarity", "REPORTING_TERMS", "VERDICT_TERMS", "CONNECTIVE_TERMS",
           "ORDINAL_FRAME", "TITLE_TERMS", "CURRENCY_WORDS", "spelled_date"]

_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it
    its me my not of on or our she so than that the their them then there these they this those to was we were what
    when where which who whom whose why will with would you your about after before between during said says say
    tell told any some more most other such only own same both each few all also just over under again further once
    here very s t don should now according article report reported news""".split()
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


_POSSESSIVE = re.compile(r"['’]s$")


# One word for each way news writes a unit: "2.0 mln dlrs" (wire style) states "2.0 million dollars",
# "5 per cent" and "5%" state "5 percent". Without it a claim in the reader's words fails the overlap
# check against the passage's abbreviations (three right Reuters dev/test answers were withdrawn so).
_UNIT_SPELLINGS = ((re.compile(r"(?<=\d)\s*%"), " percent"), (re.compile(r"\bper\s+cent\b", re.I), "percent"))
_UNIT_WORDS = {"mln": "million", "bln": "billion", "dlr": "dollar", "dlrs": "dollars",
               "pct": "percent"}

# One word for each way news writes an initialism: "U.S.", "U. S." and "US" (likewise "U.K.", "U.N.")
# are one word, "us". Without it "Emma Raducanu won the women's singles U. S. Open" had a third of its
# words in "Emma Raducanu won the 2021 US Open women's singles title" (RGB en_fact, left out).
_SPACED_INITIALS = re.compile(r"\b([A-Z])\.\s(?=[A-Z]\.)")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]\.?$")


def key_terms(text: str) -> list[str]:
    """Content words of a question, lower-cased, without stopwords (for coverage checks); units as
    words (:data:`_UNIT_WORDS`), initialisms as one word ("U.S.", "U. S." and "US" are "us")."""
    for pattern, spelling in _UNIT_SPELLINGS:
        text = pattern.sub(spelling, text)
    text = _SPACED_INITIALS.sub(r"\1.", text)  # "U. S. Open" -> "U.S. Open"
    words = []
    for token in _WORD.findall(text):
        word = _POSSESSIVE.sub("", token.lower()).strip("'’")
        word = word.replace(".", "") if _INITIALISM.match(word) else word.strip(".")  # "u.s." -> "us"
        word = _UNIT_WORDS.get(word, word)
        words.append(word)
        if "-" in word:  # "320-metre" also counts as "320" and "metre"
            words.extend(part for part in word.split("-") if part)
    return [w for w in words if w and w not in _STOPWORDS]


# American spellings of the units and words British-English news uses: "320-meter" meets "320-metre".
_US_SPELLING = re.compile(r"(met|lit|cent|theat|fib)er(s?)$")


def _stem(word: str) -> str:
    """Crude English suffix stripping: enough to match "budgeted"/"budget", "metres"/"metre",
    "approve"/"approved" (a final silent "e" goes too), "meter"/"metre"."""
    word = _US_SPELLING.sub(r"\1re\2", word)
    if len(word) <= 4 or word[-1].isdigit():
        return word
    if word.endswith("ing") and len(word) > 6:
        word = word[:-3]
    elif word.endswith("ied") or word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    elif word.endswith(("ches", "shes", "xes", "sses", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def stemmed_terms(text: str) -> set[str]:
    """Key terms with a crude suffix stemming, so "budgeted" meets "budget" (for overlap scores)."""
    return {_stem(w) for w in key_terms(text)}


def term_rarity(term_sets: Sequence[set[str]]) -> dict[str, float]:
    """Weight of each term by how few of ``term_sets`` hold it: 1 for a term one set has, falling
    (log-scaled) towards 0 for a term every set has; 1 for every term when there is one set.
    Terms no set holds are absent (read them as 0: they tell no set from another)."""
    n = len(term_sets)
    counts: dict[str, int] = {}
    for terms in term_sets:
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
    if n <= 1:
        return dict.fromkeys(counts, 1.0)
    return {t: math.log((n + 1) / c) / math.log(n + 1) for t, c in counts.items()}


# ---- word lists of the sentence verifier (rag.verification) ----------------------------------------

# Words that frame a claim ("The Verge article suggests that ...") rather than state it: no passage
# sentence repeats them, so they are not asked of it. Who reported is checked against the passage's
# title and source instead.
REPORTING_TERMS = frozenset(stemmed_terms(
    "article articles report reports reported reporting suggest suggests suggested say says said state states stated "
    "mention mentions mentioned according indicate indicates indicated highlight highlights highlighted note notes "
    "noted publish published write writes wrote discuss discusses discussed describe describes described detail "
    "details detailed outline outlines outlined explain explains explained"
))

# Words that state a verdict rather than a fact ("the reports are consistent", "yes, both agree").
VERDICT_TERMS = frozenset(stemmed_terms(
    "yes no not both neither either consistent consistency inconsistent same similar different differ change changed "
    "agree agrees disagree true false before after"
))  # (reporting words, "article", "suggests", are in REPORTING_TERMS, which both users subtract as well)

# Titles before a name ("Mr", "Dr"): no part of the name a check looks for.
TITLE_TERMS = frozenset(stemmed_terms("mr mrs ms miss dr prof sir dame ceo cfo cto coo"))

# Words that join the parts of a restated question ("the first article discusses X, while the
# second details Y") without adding a fact.
CONNECTIVE_TERMS = frozenset(stemmed_terms("while whereas"))

# The words news writes currencies with (a regular-expression alternation, case-insensitive): what
# makes a figure an amount of money ("12.5 billion dlrs", "50,000 stg").
CURRENCY_WORDS = (r"(?:dollars?|dlrs?|pounds?|stg|sterling|euros?|yen|francs?|marks|cents?|pence|rupees?|yuan|renminbi|"
                  r"crowns?|kronor|kroner|krona|pesos?|rand|lire|lira|riyals?|dinars?|usd|gbp|eur)")

# "The first article ..., while the second ...": which article, not what it says.
ORDINAL_FRAME = re.compile(r"\b(?:the\s+)?(?:first|second|third|former|latter|other|one|both)\s+"
                           r"(?:article|report|piece|story|source)s?\b", re.I)

_MONTHS = ("January February March April May June July August September October November December").split()


def spelled_date(date: str | None) -> str:
    """``2023-09-28`` as ``2023-09-28 September 28 2023``, so "reported on September 28, 2023" meets it."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return date or ""
    year, month, day = match.groups()
    return f"{date} {_MONTHS[int(month) - 1]} {int(day)} {year}"
