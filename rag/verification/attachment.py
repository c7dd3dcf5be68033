"""Inside one passage sentence: which name a figure belongs to, what a negation denies, who spoke.

Word overlap scores a claim against a whole passage sentence, so a sentence that names two
companies and two figures supports every pairing of them. News sentences pack exactly that: "X
reported revenue of 4.2 billion, of which its subsidiary Y contributed 1.1 billion"; "the Green List
won 14 seats, the Civic Alliance 9 and Labour 6". These functions read the sentence's own structure
(its clauses and list items, :func:`segments`) to tell which pairing it states. They are the text
side of rules in :mod:`rag.verification.rules` (``figure_with_its_name``, ``name_with_its_role``,
``negation_agrees``, ``speaker_named``, ``bare_answer_reads_the_question``); each rule's docstring
gives its measured effect.

Names are runs of capitalised words (:func:`name_runs`); months and weekdays are dates, not names.
Terms are :func:`rag.text.stemmed_terms`, as everywhere in the verifier.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..sources import named_sources
from ..text import TITLE_TERMS, key_terms, stemmed_terms

__all__ = ["segments", "name_runs", "question_parts", "is_bare_value", "figure_held_by_another", "figure_of_another_item",
           "name_held_by_another", "names_swapped", "answer_held_by_another", "negation_denied", "speakers", "unnamed_speakers"]

# Where one clause or list item of a news sentence ends and the next begins.
_BOUNDARY = re.compile(r"\s*[,;:()—–]\s*|\s+-\s+|\s+(?:and|while|whereas|but|before|after|of which|as well as|then)\s+", re.I)
_CAPITALISED = re.compile(r"(?<![\w.-])[A-Z][\w'’&-]*(?:\.(?=\w)[\w'’-]*)*")
_JOINER = re.compile(r"\s*(?:of|de|van|von|der|la|le|du|the|and|&)?\s*", re.I)
_DATE_WORDS = frozenset(stemmed_terms(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"))
_SPELLED = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen twenty").split()
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*|\b(?:" + "|".join(_SPELLED) + r")\b", re.I)
_REPORTING = r"(?:said|says|say|told|tells|stated|states|announced|announces|added|adds|claimed|claims|argued|warned|wrote|writes|insisted|confirmed)"
_SPEAKER_AFTER = re.compile(rf"^[\s,]*(?:\w+\s+){{0,1}}{_REPORTING}\b", re.I)
_REPORTED = re.compile(rf"{_REPORTING}\b", re.I)
_SPEAKER_BEFORE = re.compile(r"\baccording\s+to\s*$", re.I)
# "not only ... but also" asserts both parts; "No. 1" is a rank.
_NEGATOR = re.compile(r"\b(?:not(?!\s+only\b)|never|no longer|neither|nor|cannot|no(?!\.\s*\d))\b|n['’]t\b", re.I)
# A segment that describes the name before it: "Priya Raman, the new chief executive of Solvik Foods,".
_APPOSITION = re.compile(r"(?:the|a|an|its|his|her|their)\s", re.I)
# A name joined by "and", "of", "&" is an organisation or a publication ("Life and Style"), not a person.
_JOINED = re.compile(r"\s(?:and|of|&)\s", re.I)


# A day of the month or a year is a date, not a figure a name holds ("SUNNYVALE, Calif., March 2 -").
_DATE_FIGURE = re.compile(r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{1,2}\s+"
                          r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|\b(?:19|20)\d\d\b)", re.I)


def _figure(text: str) -> str:
    text = text.lower().replace(",", "")
    return str(_SPELLED.index(text) + 1) if text in _SPELLED else text


def _figures(text: str) -> set[str]:
    """The figures of ``text``, normalised (:func:`_figure`: "1,150" -> "1150", "seven" -> "7")."""
    return {_figure(m.group(0)) for m in _FIGURE.finditer(text)}


def _dated(text: str) -> set[str]:
    """The figures of ``text`` that stand in a date (a day of the month, a year): no figure a name holds."""
    return {figure for d in _DATE_FIGURE.finditer(text) for figure in _figures(d.group(0))}


def segments(sentence: str) -> list[tuple[int, int]]:
    """The clauses and list items of ``sentence`` as (start, end) offsets: split at commas,
    semicolons, colons, brackets and the words that join clauses ("and", "while", "of which",
    "before"). "the Green List won 14 seats, the Civic Alliance 9 and Labour 6" -> three."""
    spans, start = [], 0
    for match in _BOUNDARY.finditer(sentence):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(sentence):
        spans.append((start, len(sentence)))
    return spans


def _segment_at(spans: Sequence[tuple[int, int]], at: int) -> int | None:
    """The index of the segment of ``spans`` (:func:`segments`) that holds offset ``at``."""
    return next((i for i, (s, e) in enumerate(spans) if s <= at < e), None)


def name_runs(text: str) -> list[tuple[int, int, frozenset[str]]]:
    """The names of ``text``: runs of capitalised words (joined by "of", "&", "de" ...), as (start,
    end, terms). A run that is only the sentence's first word ("The", "Officials") is no name, nor
    one of dates ("October", "Thursday") or titles ("Mr")."""
    runs: list[list] = []
    for match in _CAPITALISED.finditer(text):
        if runs and _JOINER.fullmatch(text[runs[-1][1]:match.start()]) and "\n" not in text[runs[-1][1]:match.start()]:
            runs[-1][1] = match.end()
            runs[-1][3] += 1
        else:
            runs.append([match.start(), match.end(), match.start(), 1])
    out = []
    for start, end, first, words in runs:
        before = text[:first].rstrip(" \t\n\"“”'‘’([")
        opening = not before or before[-1] in ".!?:;"
        terms = frozenset(stemmed_terms(text[start:end])) - _DATE_WORDS - TITLE_TERMS
        if terms and not (opening and words == 1):
            out.append((start, end, terms))
    return out


def _is_speaker(sentence: str, start: int, end: int) -> bool:
    """The name at ``start:end`` speaks in ``sentence`` ("X said", "X, the chief executive, said" is
    not read; "according to X")."""
    return bool(_SPEAKER_AFTER.match(sentence[end:]) or _SPEAKER_BEFORE.search(sentence[:start]))


def figure_held_by_another(claim: str, sentence: str) -> str | None:
    """Rule *a figure belongs to the name of its own clause*: the figure of ``claim`` that
    ``sentence`` gives to another name than the one the claim gives it to, or None.

    A figure of the sentence belongs to the names of its segment (:func:`segments`), or, when that
    segment names nobody, of the segment just before it ("Castell Holdings, would invest 300
    million"). The claim pairs the figure with the sentence's names it repeats, leaving out those
    that only speak ("X said ..."). When every place the sentence gives the figure belongs to names
    the claim does not repeat, while the claim repeats another name of the sentence, the claim moves
    the figure to that name.

    Rejects "Halvorsen Group reported revenue of 1.1 billion dollars" against "Halvorsen Group
    reported revenue of 4.2 billion dollars, of which its subsidiary Nordlane contributed 1.1 billion
    dollars" (returns "1.1"); accepts "Nordlane contributed 1.1 billion dollars" and "Halvorsen Group
    reported revenue of 4.2 billion dollars"."""
    claim_terms = stemmed_terms(claim)
    names = name_runs(sentence)
    used = [terms for start, end, terms in names if terms & claim_terms and not _is_speaker(sentence, start, end)]
    if not used:
        return None
    spans = segments(sentence)
    for figure in _figures(claim) - _dated(claim):
        places = [m for m in _FIGURE.finditer(sentence) if _figure(m.group(0)) == figure]
        if not places:
            continue
        holders = [_holders(m.start(), spans, names, sentence) for m in places]
        if all(h and not any(terms & claim_terms for terms in h) for h in holders):
            return figure
    return None


def figure_of_another_item(claim: str, sentence: str) -> str | None:
    """Rule *a figure belongs to its own list item*, for items that name nobody ("412 nesting pairs of
    puffins, 97 pairs of razorbills and 58 pairs of guillemots"): the figure of ``claim`` that
    ``sentence`` gives to another item than the claim does, or None.

    The claim's figure stands in a segment of the sentence (:func:`segments`) that holds a word the
    claim lacks ("razorbills"), while a word the claim gives the figure (an unnamed word of its
    segment in the claim: "puffins") stands, in the sentence, only in the segment of another figure: the claim moved the figure to the neighbouring
    item. A segment whose words the claim all repeats ("Labour 6" for "Labour took 6 seats") is the
    claim's own item, however elliptical.

    Rejects "The survey counted 97 nesting pairs of puffins" against "The survey counted 412 nesting
    pairs of puffins on Skerry Island, 97 pairs of razorbills and 58 pairs of guillemots" (returns
    "97"); accepts "... counted 412 nesting pairs of puffins" and "Labour took 6 seats in the district
    vote" against "..., the Green List won 14 seats, the Civic Alliance 9 and Labour 6"."""
    claim_terms = stemmed_terms(claim) - _UNITS
    wanted = _figures(claim) - _dated(claim)
    if not wanted:
        return None
    spans = segments(sentence)
    terms = [{t for t in stemmed_terms(sentence[s:e]) if not t[0].isdigit()} for s, e in spans]
    words = [t - _UNITS for t in terms]
    figures = [_figures(sentence[s:e]) - _dated(sentence[s:e]) for s, e in spans]
    claim_spans = [claim[s:e] for s, e in segments(claim)]
    for figure in wanted:
        own = [i for i, held in enumerate(figures) if figure in held]
        if not own:
            continue
        mine = set().union(*(words[i] for i in own))
        counted = set().union(*(terms[i] for i in own))
        # the other items of the same list: segments with another figure counting what this one counts
        others = [i for i, held in enumerate(figures) if held and figure not in held and terms[i] & counted]
        elsewhere = set().union(*(words[i] for i in others)) if others else set()
        # the words the claim gives this figure: those of its own segments in the claim
        # (its unnamed words: which name holds a figure is figure_held_by_another's question)
        given = set().union(*(stemmed_terms(re.sub(r"\b[A-Z][\w'’-]*", " ", part)) for part in claim_spans
                              if figure in _figures(part))) - _UNITS
        moved = (given & elsewhere) - mine
        if moved and all(words[i] - claim_terms for i in own):
            return figure
    return None


def name_held_by_another(claim: str, sentence: str) -> str | None:
    """Rule *a name belongs to the name it stands with*: a name of ``claim`` that ``sentence`` joins to
    another name than the claim does, or None ("Henrik Dahl of Marlow Bank"; "Priya Raman, the new
    chief executive of Solvik Foods").

    A name the sentence writes "X of Y" belongs to X; a name in an apposition (a segment,
    :func:`segments`, that opens "the", "a", "its" ... and names nobody else) belongs to the names of
    the segment before it. When every place the sentence gives
    the claim's name belongs so to names the claim does not repeat, while the claim pairs it with
    another name of the sentence, standing elsewhere, the claim joins what the sentence keeps apart.
    Other names in the name's own segment are read as its qualifiers ("Microsoft's Satya Nadella")
    and decide nothing.

    Rejects "Henrik Dahl is the chief executive of Solvik Foods" and "Priya Raman worked for Marlow
    Bank" against "Priya Raman, the new chief executive of Solvik Foods, spoke at the conference
    alongside Henrik Dahl of Marlow Bank" (returns "Solvik Foods", "Marlow Bank"); accepts "Priya
    Raman is the chief executive of Solvik Foods"."""
    claim_runs = [(claim[s:e], terms) for s, e, terms in name_runs(claim)]
    if len(claim_runs) < 2:
        return None
    claim_terms = frozenset().union(*(terms for _, terms in claim_runs))
    runs = name_runs(sentence)
    spans = segments(sentence)

    def owner_of(start: int, end: int, terms: frozenset[str]) -> frozenset[str] | None:
        """The name that the sentence's name at ``start:end`` (holding the claim's name ``terms``)
        belongs to, or None when it stands on its own."""
        head, joined, tail = sentence[start:end].rpartition(" of ")
        # "Henrik Dahl of Marlow Bank": Marlow Bank is his. Only when the claim's name is all that
        # follows "of": in "Federal Bureau of Investigation Director William Webster" it is the bureau's.
        if (joined and stemmed_terms(tail) <= terms and not stemmed_terms(head) & terms
                and stemmed_terms(head) - _DATE_WORDS - TITLE_TERMS):
            return frozenset(stemmed_terms(head))
        index = _segment_at(spans, start)
        if index is None:
            return None
        s, e = spans[index]
        if any(s <= other < e and other != start for other, _, _ in runs):
            return None  # another name beside it qualifies it, or it the other
        if index == 0 or not _APPOSITION.match(sentence[s:e]):
            return None  # only an apposition ("X, the chief executive of Y,") describes the name before it
        s, e = spans[index - 1]
        before = [held for other, other_end, held in runs if s <= other < e and not _is_speaker(sentence, other, other_end)]
        return frozenset().union(*before) if before else None

    for text, terms in claim_runs:
        places = [(start, end) for start, end, held in runs if terms <= held]
        if not places:
            continue
        others = [start for start, _, held in runs if held & claim_terms and not held & terms]
        holders: list[frozenset[str]] = []
        for start, end in places:
            owner = owner_of(start, end, terms)
            if owner is None or owner & claim_terms:
                holders = []
                break
            holders.append(owner)
        if not holders:
            continue
        own_segments = {_segment_at(spans, start) for start, _ in places}
        if any(_segment_at(spans, start) not in own_segments for start in others):
            return text
    return None


# What keeps two names' order from saying who did what to whom: a passive ("was sued by"), or a
# relation that reads both ways ("drew with", "played against", "X and Y merged").
_ORDER_FREE = re.compile(r"\b(?:by|was|were|been|being|and|with|against|versus|vs|between|both)\b", re.I)


def names_swapped(claim: str, sentence: str) -> str | None:
    """Rule *who did it to whom*: the two names of ``claim`` that ``sentence`` states in the other order
    around the same words, or None.

    Within one segment (:func:`segments`) of each, the claim has name A, then words, then name B;
    the sentence has B, then words sharing a content word with the claim's ("sued"), then A. Neither
    may read both ways: a passive ("was sued by") or a symmetric relation ("drew with", "X and Y") says
    nothing about the order.

    Rejects "Kiln Batteries sued its former supplier Vestra Motors" against "Vestra Motors sued its
    former supplier Kiln Batteries" (returns "Kiln Batteries ... Vestra Motors"); accepts "Kiln
    Batteries was sued by Vestra Motors"."""
    def pairs(text: str):
        runs = name_runs(text)
        for s, e in segments(text):
            inside = [(start, end, terms) for start, end, terms in runs if s <= start < e]
            for i, (a_start, a_end, a_terms) in enumerate(inside):
                for b_start, b_end, b_terms in inside[i + 1:]:
                    between = text[a_end:b_start]
                    if not _ORDER_FREE.search(between):
                        yield a_terms, b_terms, key_terms(between), text[a_start:a_end], text[b_start:b_end]

    sentence_pairs = list(pairs(sentence))
    for a_terms, b_terms, words, a_text, b_text in pairs(claim):
        verb = stemmed_terms(" ".join(words))
        if not verb:
            continue
        for first, second, other_words, _, _ in sentence_pairs:
            if first & b_terms and second & a_terms and not first & a_terms and verb & stemmed_terms(" ".join(other_words)):
                return f"{a_text} ... {b_text}"
    return None


_UNITS = frozenset(stemmed_terms(
    "percent per cent pct million billion trillion thousand mln bln dollars dlrs dlr pounds euros yen francs marks "
    "cents pence tonnes tons barrels shares points goals runs seats votes km miles metres kg"))


def is_bare_value(body: str) -> bool:
    """Whether a claim is only a value: figures, units and capitalised words ("52.4%", "3-1", "48.5
    million pounds", "Alameda Research"), no word that states something of its own ("It opens in
    June 2027" is a sentence)."""
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", body):
        if word[0].isupper():
            continue
        terms = stemmed_terms(word)
        if terms and not terms <= _UNITS:
            return False
    return True


def question_parts(question: str, ignore: frozenset[str] = frozenset()) -> list[frozenset[str]]:
    """The name terms of each part (segment, :func:`segments`) of ``question``, less ``ignore`` (the
    publications it names): "What was the score of Port Alder Rovers' semi-final against Eastwick
    Town?" is one part ({port, alder, rover, eastwick, town}); "Which company, discussed by The
    Verge, ... clean image for FTX ..., held "unlocked FTT" ...?" several, each answered perhaps by
    another article."""
    names = name_runs(question)
    return [frozenset().union(*(terms for start, _, terms in names if s <= start < e)) - ignore
            for s, e in segments(question)]


def _holders(at: int, spans: Sequence[tuple[int, int]], names, sentence: str) -> list[frozenset[str]]:
    """The names a figure at offset ``at`` belongs to: those of its segment, else, when that segment
    names nobody, of the segment before it ("Castell Holdings, would invest 300 million"). A segment
    that opens with a reporting verb ("..., said it will boost imports of U.S. goods to 200 mln dlrs")
    is what the sentence's speaker said: the names in it are what the speaker talks about, so it
    assigns the figure to nobody."""
    index = _segment_at(spans, at)
    if index is None or _REPORTED.match(sentence[spans[index][0]:]):
        return []
    for i in (index, index - 1):
        if i < 0:
            break
        s, e = spans[i]
        held = [terms for start, end, terms in names if s <= start < e and not _is_speaker(sentence, start, end)]
        if held:
            return held
    return []


def answer_held_by_another(answer: frozenset[str], subject: frozenset[str], sentence: str) -> str | None:
    """Rule *a name answers for the clause it stands in*: for a claim that gives a name (``answer``,
    its terms) for what the question asks about (``subject``: the question's words the claim
    repeats), the name of ``sentence`` that the subject belongs to instead, or None.

    The subject belongs to the names of the segment (:func:`segments`) that holds most of its words,
    other than the subject's own, or, when that segment names nobody else, to those of the segment
    just before it ("Priya Raman, the new chief executive of Solvik Foods"), passing over the segments
    that only describe a name (an apposition, a place: "Juliana Urtubey, a preschool teacher in
    Winfield, Kan., has been named ..."); a clause before it that names the answer makes the subject
    the answer's. When the answer's own
    segment holds none of the subject's words and the subject belongs to other names, the claim gives
    the role to the wrong name.

    Rejects "The Kremlin spokesman quoted is Sergei Lavrov" against "Kremlin spokesman Dmitry Peskov
    said the talks would continue, after Foreign Minister Sergei Lavrov met his Turkish counterpart"
    (returns "Dmitry Peskov"); accepts "... is Dmitry Peskov"."""
    if not answer or not subject:
        return None
    names = name_runs(sentence)
    spans = segments(sentence)
    words = [stemmed_terms(sentence[s:e]) for s, e in spans]
    own = [i for i, (s, e) in enumerate(spans) for start, _, terms in names if s <= start < e and terms & answer]
    if not own or any(words[i] & subject for i in own):
        return None
    best = max(range(len(spans)), key=lambda i: len(words[i] & subject))
    if not words[best] & subject:
        return None
    for i in range(best, -1, -1):
        s, e = spans[i]
        if i != best and any(s <= start < e and terms & answer for start, _, terms in names):
            return None  # "X, who claimed she took ...": the clause before names the answer itself
        if i != best and i > 0 and _describes(sentence, s, e, names):
            continue  # "X, a preschool teacher in Winfield, Kan., has been named ...": back to X
        holders = [(start, end, terms) for start, end, terms in names
                   if s <= start < e and not terms & subject and not terms & answer]
        if holders:
            return sentence[holders[0][0]:holders[0][1]]
        if i != best:
            return None
    return None


def _describes(sentence: str, s: int, e: int, names) -> bool:
    """Whether the segment ``s:e`` only describes the name before it: an apposition ("a preschool
    teacher in Winfield") or a place that qualifies it ("Kan."), a segment that is one name alone."""
    if _APPOSITION.match(sentence[s:e]):
        return True
    inside = [(start, end) for start, end, _ in names if s <= start < e]
    return len(inside) == 1 and not sentence[s:inside[0][0]].strip() and not sentence[inside[0][1]:e].strip(" .")


def _negations(text: str, scope: int) -> tuple[list[set[str]], set[str]]:
    """What ``text`` denies and what it states: for each negated segment, the first ``scope`` terms after
    its negator that the text states nowhere outside a negation, and the set of those plain terms ("will not
    open before March" -> [{"open"}], {"march", ...}; "the prosecution said he committed fraud, the
    defence that he never meant to commit fraud" -> [{"meant"}], ...)."""
    denied: list[set[str]] = []
    plain: set[str] = set()
    for s, e in segments(text):
        part = text[s:e]
        match = _NEGATOR.search(part)
        if match is None:
            plain |= stemmed_terms(part)
            continue
        plain |= stemmed_terms(part[:match.start()])
        after = [t for word in key_terms(part[match.end():]) for t in stemmed_terms(word)]
        denied.append(set(after[:scope]))
        plain |= set(after[scope:])
    return [d - plain for d in denied if d - plain], plain


def negation_denied(claim: str, sentence: str, scope: int) -> bool:
    """Rule *a claim keeps the passage's negation*: whether ``sentence`` denies all that a negated
    segment of the claim would have to deny while stating it plainly, or the reverse: the claim
    states plainly every word of something the sentence denies (:func:`_negations`; ``scope``: the
    content words a negation denies, ``VerifierSettings.negation_scope``).

    Rejects "The regulator did not approve the merger" against "The regulator approved the merger",
    and "The airline has paid a dividend" against "The airline has never paid a dividend"; accepts
    "The regulator approved the merger" against "The regulator, which did not comment on timing,
    approved the merger" (what is denied, "comment on timing", the claim does not state), and "It
    released a lite version of the model" against "It didn't release the full model, only a lite
    version" (the claim does not state "full")."""
    claim_denied, claim_plain = _negations(claim, scope)
    sentence_denied, sentence_plain = _negations(sentence, scope)
    return (any(d <= sentence_plain for d in claim_denied)
            or any(d <= claim_plain for d in sentence_denied))


def speakers(claim: str) -> list[tuple[str, frozenset[str]]]:
    """The names ``claim`` gives words to: "X said", "X told", "according to X"."""
    return [(claim[start:end], terms) for start, end, terms in name_runs(claim)
            if _is_speaker(claim, start, end) and not _JOINED.search(claim[start:end])]


def unnamed_speakers(claim: str, text: str, publications: Sequence[str] = ()) -> list[str]:
    """Rule *who said it must be named where it is said*: the speakers of ``claim`` (:func:`speakers`)
    none of whose words ``text`` (the passage sentence, its neighbours, its title and source) holds.
    A speaker that names one of ``publications`` (the index's sources: "according to The Verge")
    is left to the publications rule.

    Returns ["Anna Kowalczyk"] for "Anna Kowalczyk said this was all preparation" against "...,"
    Kremlin spokesman Dmitry Peskov said"; [] for "Peskov said this was all preparation"."""
    held = stemmed_terms(text)
    return [name for name, terms in speakers(claim)
            if not terms & held and not (publications and named_sources(name, publications))]
