"""``rag eval reuters``: the SGML parser, the judge, the plain-prompt baseline and the runner, on fixtures
written here (fakes, no real model); and the question set checked against the real corpus when present."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from fakes import CopyingGenerator, HashEmbedder
from index.loaders import load_file
from rag import Assistant, Settings
from rag.evaluation.metrics import contains_answer, judge_answer
from rag.evaluation.plain import declines, plain_answer
from rag.evaluation.reuters import (SUBSET_FILES, article_text, evaluate_reuters, load_questions, merge_result_files,
                                    newid_of_url, open_reuters_index, parse_sgml, read_sgml_file, summarize,
                                    write_subset)
from rag.prompts import PLAIN_PROMPT

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "benchmarks" / "data" / "reuters_qa.json"


def _shared_reuters() -> Path | None:
    """The Reuters folder of shared/data: beside the checkout (../shared/data), or beside the folder
    of worktrees (../../shared/data), or where $RAG_SHARED_DATA says."""
    candidates = [Path(os.environ["RAG_SHARED_DATA"])] if os.environ.get("RAG_SHARED_DATA") else []
    candidates += [ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data"]
    for base in candidates:
        if all((base / "reuters21578" / name).is_file() for name in SUBSET_FILES):
            return base / "reuters21578"
    return None


# Two articles, a BRIEF without body, and what the real files hold: an SGML header line, control
# characters raw and as references, &lt; in a company name, a dateline, indented paragraphs, the
# "Reuter" sign-off and the &#3; end mark.
SGML_A = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="7">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>acq</D></TOPICS>
<UNKNOWN> &#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute
u f BC-LINDWICK   02-26 0105</UNKNOWN>
<TEXT>&#2;
<TITLE>LINDWICK &lt;LWK> BUYS NORDA RAIL STAKE</TITLE>
<DATELINE>    OSLO, Feb 26 - </DATELINE><BODY>Lindwick Holdings Corp said it bought a
40 pct stake in Norda Rail AS, a subsidiary of Norda Group, for
12.5 mln dlrs.\x7f
    Norda Group itself holds 35 pct of Varde Ferries, the company
said.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8" TYPE="BRIEF">
<DATE>26-FEB-1987 15:02:20.00</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>******LINDWICK SETS DIVIDEND</TITLE>
&#3;
</TEXT>
</REUTERS>
"""

SGML_B = """<REUTERS TOPICS="NO" NEWID="1001">
<DATE> 3-MAR-1987 09:10:00.00</DATE>
<TEXT>&#2;
<TITLE>PORT ALDER FERRY STRIKE ENDS</TITLE>
<DATELINE>    PORT ALDER, March 3 - </DATELINE><BODY>The ferry strike at Alder Sound Ferries ended after
talks mediated by Priya Ramaswamy, the union said.
    The 218 crew members return to work on Monday.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
"""


def test_parser_reads_each_article_on_its_own_and_skips_those_without_body():
    articles = list(parse_sgml(SGML_A + SGML_B))
    assert [a.newid for a in articles] == [7, 1001]  # the BRIEF (no BODY) is skipped
    first = articles[0]
    assert first.title == "LINDWICK <LWK> BUYS NORDA RAIL STAKE"
    assert first.date == "1987-02-26" and first.dateline == "OSLO, Feb 26 -"
    assert first.paragraphs == (
        "OSLO, Feb 26 - Lindwick Holdings Corp said it bought a 40 pct stake in Norda Rail AS, a subsidiary of "
        "Norda Group, for 12.5 mln dlrs.",
        "Norda Group itself holds 35 pct of Varde Ferries, the company said.",
    )
    text = article_text(first)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]|&#|Reuter\n", text)
    assert articles[1].date == "1987-03-03"


def test_written_articles_are_read_by_the_news_loader(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.sgm").write_text(SGML_A, encoding="latin-1")
    paths = write_subset(tmp_path / "data", tmp_path / "out", files=("a.sgm",))
    assert [p.name for p in paths] == ["00007.txt"]
    doc = load_file(paths[0])[0]
    assert (doc.title, doc.date, newid_of_url(doc.url)) == ("LINDWICK <LWK> BUYS NORDA RAIL STAKE", "1987-02-26", 7)
    assert doc.text[doc.body_start:].startswith("OSLO, Feb 26 - Lindwick Holdings")
    stamp = paths[0].stat().st_mtime_ns
    write_subset(tmp_path / "data", tmp_path / "out", files=("a.sgm",))  # unchanged: left alone
    assert paths[0].stat().st_mtime_ns == stamp
    assert newid_of_url("https://example.com/7") is None


def test_judge_on_hand_written_cases():
    assert contains_answer("It paid 12.5 mln dlrs [1].", ["12.5 mln", "12.5 million"])
    assert contains_answer("The stake is 40%.", ["40 pct", "40%"])
    assert not contains_answer("It employs 150 people.", ["15"])  # word boundaries
    assert not contains_answer("Norda Rail AS was sold.", ["Norda Group"])
    assert contains_answer("The price was 30,825 dlrs.", ["30,825", "30825"])
    # answerable: the answer must be given and hold an accepted string
    assert judge_answer("Lindwick paid 12.5 mln dlrs [1].", False, ["12.5 mln"], answerable=True)
    assert not judge_answer("Lindwick paid 35 pct [1].", False, ["40 pct"], answerable=True)
    assert not judge_answer("The documents do not answer this question. 12.5 mln", True, ["12.5 mln"], answerable=True)
    # unanswerable: only an abstention is right
    assert judge_answer("The documents do not answer this question.", True, [], answerable=False)
    assert not judge_answer("The chief executive is Jane Roe [1].", False, [], answerable=False)


def test_declines_reads_the_opening_sentence():
    assert declines("") and declines("I don't know.") and declines("I do not know the answer to that.")
    assert declines("The text does not give the price of the test.")
    assert declines("The documents do not answer this question.")
    assert declines("The salary of the new chief executive is not provided in the given passages.")
    assert not declines("Norda Group holds 35 pct of Varde Ferries. I don't know who runs it.")


class PlainAwareGenerator(CopyingGenerator):
    """CopyingGenerator that, for the plain prompt (no numbered passages), answers with the first
    sentence of the first passage, or "I don't know." when told to (``dont_know``)."""

    def __init__(self, dont_know: bool = False) -> None:
        super().__init__()
        self.dont_know = dont_know

    def stream(self, messages, max_tokens=256):
        content = messages[-1]["content"]
        if content.startswith(PLAIN_PROMPT.split("\n", 1)[0]):
            self.prompts += 1
            context = content.split("\n\n", 1)[1]
            text = "I don't know." if self.dont_know else re.split(r"(?<=[.!?])\s", context, maxsplit=1)[0]
            yield from re.findall(r"\S+\s*", text)
            return
        yield from super().stream(messages, max_tokens)


@pytest.fixture()
def tiny_reuters(tmp_path):
    data = tmp_path / "reuters"
    data.mkdir()
    (data / "reut2-000.sgm").write_text(SGML_A, encoding="latin-1")
    (data / "reut2-001.sgm").write_text(SGML_B, encoding="latin-1")
    questions = tmp_path / "qa.json"
    rows = [
        {"id": "t1", "split": "dev", "question": "What stake in Norda Rail did Lindwick Holdings buy?",
         "answerable": True, "answers": ["40 pct"], "doc_id": 7},
        {"id": "t2", "split": "dev", "question": "Who mediated the talks that ended the Alder Sound Ferries strike?",
         "answerable": True, "answers": ["Priya Ramaswamy"], "doc_id": 1001},
        {"id": "t3", "split": "test", "question": "Who is the chief executive of Varde Ferries?",
         "answerable": False, "answers": [], "doc_id": 7},
    ]
    questions.write_text(json.dumps({"about": "test", "questions": rows}))
    return data, questions


def test_runner_end_to_end_with_fakes(tmp_path, tiny_reuters):
    data, questions = tiny_reuters
    index, info = open_reuters_index(data, HashEmbedder(), work_dir=tmp_path / "work", index_dir=tmp_path / "index")
    assert info["articles"] == 2 and index.stats()["documents"] == 2
    settings = Settings(index_dir=tmp_path / "index", min_relevance=0.0, min_coverage=0.0)
    rows = load_questions(questions, "all")
    assert [r["id"] for r in load_questions(questions, "dev")] == ["t1", "t2"]
    assert [r["id"] for r in load_questions(questions, "all", limit=1, offset=1)] == ["t2"]

    product = evaluate_reuters(Assistant(settings, index=index, generator=PlainAwareGenerator()), rows, "product")
    records = {r["id"]: r for r in product["records"]}
    assert set(product["systems"]) == {"verified", "unverified"}
    assert records["t1"]["retrieved"][0] == 7 and records["t1"]["gold_retrieved"]
    assert records["t1"]["verified"] and records["t1"]["unverified"]  # the copied first sentence holds "40 pct"
    assert records["t1"]["citations"] and records["t1"]["citations"][0]["newid"] == 7
    assert records["t2"]["verified"]
    # The copying model answers the unanswerable question with a sentence: wrong, unless verification withdraws it.
    assert records["t3"]["answerable"] is False
    v = product["systems"]["verified"]
    assert v["answerable"] == 2 and v["unanswerable"] == 1 and v["answerable_accuracy"] == 1.0

    plain = evaluate_reuters(Assistant(settings, index=index, generator=PlainAwareGenerator()), rows, "plain")
    assert set(plain["systems"]) == {"plain"}
    p = {r["id"]: r for r in plain["records"]}
    assert p["t1"]["plain"] and p["t1"]["shown"] == records["t1"]["shown"]  # the same evidence as the product's
    assert not p["t3"]["plain"] and not p["t3"]["abstained"]

    shy = evaluate_reuters(Assistant(settings, index=index, generator=PlainAwareGenerator(dont_know=True)), rows, "plain")
    s = shy["systems"]["plain"]
    assert s["unanswerable_abstained"] == 1.0 and s["answerable_abstained"] == 1.0 and s["answerable_accuracy"] == 0.0
    assert s["wrong_when_answered"] is None  # nothing answered


def test_plain_answer_builds_evidence_when_the_product_would_abstain(tmp_path, tiny_reuters):
    data, _ = tiny_reuters
    index, _ = open_reuters_index(data, HashEmbedder(), work_dir=tmp_path / "work", index_dir=tmp_path / "index")
    strict = Settings(index_dir=tmp_path / "index", min_relevance=1.01, min_coverage=1.01)  # the gate always closes
    assistant = Assistant(strict, index=index, generator=PlainAwareGenerator())
    assert assistant.ask("Who mediated the ferry strike talks?").abstained
    plain = plain_answer(assistant, "Who mediated the ferry strike talks?")
    assert plain.texts and not plain.abstained and "Ramaswamy" in " ".join(plain.texts)


def test_cli_runs_the_suite_with_fakes(tmp_path, tiny_reuters, monkeypatch, capsys):
    import rag.assistant
    import rag.evaluation.cli as cli
    from ui.cli import main

    data, questions = tiny_reuters
    monkeypatch.setattr(cli, "_embedder", lambda name: HashEmbedder())
    monkeypatch.setattr(rag.assistant, "resolve_model", lambda name: Path("fake.gguf"))
    monkeypatch.setattr(rag.assistant, "LlamaGenerator", lambda *a, **k: PlainAwareGenerator())
    code = main(["eval", "reuters", "--data", str(data), "--questions", str(questions), "--split", "all",
                 "--prompt", "plain", "--work-dir", str(tmp_path / "work"), "--index-dir", str(tmp_path / "index"),
                 "--results-dir", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0 and "plain prompt" in out and "answerable accuracy" in out
    [result] = list((tmp_path / "results").glob("reuters-all-plain-default-*.json"))
    record = json.loads(result.read_text())
    assert record["suite"] == "reuters" and record["prompt"] == "plain" and len(record["records"]) == 3
    assert merge_result_files([result, result])["systems"] == record["systems"]  # a question counts once


def test_summarize_counts_wrong_answers_among_answered_ones():
    records = [{"answerable": True, "abstained": False, "s": True}, {"answerable": True, "abstained": False, "s": False},
               {"answerable": True, "abstained": True, "s": False}, {"answerable": False, "abstained": True, "s": True}]
    m = summarize(records, "s")
    assert m["answerable_accuracy"] == pytest.approx(1 / 3) and m["wrong_when_answered"] == 0.5
    assert m["answerable_abstained"] == pytest.approx(1 / 3) and m["unanswerable_abstained"] == 1.0


def test_question_set_shape():
    rows = load_questions(QUESTIONS)
    assert len(rows) >= 48 and len({r["id"] for r in rows}) == len(rows)
    counts = Counter((r["split"], r["answerable"]) for r in rows)
    assert counts[("dev", True)] == counts[("test", True)] >= 18
    assert counts[("dev", False)] == counts[("test", False)] >= 6
    for r in rows:
        assert r["question"].endswith("?") and isinstance(r["doc_id"], int)
        assert bool(r["answers"]) == r["answerable"]
        assert len(r.get("evidence", "")) <= 120  # a key, never corpus text


@pytest.mark.skipif(_shared_reuters() is None, reason="shared/data/reuters21578 not found (../shared/data or "
                    "../../shared/data from the checkout, or $RAG_SHARED_DATA): the corpus lives outside the repository")
def test_question_set_against_the_corpus():
    folder = _shared_reuters()
    docs = {a.newid: article_text(a) for name in SUBSET_FILES for a in read_sgml_file(folder / name)}
    assert len(docs) == 1855 and max(docs) <= 2000
    for r in load_questions(QUESTIONS):
        if r["answerable"]:
            assert r["evidence"] in docs[r["doc_id"]], r["id"]
            for newid in [r["doc_id"], *r.get("also_in", [])]:
                assert contains_answer(docs[newid], r["answers"]), (r["id"], newid)
        else:
            found = sorted(n for n, text in docs.items() if r["entity"] in text)
            assert found == sorted(r["mentioned_in"]), r["id"]


def test_multihop_plain_prompt_answers(tmp_path, tiny_reuters, capsys):
    """The baseline helper serves the other suites too: MultiHop-RAG queries over the same tiny articles."""
    from rag.evaluation.cli import _print_plain_answers
    from rag.evaluation.multihop import evaluate_plain_answers, load_queries

    data, _ = tiny_reuters
    index, _ = open_reuters_index(data, HashEmbedder(), work_dir=tmp_path / "work", index_dir=tmp_path / "index")
    queries = tmp_path / "q.json"
    queries.write_text(json.dumps([
        {"query": "Who mediated the talks that ended the Alder Sound Ferries strike?", "answer": "Priya Ramaswamy",
         "question_type": "inference_query", "evidence_list": [{"fact": "talks mediated by Priya Ramaswamy"}]},
        {"query": "Who owns Varde Ferries' harbour?", "answer": "Insufficient information.",
         "question_type": "null_query", "evidence_list": []},
    ]))
    assistant = Assistant(Settings(index_dir=tmp_path / "index"), index=index, generator=PlainAwareGenerator())
    out = evaluate_plain_answers(assistant, load_queries(queries))
    plain = out["systems"]["plain"]
    assert out["answerable_queries"] == 1 and plain["accuracy"]["inference_query"]["strict"] == 1.0
    assert plain["abstention_rate_null"] == 0.0  # the baseline has no gate: it answered the null query
    _print_plain_answers(out, "fake")
    assert "plain-prompt answers by fake" in capsys.readouterr().out
