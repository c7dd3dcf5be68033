"""The relation rules inside one passage sentence (rag/verification/attachment.py, #22 item 1):
which name a figure belongs to, which name holds the asked role, negation, who said it; alone and
inside attribute()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.text import stemmed_terms
from rag.types import Passage
from rag.verification import VerifierSettings, attribute
from rag.verification.attachment import (answer_held_by_another, figure_held_by_another, figure_of_another_item,
                                         name_held_by_another, name_runs, names_swapped, negation_denied, segments,
                                         unnamed_speakers)

PAIRS = json.loads((Path(__file__).parent / "data" / "entailment_pairs.json").read_text(encoding="utf-8"))["pairs"]
HALVORSEN = ("Halvorsen Group reported revenue of 4.2 billion dollars for the quarter, of which its shipping subsidiary "
             "Nordlane contributed 1.1 billion dollars.")
VOTE = "In the district vote, the Green List won 14 seats, the Civic Alliance 9 and Labour 6."
BRIGHTMOOR = ("Brightmoor Energy said its parent company, Castell Holdings, would invest 300 million euros in the plant, "
              "while Brightmoor itself would spend 45 million euros on training.")
KREMLIN = ("Kremlin spokesman Dmitry Peskov said the talks would continue next week, after Foreign Minister Sergei Lavrov "
           "met his Turkish counterpart.")
RAMAN = "Priya Raman, the new chief executive of Solvik Foods, spoke at the conference alongside Henrik Dahl of Marlow Bank."
PUFFINS = "The survey counted 412 nesting pairs of puffins on Skerry Island, 97 pairs of razorbills and 58 pairs of guillemots."
VESTRA = "Vestra Motors sued its former supplier Kiln Batteries over a breach of contract."


def _terms(text: str) -> frozenset[str]:
    return frozenset(stemmed_terms(text))


def _passage(text: str, doc: str = "d") -> Passage:
    return Passage(chunk_id=f"{doc}-0", doc_id=doc, title="News", date=None, url=None, path="", source=None,
                   text=text, start=0, end=len(text), score=1.0)


def test_segments_are_the_clauses_and_list_items():
    assert [VOTE[s:e] for s, e in segments(VOTE)] == ["In the district vote", "the Green List won 14 seats",
                                                      "the Civic Alliance 9", "Labour 6."]
    assert [VOTE[s:e] for s, e, _ in name_runs(VOTE)] == ["Green List", "Civic Alliance", "Labour"]
    # dates and titles are no names; a lone opening word is none either
    assert [t for _, _, t in name_runs("On Thursday Mr Okafor left. Officials said so.")] == [_terms("Okafor")]


# ---- figure_with_its_name --------------------------------------------------------------------------
@pytest.mark.parametrize("claim, sentence, wrong", [
    ("Halvorsen Group reported quarterly revenue of 1.1 billion dollars.", HALVORSEN, "1.1"),
    ("Nordlane contributed 4.2 billion dollars in revenue.", HALVORSEN, "4.2"),
    ("Brightmoor Energy will invest 300 million euros in the plant.", BRIGHTMOOR, "300"),
    ("The Civic Alliance won 14 seats in the district vote.", VOTE, "14"),
    ("Marta Ilves managed Port Calder Athletic for three seasons.",
     "Coach Marta Ilves left Eastfield United in 2019 and then managed Wexham Rovers for three seasons before she was "
     "appointed at Port Calder Athletic.", "3"),
])
def test_a_figure_moved_to_another_name_is_caught(claim, sentence, wrong):
    assert figure_held_by_another(claim, sentence) == wrong


@pytest.mark.parametrize("claim, sentence", [
    ("Halvorsen Group reported quarterly revenue of 4.2 billion dollars.", HALVORSEN),
    ("Nordlane contributed 1.1 billion dollars.", HALVORSEN),
    ("Castell Holdings will invest 300 million euros in the plant.", BRIGHTMOOR),
    ("Labour took 6 seats in the district vote.", VOTE),
    # the speaker's own words hold what the speaker talks about (the shape of a Reuters dev answer withdrawn
    # before this case; names invented here)
    ("Hanbit Motor plans to spend 200 million dollars on imports of U.S. goods in 1987.",
     "WASHINGTON, Feb 26 - Hanbit Motor Corp, the Korea-based joint venture between Hanbit Group and Ardent Motors "
     "Corp <ARD>, said it will boost its 1987 imports of U.S. goods to 200 mln dlrs from 104 mln dlrs in 1986."),
    # a dateline's day is a date, not a figure the city holds
    ("Raymond Okafor was removed as Lumitron's vice president of finance on March 2, 1987.",
     "SUNNYVALE, Calif., March 2 - Lumitron Inc said Raymond Okafor, vice president of finance, has been removed."),
    # a speaker named in the claim does not make the figure theirs or another's
    ("Tim Cook said revenue was 90 billion dollars.", "Tim Cook said Apple's revenue rose to 90 billion dollars."),
])
def test_a_figure_with_its_own_name_stands(claim, sentence):
    assert figure_held_by_another(claim, sentence) is None


# ---- figure_with_its_item --------------------------------------------------------------------------
@pytest.mark.parametrize("claim, sentence, wrong", [
    ("The survey counted 97 nesting pairs of puffins on Skerry Island.", PUFFINS, "97"),
    ("There were 58 pairs of razorbills on Skerry Island.", PUFFINS, "58"),
    ("Halvorsen Group reported quarterly revenue of 1.1 billion dollars.", HALVORSEN, "1.1"),
    ("The survey counted 412 nesting pairs of puffins on Skerry Island.", PUFFINS, None),
    ("There were 97 pairs of razorbills.", PUFFINS, None),
    ("Labour took 6 seats in the district vote.", VOTE, None),  # an elliptical item is the claim's own
    # the shapes of MultiHop dev answers the rule's first version rejected (entities invented here): a figure
    # beside a date, beside another figure counting something else, or beside "number one"
    ("Norvik spent $12.4 billion in 2021 on default placement.",
     "When Norvik's search chief Ada Mensah testified in court on October 28, she revealed that the company "
     "had paid $12.4 billion in 2021 on default placement, phones and platforms.", None),
    ("Calloway experienced a 4 percent stock drop after the trade regulator and 17 state prosecutors filed "
     "a lawsuit against it.", "Calloway tumbled 4 per cent after the trade regulator and 17 state "
     "prosecutors filed a lawsuit against it.", None),
    ("Dario's ranking slip to 11th was reported on November 30, 2023.", "Ranked number one in the division by the "
     "boxing council until this year, Dario is now 11th in line for a shot at the title.", None),
])
def test_a_figure_moved_to_the_neighbouring_item(claim, sentence, wrong):
    assert figure_of_another_item(claim, sentence) == wrong


def test_a_count_moved_between_unnamed_items_is_left_out_by_attribute():
    wrong = "The survey counted 97 nesting pairs of puffins on Skerry Island [1]."
    assert attribute(wrong, [_passage(PUFFINS)]).citations == ()
    assert attribute("The survey counted 412 nesting pairs of puffins on Skerry Island [1].", [_passage(PUFFINS)]).citations
    assert attribute(wrong, [_passage(PUFFINS)], disabled_rules=frozenset({"figure_with_its_item"})).citations, \
        "without the rule the moved count was kept: the test no longer tests the rule"


# ---- name_with_its_name ----------------------------------------------------------------------------
@pytest.mark.parametrize("claim, wrong", [
    ("Henrik Dahl is the chief executive of Solvik Foods.", "Solvik Foods"),  # the apposition is Priya Raman's
    ("Priya Raman worked for Marlow Bank before joining Solvik Foods.", "Marlow Bank"),  # "Henrik Dahl of Marlow Bank"
    ("Priya Raman is the chief executive of Solvik Foods.", None),
    ("Henrik Dahl of Marlow Bank spoke at the conference with Priya Raman.", None),  # no apposition: nobody else's
])
def test_a_name_belongs_to_the_name_it_stands_with(claim, wrong):
    assert name_held_by_another(claim, RAMAN) == wrong


def test_an_of_inside_a_name_gives_the_name_to_nobody():
    """The shape of Reuters test r24 (found on the held-out half, docs/decisions/2026-12-06-relations-second-round.md;
    names invented here): the "of" of "Federal Bureau of Investigation" is the bureau's own, not "X of Mara Linden"."""
    sentence = ("WASHINGTON, March 3 - President Alvarez nominated Federal Bureau of Investigation Director Mara "
                "Linden to be director of the Central Intelligence Agency (CIA), in succession to ailing Tom Reyes.")
    assert name_held_by_another("President Alvarez nominated Mara Linden to head the CIA.", sentence) is None


def test_a_qualifying_name_beside_a_name_decides_nothing():
    sentence = "Google's CEO Sundar Pichai, speaking at the event with Microsoft's Satya Nadella, said AI would change search."
    assert name_held_by_another("Sundar Pichai spoke at the event with Satya Nadella.", sentence) is None


def test_an_invented_relation_between_two_names_of_one_passage_is_left_out_by_attribute():
    """#22: "X worked for Y before joining Z", supported only because X and Y appear in the same passage."""
    wrong = "Priya Raman worked for Marlow Bank before joining Solvik Foods [1]."
    assert attribute(wrong, [_passage(RAMAN)]).citations == ()
    assert attribute("Priya Raman is the chief executive of Solvik Foods [1].", [_passage(RAMAN)]).citations
    assert attribute(wrong, [_passage(RAMAN)], disabled_rules=frozenset({"name_with_its_name"})).citations, \
        "without the rule the invented relation was kept: the test no longer tests the rule"


# ---- names_in_their_order --------------------------------------------------------------------------
@pytest.mark.parametrize("claim, swapped", [
    ("Kiln Batteries sued its former supplier Vestra Motors over a breach of contract.", True),
    ("Kiln Batteries was sued by Vestra Motors over a breach of contract.", False),  # a passive reads both ways
    ("Vestra Motors sued Kiln Batteries.", False),
])
def test_who_did_it_to_whom(claim, swapped):
    assert bool(names_swapped(claim, VESTRA)) is swapped


def test_a_symmetric_relation_has_no_order():
    assert names_swapped("Port Calder Athletic drew with Wexham Rovers.", "Wexham Rovers drew with Port Calder Athletic.") is None


def test_names_swapped_around_the_verb_are_left_out_by_attribute():
    wrong = "Kiln Batteries sued its former supplier Vestra Motors over a breach of contract [1]."
    assert attribute(wrong, [_passage(VESTRA)]).citations == ()
    assert attribute("Kiln Batteries was sued by Vestra Motors over a breach of contract [1].", [_passage(VESTRA)]).citations
    assert attribute(wrong, [_passage(VESTRA)], disabled_rules=frozenset({"names_in_their_order"})).citations, \
        "without the rule the swapped names were kept: the test no longer tests the rule"


# ---- name_with_its_role ----------------------------------------------------------------------------
def test_the_role_belongs_to_the_name_of_its_clause():
    spokesman, chief = _terms("Kremlin spokesman"), _terms("chief executive Solvik Foods")
    assert answer_held_by_another(_terms("Sergei Lavrov"), spokesman, KREMLIN) == "Dmitry Peskov"
    assert answer_held_by_another(_terms("Dmitry Peskov"), spokesman, KREMLIN) is None
    assert answer_held_by_another(_terms("Henrik Dahl"), chief, RAMAN) == "Priya Raman"
    assert answer_held_by_another(_terms("Priya Raman"), chief, RAMAN) is None
    # a relative clause after the answer's own clause is the answer's ("former CEO" is a title, no name)
    testimony = ("The key testimony came from Brackwater Capital's former CEO Lena Ostrova, who said she moved "
                 "$9 billion of client deposits to pay off creditors.")
    assert answer_held_by_another(_terms("Lena Ostrova"), _terms("moved billion client deposits pay creditors"),
                                  testimony) is None
    # an apposition and a place between the answer and its predicate only describe the answer (the shape of
    # RGB en_fact 79, names invented here)
    teacher = ("Ines Calder, a preschool teacher in Winfield, Kan., has been named the 2020 National Teacher of "
               "the Year.")
    assert answer_held_by_another(_terms("Ines Calder"), _terms("named 2020 National Teacher Year"), teacher) is None


def test_a_wrong_name_for_the_asked_role_is_left_out_by_attribute():
    question = "Who is the Kremlin spokesman quoted in the coverage?"
    wrong = attribute("The Kremlin spokesman quoted in the coverage is Sergei Lavrov [1].", [_passage(KREMLIN)],
                      question=question)
    assert wrong.citations == ()
    right = attribute("The Kremlin spokesman quoted in the coverage is Dmitry Peskov [1].", [_passage(KREMLIN)],
                      question=question)
    assert right.citations and "Dmitry Peskov" in right.citations[0].quote
    before = attribute("The Kremlin spokesman quoted in the coverage is Sergei Lavrov [1].", [_passage(KREMLIN)],
                       question=question, disabled_rules=frozenset({"name_with_its_role"}))
    assert before.citations, "without the rule the wrong name was kept: the test no longer tests the rule"


# ---- negation_agrees -------------------------------------------------------------------------------
@pytest.mark.parametrize("claim, sentence, denied", [
    ("The regulator did not approve the merger.", "The regulator approved the merger on Thursday.", True),
    ("The new clinic will open before March.", "Health minister Irena Sobczak said the new clinic will not open before March.",
     True),
    ("The airline has paid a dividend since it was listed in 2011.",
     "The airline has never paid a dividend since it was listed in 2011.", True),
    ("The regulator approved the merger.", "The regulator, which did not comment on timing, approved the merger.", False),
    ("It released a lite version of the model.", "But it did not release the full model, Lumen Max, only a lite "
     "version.", False),
    ("Meta is not only facing scrutiny but also a fine.", "Meta is facing scrutiny and a fine.", False),
    ("The prosecution said he committed fraud.",
     "The prosecution said he committed fraud, while the defence said he never meant to commit fraud.", False),
])
def test_negation(claim, sentence, denied):
    assert negation_denied(claim, sentence, VerifierSettings().negation_scope) is denied


# ---- speaker_named ---------------------------------------------------------------------------------
def test_words_given_to_someone_the_passage_never_names():
    peskov = '"This was all in the framework of preparation," Kremlin spokesman Dmitry Peskov said.'
    assert unnamed_speakers("Anna Kowalczyk said this was all preparation.", peskov) == ["Anna Kowalczyk"]
    assert unnamed_speakers("According to Anna Kowalczyk, this was all preparation.", peskov) == ["Anna Kowalczyk"]
    assert unnamed_speakers("Peskov said this was all preparation.", peskov) == []
    # a publication is checked by the publications rule; "Life and Style" is no person
    assert unnamed_speakers("According to The Verge, sales rose.", "Sales rose.", ["theverge.com"]) == []
    assert unnamed_speakers("The Independent - Life and Style stated that stores open.", "Stores open.") == []


def test_the_question_naming_the_speaker_does_not_make_them_the_speaker():
    """#22: "a question naming a person whom the article never mentions was answered with the Kremlin's
    statement attributed to that person". With the default settings (``check_question_names`` off)."""
    passage = _passage('"This was all in the framework of preparation for high-level contact," Kremlin spokesman '
                       'Dmitry Peskov said.')
    question = "What did Anna Kowalczyk say about the preparation for high-level contact?"
    result = attribute("Anna Kowalczyk said this was all in the framework of preparation for high-level contact [1].",
                       [passage], question=question)
    assert result.citations == ()
    kept = attribute("Dmitry Peskov said this was all in the framework of preparation for high-level contact [1].",
                     [passage], question=question)
    assert kept.citations
    before = attribute("Anna Kowalczyk said this was all in the framework of preparation for high-level contact [1].",
                       [passage], question=question, disabled_rules=frozenset({"speaker_named"}))
    assert before.citations, "without the rule the invented speaker was kept: the test no longer tests the rule"


def test_a_negated_claim_against_a_plain_passage_is_left_out_by_attribute():
    passage = _passage("The regulator approved the merger of Tellan Mobile and Ostra Networks on Thursday.")
    assert attribute("The regulator did not approve the merger [1].", [passage]).citations == ()
    assert attribute("The regulator approved the merger [1].", [passage]).citations
    assert attribute("The regulator did not approve the merger [1].", [passage],
                     disabled_rules=frozenset({"negation_agrees"})).citations


def test_a_subsidiary_figure_given_to_the_parent_is_left_out_by_attribute():
    passage = _passage(HALVORSEN)
    question = "What revenue did Halvorsen Group report for the quarter?"
    wrong = "Halvorsen Group reported revenue of 1.1 billion dollars for the quarter [1]."
    assert attribute(wrong, [passage], question=question).citations == ()
    assert attribute("Halvorsen Group reported revenue of 4.2 billion dollars for the quarter [1].", [passage],
                     question=question).citations
    # figure_with_its_item reads the same move as one between the two figures' list items
    assert attribute(wrong, [passage], question=question,
                     disabled_rules=frozenset({"figure_with_its_name", "figure_with_its_item"})).citations


# ---- the hand-written pairs through the whole verifier ---------------------------------------------
def test_the_hand_written_pairs_through_the_verifier():
    """Each hand-written pair (tests/data/entailment_pairs.json) as a one-sentence answer against its
    premise, no question: measured 25/40 right before the rules of 2026-12-06, 33/40 with the first
    four, 38/40 with figure_with_its_item, name_with_its_name and names_in_their_order, and no right
    claim lost. The floor fails on a regression; the right claims must all stay."""
    right, lost = 0, []
    for pair in PAIRS:
        kept = bool(attribute(pair["hypothesis"] + " [1]", [_passage(pair["premise"])]).citations)
        right += kept == (pair["label"] == 1)
        if pair["label"] == 1 and not kept:
            lost.append(pair["hypothesis"])
    assert lost == []
    assert right >= 38


# ---- bare answers and the prompt's own words -------------------------------------------------------
def test_a_bare_value_is_checked_against_the_question():
    """"3-1" repeats no word of the question: the sentence supporting it must be about the match asked."""
    question = "What was the score of Port Alder Rovers' county cup semi-final against Eastwick Town?"
    other_match = _passage("Port Alder Rovers beat Kelby Athletic 3-1 in the league on Saturday.")
    the_match = _passage("Port Alder Rovers beat Eastwick Town 3-1 in the county cup semi-final.")
    assert attribute("3-1 [1]", [other_match], question=question).citations == ()
    assert attribute("3-1 [1]", [the_match], question=question).citations
    assert attribute("3-1 [1]", [other_match], question=question,
                     disabled_rules=frozenset({"bare_answer_reads_the_question"})).citations


def test_words_about_the_prompt_are_not_part_of_the_claim():
    from rag.verification.claims import claim_body

    assert claim_body("52.4% from passage [1]") == "52.4%"
    assert claim_body("52.4% (passage 1).") == "52.4%."
    # a sentence keeps it (see claim_body: a heading sharing its words must not support it alone)
    assert claim_body("The notice says the project was cancelled, according to the passage.").endswith("the passage.")
    assert claim_body("He moved from Passage Street.") == "He moved from Passage Street."
    question = "What share of the vote did Daniel Osei win in the mayoral election?"
    passage = Passage(chunk_id="o-0", doc_id="o", title="Former harbourmaster Daniel Osei elected mayor", date=None,
                      url=None, path="", source=None, score=1.0, start=0, end=97,
                      text="Osei, standing for the Harbour First group, won 52.4 percent of the vote against 41.8 percent.")
    kept = attribute("52.4% from passage [1]", [passage], question=question)
    assert kept.citations and "52.4 percent" in kept.citations[0].quote


# ---- the trace names the relation rule ---------------------------------------------------------------
@pytest.mark.parametrize("claim, premise, rule, reason", [
    ("The survey counted 97 nesting pairs of puffins on Skerry Island [1].", PUFFINS, "figure_with_its_item",
     "gives that figure to another item of its list"),
    ("Priya Raman worked for Marlow Bank before joining Solvik Foods [1].", RAMAN, "name_with_its_name",
     "joins that name to another name"),
    ("Kiln Batteries sued its former supplier Vestra Motors over a breach of contract [1].", VESTRA,
     "names_in_their_order", "states the names the other way round"),
    ("Halvorsen Group reported quarterly revenue of 1.1 billion dollars [1].", HALVORSEN, "figure_with_its_name",
     "gives that figure to another name"),
])
def test_a_sentence_left_out_by_a_relation_rule_says_which_and_quotes_the_sentence(claim, premise, rule, reason):
    """#22 item 5: "why left out" names the rule that rejected the sentence that would have supported the
    claim, quotes that sentence, and gives the word overlap the rule overrode."""
    check = attribute(claim, [_passage(premise)]).checks[0]
    assert (check.verdict, check.rule) == ("left out", rule)
    assert check.reason == f"the closest passage sentence {reason}"
    assert check.citations[0].quote == premise and check.scores["overlap"] > 0.5 and check.scores["lexical"] == 0.0
    plain = attribute("The bridge was designed by elves [1].", [_passage(premise)]).checks[0]
    assert (plain.rule, plain.reason) == ("unsupported", "no passage says this")

