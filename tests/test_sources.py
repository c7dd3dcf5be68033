"""Publications a question names (rag.sources), and the places retrieval keeps for them."""

from __future__ import annotations

import pytest

from index import CorpusIndex, Document, SearchFilter
from rag import Assistant, Settings
from rag.retrieval import Retriever
from rag.sources import named_sources, site_name
from fakes import HashEmbedder

SITES = ["theverge.com", "techcrunch.com", "theage.com.au", "smh.com.au", "cbssports.com", "theroar.com.au",
         "en.globes.co.il", "time.com", "ft.com", "Port Alder Town Council"]


@pytest.mark.parametrize("source, name", [
    ("theverge.com", "theverge"), ("theage.com.au", "theage"), ("en.globes.co.il", "globes"),
    ("www.bbc.co.uk", "bbc"), ("Port Alder Town Council", "portaldertowncouncil"),
])
def test_site_name_is_the_publication_label(source, name):
    assert site_name(source) == name


@pytest.mark.parametrize("question, expected", [
    ("Did The Verge and TechCrunch both report the deal?", ["theverge.com", "techcrunch.com"]),
    ("Does the 'The Age' article agree with TechCrunch?", ["techcrunch.com", "theage.com.au"]),
    ("What did The Sydney Morning Herald say about the match?", ["smh.com.au"]),  # by its initials
    ("Was the CBSSports.com report on the trade accurate?", ["cbssports.com"]),
    ("Does The Roar | Sports Writers Blog agree?", ["theroar.com.au"]),
    ("What did Globes English | Israel Business Arena report?", ["en.globes.co.il"]),
    ("What did the Port Alder Town Council publish about the ferry?", ["Port Alder Town Council"]),
    ("What did Time report on the summit?", ["time.com"]),
])
def test_named_sources_spelled_as_people_write_them(question, expected):
    assert named_sources(question, SITES) == expected


@pytest.mark.parametrize("question", [
    "What happened at the time of the vote?",  # "time" is not Time
    "The age of the bridge is what?",  # "The age" does not spell The Age
    "Did the FT report it?",  # two-letter site names are too easily spelled by accident
    "Is techcrunch-style reporting common?",  # not capitalised: not a name
    "",
])
def test_words_that_only_look_like_a_source_name_none(question):
    assert named_sources(question, SITES) == []


@pytest.fixture()
def sourced_index(tmp_path):
    index = CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True)
    bodies = {
        "a": ("harbourgazette.example", "2025-03-01", "The harbour bridge was approved. Bridge tolls start in spring."),
        "b": ("harbourgazette.example", "2025-03-02", "Bridge tolls will fund the harbour project, the mayor said."),
        "c": ("valleypost.example", "2025-03-03", "The library reopened after repairs. Visitors praised the room."),
        "d": ("harbourgazette.example", "2025-03-04", "Harbour bridge tolls were called unfair by critics."),
    }
    index.add_documents([
        Document(id=k, title=f"Story {k}", text=f"Story {k}\n\n{body}", body_start=len(f"Story {k}\n\n"),
                 source=source, date=date)
        for k, (source, date, body) in bodies.items()])
    return index


def test_a_named_source_the_ranking_leaves_out_gets_the_last_place(sourced_index):
    retriever = Retriever(sourced_index)
    plain = [p.doc_id for p in retriever.search("harbour bridge tolls", 3).passages]
    assert "c" not in plain
    reserved = retriever.search("harbour bridge tolls", 3, reserve=["valleypost.example"])
    assert [p.doc_id for p in reserved.passages] == plain[:2] + ["c"]
    assert reserved.passages[-1].source == "valleypost.example"
    # The whole ranking (what evaluation pools) is the question's own.
    assert reserved.ranking == retriever.search("harbour bridge tolls", 3).ranking


def test_source_places_change_nothing_when_not_needed(sourced_index):
    retriever = Retriever(sourced_index)
    plain = [p.doc_id for p in retriever.search("harbour bridge tolls", 3).passages]
    # already present; nothing of it under the filter; one place only (the question's best stays)
    assert [p.doc_id for p in retriever.search("harbour bridge tolls", 3, reserve=["harbourgazette.example"]).passages] == plain
    late = SearchFilter(since="2025-03-04")
    assert [p.doc_id for p in retriever.search("harbour bridge tolls", 3, late, reserve=["valleypost.example"]).passages] == ["d"]
    assert [p.doc_id for p in retriever.search("harbour bridge tolls", 1, reserve=["valleypost.example"]).passages] == plain[:1]
    # a lexical-only search (evaluation) keeps its ranking as it is
    lexical = retriever.search("harbour bridge tolls", 3, mode="lexical", reserve=["valleypost.example"])
    assert "c" not in [p.doc_id for p in lexical.passages]


def test_a_question_naming_a_publication_sees_its_passage(sample_index):
    """Real embedder and FAISS over the sample corpus: the Alder Weekly wrote nothing about the bridge,
    so the ranking alone shows only the Harbour Gazette's bridge stories; the question names it, so
    its closest passage is shown too (and the user's own source filter still decides when given)."""
    question = "Did the Alder Weekly report on the harbour bridge delay?"
    named = Assistant(Settings(index_dir=sample_index.path), index=sample_index).stream(question)
    plain = Assistant(Settings(index_dir=sample_index.path, source_places=False), index=sample_index).stream(question)
    assert "alderweekly.example" not in {p.source for p in plain.passages}
    assert "alderweekly.example" in {p.source for p in named.passages}
    assert [p.chunk_id for p in named.passages][:-1] == [p.chunk_id for p in plain.passages][:len(named.passages) - 1]
    chosen = Assistant(Settings(index_dir=sample_index.path), index=sample_index).stream(
        question, filters=SearchFilter(sources=("harbourgazette.example",)))
    assert {p.source for p in chosen.passages} == {"harbourgazette.example"}
