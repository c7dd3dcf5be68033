"""Which questions ask for a verdict (yes/no or a named option) rather than an entity."""

from __future__ import annotations

import pytest

from rag.questions import is_verdict_question, verdict_of


@pytest.mark.parametrize("question", [
    "Did the council approve the bridge budget?",
    "Is the museum open on Mondays?",
    "Between the June report and the July report, was the focus on flooding consistent?",
    "After the Courier reported the vote on 3 May, did the Gazette report a different result?",
    "Does the article from the Courier suggest that the bridge is late, while the Gazette says it is on time?",
])
def test_verdict_questions(question):
    assert is_verdict_question(question)


@pytest.mark.parametrize("question", [
    "Who designed the museum?",
    "Which council approved the budget?",
    "Considering the Courier's report and the Gazette's, which company, founded in 2015, has won the contract?",
    "Who, according to the Courier, is the engineer who was removed from the project?",
    "Tell me about the bridge.",
    "",
])
def test_open_questions(question):
    assert not is_verdict_question(question)


def test_verdict_word_is_split_off():
    assert verdict_of("Yes, both reports agree.") == ("yes", "both reports agree.")
    assert verdict_of("No.") == ("no", "")
    assert verdict_of("Nobody voted.") == ("", "Nobody voted.")


def test_asks_for_a_name():
    from rag.questions import asks_for_a_name

    assert asks_for_a_name("Who designed the museum?") and asks_for_a_name("Which company, reported by X, ...?")
    assert asks_for_a_name("  'Which' platform ...?")
    assert not asks_for_a_name("Between the June and the July report, which one says more?")
    assert not asks_for_a_name("What did the council approve?") and not asks_for_a_name("Does it open in June?")
    # Asking about a name it gives, or to choose between options it gives: the answer may repeat them.
    assert not asks_for_a_name("Who is Tomasz Wierzbicki?") and asks_for_a_name("Who is the lead engineer?")
    assert not asks_for_a_name("Which opens first, the harbour bridge or the rail tunnel?")
