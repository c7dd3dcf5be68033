"""The answer prompt's factors as settings (issue #22 item 0): each changes one thing of the prompt and nothing else."""

from __future__ import annotations

import pytest

from fakes import CopyingGenerator

QUESTION = "Who won the mayoral election in November 2025?"


def _prepared(index, **changes):
    from rag import Settings
    from rag.pipeline import AnswerPipeline

    prepared = AnswerPipeline(index, Settings(index_dir=index.path, **changes)).prepare(QUESTION)
    assert prepared.abstain_reason is None and len(prepared.evidence.passages) > 1
    return prepared


def test_default_prompt_is_the_rules_and_headed_passages_best_first(sample_index):
    from rag.context import passage_heading
    from rag.prompts import SYSTEM_PROMPT

    prepared = _prepared(sample_index)
    system, user = prepared.messages[0]["content"], prepared.messages[-1]["content"]
    assert system == SYSTEM_PROMPT
    first = prepared.evidence.passages[0]
    assert f"[1] {passage_heading(first)}\n{prepared.evidence.texts[0]}" in user


def test_plain_instructions_change_the_system_prompt_only(sample_index):
    from rag.prompts import NO_ANSWER, PLAIN_SYSTEM

    default, plain = _prepared(sample_index), _prepared(sample_index, answer_instructions="plain")
    assert plain.messages[0]["content"] == PLAIN_SYSTEM != default.messages[0]["content"]
    assert "[1]" in PLAIN_SYSTEM and NO_ANSWER in PLAIN_SYSTEM  # markers asked for; the refusal phrase kept
    assert plain.messages[1:] == default.messages[1:] and plain.evidence == default.evidence


def test_bare_passages_drop_the_header_and_keep_number_and_text(sample_index):
    from rag.context import passage_heading

    default, bare = _prepared(sample_index), _prepared(sample_index, passage_format="bare")
    user = bare.messages[-1]["content"]
    assert bare.messages[0] == default.messages[0] and bare.evidence == default.evidence
    for n, (passage, text) in enumerate(zip(bare.evidence.passages, bare.evidence.texts), 1):
        assert f"[{n}] {text}" in user
        assert passage_heading(passage) not in user


def test_reversed_order_puts_the_best_passage_last_and_citations_follow_the_prompt(sample_index):
    from rag import Assistant, Settings

    default, reversed_ = _prepared(sample_index), _prepared(sample_index, passage_order="reversed")
    assert reversed_.evidence.passages == default.evidence.passages[::-1]
    assert reversed_.evidence.texts == default.evidence.texts[::-1]
    assert reversed_.messages[0] == default.messages[0]
    # The fake model copies passage [1]'s first sentence, citing [1]: in the reversed prompt that is the
    # passage ranked last, and the verified citation must point at it.
    answer = Assistant(Settings(index_dir=sample_index.path, passage_order="reversed"), index=sample_index,
                       generator=CopyingGenerator()).ask(QUESTION)
    assert not answer.abstained
    assert answer.citations[0].doc_id == default.evidence.passages[-1].doc_id


@pytest.mark.parametrize("field", ["answer_instructions", "passage_format", "passage_order"])
def test_an_unknown_variant_is_a_settings_error(sample_index, field):
    from rag.errors import SettingsError

    with pytest.raises(SettingsError, match=field):
        _prepared(sample_index, **{field: "nonsense"})


def test_verdict_last_changes_the_yes_no_hint_and_the_answer_shows_the_verdict_first(sample_index):
    from rag import Assistant, Settings
    from rag.errors import SettingsError
    from rag.pipeline import AnswerPipeline
    from rag.prompts import VERDICT_HINT, VERDICT_LAST_HINT

    question = "Did the council approve the Alder Harbour Bridge replacement?"
    first = AnswerPipeline(sample_index, Settings(index_dir=sample_index.path)).prepare(question)
    last = AnswerPipeline(sample_index, Settings(index_dir=sample_index.path, verdict_position="last")).prepare(question)
    assert first.messages[-1]["content"].endswith(VERDICT_HINT)
    assert last.messages[-1]["content"].endswith(VERDICT_LAST_HINT) and last.evidence == first.evidence
    with pytest.raises(SettingsError, match="verdict_position"):
        AnswerPipeline(sample_index, Settings(index_dir=sample_index.path, verdict_position="middle")).prepare(question)

    class FactsThenVerdict:
        id = "facts-then-verdict"

        def count_tokens(self, text):
            return len(text.split())

        def stream(self, messages, max_tokens=256):
            yield "Port Alder Town Council voted 9 to 2 on Monday to replace the Alder Harbour Bridge [1]. Yes."

    answer = Assistant(Settings(index_dir=sample_index.path, verdict_position="last"), index=sample_index,
                       generator=FactsThenVerdict()).ask(question)
    assert not answer.abstained and answer.text.startswith("Yes")


def test_verdict_to_front_moves_only_a_closing_verdict():
    from rag.questions import verdict_to_front

    assert verdict_to_front("The Verge said X [1]. TechCrunch said Y [2]. Yes, both did.") == \
        "Yes, both did.\nThe Verge said X [1]. TechCrunch said Y [2]."
    assert verdict_to_front("Yes. The Verge said X [1].") == "Yes. The Verge said X [1]."  # already first
    assert verdict_to_front("The Verge said X [1].") == "The Verge said X [1]."  # no verdict
