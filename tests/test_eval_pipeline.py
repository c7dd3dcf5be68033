"""``rag eval`` end to end on tiny benchmark folders the tests write themselves."""

from __future__ import annotations

import json

import pytest

from rag.evaluation.beir import beir_documents, evaluate_beir, load_beir, open_cached_index
from rag.evaluation.multihop import evaluate_retrieval, load_queries, open_corpus_index
from rag.retrieval import Retriever
from fakes import HashEmbedder, ScriptedGenerator


DOCS = [
    ("d1", "Aspirin and heart attacks", "Daily aspirin lowers the risk of a second heart attack in adults."),
    ("d2", "Vitamin D and bones", "Vitamin D supplements improve bone density in older women."),
    ("d3", "Sleep and memory", "Deep sleep consolidates memory in students before exams."),
    ("d4", "Coffee and the liver", "Coffee drinkers show fewer liver enzymes linked to damage."),
]
QUERIES = {"q1": "aspirin reduces heart attack risk", "q2": "vitamin D improves bone density", "q3": "sleep helps memory"}
QRELS = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1, "d4": 1}}


@pytest.fixture()
def beir_dir(tmp_path):
    folder = tmp_path / "toy-beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in DOCS))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{r}" for q, docs in QRELS.items() for d, r in docs.items()]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return folder


def test_beir_documents_keep_title_out_of_the_chunks(beir_dir):
    docs = list(beir_documents(beir_dir / "corpus.jsonl"))
    assert [d.id for d in docs] == ["d1", "d2", "d3", "d4"]
    d = docs[0]
    assert d.title == "Aspirin and heart attacks"
    assert d.text[d.body_start:] == DOCS[0][2]


def test_beir_eval_builds_once_then_reuses_the_index(beir_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EVAL_CACHE", str(tmp_path / "cache"))
    data = load_beir(beir_dir, "test")
    assert data.qrels == QRELS and set(data.queries) == set(QUERIES)
    embedder = HashEmbedder()
    build = lambda: open_cached_index([data.corpus_path], lambda: beir_documents(data.corpus_path), "toy", embedder)  # noqa: E731
    index, info = build()
    assert not info["reused"] and index.stats()["documents"] == 4
    for mode in ("dense", "lexical", "hybrid"):
        m = evaluate_beir(index, data, Retriever(index), mode, depth=50)
        assert m["queries"] == 3
        assert 0.5 < m["ndcg@10"] <= 1.0
        if mode != "lexical":  # BM25 ranks only documents that share a word with the query
            assert m["recall@100"] == 1.0
        assert m["latency"]["p50_ms"] > 0
    index.store.close()
    again, info2 = build()
    assert info2["reused"] and info2["index_dir"] == info["index_dir"]
    # A changed corpus gets a new cache folder.
    with (beir_dir / "corpus.jsonl").open("a") as fh:
        fh.write(json.dumps({"_id": "d5", "title": "Tea", "text": "Green tea and focus."}) + "\n")
    _, info3 = build()
    assert info3["index_dir"] != info["index_dir"] and not info3["reused"]


def write_toy_excerpts(tmp_path):
    """Two news files in the MultiHop excerpts format."""
    corpus = tmp_path / "excerpts"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour bridge approved\n20231104\nhttps://coast.example/a\n"
                                  "The council approved the harbour bridge on Friday.\nIt will cost 40 million pounds.\n")
    (corpus / "b.txt").write_text("Ferry strike ends\n20231120\nhttps://ferry.example/b\n"
                                  "The ferry strike ended after nine days.\n")
    return corpus


def test_multihop_retrieval_eval_on_news_files(tmp_path):
    corpus = write_toy_excerpts(tmp_path)
    queries = tmp_path / "q.json"
    queries.write_text(json.dumps([
        {"query": "What did the council approve for the harbour?", "answer": "the bridge", "question_type": "inference_query",
         "evidence_list": [{"fact": "The council approved the harbour bridge on Friday."}]},
        {"query": "How long did the ferry strike last?", "answer": "nine days", "question_type": "inference_query",
         "evidence_list": [{"fact": "The ferry strike ended after nine days."}]},
        {"query": "Who won the lottery?", "answer": "Insufficient information.", "question_type": "null_query",
         "evidence_list": []},
    ]))
    index, info = open_corpus_index(corpus, HashEmbedder(), index_dir=tmp_path / "idx")
    m = evaluate_retrieval(index, load_queries(queries), Retriever(index))
    assert m["queries"] == 2 and m["null_queries_excluded"] == 1
    assert m["hits@10"] == 1.0 and m["chunk_coverage"] == 1.0
    assert set(m["by_type"]) == {"inference_query"}


@pytest.mark.slow  # the real MiniLM
def test_cli_eval_retrieval_json_and_results_file(beir_dir, tmp_path, monkeypatch, capsys):
    """The real command with the real embedder on the toy folder."""
    from ui.cli import main

    monkeypatch.setenv("RAG_EVAL_CACHE", str(tmp_path / "cache"))
    results = tmp_path / "results"
    code = main(["eval", "retrieval", "--beir", str(beir_dir), "--mode", "all", "--json", "--results-dir", str(results)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {"dense", "lexical"} <= set(out["systems"])
    assert out["models"]["embedder"]["id"].startswith("all-MiniLM-L6-v2")  # whatever the default backend
    assert out["systems"]["dense"]["ndcg@10"] > 0.9
    files = list(results.glob("retrieval-*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text())
    assert record["machine"]["cores"] >= 1 and record["date"] and record["config"]["retrieval"]["fusion"]


def test_cli_eval_usage_errors(tmp_path, capsys):
    from ui.cli import main

    assert main(["eval"]) == 2
    assert main(["eval", "retrieval", "--beir", str(tmp_path / "missing")]) != 0


def test_multihop_answers_scored_with_and_without_verification(tmp_path, capsys):
    """Scoring of answers: accuracy per type for both systems, abstention, both citation judges, exact quotes."""
    from rag import Assistant, Settings
    from rag.evaluation.multihop import evaluate_answers

    corpus = write_toy_excerpts(tmp_path)
    queries = tmp_path / "q.json"
    queries.write_text(json.dumps([
        {"query": "How much will the harbour bridge cost?", "answer": "40 million", "question_type": "inference_query",
         "evidence_list": [{"fact": "It will cost 40 million pounds."}]},
        {"query": "How long did the ferry strike last?", "answer": "nine days", "question_type": "temporal_query",
         "evidence_list": [{"fact": "The ferry strike ended after nine days."}]},
        {"query": "Who won the harbour lottery draw?", "answer": "Insufficient information.",
         "question_type": "null_query", "evidence_list": []},
    ]))
    index, _ = open_corpus_index(corpus, HashEmbedder(), index_dir=tmp_path / "idx")
    generator = ScriptedGenerator(replies={
        # correct and supported; the model's own marker may point anywhere, the verifier re-anchors it
        "harbour bridge cost": "The harbour bridge will cost 40 million pounds [1].",
        # right answer plus an invented sentence the verifier removes
        "ferry strike": "The ferry strike lasted nine days [1]. The captain was paid 7 thousand euros [2].",
        "lottery": "The lottery was won by Mary Smith [1].",  # a confident invention on the null query
    })
    assistant = Assistant(Settings(min_relevance=0.0), index=index, generator=generator)
    out = evaluate_answers(assistant, load_queries(queries))
    assert out["answerable_queries"] == 2 and out["null_queries"] == 1
    verified, unverified = out["systems"]["verified"], out["systems"]["unverified"]
    assert verified["accuracy"]["inference_query"]["strict"] == 1.0
    assert verified["accuracy"]["temporal_query"]["strict"] == 1.0
    assert verified["wrong_abstention_rate_answerable"] == 0.0
    # The invented ferry sentence left the answer in verification and is reported as unsupported: not an answer
    # statement any more, but counted as left out, so the removal stays visible in the results.
    ferry = next(r for r in out["answers"] if r["question_type"] == "temporal_query")
    assert "[2]" in ferry["draft"] and "7 thousand" not in ferry["answer"]
    assert any("7 thousand" in u["sentence"] for u in ferry["left_out"])
    assert [u["reason"] for u in ferry["left_out"]] == ["no passage gives 7"]
    assert verified["citations"]["statements"] == 2 and verified["citations"]["left_out"] == 1
    assert verified["citations"]["gold"] == {"precision": 1.0, "recall": 1.0}
    # Unverified, the model's [2] points at a passage without the claim: an imprecise citation.
    assert unverified["citations"]["statements"] == 3 and unverified["citations"]["gold"]["precision"] < 1.0
    assert out["quotes_exact_share"] == 1.0
    # The null query: whichever gate catches it, the unverified system never abstains more than the product.
    assert unverified["abstention_rate_null"] <= verified["abstention_rate_null"]
    assert set(out["answers"][0]) >= {"draft", "answer", "verified", "unverified", "quotes"}
    # rag eval's tables tally why sentences were left out.
    from rag.evaluation.cli import _print_answers
    _print_answers(out, "scripted")
    printed = capsys.readouterr().out
    assert "why verification left sentences out" in printed and "no passage gives ...: " in printed


def test_yes_no_question_gets_the_verdict_hint_and_a_cited_verdict(tmp_path):
    from rag import Assistant, Settings
    from rag.prompts import VERDICT_HINT

    corpus = write_toy_excerpts(tmp_path)
    index, _ = open_corpus_index(corpus, HashEmbedder(), index_dir=tmp_path / "idx")
    generator = ScriptedGenerator(replies={
        "Did the council approve": "Yes.\nThe council approved the harbour bridge on Friday [2].",
        "How much": "It will cost 40 million pounds [1].",
    })
    assistant = Assistant(Settings(min_relevance=0.0), index=index, generator=generator)
    verdict = assistant.ask("Did the council approve the harbour bridge?")
    assert generator.last_prompt.endswith(VERDICT_HINT)
    assert not verdict.abstained and not verdict.left_out
    # The verdict cites the fact it rests on; the model's wrong [2] is re-anchored to the bridge article.
    assert verdict.text.startswith("Yes [1].") and [c.doc_id for c in verdict.citations] == [verdict.citations[0].doc_id]
    assert "a.txt" in verdict.citations[0].path
    plain = assistant.ask("How much will the harbour bridge cost?")
    assert VERDICT_HINT not in generator.last_prompt and not plain.abstained


def test_question_about_now_shows_the_newest_report_first(tmp_path):
    from rag import Assistant, Settings
    from rag.prompts import NOW_HINT

    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "old.txt").write_text("Bridge budget set\n20250909\nhttps://g.example/a\nThe bridge budget is 48.5 million pounds.\n")
    (corpus / "new.txt").write_text("Bridge budget rises\n20251212\nhttps://g.example/b\nThe bridge budget has risen to 53.1 million pounds.\n")
    index, _ = open_corpus_index(corpus, HashEmbedder(), index_dir=tmp_path / "idx")
    generator = ScriptedGenerator(replies={"budget": "The bridge budget has risen to 53.1 million pounds [1]."})
    assistant = Assistant(Settings(min_relevance=0.0), index=index, generator=generator)
    stream = assistant.stream("What is the bridge budget now?")
    assert [p.date for p in stream.evidence.passages] == ["2025-12-12", "2025-09-09"]
    answer = stream.answer
    assert generator.last_prompt.endswith(NOW_HINT)
    assert "53.1" in answer.text and not answer.abstained
    # Without "now" the retrieval order stands and no hint is added.
    assistant.ask("What was the bridge budget?")
    assert NOW_HINT not in generator.last_prompt
