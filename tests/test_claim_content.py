"""The claim-content rules of rag/verification/content.py (#22 items 2 and 3), alone and inside attribute()."""

from __future__ import annotations

from rag.verification import attribute
from rag.verification.content import (NOT_IN_PASSAGES, asked_kind, claim_names, framing_terms, is_answer_not_in_passages,
                               not_answered, question_names, unsupported_names)
from rag.text import stemmed_terms
from rag.types import Passage

SEED = ("Putin says West taking Russias red lines too lightly\n20211118\nhttps://k.example/a\n"
        "Russian Security Council Secretary Nikolai Patrushev and US National Security Adviser Jake Sullivan discussed "
        "cybersecurity, Ukraine and the migrant crisis on the Belarus border in a phone call on Wednesday, the Kremlin said. "
        "In the televised speech, Putin complained that Western strategic bombers were flying within 20 km of Russia's "
        "borders. But the Kremlin has spoken repeatedly of a possible summit between Putin and US President Joe Biden. "
        "\"This was all in the framework of preparation for ... high-level contact,\" Kremlin spokesman Dmitry Peskov said.\n")
# As in the index: the one other passage with a question word is about something else, and has it in its title.
# (Invented: the index had a sports article of this shape, "Is the Coverage on ... Nothing but Hype?")
SWIFT = ("Is the Coverage of the Harbour Regatta Rivalry Nothing but Hype?\n20231025\nhttps://s.example/b\n"
         "From the capsized favourite of 1998 to the protest over the finish line at Gull Point.\n")


def _passage(doc: str, chunk_id: str) -> Passage:
    title = doc.split("\n", 1)[0]
    start = doc.index("\n", doc.index("https")) + 1
    text = doc[start:].rstrip("\n")
    return Passage(chunk_id=chunk_id, doc_id=chunk_id.split("-")[0], title=title, date=None, url=None, path="",
                   source=None, text=text, start=start, end=start + len(text), score=1.0)


KREMLIN, COVERAGE = _passage(SEED, "k-0"), _passage(SWIFT, "s-0")
SPOKESMAN = "Who is the Kremlin spokesman quoted in the coverage?"
PESKOV = "The Kremlin spokesman quoted in the coverage is Dmitry Peskov."


# ---- framing needs no support --------------------------------------------------------------------
def test_framing_terms_are_question_words_no_passage_uses_with_the_subject():
    question_terms = stemmed_terms(SPOKESMAN)
    windows = [{"kremlin", "spokesman"}, {"coverag"}, {"kremlin"}]
    framing = framing_terms(question_terms, question_names(SPOKESMAN), windows)
    assert framing == frozenset(stemmed_terms("coverage"))  # "quoted": in no window, so not known to be framing
    # a name is never framing, even when no passage uses it with another question word
    assert "kremlin" not in framing_terms(question_terms, question_names(SPOKESMAN), [{"kremlin"}])
    # the asked relation, used with the subject by the passage that states it, is content
    manager = stemmed_terms("Who is the manager of Port Alder Rovers?")
    assert "manag" not in framing_terms(manager, question_names("Who is the manager of Port Alder Rovers?"),
                                        [{"manag", "rover"}, {"port", "alder"}])


def test_the_kremlin_spokesman_quoted_in_the_coverage_is_answered():
    """#22: the draft was left out as "no passage says this" because another passage ("Is the Coverage
    of ...") made the question's "coverage" the rarest, deciding subject word."""
    kept = attribute(PESKOV, [KREMLIN, COVERAGE], question=SPOKESMAN)
    assert kept.unsupported == () and "Kremlin spokesman Dmitry Peskov said" in kept.citations[0].quote
    assert kept.text == "The Kremlin spokesman quoted in the coverage is Dmitry Peskov [1]."
    before = attribute(PESKOV, [KREMLIN, COVERAGE], question=SPOKESMAN, disabled_rules=frozenset({"question_framing"}))
    # the trace names the rule that rejected the sentence that says it (it said "no passage says this")
    assert before.citations == ()
    assert before.reasons == ("the closest passage sentence is about someone or something else",)
    assert before.checks[0].rule == "name_about_subject" and "Dmitry Peskov" in before.checks[0].citations[0].quote


def test_a_name_in_a_sentence_about_something_else_is_still_not_supported():
    """Framing words are exempt, the subject is not: the relation check still rejects a name found
    in a sentence about another role."""
    question = "Who is the Kremlin spokesman quoted in the coverage?"
    wrong = attribute("The Kremlin spokesman quoted in the coverage is Jake Sullivan.", [KREMLIN, COVERAGE],
                      question=question)
    assert wrong.citations == ()


# ---- names and numbers need support, the question's too ------------------------------------------
def test_unsupported_names_reads_names_and_numbers_the_cited_passages_lack():
    passage = KREMLIN.text + " " + KREMLIN.title
    assert unsupported_names("Anna Kowalczyk said this was all preparation.", [passage]) == ["Anna Kowalczyk"]
    assert unsupported_names("Officials said Anna Kowalczyk spoke.", [passage]) == ["Anna Kowalczyk"]
    # a question's names may be anywhere in the evidence (given_texts), the claim's own must be in what it cites
    given = stemmed_terms("What did Jake Sullivan discuss?")
    assert unsupported_names("Officials said Jake Sullivan spoke.", ["Other text."], given=given,
                             given_texts=[passage]) == []
    assert unsupported_names("Officials said Dmitry Peskov spoke.", ["Other text."], given=given,
                             given_texts=[passage]) == ["Dmitry Peskov"]
    # a name is held by a passage that has one of its words (a site's display name beside its host)
    assert unsupported_names("The Cnbc | World Business News Leader report quotes it.", ["text cnbc.com"]) == []
    assert unsupported_names("It was in 'The Age' on Monday.", ["Monday text theage.com.au"]) == []
    assert unsupported_names("Kremlin spokesman Dmitry Peskov said this was all preparation.", [passage]) == []
    assert unsupported_names("The bombers flew within 25 km of the border.", [passage]) == ["25"]
    assert unsupported_names("The Verge reported it.", ["Some text theverge.com"]) == []
    assert claim_names("Officials said Peskov spoke. “It was,” Kremlin aides said.") == {"peskov", "kremlin"}


def test_a_person_the_passages_never_mention_is_not_given_their_words():
    """#22: a question naming someone the article never mentions got the Kremlin's statement
    attributed to them, and the verifier accepted it because the name came from the question."""
    question = "What did Anna Kowalczyk say about preparation for high-level contact?"
    draft = "Anna Kowalczyk said this was all in the framework of preparation for high-level contact [1]."
    # The default catches it with the pair rule speaker_named (she is given words no sentence gives her);
    # names_in_passages (check_question_names, off by default: it did not pay on the evaluation sets)
    # catches it without that rule.
    assert attribute(draft, [KREMLIN, COVERAGE], question=question).citations == ()
    result = attribute(draft, [KREMLIN, COVERAGE], question=question, check_question_names=True,
                       disabled_rules=frozenset({"speaker_named"}))
    assert result.citations == () and result.reasons == ("the passages do not name Anna Kowalczyk",)
    assert attribute(draft, [KREMLIN, COVERAGE], question=question,
                     disabled_rules=frozenset({"speaker_named"})).citations  # neither rule: accepted


def test_a_restated_question_with_a_correct_name_is_kept():
    for question, draft in [
        ("What did Dmitry Peskov say about preparation for high-level contact?",
         "Dmitry Peskov said this was all in the framework of preparation for high-level contact [1]."),
        ("Who is the Kremlin spokesman quoted in the article?",
         "The Kremlin spokesman quoted in the article is Dmitry Peskov [1]."),
        ("How close to Russia's borders did Putin say Western strategic bombers were flying?",
         "Putin said Western strategic bombers were flying within 20 km of Russia's borders [1]."),
    ]:
        for check_given in (False, True):
            result = attribute(draft, [KREMLIN, COVERAGE], question=question, check_question_names=check_given)
            assert result.unsupported == () and result.citations, (question, result.reasons)


def test_a_question_number_the_passage_lacks_is_not_confirmed():
    question = "What did Putin say about bombers flying within 35 km of Russia's borders?"
    draft = "Putin said Western strategic bombers were flying within 35 km of Russia's borders [1]."
    assert attribute(draft, [KREMLIN], question=question, check_question_names=True).citations == ()
    assert attribute(draft, [KREMLIN], question=question).citations


# ---- an answer must answer ------------------------------------------------------------------------
def test_asked_kind():
    assert asked_kind("How many yards of tropical cloth does the contract cover?") == "figure"
    assert asked_kind("What is the suggested U.S. retail price of the Range Rover?") == "figure"
    assert asked_kind("How close to Russia's borders were the bombers flying?") == "figure"
    assert asked_kind("On what date did federal marshals seize the shipment?") == "date"
    assert asked_kind("When did Patrushev and Sullivan speak?") == "date"
    assert asked_kind("Which version of the app added the feature?") == "version"
    assert asked_kind(SPOKESMAN) == "name"
    assert asked_kind("Who is Tomasz Wierzbicki?") is None  # asks about a name it gives
    assert asked_kind("What did Putin say about the West?") is None
    assert asked_kind("Did the bridge cost 5 million pounds?") is None  # yes/no


def test_not_answered_needs_the_asked_kind_in_a_kept_sentence():
    question = "How many yards of cloth does the contract cover?"
    assert not_answered(question, ["The contract covers 250,000 yards [1]."]) is None
    assert not_answered(question, ["The contract covers two million yards."]) is None
    reason = not_answered(question, ["The contract covers tropical cloth for the army [1]."])
    assert reason.startswith(NOT_IN_PASSAGES) and "a figure" in reason and "tropical cloth for the army" in reason
    assert "[1]" not in reason and is_answer_not_in_passages(reason)
    # a number the question already gives is no answer
    assert not_answered("How many of the 12 berths are new?", ["The 12 berths are at Tianjin [1]."])
    assert not_answered("When did they speak?", ["They spoke on Wednesday [1]."]) is None
    assert not_answered("Which version added it?", ["Version 4.2 added it [1]."]) is None
    assert not_answered("Who remains chairman?", ["James Baker remains chairman [1]."]) is None
    assert not_answered("Who remains chairman?", ["the chairman remains in office [1]."])
    # an initialism the question gave is no new name ("N.V." is one word, not "N" and "V")
    assert not_answered("Who controls Velden N.V., the buyer of Arco Systems shares?",
                        ["Velden N.V. controls Arco Systems shares [1]."])
    assert not_answered("Who controls Velden N.V.?", ["Hollis Bank controls Velden N.V. [1]."]) is None
    assert not_answered("What did Putin say?", ["Putin spoke [1]."]) is None  # asks for no kind


def test_a_supported_sentence_without_the_asked_figure_is_not_an_answer():
    question = "How close to Russia's borders did Putin say Western strategic bombers were flying?"
    vague = "Putin complained that Western strategic bombers were flying close to Russia's borders [1]."
    result = attribute(vague, [KREMLIN], question=question)
    assert result.citations == () and is_answer_not_in_passages(result.reasons[0])
    assert attribute(vague, [KREMLIN], question=question, disabled_rules=frozenset({"answer_carries_what_is_asked"})).citations
    right = "Putin said Western strategic bombers were flying within 20 km of Russia's borders [1]."
    assert attribute(right, [KREMLIN], question=question).citations


def test_a_when_answer_must_give_a_time():
    question = "When did Patrushev and Sullivan discuss cybersecurity by phone?"
    vague = "Patrushev and Sullivan discussed cybersecurity, Ukraine and the migrant crisis in a phone call [1]."
    dated = "Patrushev and Sullivan discussed cybersecurity in a phone call on Wednesday [1]."
    assert is_answer_not_in_passages(attribute(vague, [KREMLIN], question=question).reasons[0])
    assert attribute(dated, [KREMLIN], question=question).citations


def test_the_pipeline_abstains_with_the_answer_not_in_passages_reason(tmp_path):
    from index import CorpusIndex
    from rag import Assistant, Settings
    from fakes import HashEmbedder, ScriptedGenerator

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "seed.txt").write_text(SEED)
    settings = Settings(index_dir=tmp_path / "index")
    index = CorpusIndex.open(settings.index_dir, HashEmbedder(), create=True)
    index.index_paths([folder])
    question = "How close to Russia's borders did Putin say Western strategic bombers were flying?"
    vague = "Putin complained that Western strategic bombers were flying close to Russia's borders [1]."
    answer = Assistant(settings, index=index, generator=ScriptedGenerator(vague)).ask(question)
    assert answer.abstained and NOT_IN_PASSAGES in answer.text
    assert is_answer_not_in_passages(answer.left_out[0].reason) and answer.outcome == "answer_not_in_passages"


def test_a_claim_may_name_the_cited_passages_title_source_and_date():
    """Item 2: the passage's title, source and date need no support of their own when the claim names them."""
    dated = Passage(chunk_id="k-1", doc_id="k", title=KREMLIN.title, date="2021-11-18", url=None, path="",
                    source="bdnews24.com", text=KREMLIN.text, start=KREMLIN.start, end=KREMLIN.end, score=1.0)
    question = "Who is the Kremlin spokesman quoted in the coverage?"
    for draft in ["The bdnews24 report of November 18, 2021 quotes Kremlin spokesman Dmitry Peskov [1].",
                  "In \"Putin says West taking Russias red lines too lightly\", the Kremlin spokesman is Dmitry Peskov [1]."]:
        result = attribute(draft, [dated, COVERAGE], question=question, publications=("bdnews24.com", "s.example"))
        assert result.citations and result.unsupported == (), (draft, result.reasons)


def test_a_follow_up_asks_what_it_asks_not_what_it_follows():
    """The standalone form of a follow-up appends the question it follows ("(following: How much ...)"):
    "Who is its head librarian?" still asks for a name, not a figure (found by the real-browser test)."""
    from rag.conversation import context_fallback

    question = context_fallback("Who is its head librarian?", "How much did the library renovation cost?")
    assert asked_kind(question) == "name"
    assert not_answered(question, ["The head librarian is Ruth Okonkwo [1]."]) is None
    assert asked_kind("How much did the library renovation cost?") == "figure"


# ---- figure_of_the_asked_kind ----------------------------------------------------------------------
def test_the_figure_must_be_of_the_kind_asked():
    assert asked_kind("What salary does Brightwater Analytics pay its data engineers?", refine=True) == "money"
    assert asked_kind("How much does a ferry ticket to Merrow Island cost?", refine=True) == "money"
    assert asked_kind("By how much was the 2026 cod quota cut?", refine=True) == "figure"  # a change, not a price
    assert asked_kind("How many books were borrowed from the library?", refine=True) == "count"
    assert asked_kind("How much will the bridge cost and when does it open?", refine=True) == "figure"  # two asks
    assert asked_kind("What salary does Brightwater Analytics pay its data engineers?") == "figure"  # unrefined
    money = ("money", "count")
    salary = "What salary does Brightwater Analytics pay its data engineers?"
    assert not_answered(salary, ["Brightwater Analytics promised 85 jobs in Port Alder [1]."], money, refine=True)
    assert not_answered(salary, ["Data engineers earn 52,000 pounds a year [1]."], money, refine=True) is None
    assert not_answered("How much does Daewoo plan to spend on imports?", ["It will spend 200 mln dlrs [1]."], money,
                        refine=True) is None
    books = "How many books were borrowed from the Port Alder Public Library in its first month after reopening?"
    reason = not_answered(books, ["1,150 visitors came through the doors on the first day [1]."], money, refine=True)
    assert reason and is_answer_not_in_passages(reason) and "a count of books" in reason
    assert not_answered(books, ["Readers borrowed 9,400 books in October [1]."], money, refine=True) is None
    assert not_answered(books, ["1,150 visitors came on the first day, in October 2025 [1]."], money, refine=True)
    # a figure that counts nothing else, a spelled-out count, and "people" counted as anyone
    killed = "How many workers were injured in the fighting?"
    assert not_answered(killed, ["Seven workers were injured [1]."], money, refine=True) is None
    assert not_answered(killed, ["12 were injured in the fighting [1]."], money, refine=True) is None
    assert not_answered("How many people were killed?", ["12 civilians were killed [1]."], money, refine=True) is None
    # an amount of money counts nothing, even beside the counted word (a Reuters dev draft's shape)
    cars = "How many cars a year will the Tarrow plant build after its overhaul?"
    assert not_answered(cars, ["The plant will build 12.5 billion dollars worth of cars a year [1]."], money, refine=True)
    assert not_answered(cars, ["The plant will build $2 million of cars a year [1]."], money, refine=True)
    assert not_answered(cars, ["The plant will build 240,000 cars a year [1]."], money, refine=True) is None


def test_a_figure_of_another_kind_is_withdrawn_by_attribute():
    """Sample question q24 (unanswerable): the draft gave the promised jobs as the salary."""
    text = ("Software company Brightwater Analytics opened an office on Quay Street on Tuesday, promising 85 jobs in "
            "Port Alder over the next three years.")
    passage = Passage(chunk_id="b-0", doc_id="b", title="Brightwater Analytics opens Port Alder office", date=None,
                      url=None, path="", source=None, text=text, start=0, end=len(text), score=1.0)
    question = "What salary does Brightwater Analytics pay its data engineers?"
    draft = "Brightwater Analytics pays its data engineers 85 jobs in Port Alder over the next three years [1]."
    # the draft's words are all in the passage: only the kind of its figure is wrong
    before = attribute(draft, [passage], question=question, disabled_rules=frozenset({"figure_of_the_asked_kind"}))
    assert before.citations, "without the rule the draft was kept: the test no longer tests the rule"
    result = attribute(draft, [passage], question=question)
    assert result.citations == ()
    assert result.checks[0].rule == "figure_of_the_asked_kind" and "amount of money" in result.checks[0].reason
