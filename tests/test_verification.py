"""The verifier's trace and the answer's outcome (#22 items 4-5): the rule table, VerifierSettings, the
per-sentence trace (kept / marker corrected / left out), the three kinds of abstention, and their JSON."""

from __future__ import annotations

import ast
import json
import time
from dataclasses import fields
from pathlib import Path

import pytest

from fakes import HashEmbedder
from rag import Settings, VerifierSettings
from rag.context import Evidence
from rag.evaluation.metrics import judge_answer, strict_correct
from rag.pipeline import NO_ANSWER, UNVERIFIED, AnswerPipeline, Prepared
from rag.types import OUTCOMES, VERDICTS, Passage
from rag.verification import RULES, attribute

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How much will the bridge cost and when does it open?"


def _passage(text: str, chunk_id: str, title: str) -> Passage:
    return Passage(chunk_id=chunk_id, doc_id=chunk_id.split("-")[0], title=title, date=None, url=None, path="",
                   source=None, text=text, start=0, end=len(text), score=1.0)


BRIDGE = _passage("The bridge will cost 48.5 million pounds. It opens in June 2027.", "a-0", "Bridge")
STORM = _passage("Storm damage was put at 6 million pounds by the insurer.", "b-0", "Storm")


class _Index:
    """What AnswerPipeline.finish reads of an index: its embedder and its sources."""

    embedder = HashEmbedder()

    def sources(self):
        return ()


def _finish(draft: str, abstain_reason: str | None = None, question: str = QUESTION):
    passages = (BRIDGE, STORM)
    prepared = Prepared(question=question, standalone_question=question, filters=None, passages=passages,
                        top_dense=0.9, coverage=1.0, abstain_reason=abstain_reason,
                        evidence=None if abstain_reason else Evidence(passages, tuple(p.text for p in passages), 30),
                        messages=(), started=time.perf_counter())
    return AnswerPipeline(_Index(), Settings()).finish(prepared, draft, model="scripted")


# ---- the three outcomes ------------------------------------------------------------------------

def test_nothing_relevant_found():
    answer = _finish("", abstain_reason="no passage is close to the question")
    assert answer.abstained and answer.outcome == "no_relevant_passages" and answer.verification == ()
    assert answer.text.startswith(NO_ANSWER)


def test_passages_found_but_the_model_declines():
    answer = _finish("The documents do not answer this question.")
    assert answer.abstained and answer.outcome == "answer_not_in_passages" and answer.verification == ()
    assert answer.text.startswith(NO_ANSWER)


def test_a_restated_who_question_is_not_an_answer():
    # No passage states the restatement (answers_who_or_which, which left it out whole as "passages
    # found, answer not in them", was removed: docs/decisions/2026-12-06-verifier-rule-pruning.md).
    answer = _finish("The company will build the bridge [1].", question="Which company will build the bridge?")
    assert answer.abstained and answer.outcome == "unverified_draft"
    assert [c.rule for c in answer.left_out] == ["unsupported"]


def test_an_unconfirmed_draft_is_shown_labelled_with_its_closest_passages():
    draft = "The bridge will cost 60 million pounds [1]."
    answer = _finish(draft)
    assert answer.abstained and answer.outcome == "unverified_draft"
    # Labelled as not confirmed, with the draft and the passage closest to it; never "the documents do not answer".
    assert answer.text.startswith(f'{UNVERIFIED} Unverified draft: "The bridge will cost 60 million pounds."')
    assert 'Closest passages: "The bridge will cost 48.5 million pounds." (Bridge)' in answer.text
    assert NO_ANSWER not in answer.text and answer.citations == ()
    (check,) = answer.verification
    assert (check.verdict, check.rule, check.reason) == ("left out", "unsupported", "no passage gives 60")
    assert check.citations[0].n == 0 and check.citations[0].quote == "The bridge will cost 48.5 million pounds."
    # Evaluation counts it as an abstention: not a right answer, a right abstention on an unanswerable question.
    assert not judge_answer(answer.text, answer.abstained, ["60 million"], answerable=True)
    assert judge_answer(answer.text, answer.abstained, [], answerable=False)
    assert strict_correct(answer.text, "Insufficient information.", abstained=answer.abstained)
    assert not strict_correct(answer.text, "60 million pounds", abstained=answer.abstained)


# ---- the trace -----------------------------------------------------------------------------------

def test_the_trace_says_why_each_sentence_was_kept_corrected_or_left_out():
    draft = ("The bridge will cost 48.5 million pounds [2]. It opens in June 2027 [1]. "
             "The bridge was designed by elves [1].")
    answer = _finish(draft)
    assert not answer.abstained and answer.outcome == "answered"
    corrected, kept, left = answer.verification
    assert (corrected.verdict, corrected.rule) == ("marker corrected", "best_passage")
    assert corrected.citations[0].quote == "The bridge will cost 48.5 million pounds."  # [2] was the storm
    assert (kept.verdict, kept.rule, kept.reason) == ("kept", "best_passage", "the passage it cites states it")
    assert kept.citations[0].quote == "It opens in June 2027." and kept.citations[0].n >= 1
    assert (left.verdict, left.rule) == ("left out", "unsupported") and left.reason == "no passage says this"
    assert [c.sentence for c in answer.left_out] == ["The bridge was designed by elves."]
    for check in answer.verification:
        assert check.verdict in VERDICTS and 0.0 <= check.scores["support"] <= 1.0
        assert {"lexical", "semantic"} <= set(check.scores)
    # The kept sentences carry the citations of the answer's text.
    assert {c.n for check in (corrected, kept) for c in check.citations} == {c.n for c in answer.citations}


def test_the_answer_json_carries_outcome_trace_and_left_out():
    data = json.loads(json.dumps(_finish("It opens in June 2027 [1]. The bridge was designed by elves.").to_dict()))
    assert data["outcome"] == "answered" and data["abstained"] is False
    assert [c["verdict"] for c in data["verification"]] == ["kept", "left out"]
    assert data["verification"][0]["rule"] == "best_passage" and data["verification"][0]["citations"][0]["quote"]
    assert data["left_out"] == [{"sentence": "The bridge was designed by elves.", "reason": "no passage says this"}]
    assert "unsupported" not in data and "unsupported_reasons" not in data
    unverified = _finish("The bridge was designed by elves [1].").to_dict()
    assert unverified["outcome"] == "unverified_draft" and unverified["abstained"] is True
    assert unverified["verification"][0]["citations"][0]["n"] == 0
    assert set(OUTCOMES) == {"answered", "no_relevant_passages", "answer_not_in_passages", "unverified_draft"}


# ---- the rule table and its settings -------------------------------------------------------------

def test_every_rule_is_named_once_and_documented_with_an_example_and_its_effect():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.check.__name__ == rule.name and rule.doc, rule.name
        if rule.switchable:
            assert "Example" in rule.doc and "Effect:" in rule.doc, rule.name


def test_the_reference_page_lists_every_rule():
    page = (ROOT / "docs" / "VERIFIER.md").read_text()
    assert all(f"### `{rule.name}`" in page for rule in RULES)


def test_a_disabled_rule_does_not_apply():
    """The ablation switch: without number_about_subject, a figure from a sentence about something else
    is accepted (the same case tests/test_attribution.py checks with anchor_share=0)."""
    strike = _passage("Ines Navarro said members had backed the deal. Alder Sound Ferries said the stoppage had cost "
                      "the company an estimated 1.9 million pounds in lost fares.", "s-0", "Ferry strike ends with pay deal")
    question = "How much does a ferry ticket from Port Alder to Merrow Island cost?"
    claim = "A ferry ticket from Port Alder to Merrow Island costs 1.9 million pounds [1]."
    assert attribute(claim, [strike], question=question).citations == ()
    off = attribute(claim, [strike], question=question,
                    settings=VerifierSettings(disabled_rules=frozenset({"number_about_subject"})))
    assert off.citations and off.checks[0].rule == "best_passage"


def test_verifier_settings_are_one_documented_group_of_settings():
    assert Settings().verification == VerifierSettings()
    source = (ROOT / "rag" / "verification" / "settings.py").read_text()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "VerifierSettings")
    documented = {stmt.target.id for stmt, after in zip(cls.body, cls.body[1:]) if isinstance(stmt, ast.AnnAssign)
                  and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)}
    assert documented == {f.name for f in fields(VerifierSettings)}
    with pytest.raises(Exception):
        VerifierSettings().keep_threshold = 0.1  # frozen
