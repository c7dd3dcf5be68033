"""Recognise the publication period a question asks about ("what was said in November 2021?").

``period_from_question(question)`` returns ``Period(since, until)`` - ISO
``YYYY-MM-DD`` strings, inclusive, either may be ``None`` for an open end - or
``None`` when the question names no absolute period. It understands:

* a day: ``2023-11-24``, ``November 24, 2023``, ``24 Nov 2023``, ``Nov. 24th 2023``
* a month: ``November 2021``, ``in Nov 2021``, ``November of 2021``
* a year, after a preposition: ``in 2023``, ``during 2023``, ``throughout 2023``
* a quarter: ``Q3 2023``
* a range: ``between March and May 2024``, ``from March 2023 to May 2024``,
  ``between 2021 and 2023``, ``from November 1 to 15, 2023``
* a qualifier right before any of these: ``before``/``prior to`` (up to the day
  before), ``after`` (from the day after), ``since``/``from``/``starting``
  (from its start), ``until``/``till``/``through``/``by`` (up to its end),
  ``on or before``/``on or after``.

Why it is conservative: a wrong filter hides the very documents that answer
the question, while a missing one only costs ranking quality. So:

* several date mentions give the smallest period that holds them all (a
  question comparing a report of October 22 with one of November 6 needs both);
* a month or day without a year ("on October 1st", "in November") makes the
  whole question undatable, because the period cannot be placed;
* relative expressions ("last month", "recently") are not handled here (a conversation's
  follow-ups, "the month before", are: :func:`resolve_relative_period`, against the date of
  the article the previous answer cited);
* a year that dates an event rather than the reporting ("founded in 2015",
  "born in 1990") is ignored.

The caller should also ignore a period that does not overlap the corpus at all.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import NamedTuple

from index.documents import is_iso_day

__all__ = ["Period", "calendar_dates", "parse_iso_day", "period_from_question", "resolve_relative_period"]




def parse_iso_day(value: str) -> str:
    """``value`` (surrounding spaces ignored) if it is a real calendar day written ``YYYY-MM-DD``, else ValueError.

    Date filters compare ISO text, so only this one spelling may pass: ``date.fromisoformat``
    also accepts ``20251001``, ``2025-W40`` or ``2025-10-01T00:00``, which compare wrongly.
    """
    text = str(value).strip()
    if not is_iso_day(text):
        raise ValueError(f"not a calendar day written YYYY-MM-DD (like 2021-11-18): {value!r}")
    return text


class Period(NamedTuple):
    since: str | None
    until: str | None


_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
# Month names are matched case-insensitively, except "may"/"mar", which are also ordinary
# English words: those only count when capitalised (see _month_ok).
_MONTH = r"(?P<{name}>(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?)"
_YEAR = r"(?P<{name}>(?:19|20)\d\d)"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"


def _m(name: str) -> str:
    return _MONTH.format(name=name)


def _y(name: str) -> str:
    return _YEAR.format(name=name)


def _d(name: str) -> str:
    return _DAY.format(name=name)


_B = r"(?<![\w-])"  # start of a word (hyphen counts as inside, so ISO dates are not split)
_E = r"(?![\w-])"

# Ordered: longer constructs first; a span consumed by one is not matched again.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # between/from March [2023] and/to May 2024
    ("month_range", re.compile(rf"{_B}(?:between|from)\s+{_m('m1')}(?:\s+(?:of\s+)?{_y('y1')})?\s+(?:and|to|until|till|through|-)\s+{_m('m2')},?\s+(?:of\s+)?{_y('y2')}{_E}", re.I)),
    # between/from November 1 and/to [November] 15, 2023
    ("day_range", re.compile(rf"{_B}(?:between|from)\s+{_m('m1')}\s+{_d('d1')}\s+(?:and|to|until|till|through|-)\s+(?:{_m('m2')}\s+)?{_d('d2')},?\s+{_y('y')}{_E}", re.I)),
    # between/from 2021 and/to 2023
    ("year_range", re.compile(rf"{_B}(?:between|from)\s+{_y('y1')}\s+(?:and|to|until|till|through|-)\s+{_y('y2')}{_E}", re.I)),
    ("iso", re.compile(rf"{_B}(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d){_E}")),
    ("mdy", re.compile(rf"{_B}{_m('m')}\s+{_d('d')},?\s+{_y('y')}{_E}", re.I)),
    ("dmy", re.compile(rf"{_B}{_d('d')}\s+(?:of\s+)?{_m('m')},?\s+{_y('y')}{_E}", re.I)),
    ("month", re.compile(rf"{_B}{_m('m')},?\s+(?:of\s+)?{_y('y')}{_E}", re.I)),
    ("quarter", re.compile(rf"{_B}Q(?P<q>[1-4])\s+{_y('y')}{_E}", re.I)),
    ("year", re.compile(rf"{_B}(?:in|during|throughout|within)\s+(?:the\s+year\s+)?{_y('y')}{_E}(?!\s*[-/]\s*\d)", re.I)),
    # A bare year counts only after a qualifier ("before 2023", "since 2015"), see period_from_question.
    ("bare_year", re.compile(rf"{_B}{_y('y')}{_E}(?!\s*[-/]\s*\d)")),
    # A month (with or without a day) and no year: the period cannot be placed.
    ("yearless", re.compile(rf"{_B}(?:{_m('m')}\s+{_d('d')}{_E}|(?:in|during|on|since|before|after|until|by)\s+(?:early\s+|late\s+|mid-?)?{_m('m2')}{_E})", re.I)),
]

_QUALIFIER = re.compile(
    r"(?P<q>on\s+or\s+before|on\s+or\s+after|before|prior\s+to|after|since|starting(?:\s+(?:in|on|from))?|"
    r"from|until|till|up\s+to|through|by|no\s+later\s+than|no\s+earlier\s+than)\s+(?:the\s+end\s+of\s+)?$",
    re.I,
)
_EVENT_YEAR = re.compile(r"(?:founded|born|established|formed|incorporated|created|built|died)\s+(?:in\s+)?$", re.I)


_CALENDAR = ("iso", "mdy", "dmy", "month")


def calendar_dates(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that write a calendar date ("December 1, 2017", "1 December 2017",
    "2017-12-01", "December 2017"), longest reading first, not overlapping. "May"/"Mar" count only
    capitalised, as in :func:`period_from_question`."""
    spans: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        if kind not in _CALENDAR:
            continue
        for found in pattern.finditer(text):
            if kind != "iso" and _month_ok(found.group("m")) is None:
                continue
            if not any(a < found.end() and found.start() < b for a, b in spans):
                spans.append(found.span())
    return sorted(spans)


def _month_ok(token: str | None) -> int | None:
    if token is None:
        return None
    word = token.rstrip(".")
    number = _MONTHS.get(word.lower())
    # "may" and "mar" in lower case are ordinary words ("what may 2023 bring"), not months.
    if number and word[0].islower() and word.lower() in ("may", "mar"):
        return None
    return number


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _interval(kind: str, g: dict[str, str | None]) -> tuple[date, date] | None:
    """The closed interval a matched expression denotes, or None when it is not a valid date."""
    if kind == "iso":
        d = _day(int(g["y"]), int(g["m"]), int(g["d"]))
        return (d, d) if d else None
    if kind in ("mdy", "dmy"):
        month = _month_ok(g["m"])
        d = _day(int(g["y"]), month, int(g["d"])) if month else None
        return (d, d) if d else None
    if kind == "month":
        month = _month_ok(g["m"])
        if not month:
            return None
        year = int(g["y"])
        return date(year, month, 1), _month_end(year, month)
    if kind == "quarter":
        year, q = int(g["y"]), int(g["q"])
        return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
    if kind in ("year", "bare_year"):
        year = int(g["y"])
        return date(year, 1, 1), date(year, 12, 31)
    if kind == "year_range":
        a, b = sorted((int(g["y1"]), int(g["y2"])))
        return date(a, 1, 1), date(b, 12, 31)
    if kind == "month_range":
        m1, m2 = _month_ok(g["m1"]), _month_ok(g["m2"])
        if not (m1 and m2):
            return None
        y2 = int(g["y2"])
        y1 = int(g["y1"]) if g.get("y1") else (y2 if m1 <= m2 else y2 - 1)
        start, end = date(y1, m1, 1), _month_end(y2, m2)
        return (start, end) if start <= end else None
    if kind == "day_range":
        m1 = _month_ok(g["m1"])
        m2 = _month_ok(g["m2"]) if g.get("m2") else m1
        if not (m1 and m2):
            return None
        year = int(g["y"])
        start, end = _day(year, m1, int(g["d1"])), _day(year, m2, int(g["d2"]))
        if not (start and end) or start > end:
            return None
        return start, end
    return None


def _apply_qualifier(qualifier: str | None, start: date, end: date) -> tuple[date | None, date | None]:
    if not qualifier:
        return start, end
    q = " ".join(qualifier.lower().split())
    if q in ("before", "prior to"):
        return None, start - timedelta(days=1)
    if q == "after":
        return end + timedelta(days=1), None
    if q in ("on or after", "since", "from", "no earlier than") or q.startswith("starting"):
        return start, None
    # until, till, up to, through, by, on or before, no later than
    return None, end


def period_from_question(question: str) -> Period | None:
    """The publication period a question is about, or None (see the module docstring)."""
    taken: list[tuple[int, int]] = []
    intervals: list[tuple[date | None, date | None]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(question):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            groups = match.groupdict()
            if kind == "yearless":
                month = _month_ok(groups.get("m") or groups.get("m2"))
                if month:
                    return None  # "on October 1st": cannot be placed in time, so do not filter at all
                continue
            before = question[max(0, match.start() - 40):match.start()]
            if kind in ("year", "month") and _EVENT_YEAR.search(before + ("in " if kind == "year" else "")):
                taken.append((match.start(), match.end()))
                continue
            interval = _interval(kind, groups)
            taken.append((match.start(), match.end()))
            if interval is None:
                continue
            qualifier = None
            if not kind.endswith("_range") and kind != "year":  # "in 2023": the preposition is part of the match
                q = _QUALIFIER.search(before)
                qualifier = q.group("q") if q else None
            if kind == "bare_year" and qualifier is None:
                continue  # "the 2023 season", "a 2019 study": a year in passing is not a period
            intervals.append(_apply_qualifier(qualifier, *interval))
    if not intervals:
        return None
    starts = [s for s, _ in intervals]
    ends = [e for _, e in intervals]
    since = None if any(s is None for s in starts) else min(starts)  # type: ignore[type-var]
    until = None if any(e is None for e in ends) else max(ends)  # type: ignore[type-var]
    if since is None and until is None:
        return None
    return Period(since.isoformat() if since else None, until.isoformat() if until else None)


# ---- periods relative to a known date (conversations) -------------------------------------------
_RELATIVE = re.compile(
    r"\b(?:in |during )?(?:the|that) (?P<which>(?:same )?(?:month|week|year|day))(?P<dir> before| after| earlier| later)?\b"
    r"|\b(?P<prev>(?:the )?(?:previous|preceding|following|next) (?:month|week|year|day))\b",
    re.I,
)


def _shift_month(d: date, months: int) -> date:
    month = d.month - 1 + months
    return date(d.year + month // 12, month % 12 + 1, 1)


def resolve_relative_period(question: str, anchor: date) -> tuple[str, tuple[str, str]] | None:
    """Resolve "the month before" & co. against ``anchor``.

    Returns (question with the expression replaced by an absolute period,
    (since, until) ISO dates), or None when the question has no such expression.
    """
    match = _RELATIVE.search(question)
    if not match:
        return None
    phrase = (match.group("prev") or f"{match.group('which')}{match.group('dir') or ''}").lower()
    unit = next(u for u in ("month", "week", "year", "day") if u in phrase)
    step = -1 if any(w in phrase for w in ("before", "earlier", "previous", "preceding")) else (
        1 if any(w in phrase for w in ("after", "later", "following", "next")) else 0)
    if unit == "month":
        start = _shift_month(anchor, step)
        end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
        words = f"in {start.strftime('%B %Y')}"
    elif unit == "year":
        start, end = date(anchor.year + step, 1, 1), date(anchor.year + step, 12, 31)
        words = f"in {start.year}"
    elif unit == "week":
        monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=step)
        start, end = monday, monday + timedelta(days=6)
        words = f"between {start.isoformat()} and {end.isoformat()}"
    else:
        start = end = anchor + timedelta(days=step)
        words = f"on {start.strftime('%d %B %Y').lstrip('0')}"
    rewritten = question[: match.start()] + words + question[match.end():]
    return rewritten, (start.isoformat(), end.isoformat())
