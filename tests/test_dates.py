"""Period expressions in questions -> publication date filters; relative periods ("the month before")."""

from __future__ import annotations

from datetime import date

import pytest

from rag.dates import Period, period_from_question, resolve_relative_period


@pytest.mark.parametrize("question, expected", [
    ("What was said in November 2021?", ("2021-11-01", "2021-11-30")),
    ("what was said in nov 2021", ("2021-11-01", "2021-11-30")),
    ("What happened in 2023?", ("2023-01-01", "2023-12-31")),
    ("What did the council decide during 2020?", ("2020-01-01", "2020-12-31")),
    ("Reports between March and May 2024 on the strike", ("2024-03-01", "2024-05-31")),
    ("from March 2023 to May 2024", ("2023-03-01", "2024-05-31")),
    ("between December and February 2024", ("2023-12-01", "2024-02-29")),
    ("between 2021 and 2023", ("2021-01-01", "2023-12-31")),
    ("from November 1 to 15, 2023", ("2023-11-01", "2023-11-15")),
    ("What was reported on 2023-11-24?", ("2023-11-24", "2023-11-24")),
    ("What was reported on November 24th, 2023?", ("2023-11-24", "2023-11-24")),
    ("news of 24 Nov 2023", ("2023-11-24", "2023-11-24")),
    ("Q3 2023 results", ("2023-07-01", "2023-09-30")),
    ("What changed after 5 November 2023?", ("2023-11-06", None)),
    ("What was said before November 2021?", (None, "2021-10-31")),
    ("news before 2023", (None, "2022-12-31")),
    ("everything since 2015", ("2015-01-01", None)),
    ("up to March 2022", (None, "2022-03-31")),
    ("on or after 2023-02-01", ("2023-02-01", None)),
    ("by the end of 2023", (None, "2023-12-31")),
])
def test_recognised_periods(question, expected):
    assert period_from_question(question) == Period(*expected)


def test_several_mentions_give_the_period_that_holds_them_all():
    q = ("Between the report from 'The Verge' on 2023-11-24 and the report from 'Wired' on 2023-11-25, "
         "is there consistency in the focus on charging devices?")
    assert period_from_question(q) == Period("2023-11-24", "2023-11-25")
    q = ("After the report by The Age on October 22, 2023, discussing Google Search, did TechCrunch stay consistent "
         "in their November 6, 2023, article?")
    assert period_from_question(q) == Period("2023-10-22", "2023-11-06")
    # "after Nov 6" is open-ended, and the earlier report of Nov 1 must stay visible
    q = "Did it change its explanation after November 6, 2023, as compared to its earlier report on November 1, 2023?"
    assert period_from_question(q) == Period("2023-11-01", None)


@pytest.mark.parametrize("question", [
    "What did they say last month?",  # relative: out of scope
    "Who won the 2023 World Cup?",  # a year in passing is not a period
    "Which company, founded in 2015, launched GPT-4?",  # an event's year, not the reporting period
    "Which organization, founded in late 2015, is planning to launch GPT-4 with vision?",
    "What may 2023 bring?",  # 'may' is not May
    "the article published on October 1st and the one from 2023-11-02",  # a yearless day cannot be placed
    "What is coming to Netflix in November?",
    "How many people live in Springfield?",
    "Room 2023-X was closed",
])
def test_no_period(question):
    assert period_from_question(question) is None


def test_invalid_dates_are_ignored():
    assert period_from_question("on 2023-02-30") is None
    assert period_from_question("on February 30, 2023") is None


def test_relative_periods_resolve_against_the_article_date():
    q, period = resolve_relative_period("What happened with the ferry the month before?", date(2025, 11, 7))
    assert period == ("2025-10-01", "2025-10-31") and "in October 2025" in q and "month before" not in q
    q, period = resolve_relative_period("And in the same month?", date(2025, 12, 3))
    assert period == ("2025-12-01", "2025-12-31")
    q, period = resolve_relative_period("What happened the following year?", date(2025, 12, 3))
    assert period == ("2026-01-01", "2026-12-31")
    assert resolve_relative_period("Who won the election?", date(2025, 1, 1)) is None


def test_calendar_dates_are_found_whole():
    from rag.dates import calendar_dates

    text = "Released on December 1, 2017, re-released 29 May 2020 (2020-05-29); may 2021 bring more, in March 2022."
    assert [text[a:b] for a, b in calendar_dates(text)] == ["December 1, 2017", "29 May 2020", "2020-05-29", "March 2022"]
