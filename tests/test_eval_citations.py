"""The citation judges of ``rag eval multihop --answers`` and the RGB passage draw, on hand-written cases."""

from __future__ import annotations

import json

import pytest

from rag.evaluation.citations import judge_statements, lexically_entails, statements
from rag.evaluation.rgb import draw_passages, load_rgb, write_corpus

FACT_A = "The Harbour Authority approved a budget of 48 million dollars for the new bridge in March."
FACT_B = "Engineers from Kestrel and Moor said the bridge will be 320 metres long."
OTHER = "The city library reopened after a renovation that lasted two years."


def resolve_from(passages):
    return lambda n: passages[n - 1] if 1 <= n <= len(passages) else None


def test_statements_split_sentences_and_resolve_markers():
    items = statements("The budget is 48 million dollars [1]. It will be 320 metres long [2][9].",
                       resolve_from([FACT_A, FACT_B]))
    assert [s.text for s in items] == ["The budget is 48 million dollars.", "It will be 320 metres long."]
    assert items[0].cited == (FACT_A,) and items[1].cited == (FACT_B,) and items[1].invalid == 1


def test_lexical_judge_needs_the_numbers_and_most_terms():
    assert lexically_entails(FACT_A, "The authority approved a budget of 48 million dollars.")
    assert not lexically_entails(FACT_A, "The authority approved a budget of 52 million dollars.")  # number differs
    assert not lexically_entails(OTHER, "The bridge budget was approved in March.")
    assert lexically_entails(FACT_A, "Yes.")  # a bare verdict is as supported as its citations
    assert not lexically_entails("", "Anything.")


def test_gold_and_lexical_precision_and_recall():
    facts = [FACT_A, FACT_B]
    passages = [FACT_A, OTHER, FACT_B]
    text = ("The authority approved a budget of 48 million dollars [1]. "  # supported, gold
            "The bridge will be 320 metres long [2]. "  # cites the wrong passage: neither judge accepts it
            "The bridge will be 320 metres long, said Kestrel and Moor [3][2]. "  # [2] is irrelevant beside [3]
            "It opens in May.")  # no citation at all
    c = judge_statements(statements(text, resolve_from(passages)), facts)
    s = c.summary()
    assert c.statements == 4 and c.citations == 4 and c.statements_cited == 3
    assert s["gold"] == {"precision": 2 / 4, "recall": 2 / 4}
    assert s["lexical"] == {"precision": 2 / 4, "recall": 2 / 4}


def test_citations_on_a_null_query_are_never_gold():
    c = judge_statements(statements("The budget was 48 million dollars [1].", resolve_from([FACT_A])), [])
    assert c.summary()["gold"]["precision"] == 0.0 and c.summary()["lexical"]["precision"] == 1.0


def test_invalid_marker_makes_the_statement_unsupported():
    c = judge_statements(statements("The budget was 48 million dollars [1][4].", resolve_from([FACT_A])), [FACT_A])
    assert c.invalid_citations == 1 and c.citations == 2
    assert c.summary()["gold"]["recall"] == 0.0 and c.summary()["lexical"]["recall"] == 0.0


ROW = {"id": 7, "query": "Where was the final held?", "answer": ["Tampa", "Tampa, Florida"], "fakeanswer": "Glendale",
       "positive": ["held in Tampa one", "held in Tampa two", "held in Tampa three"],
       "positive_wrong": ["held in Glendale one", "held in Glendale two", "held in Glendale three"],
       "negative": ["unrelated a", "unrelated b", "unrelated c", "unrelated d", "unrelated e"]}


def test_rgb_draw_follows_the_rates_and_is_repeatable():
    drawn = draw_passages(ROW, noise_rate=0.0, correct_rate=0.4)
    # 3 stories: 2 true, the third planted, then the planted twins of the 2 true stories fill the last slots
    assert sorted(k for k, _ in drawn) == ["planted", "planted", "planted", "true", "true"]
    assert drawn == draw_passages(ROW, noise_rate=0.0, correct_rate=0.4)
    true_texts = {t for k, t in drawn if k == "true"}
    planted_twins = {t.replace("Glendale", "Tampa") for k, t in drawn if k == "planted"}
    assert true_texts <= set(ROW["positive"]) and len(true_texts & planted_twins) == 2
    noisy = draw_passages(ROW, noise_rate=0.4, correct_rate=0.2)
    assert sorted(k for k, _ in noisy) == ["negative", "negative", "planted", "planted", "true"]


def test_rgb_corpus_file_and_document_ids(tmp_path):
    from index.loaders import load_file

    path, kinds = write_corpus([ROW], 0.0, 0.4, folder=tmp_path)
    docs = load_file(path)
    assert {d.id for d in docs} == set(kinds["7"])
    assert sorted(kinds["7"].values()) == ["planted", "planted", "planted", "true", "true"]


def test_rgb_loader_rejects_other_files(tmp_path):
    from rag.errors import RagError

    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"query": "q"}) + "\n")
    with pytest.raises(RagError, match="not an RGB en_fact file"):
        load_rgb(bad)


def test_quote_is_exact_reads_the_file_at_the_offsets(tmp_path):
    from types import SimpleNamespace

    from rag.evaluation.citations import quote_is_exact

    path = tmp_path / "a.txt"
    path.write_text("Title\n20250101\nhttps://a.example\nThe bridge opens in June.\n", encoding="utf-8")
    start = path.read_text().index("The bridge")
    good = SimpleNamespace(path=str(path), start=start, end=start + 10, quote="The bridge")
    shifted = SimpleNamespace(path=str(path), start=start + 1, end=start + 11, quote="The bridge")
    missing = SimpleNamespace(path=str(tmp_path / "gone.txt"), start=0, end=3, quote="The")
    cache: dict[str, str] = {}
    assert quote_is_exact(good, cache) and not quote_is_exact(shifted, cache) and not quote_is_exact(missing, cache)


def test_rgb_suite_scores_the_product_and_the_plain_baseline_on_the_same_passages(tmp_path, monkeypatch):
    """``rag eval rgb --prompt plain``: the baseline answers over the question's own five passages, is
    scored by the same judge, and has no conflict check; the product's answer is verified."""
    import re

    from fakes import HashEmbedder

    from rag import Assistant, Settings
    from rag.evaluation.rgb import evaluate_rgb
    from rag.prompts import PLAIN_PROMPT

    class Answers:
        """The plain prompt's first passage, as the answer; the product prompt's passage [1], cited."""

        id = "answers"

        def stream(self, messages, max_tokens=256):
            content = messages[-1]["content"]
            if content.startswith(PLAIN_PROMPT.split("\n", 1)[0]):
                yield content.split("\n\n", 1)[1].split("\n\n", 1)[0].strip()
            else:
                yield re.search(r"^\[1\] [^\n]*\n([^\n]+)", content, re.M).group(1).strip() + " [1]"

    monkeypatch.setenv("RAG_EVAL_CACHE", str(tmp_path / "cache"))
    row = dict(ROW, positive=["The final was held in Tampa in February."] * 3,
               positive_wrong=["The final was held in Glendale in February."] * 3)
    settings = Settings(index_dir=tmp_path / "index", min_relevance=0.0, min_coverage=0.0)
    runs = {prompt: evaluate_rgb(lambda index: Assistant(settings, index=index, generator=Answers()), HashEmbedder(),
                                 [row], index_dir=tmp_path / "index", prompt=prompt)
            for prompt in ("product", "plain")}
    plain, product = runs["plain"]["records"][0], runs["product"]["records"][0]
    assert runs["plain"]["prompt"] == "plain" and plain["drawn"] == product["drawn"]
    assert plain["both_shown"] and product["both_shown"]  # the same five passages were shown to both
    assert plain["conflicts"] == 0 and not plain["abstained"]
    assert plain["accuracy"] != plain["planted"]  # one of the two stories, judged by the same strings
    assert plain["answer"].startswith("The final was held in")
    with pytest.raises(ValueError, match="product or plain"):
        evaluate_rgb(lambda index: None, HashEmbedder(), [row], index_dir=tmp_path / "index", prompt="stuff")
