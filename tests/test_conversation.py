"""Conversations: relative dates, history budget, persistence (fast), and the real small model (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.conversation import Conversation, Turn, needs_rewrite
from fakes import HashEmbedder, ScriptedGenerator


def test_standalone_questions_need_no_rewrite():
    assert not needs_rewrite("Who won the Port Alder mayoral election in November 2025?", True)
    assert needs_rewrite("Which firm does he work for?", True)
    assert needs_rewrite("And the cost?", True)
    assert not needs_rewrite("Which firm does he work for?", False)
    # A question that names nothing is about the conversation's subject...
    assert needs_rewrite("Who runs the company?", True)
    assert needs_rewrite("How did the strike end?", True)
    # ...but one that names a person, place or date stands alone.
    assert not needs_rewrite("Who runs Brightwater Analytics?", True)
    assert not needs_rewrite("What did the council approve in 2025?", True)


def _conversation(tmp_path, generator: ScriptedGenerator) -> Conversation:
    """A conversation with a scripted model over a real pipeline on an empty index (what these tests do
    never retrieves: they resolve follow-ups, which reads only the settings and the model)."""
    from index import CorpusIndex
    from rag import Settings
    from rag.pipeline import AnswerPipeline

    settings = Settings(index_dir=tmp_path / "index")
    index = CorpusIndex.open(settings.index_dir, HashEmbedder(), create=True)
    return Conversation(AnswerPipeline(index, settings), generator)


def test_standalone_follow_up_costs_no_llm_call(tmp_path):
    generator = ScriptedGenerator("Who runs it?")
    conv = _conversation(tmp_path, generator)
    conv.turns.append(Turn("Who won?", "Who won the election?", "Daniel Osei won [1].", [{"date": "2025-11-07"}], False))
    standalone, period = conv.resolve("Who is the chief executive of St Brigid's Hospital?")
    assert standalone == "Who is the chief executive of St Brigid's Hospital?" and period is None
    assert conv.rewrites == 0 and generator.sent == []


def test_history_in_the_rewrite_prompt_stays_within_budget(tmp_path):
    from index.tokens import count_tokens
    from rag.settings import ConversationSettings

    generator = ScriptedGenerator("Which firm does Tomasz Wierzbicki work for?")
    conv = _conversation(tmp_path, generator)
    for i in range(30):
        conv.turns.append(Turn(f"q{i}", f"Question number {i} about topic {i}?", "word " * 300, [], False))
    assert conv.resolve("Which firm does he work for?")[0] == "Which firm does Tomasz Wierzbicki work for?"
    prompt = generator.last_prompt  # "Conversation:\n<history>\n\nFollow-up question: ..."
    history = prompt.removeprefix("Conversation:\n").rsplit("\n\nFollow-up question:", 1)[0]
    assert history != prompt and count_tokens(history) <= ConversationSettings.history_tokens + 10
    assert "Question number 29" in history  # the latest turn is always there
    assert "User: Question number 0 about" not in history  # the oldest are at most named as earlier topics


@pytest.mark.slow
def test_follow_up_with_the_real_small_model(small_assistant, tmp_path):
    conv = small_assistant.conversation(persist=False)
    first = conv.ask("Who is the lead engineer on the Alder Harbour Bridge project?")
    assert "Wierzbicki" in first.text
    second = conv.ask("Which firm does he work for?")
    assert second.standalone_question != "Which firm does he work for?"
    assert "Kestrel" in second.text, (second.standalone_question, second.text)
    assert conv.rewrites == 1


@pytest.mark.slow
def test_alternating_prompts_restore_their_kv_state(small_assistant):
    """Rewrite and answer prompts take turns in a conversation; each gets its own KV state back."""
    generator = small_assistant.generator
    answer = [{"role": "system", "content": "You answer in one short sentence."},
              {"role": "user", "content": "Passages:\n[1] The Alder Harbour Bridge will be 320 metres long.\n\n"
                                          "Question: How long will the bridge be?"}]
    rewrite = [{"role": "system", "content": "You rewrite questions. Reply with the question only."},
               {"role": "user", "content": "Rewrite: and how long is it?"}]
    generator.snapshots.forget()
    first = "".join(generator.stream(answer, max_tokens=24))
    "".join(generator.stream(rewrite, max_tokens=24))
    assert generator.snapshots.restored_tokens == 0  # nothing saved yet under the rewrite prompt
    again = "".join(generator.stream(answer, max_tokens=24))
    assert generator.snapshots.restored_tokens > 20  # the answer prompt's state came back
    assert again == first  # and it is the same state: greedy decoding gives the same words


@pytest.mark.slow
def test_chat_json_over_a_pipe_and_resume(sample_index):
    rag = str(Path(sys.executable).with_name("rag"))
    env = {**os.environ}
    questions = "Who won the Port Alder mayoral election in November 2025?\nWhat was his job before?\n"
    result = subprocess.run([rag, "chat", "--json", "--model", "small", "--index", str(sample_index.path)],
                            input=questions, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert "Osei" in lines[0]["answer"]
    assert lines[1]["standalone_question"] != "What was his job before?"
    assert {"answer", "abstained", "citations", "passages", "standalone_question"} <= set(lines[1])
    listed = subprocess.run([rag, "chat", "--list", "--index", str(sample_index.path)], capture_output=True, text=True, env=env)
    assert "Who won the Port Alder mayoral election" in listed.stdout
    conv_id = listed.stdout.split()[0]
    saved = json.loads((sample_index.path / "conversations" / f"{conv_id}.json").read_text())
    assert len(saved["turns"]) == 2


def test_rewrites_that_copy_a_figure_or_change_nothing_are_refused():
    from rag.conversation import usable_rewrite

    assert usable_rewrite("Which firm does he work for?", "Which firm does Tomasz Wierzbicki work for?")
    # A figure from an earlier answer copied into the question (the wrong one, as it happened).
    assert not usable_rewrite("Who gave the higher figure?", "Who gave the higher figure of 4.2 million pounds of damage?")
    # A year is context, not an answer.
    assert usable_rewrite("What was his job before?", "What was Daniel Osei's job before the November 2025 election?")
    # A pronoun-led follow-up returned unchanged still points at nothing...
    assert not usable_rewrite("Who do they play next, and when?", "Who do they play next, and when?")
    # ...but a question that names nothing may stay as it is.
    assert usable_rewrite("How did the strike end?", "How did the strike end?")


class _FakeLlama:
    """Just the state a KV snapshot reads and restores."""

    def __init__(self):
        self.n_tokens = 0
        self.loaded = []

    def load_state(self, state):
        self.loaded.append(state)
        self.n_tokens = state.n_tokens


def test_kv_snapshots_keep_one_state_per_system_prompt(monkeypatch):
    from types import SimpleNamespace

    from rag.generator import KVSnapshots

    monkeypatch.setattr(KVSnapshots, "_save", staticmethod(lambda llm: SimpleNamespace(n_tokens=llm.n_tokens)))
    snapshots, llm = KVSnapshots(keep=2), _FakeLlama()
    snapshots.switch(llm, "answer")
    llm.n_tokens = 300  # the answer prompt was evaluated
    snapshots.switch(llm, "answer")
    assert snapshots.restored_tokens == 0 and not llm.loaded  # same prompt family: the live context is the best start
    snapshots.switch(llm, "rewrite")
    assert snapshots.restored_tokens == 0  # nothing saved under the rewrite prompt yet
    llm.n_tokens = 120
    snapshots.switch(llm, "answer")
    assert snapshots.restored_tokens == 300 and llm.n_tokens == 300  # the answer state is back
    snapshots.switch(llm, "rewrite")
    assert snapshots.restored_tokens == 120
    snapshots.switch(llm, "third")
    snapshots.switch(llm, "answer")  # keep=2: "answer" was the least recently saved and is gone
    assert snapshots.restored_tokens == 0
    snapshots.forget()
    snapshots.switch(llm, "rewrite")
    assert snapshots.restored_tokens == 0  # after a failure nothing is restored
