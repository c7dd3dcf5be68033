"""The second reading of citations (rag.judge): scripted readers for the bookkeeping, the real small
model for the reading itself and for the Assistant's use of it."""

from __future__ import annotations

import pytest

from rag.attribution import Attribution
from rag.errors import RagError
from rag.judge import FACTS_NOT_STATED, NOT_STATED, reread
from rag.types import Citation

QUESTION = "Did the council say when the harbour bridge opens, and what it costs?"


def _citation(n: int, quote: str) -> Citation:
    return Citation(n=n, chunk_id=f"c{n}", doc_id=f"d{n}", title=f"Title {n}", date="2026-03-02",
                    url=f"https://paper{n}.example/a", path="", start=0, end=len(quote), quote=quote, support=0.8)


OPENS = _citation(1, "The new bridge is due to open in June 2027.")
COSTS = _citation(2, "The project has a budget of 48.5 million pounds.")
TEXT = "Yes [1][2].\nThe bridge opens in June 2027 [1]. It costs 48.5 million pounds [2]."


class Reader:
    """Reads a pair as the script says: the margin of the first listed quote the user message holds."""

    def __init__(self, margins: dict[str, float]) -> None:
        self.margins = margins
        self.asked: list[str] = []

    def yes_no_margin(self, messages):
        user = messages[-1]["content"]
        self.asked.append(user)
        return next(m for quote, m in self.margins.items() if quote in user)


def _attribution() -> Attribution:
    return Attribution(TEXT, (OPENS, COSTS), ("The bridge is painted white.",), 0.7, ("no passage says this",))


def test_a_citation_read_as_not_stating_its_sentence_is_dropped_and_the_rest_renumbered():
    reader = Reader({OPENS.quote: -1.5, COSTS.quote: 2.0})
    result = reread(_attribution(), QUESTION, reader)
    assert result.text.splitlines() == ["Yes [1].", "It costs 48.5 million pounds [1]."]
    assert [(c.n, c.quote) for c in result.citations] == [(1, COSTS.quote)]
    # The sentence that lost its only citation leaves the answer, after those the verifier left out.
    assert result.unsupported == ("The bridge is painted white.", "The bridge opens in June 2027.")
    assert result.reasons == ("no passage says this", NOT_STATED)
    assert result.support == 0.7


def test_a_line_break_after_a_dropped_sentence_stays():
    reader = Reader({OPENS.quote: -1.0, COSTS.quote: 1.0})
    text = "It costs 48.5 million pounds [2]. The bridge opens in June 2027 [1].\nSo the council said both [2]."
    result = reread(Attribution(text, (OPENS, COSTS), (), 0.5), QUESTION, reader)
    assert result.text.splitlines() == ["It costs 48.5 million pounds [1].", "So the council said both [1]."]


def test_the_threshold_is_a_margin_a_citation_must_reach():
    reader = Reader({OPENS.quote: 0.4, COSTS.quote: 2.0})
    assert len(reread(_attribution(), QUESTION, reader, threshold=0.0).citations) == 2
    assert len(reread(_attribution(), QUESTION, reader, threshold=0.5).citations) == 1


def test_a_bare_answer_is_not_read_and_follows_its_facts():
    reader = Reader({OPENS.quote: 1.0, COSTS.quote: -1.0})
    text = "Yes [1][2][3].\nThe bridge opens in June 2027 [1]. The bridge opens in June 2027 [1]. It costs a lot [2]."
    only_the_verdict = _citation(3, "The council approved the bridge.")
    result = reread(Attribution(text, (OPENS, COSTS, only_the_verdict), (), 0.5), QUESTION, reader)
    # Each (sentence, quote) is asked once, without the question; the verdict is not asked at all.
    assert len(reader.asked) == 2 and not any("Question:" in asked for asked in reader.asked)
    assert "Sentence: The bridge opens in June 2027." in reader.asked[0]
    assert "Title 1 | 2026-03-02 | https://paper1.example/a" in reader.asked[0]
    # It keeps the quote its stated fact keeps and the one only it cites, not the one read as not stated.
    assert result.text.splitlines() == ["Yes [1][2].", "The bridge opens in June 2027 [1]."]
    assert [c.quote for c in result.citations] == [OPENS.quote, only_the_verdict.quote]


def test_nothing_read_as_stated_leaves_no_citation_and_the_text_whole():
    reader = Reader({OPENS.quote: -3.0, COSTS.quote: -3.0})
    result = reread(_attribution(), QUESTION, reader)
    assert result.citations == ()
    assert result.text == "Yes.\nThe bridge opens in June 2027. It costs 48.5 million pounds."
    assert result.unsupported[1:] == ("Yes.", "The bridge opens in June 2027.", "It costs 48.5 million pounds.")
    assert result.reasons[1:] == (FACTS_NOT_STATED, NOT_STATED, NOT_STATED)


def test_an_answer_without_citations_is_not_read():
    reader = Reader({})
    empty = Attribution("Something.", (), ("Something.",), 0.0, ("no passage says this",))
    assert reread(empty, QUESTION, reader) is empty and reader.asked == []


def test_the_assistant_needs_a_model_that_can_read(sample_index):
    from rag import Assistant, Settings

    class Writer:  # a Generator without yes_no_margin
        id = "writer"

        def stream(self, messages, max_tokens=256):
            yield "The new bridge is due to open in June 2027 [1]."

    assistant = Assistant(Settings(index_dir=sample_index.path, judge_citations=True), index=sample_index,
                          generator=Writer())
    with pytest.raises(RagError, match="judge_citations"):
        assistant.ask("When is the Port Alder harbour bridge expected to open?")
    plain = Assistant(Settings(index_dir=sample_index.path), index=sample_index, generator=Writer())
    assert not plain.ask("When is the Port Alder harbour bridge expected to open?").abstained


@pytest.mark.slow
def test_the_real_model_reads_a_supporting_quote_above_a_contradicting_one(small_assistant):
    from rag.prompts import judge_messages

    heading = "Harbour bridge approved | 2026-03-02 | https://portaldergazette.example/bridge"
    quote = "Work is scheduled to begin in January 2026, and the new bridge is due to open in June 2027."
    margin = {s: small_assistant.generator.yes_no_margin(judge_messages(heading, quote, s))
              for s in ("The new bridge is due to open in June 2027.", "The bridge opened in March 1998.")}
    assert margin["The new bridge is due to open in June 2027."] > margin["The bridge opened in March 1998."] + 1.0


@pytest.mark.slow
def test_the_assistant_reads_its_citations_with_the_real_model(sample_index, small_assistant):
    """The real 0.5B model answers and reads; the thresholds are set past its margins both ways, so the
    test checks the wiring (its calibration is the default model's, measured in docs/BENCHMARKS.md)."""
    from rag import Assistant

    question = "When is the Port Alder harbour bridge expected to open?"
    answers = {}
    for threshold in (-50.0, 50.0):
        settings = small_assistant.settings.with_overrides(judge_citations=True, judge_threshold=threshold)
        answers[threshold] = Assistant(settings, index=sample_index, generator=small_assistant.generator).ask(question)
    kept, dropped = answers[-50.0], answers[50.0]
    assert not kept.abstained and kept.citations and "judge" in kept.timings
    assert dropped.abstained and dropped.citations == ()
    assert set(dropped.unsupported_reasons) <= {NOT_STATED, FACTS_NOT_STATED} and dropped.unsupported_reasons
