"""The Assistant's second attempt: when verification supports nothing of a draft, the model is asked
once, in the same chat, to copy the passage sentences its answer rests on; the draft and the copies
are verified together (``Settings.second_attempt``).

Fast unit tests with a scripted model over a real (hash-embedded) index; the real model's second
attempts are measured in docs/BENCHMARKS.md ("A second attempt")."""

from __future__ import annotations

import pytest

from rag import Assistant, Settings
from rag.evaluation.multihop import open_corpus_index
from rag.prompts import NO_ANSWER, second_attempt_message
from fakes import HashEmbedder


class TurnGenerator:
    """Replies with ``replies[n]`` to its n-th call, and keeps every message list it was sent."""

    id = "turns"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.sent: list[list[dict]] = []

    def stream(self, messages, max_tokens=256):
        self.sent.append(list(messages))
        reply = self.replies[len(self.sent) - 1] if len(self.sent) <= len(self.replies) else ""
        yield from (reply[i:i + 7] for i in range(0, len(reply), 7))


@pytest.fixture()
def index(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour bridge approved\n20231104\nhttps://coast.example/a\n"
                                  "The council approved the harbour bridge on Friday.\nIt will cost 40 million pounds.\n")
    (corpus / "b.txt").write_text("Ferry strike ends\n20231120\nhttps://ferry.example/b\n"
                                  "The ferry strike ended after nine days.\n")
    built, _ = open_corpus_index(corpus, HashEmbedder(), index_dir=tmp_path / "idx")
    return built


# A draft no passage supports: it restates the question and invents the rest.
RESTATED = "Yes.\nThe Coast report suggests the harbour plan was welcomed by the shipping lobby and tourists."


def test_a_verdict_with_nothing_to_rest_on_rests_on_the_sentences_the_model_copies(index):
    generator = TurnGenerator(RESTATED, "The council approved the harbour bridge on Friday. [1]")
    assistant = Assistant(Settings(min_relevance=0.0), index=index, generator=generator)
    stream = assistant.stream("Did the council approve the harbour bridge?")
    answer = stream.answer
    assert len(generator.sent) == 2
    second = generator.sent[1]
    # The same chat, continued: the first prompt, the draft as the model's turn, then the request.
    assert second[:-2] == generator.sent[0]
    assert second[-2] == {"role": "assistant", "content": RESTATED}
    assert second[-1] == {"role": "user", "content": second_attempt_message()}
    assert not answer.abstained and answer.second_attempt
    # The draft's verdict stands on the copied sentence; its restatement, which no passage states, is left out.
    assert answer.text.startswith("Yes [1]") and "approved the harbour bridge on Friday [1]" in answer.text
    assert answer.citations[0].quote == "The council approved the harbour bridge on Friday."
    assert any("shipping lobby" in s for s in answer.unsupported) and "shipping" not in answer.text
    assert stream.second_draft.startswith("The council") and "second_attempt" in answer.timings
    assert answer.to_dict()["second_attempt"] is True


def test_copies_alone_are_no_answer_when_nothing_the_model_said_stands(index):
    # The draft names no supported answer; the copied sentence is in the passages, but an answer made
    # of it alone would not answer what was asked.
    generator = TurnGenerator("The shipping lobby decided it.", "It will cost 40 million pounds [1].")
    answer = Assistant(Settings(min_relevance=0.0), index=index, generator=generator).ask(
        "How much will the harbour bridge cost?")
    assert len(generator.sent) == 2 and answer.abstained and answer.second_attempt
    assert answer.unsupported == ("The shipping lobby decided it.",)


def test_copies_that_are_not_in_the_passages_leave_the_answer_abstained(index):
    generator = TurnGenerator(RESTATED, "The shipping lobby and tourists welcomed the harbour plan [1].")
    answer = Assistant(Settings(min_relevance=0.0), index=index, generator=generator).ask(
        "Did the council approve the harbour bridge?")
    assert answer.abstained and answer.second_attempt and not answer.citations
    assert answer.text.startswith(NO_ANSWER) and "not supported by the passages" in answer.text
    # What is listed as left out is what the reader saw being written: the first draft.
    assert any("shipping lobby and tourists" in s and "suggests" in s for s in answer.unsupported)


def test_a_second_draft_that_declines_is_an_abstention(index):
    generator = TurnGenerator(RESTATED, NO_ANSWER)
    answer = Assistant(Settings(min_relevance=0.0), index=index, generator=generator).ask(
        "Did the council approve the harbour bridge?")
    assert answer.abstained and answer.second_attempt
    assert "do not contain the answer" in answer.text


def test_a_supported_draft_is_not_asked_again(index):
    generator = TurnGenerator("It will cost 40 million pounds [1].", "unused")
    answer = Assistant(Settings(min_relevance=0.0), index=index, generator=generator).ask(
        "How much will the harbour bridge cost?")
    assert len(generator.sent) == 1 and not answer.second_attempt and not answer.abstained


def test_second_attempts_can_be_turned_off(index):
    generator = TurnGenerator(RESTATED, "The council approved the harbour bridge on Friday [1].")
    answer = Assistant(Settings(min_relevance=0.0, second_attempt=False), index=index, generator=generator).ask(
        "Did the council approve the harbour bridge?")
    assert len(generator.sent) == 1 and answer.abstained and not answer.second_attempt


def test_a_cancelled_answer_is_not_asked_again(index):
    generator = TurnGenerator(RESTATED, "The council approved the harbour bridge on Friday [1].")
    stream = Assistant(Settings(min_relevance=0.0), index=index, generator=generator).stream(
        "Did the council approve the harbour bridge?")
    for _ in stream:
        stream.cancel()
    answer = stream.answer
    assert len(generator.sent) == 1 and answer.abstained and not answer.second_attempt
