"""What a claim must have supported, and what an answer must contain (#22, items 2 and 3).

The pure functions behind four rules of the table (:mod:`rag.verification.rules`:
``question_framing``, ``names_in_passages``, ``answer_carries_what_is_asked``,
``figure_of_the_asked_kind``). Their measured effect (recorded drafts replayed, no LLM;
docs/decisions/2026-12-06-claim-content-rules.md, docs/VERIFIER.md): the framing rule changes no
recorded answer and answers the Kremlin spokesman question of #22; the must-answer rules withdraw
answers to unanswerable sample and Reuters dev questions that give no value of the asked kind; the
names rule withdrew 3 right MultiHop dev answers (strict 0.648 -> 0.636) and gained nothing on any
set, so it is off (``VerifierSettings.check_question_names``).

- :func:`framing_terms` (*the question's framing needs no support*): the words a question uses about
  the documents ("quoted in the coverage") are not part of the subject an answer must be anchored to.
- :func:`unsupported_names` (*names and numbers need support even when the question gave them*): a
  claim's names and numbers must be in a passage it cites, whoever wrote them first.
- :func:`not_answered` (*an answer must answer*): a "how many" answer must give a figure, a "who"
  answer a name, a "when" answer a date, a "which version" answer a version.

Terms are :func:`rag.text.stemmed_terms` (lower-cased, crude suffix stemming), as the verifier uses.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from ..questions import asked_part, asks_for_a_name, is_verdict_question
from ..sources import named_sources
from ..text import CURRENCY_WORDS, TITLE_TERMS, stemmed_terms
from .claims import YEAR, names_of

__all__ = ["framing_terms", "question_names", "claim_names", "unsupported_names", "publication_terms", "asked_kind", "not_answered",
           "NOT_IN_PASSAGES", "is_answer_not_in_passages"]

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITAL = re.compile(r"(?<![\w.-])[A-Z](?:[\w'’-]|\.(?=\w))*")
_MARKER = re.compile(r"\s*\[\d{1,3}\]")


def _inner_capitals(text: str) -> str:
    """The capitalised words of ``text`` that do not open a sentence ("Anna Kowalczyk said" ->
    "Kowalczyk"; "“It was all preparation,” Kremlin spokesman Peskov said" -> "Kremlin Peskov"): its
    names, as far as capitals tell."""
    words = []
    for match in _CAPITAL.finditer(text):
        before = text[:match.start()].rstrip(" \t\n\"“”'‘’([")
        if before and before[-1] not in ".!?:;":
            words.append(match.group(0))
    return " ".join(words)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def question_names(question: str) -> frozenset[str]:
    """The terms of the capitalised words of ``question`` after its first word: its names ("Who is the
    Kremlin spokesman?" -> {"kremlin"})."""
    return frozenset(stemmed_terms(_inner_capitals(question)))


def framing_terms(question_terms: Iterable[str], names: Iterable[str], windows: Sequence[set[str]]) -> frozenset[str]:
    """Rule *framing needs no support*: the question's words that are not content and so need no
    support of their own.

    A question word is framing when it is no name (``names``, :func:`question_names`) and no number,
    and the passages use it (``windows``: for each candidate sentence, the question terms its window,
    title, source and date hold) but never together with another of the question's words. Such a
    word is the question's own talk about the documents ("quoted in the coverage", "mentioned in
    the piece"): the passages use it about something else, so it cannot tell the passage that holds
    the answer from the others (before this rule it did the opposite: rare among the passages, it
    weighed most in the relation check). The relation the question asks about ("manager" in "Who
    is the manager of Port Alder Rovers?") is used with the subject by the passage that states it,
    and stays content; so does a word no passage uses ("ticket" in "How much does a ferry ticket
    cost?" against a story about the strike's cost): the relation check must still miss it.

    Accepts (as framing) "coverag" for "Who is the Kremlin spokesman quoted in the coverage?" when
    the only window with "coverage" is a story about Taylor Swift; rejects
    (keeps as content) "kremlin" (a name) and "spokesman" (in the window "Kremlin spokesman Dmitry
    Peskov said").

    Measured effect: no recorded answer of the six evaluation sets changes; the Kremlin spokesman
    question over the MultiHop excerpts and the seed article is answered (it abstained).
    """
    names = set(names)
    framing = set()
    for term in set(question_terms) - names:
        if _NUMBER.fullmatch(term):
            continue
        holding = [window for window in windows if term in window]
        if holding and not any(len(window) >= 2 for window in holding):
            framing.add(term)
    return frozenset(framing)


def claim_names(body: str) -> frozenset[str]:
    """The terms of a claim's names: its capitalised words after the first one of each sentence
    ("Anna Kowalczyk said ..." -> {"kowalczyk"}; "Officials said ..." -> {})."""
    return frozenset(stemmed_terms(_inner_capitals(_MARKER.sub("", body))))


def _name_runs(text: str) -> list[str]:
    """The names of ``text`` as runs of capitalised words joined by spaces, "|" or "&" ("Cnbc | World
    Business News Leader", "Dmitry Peskov"); a word that opens a sentence counts only as part of a
    longer run ("The Age reported", "Anna Kowalczyk said"; not "Officials said")."""
    runs: list[tuple[str, bool]] = []  # (run, whether it is only a sentence's opening word)
    last_end = -1
    for match in _CAPITAL.finditer(text):
        before = text[:match.start()].rstrip(" \t\n\"“”'‘’([")
        opening = not before or before[-1] in ".!?:;"
        if runs and not opening and last_end >= 0 and re.fullmatch(r"\s*(?:[|&]\s*)?", text[last_end:match.start()]):
            runs[-1] = (runs[-1][0] + text[last_end:match.start()] + match.group(0), False)
        else:
            runs.append((match.group(0), opening))
        last_end = match.end()
    return [run for run, opening_only in runs if not opening_only]


def unsupported_names(body: str, cited_texts: Sequence[str], ignore: Iterable[str] = (),
                      given: Iterable[str] = (), given_texts: Sequence[str] | None = None) -> list[str]:
    """Rule *every name and number needs support, the question's too*: the names and numbers of a
    claim's ``body`` that no passage holds. A name (a run of capitalised words, :func:`_name_runs`)
    is held by a text that has one of its words: "Cnbc | World Business News Leader" by a passage
    from ``cnbc.com``; "Anna Kowalczyk" by none that names neither. Names and numbers the claim
    adds must be in ``cited_texts`` (the passages it cites, each with its title, source and date).
    Those the question gave (``given``: the question's terms and numbers) are not exempt: they must
    be in ``given_texts`` (the verifier passes every passage the model was given: a premise must be
    in the evidence, not necessarily in the sentence cited for the claim's own fact), or in
    ``cited_texts`` when that is None. A question that names someone the passages never mention
    ("What did Anna Kowalczyk say about the talks?") does not make "Anna Kowalczyk said this was
    all preparation" true because a passage says "..., Kremlin spokesman Dmitry Peskov said".

    ``ignore``: terms and numbers not to check (the verifier passes the years the question gives:
    its period filter already chose passages from them, and an article says "on 14 November" under
    a dated heading). Titles ("Mr", "Dr") are no names.

    Accepts "The Kremlin spokesman quoted in the coverage is Dmitry Peskov" cited to "... Kremlin
    spokesman Dmitry Peskov said"; rejects "Anna Kowalczyk said ..." cited to it (returns
    ["Anna Kowalczyk"]).

    A word counts as found when its term is among a text's terms, or (4 letters or more) in its
    lower-cased text ("verge" in ``theverge.com``); a name also when its words run together are
    ("The Age" in ``theage.com.au``); a number when it is among the text's numbers.

    Measured effect (``check_question_names``, off by default): MultiHop dev strict 0.648 -> 0.636 (3 right
    answers withdrawn, none wrong), test 0.688 -> 0.664 (6 right and 3 wrong withdrawn); Reuters,
    sample and conversations unchanged. Asking the question's names of the cited passages
    (a variant measured on its branch, not kept) is worse: dev 0.592, test 0.608.
    """
    ignore = set(ignore) | TITLE_TERMS
    given = set(given)
    body = _MARKER.sub("", body)

    def finder(texts: Sequence[str]):
        terms = set().union(*(stemmed_terms(t) for t in texts)) if texts else set()
        lower = " ".join(texts).lower()
        numbers = set().union(*(_numbers(t) for t in texts)) if texts else set()
        return lambda term: term in terms or term in numbers or (len(term) >= 4 and not term.isdigit() and term in lower)

    def spelled(run: str, texts: Sequence[str]) -> bool:
        """A name run together is in a text ("The Age" in ``theage.com.au``)."""
        compact = re.sub(r"[^a-z0-9]", "", run.lower())
        return len(compact) >= 5 and any(compact in text.lower() for text in texts)

    in_cited = finder(cited_texts)
    in_given = finder(given_texts) if given_texts is not None else in_cited
    missing = []
    for run in _name_runs(body):
        terms = stemmed_terms(run) - ignore
        if not terms:
            continue
        found, texts = (in_given, given_texts) if terms <= given and given_texts is not None else (in_cited, cited_texts)
        if not any(found(t) for t in terms) and not spelled(run, texts):
            missing.append(run.strip(".'’"))
    for number in sorted(_numbers(body) - ignore):
        if not (in_given if number in given else in_cited)(number):
            missing.append(number)
    return missing


# A publication's name as a question writes it: capitalised words, with the joiners of a site's section
# ("The Independent - Life and Style", "Cnbc | World Business News Leader", "FOX News - Health").
_PUBLICATION_SPAN = re.compile(r"[A-Z][\w.'’&-]*(?:(?:\s+(?:-|\||&|and|of|the)\s+|\s+)[A-Z][\w.'’&-]*)*")


def publication_terms(question: str, publications: Sequence[str]) -> frozenset[str]:
    """The terms of the spans of ``question`` that name one of ``publications`` (the index's sources,
    :func:`rag.sources.named_sources`): "theage", "life", "style" ... for "'The Age'" and "'The
    Independent - Life and Style'". A claim that names who reported is checked by the publications
    rule (``publication_named``), so :func:`unsupported_names` leaves these words to it."""
    if not publications:
        return frozenset()
    terms: set[str] = set()
    for span in _PUBLICATION_SPAN.findall(question):
        if named_sources(span, publications):
            terms |= stemmed_terms(span)
    return frozenset(terms)



# ---- an answer must answer ---------------------------------------------------------------------

_FIGURE_NOUNS = ("price|prices|value|cost|costs|amount|number|percentage|percent|proportion|share|stake|capacity|"
                 "salary|sum|total|rate|size|population|age|revenue|revenues|profit|loss|figure")
_FIGURE = re.compile(r"\bhow\s+(?:many|much|old|long|large|big|far|close|high|tall|often)\b|"
                     r"^\W*(?:\w+\s+)?what\s+(?:(?:is|was|are|were|will\s+be|would\s+be)\s+)?(?:the\s+|its\s+|their\s+)?"
                     r"(?:(?!did\b|does\b|do\b|say\b|said\b)[\w.'’-]+\s+){0,3}?(?:" + _FIGURE_NOUNS + r")\b", re.I)
_DATE = re.compile(r"^\W*when\b|\b(?:what|which)\s+(?:date|day|year|month|time|week|quarter)\b", re.I)
_VERSION = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?versions?\b", re.I)

_NUMBER_WORDS = frozenset(stemmed_terms(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens half mln bln"))
_DATE_WORDS = frozenset(stemmed_terms(
    "january february march april may june july august september october november december jan feb mar apr jun jul "
    "aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow "
    "tonight morning afternoon evening night week weekend month year quarter ago earlier later last next recently "
    "soon decade century spring summer autumn fall winter"))

# A figure that must be an amount of money: the question asks what something costs or pays, not
# by how much something changed ("By how much was the price cut?" asks a share or a difference).
_MONEY_ASKED = re.compile(r"\b(?:salary|salaries|wages?|pay|paid|pays|prices?|costs?|fees?|fares?|budget(?:ed)?|"
                          r"spend|spent|invest(?:ed)?|charged?|worth|earn(?:ed|s)?)\b", re.I)
_CHANGE_ASKED = re.compile(r"\b(?:percent|percentage|share|rate|rise|rose|fall|fell|increase[ds]?|decrease[ds]?|"
                           r"cut|growth|grow|change[ds]?|drop(?:ped)?|by\s+how\s+much)\b", re.I)
_CURRENCY = re.compile(rf"[$£€¥]|\b{CURRENCY_WORDS}\b", re.I)
# An amount of money with its scale words: "$1.65 billion", "12.5 billion dollars", "50,000 dlrs".
_SCALE = r"(?:\s+(?:million|billion|trillion|thousand|mln|bln))?"
_MONEY = re.compile(rf"[$£€¥]\s?\d[\d.,]*{_SCALE}|\b\d[\d.,]*{_SCALE}\s+(?:(?-i:[A-Z])[\w.]*\s+)?{CURRENCY_WORDS}\b",
                    re.I)  # a capitalised word may name the currency's country: "11 mln Canadian dlrs"
# "How many books were borrowed": the words that name what is counted end where the clause's verb or
# a preposition begins.
_COUNTED = re.compile(r"\bhow\s+many\s+((?:(?!(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could|"
                      r"of|at|in|on|from|for|to|by|with|per|a|an|the)\b)[A-Za-z][\w'’-]*\s*){1,4})", re.I)
_COUNT = re.compile(r"\d(?:[\d.,]*\d)?|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
                    r"hundreds|thousands)\b", re.I)
_COUNTED_NOUN = re.compile(r"(?:" + _COUNT.pattern + r")\s+(?:(?:million|billion|thousand|hundred|mln|bln)\s+)?"
                           r"([a-z][a-z'’-]+)", re.I)
# Words after a figure that are not what it counts ("12 were injured", "85 new jobs" reads on to "jobs"
# only through the question's own word, so "new" must not count as another thing counted).
_NOT_A_NOUN = frozenset(("were", "was", "are", "is", "have", "has", "had", "will", "would", "and", "or", "of", "in", "on",
                         "at", "to", "for", "from", "by", "with", "per", "percent", "pct", "more", "less", "than", "people",
                         "new", "other", "extra", "additional", "full", "part", "who", "that", "which"))
# "How many people ...?" is answered by a count of civilians, workers or residents alike.
_ANYONE = frozenset(stemmed_terms("people person persons individuals times"))

_QUESTION_WORD = re.compile(r"\b(?:how|what|when|where|who|whom|which|why)\b", re.I)

NOT_IN_PASSAGES = "passages found, answer not in them"
"""How a reason given by :func:`not_answered` begins (:func:`is_answer_not_in_passages`)."""

_WANTED = {"figure": "a figure", "money": "an amount of money", "name": "a name",
           "date": "a date or time", "version": "a version"}


def asked_kind(question: str, refine: bool = False) -> str | None:
    """What kind of token the answer to ``question`` must carry: "money" (an amount of money: "What
    salary ...?", "How much does ... cost?", not "By how much was the price cut?"), "count" ("How many
    books ...?": a figure counting books, :func:`_counts_what_is_asked`), "figure" (any other "How
    much ...?", "What is the share of ...?"), "date" ("When ...?", "On what date ...?"), "version" ("Which
    version ...?"), "name" (a who/which question asking for someone or something it does not name,
    :func:`rag.questions.asks_for_a_name`), or None (anything else, and every yes/no question).
    Without ``refine`` "money" and "count" are "figure"."""
    question = asked_part(question).strip()  # a follow-up asks what it asks, not what it follows
    if not question or is_verdict_question(question):
        return None
    if _VERSION.search(question):
        return "version"
    if _DATE.search(question):
        return "date"
    if _FIGURE.search(question):
        if not refine or len(_QUESTION_WORD.findall(question)) > 1:
            return "figure"  # "How much will it cost and when does it open?": a part is an answer
        if _MONEY_ASKED.search(question) and not _CHANGE_ASKED.search(question):
            return "money"
        if _COUNTED.search(question):
            return "count"
        return "figure"
    if asks_for_a_name(question):
        return "name"
    return None


def _carries(kind: str, sentence: str, question: str) -> bool:
    """Whether ``sentence`` carries a token of ``kind`` that ``question`` does not already give."""
    sentence = _MARKER.sub("", sentence)
    question_terms = stemmed_terms(question)
    new_numbers = _numbers(sentence) - _numbers(question)
    if kind == "money":
        return bool(new_numbers) and bool(_CURRENCY.search(sentence))
    if kind == "count":
        uncounted = _MONEY.sub(" ", sentence)  # "12.5 billion dollars worth of cars" counts no cars
        spelled = (stemmed_terms(uncounted) & _NUMBER_WORDS) - question_terms
        return bool((_numbers(uncounted) - _numbers(question)) or spelled) and _counts_what_is_asked(uncounted, question)
    if kind in ("figure", "version"):
        return bool(new_numbers) or (kind == "figure" and bool((stemmed_terms(sentence) & _NUMBER_WORDS) - question_terms))
    if kind == "date":
        return bool(new_numbers) or bool((stemmed_terms(sentence) & _DATE_WORDS) - question_terms)
    if kind == "name":  # an initialism is one name: "Sedio N.V." adds nothing to a question naming "Sedio N.V."
        return bool(new_numbers) or bool(names_of(sentence, frozenset(question_terms)))
    return True


def _counted(question: str) -> str:
    """What "How many X ...?" counts: "books" of "How many books were borrowed ...?"."""
    match = _COUNTED.search(question)
    return match.group(1).strip() if match else ""


def _counts_what_is_asked(sentence: str, question: str) -> bool:
    """Whether ``sentence`` counts what "How many X ...?" asks about: it names X, or one of its figures
    counts nothing it names ("12 were killed"). "1,150 visitors came through the doors" does not
    count the books of "How many books were borrowed ...?"."""
    counted = stemmed_terms(_counted(question))
    if not counted or counted & _ANYONE or counted & stemmed_terms(sentence):
        return True
    nouns = [m.group(1).lower() for m in _COUNTED_NOUN.finditer(sentence)]
    numbers = [n for n in _COUNT.findall(sentence) if not YEAR.fullmatch(n)]  # a year counts nothing
    # a figure with no counted word of its own after it counts, for all we can read, what was asked
    return len(nouns) < len(numbers) or any(noun in _NOT_A_NOUN or noun.endswith("ed") for noun in nouns)


def not_answered(question: str, kept: Sequence[str], kinds: Iterable[str] = ("figure", "name", "date", "version"),
                 refine: bool = False) -> str | None:
    """Rule *an answer must answer*: None when one of the ``kept`` sentences (those verification kept)
    carries what ``question`` asks for (:func:`asked_kind`); otherwise the reason the answer is
    withdrawn, beginning with :data:`NOT_IN_PASSAGES` and saying what was found instead.

    Accepts "The contract covers 250,000 yards [1]." for "How many yards of cloth does the contract
    cover?"; rejects "The contract covers tropical cloth for the army [1]." for it (a supported
    sentence, but no figure): "passages found, answer not in them: the question asks for a figure,
    and the supported answer gives none ("The contract covers tropical cloth for the army")".

    Measured effect: see the rules ``answer_carries_what_is_asked`` and ``figure_of_the_asked_kind``
    (docs/VERIFIER.md); it acts on the hand cases of tests/test_claim_content.py.

    ``kinds`` are the kinds of :func:`asked_kind` checked, read with ``refine`` (rule
    ``figure_of_the_asked_kind`` checks "money" and "count": "1,150 visitors came through the doors"
    is no count of the books of "How many books were borrowed ...?").
    """
    kind = asked_kind(question, refine)
    if kind not in kinds or not kept or any(_carries(kind, sentence, question) for sentence in kept):
        return None
    found = " ".join(_MARKER.sub("", sentence) for sentence in kept)
    if len(found) > 160:
        found = found[:157].rstrip() + "..."
    wanted = f"a count of {_counted(question)}" if kind == "count" else _WANTED[kind]
    return f"{NOT_IN_PASSAGES}: the question asks for {wanted}, and the supported answer gives none (\"{found}\")"


def is_answer_not_in_passages(reason: str) -> bool:
    """Whether an abstention ``reason`` is :func:`not_answered`'s: the outcome "passages found, answer
    not in them" (for ``Answer.outcome``)."""
    return reason.startswith(NOT_IN_PASSAGES)
