"""The citation verifier on hand-written cases (lexical scoring only: no model needed)."""

from __future__ import annotations

from dataclasses import replace

from rag.verification import attribute, claim_support, split_claims
from rag.types import Passage
from fakes import ScriptedGenerator

DOC_A = "Header\n20250101\nhttps://a.example/x\nThe bridge will cost 48.5 million pounds. It opens in June 2027.\n"
DOC_B = "Header\n20250201\nhttps://b.example/y\nStorm damage was put at 6 million pounds by the insurer.\n"


def _passage(doc: str, chunk_id: str, title: str) -> Passage:
    start = doc.index("\n", doc.index("https")) + 1
    text = doc[start:].rstrip("\n")
    return Passage(chunk_id=chunk_id, doc_id=chunk_id.split("-")[0], title=title, date=None, url=None, path="",
                   source=None, text=text, start=start, end=start + len(text), score=1.0)


A = _passage(DOC_A, "a-0", "Bridge")
B = _passage(DOC_B, "b-0", "Storm")


def test_supported_claim_keeps_marker_and_quotes_exact_sentence():
    result = attribute("The bridge will cost 48.5 million pounds [1].", [A, B], question="How much will the bridge cost?")
    assert result.unsupported == ()
    (c,) = result.citations
    assert c.quote == "The bridge will cost 48.5 million pounds."
    assert DOC_A[c.start:c.end] == c.quote
    assert result.text == "The bridge will cost 48.5 million pounds [1]."


def test_wrong_marker_is_corrected():
    result = attribute("Storm damage was 6 million pounds [1].", [A, B], question="What was the storm damage?")
    (c,) = result.citations
    assert c.chunk_id == "b-0" and result.text.endswith("[1].")


def test_marker_to_missing_passage_is_replaced_or_dropped():
    result = attribute("It opens in June 2027 [7].", [A, B], question="When does it open?")
    assert [c.chunk_id for c in result.citations] == ["a-0"]


def test_number_mismatch_is_unsupported():
    assert claim_support("The bridge will cost 60 million pounds.", A.text) < claim_support("The bridge will cost 48.5 million pounds.", A.text)
    result = attribute("The bridge will cost 60 million pounds [1].", [A, B], question="How much will the bridge cost?")
    assert result.citations == () and result.unsupported == ("The bridge will cost 60 million pounds.",)
    assert result.reasons == ("no passage gives 60",)


def test_invented_detail_repeating_question_words_is_unsupported():
    result = attribute("The bridge will be painted white [1].", [A, B], question="What colour will the bridge be painted?")
    assert result.citations == () and result.reasons == ("no passage says this",)


def test_uncited_supported_claim_gets_a_citation():
    result = attribute("It opens in June 2027.", [A, B], question="When does the bridge open?")
    assert [c.quote for c in result.citations] == ["It opens in June 2027."]


def test_claim_splitting_handles_glued_sentences_and_repeats():
    claims = split_claims("It opens in June 2027.It opens in June 2027. [1] Costs rose [2].")
    # the repeated sentence is dropped; its leading "[1]" belongs to the sentence before it
    assert claims == [("It opens in June 2027.", [1]), ("Costs rose.", [2])]


STORM_A = "Storm Brenna caused an estimated 4.2 million pounds of damage in Port Alder, according to the town council."
STORM_B = "Storm Brenna caused around 6 million pounds of damage in Port Alder, according to the insurer."
UNRELATED = "The library renovation cost 6.2 million pounds and took 18 months."


def _plain_passage(text, chunk_id):
    return Passage(chunk_id=chunk_id, doc_id=chunk_id, title=chunk_id, date=None, url=None, path="", source=None,
                   text=text, start=0, end=len(text), score=1.0)


def test_conflicting_sources_are_both_cited():
    from rag.conflicts import describe, find_conflicts

    passages = [_plain_passage(STORM_A, "a"), _plain_passage(STORM_B, "b"), _plain_passage(UNRELATED, "c")]
    result = attribute("Storm Brenna caused 4.2 million pounds of damage [1].", passages, question="How much damage did the storm cause?")
    conflicts = find_conflicts(list(result.citations), passages)
    assert [(c.cited.chunk_id, c.other.chunk_id) for c in conflicts] == [("a", "b")]
    note, citations = describe(conflicts, list(result.citations), "The sources disagree:")
    assert note == "The sources disagree: 4.2 million pounds [1] versus 6 million pounds [2]."
    assert [c.chunk_id for c in citations] == ["a", "b"]


def test_same_numbers_or_other_topics_are_not_conflicts():
    from rag.conflicts import find_conflicts

    agreeing = _plain_passage(STORM_A.replace("the town council", "a second outlet"), "d")
    passages = [_plain_passage(STORM_A, "a"), agreeing, _plain_passage(UNRELATED, "c")]
    result = attribute("Storm Brenna caused 4.2 million pounds of damage [1].", passages, question="How much damage?")
    assert find_conflicts(list(result.citations), passages) == []


def test_different_quantities_of_different_things_are_not_conflicts():
    from rag.conflicts import find_conflicts

    council = _plain_passage("The council's budget for the 2025-26 financial year is 92 million pounds, of which 38 percent goes to social care.", "f")
    bridge = _plain_passage("The project has a budget of 48.5 million pounds.", "g")
    result = attribute("The council's budget is 92 million pounds [1].", [council, bridge], question="What is the council's budget?")
    assert result.citations and find_conflicts(list(result.citations), [council, bridge]) == []


def test_hyphenated_numbers_and_plural_units_match():
    bridge = _plain_passage("Its lead engineer said the new crossing will be a 320-metre cable-stayed bridge.", "h")
    result = attribute("The new bridge will be 320 metres long [1].", [bridge], question="How long will the new cable-stayed bridge be?")
    assert [c.chunk_id for c in result.citations] == ["h"]
    # The model may spell the unit the American way.
    result = attribute("It will be a 320-meter bridge [1].", [bridge], question="How long will the new cable-stayed bridge be?")
    assert [c.chunk_id for c in result.citations] == ["h"] and not result.unsupported


def test_year_from_the_question_need_not_be_repeated_by_the_passage():
    """Articles date events by their headline date ("on 14 November"); the question's year is context."""
    doc = "Storm Brenna\n20251120\nhttps://c.example/s\nStorm Brenna brought down trees across Port Alder on 14 November.\n"
    passages = [_passage(doc, "c-0", "Storm Brenna")]
    question = "Which storm hit the town in November 2025?"
    result = attribute("Storm Brenna hit the town in November 2025 [1].", passages, question=question)
    assert result.citations and not result.unsupported
    # A year the question did not give is still a claim the passage must make.
    result = attribute("Storm Brenna hit the town in November 2024 [1].", passages, question=question)
    assert not result.citations and result.unsupported


COUNCIL_VOTE = "The Port Alder council approved the bridge budget by nine votes to two on Tuesday."
PAPER_VOTE = "The Alder Courier reported that the bridge budget passed after a two-hour debate."
QUESTION_VOTE = "Did the Port Alder council approve the bridge budget?"


def test_verdict_answer_cites_the_facts_it_rests_on():
    passages = [_plain_passage(COUNCIL_VOTE, "v"), _plain_passage(PAPER_VOTE, "w")]
    result = attribute("Yes. The council approved the bridge budget by nine votes to two [1].", passages,
                       question=QUESTION_VOTE)
    assert not result.unsupported
    assert result.text == "Yes [1]. The council approved the bridge budget by nine votes to two [1]."
    assert [c.chunk_id for c in result.citations] == ["v"]


def test_a_verdict_rests_on_the_facts_that_bear_on_the_question_not_a_side_fact():
    passages = [_plain_passage(COUNCIL_VOTE, "v"), _plain_passage(UNRELATED, "c")]
    answer = ("Yes.\nThe council approved the bridge budget by nine votes to two [1].\n"
              "The library renovation cost 6.2 million pounds [2].")
    result = attribute(answer, passages, question=QUESTION_VOTE)
    assert not result.unsupported
    # Both facts keep their citations; the verdict cites the vote only.
    assert result.text.splitlines() == ["Yes [1].", "The council approved the bridge budget by nine votes to two [1].",
                                        "The library renovation cost 6.2 million pounds [2]."]


def test_verdict_restating_the_question_needs_a_passage_that_says_it():
    said = attribute("Yes, the council approved the bridge budget.", [_plain_passage(COUNCIL_VOTE, "v")], question=QUESTION_VOTE)
    assert not said.unsupported and [c.chunk_id for c in said.citations] == ["v"]
    silent = attribute("Yes, the council approved the bridge budget.", [_plain_passage(UNRELATED, "c")], question=QUESTION_VOTE)
    assert silent.unsupported == ("Yes, the council approved the bridge budget.",)


def test_verdict_alone_or_with_an_invented_fact_is_unsupported():
    passages = [_plain_passage(COUNCIL_VOTE, "v"), _plain_passage(PAPER_VOTE, "w")]
    bare = attribute("Yes.", passages, question=QUESTION_VOTE)
    assert bare.unsupported == ("Yes.",) and bare.reasons == ("a conclusion with no supported fact in the answer to rest on",)
    result = attribute("Yes. The council approved the budget unanimously after a public inquiry [1].", passages,
                       question=QUESTION_VOTE)
    assert result.citations == () and len(result.unsupported) == 2


def test_restating_an_open_question_is_not_a_verdict():
    # Only yes/no questions have conclusions: after "Which ...?" a restatement is a claim to check.
    passages = [_plain_passage(PAPER_VOTE, "w")]
    answer = "The council approved the bridge budget. The Alder Courier reported a two-hour debate."
    result = attribute(answer, passages, question="Which council approved the bridge budget?")
    assert result.unsupported == ("The council approved the bridge budget.",)
    result = attribute(answer, passages, question="Did the council approve the bridge budget?")
    assert not result.unsupported and result.text.startswith("The council approved the bridge budget [1].")


def test_claim_joining_two_sources_cites_both():
    passages = [_plain_passage(COUNCIL_VOTE, "v"), _plain_passage(PAPER_VOTE, "w"), _plain_passage(UNRELATED, "c")]
    claim = "The council approved the budget by nine votes to two, while the Alder Courier reported a two-hour debate."
    result = attribute(claim, passages, question="How did the bridge budget pass?")
    assert not result.unsupported
    assert sorted(c.chunk_id for c in result.citations) == ["v", "w"]
    # Either source alone does not carry it.
    assert attribute(claim, passages[:1], question="How did the bridge budget pass?").unsupported


def test_a_sentence_sharing_one_word_and_its_title_is_not_half_of_a_two_source_claim():
    # MultiHop dev: "TechCrunch reports layoffs at Starz, while Engadget ..." cited a TechCrunch sentence about
    # Google that shared "within" with the claim, its site and title supplying the rest.
    strike = _plain_passage("Ferry crews accepted a 5.2 percent rise spread over two years.", "s")
    board = _plain_passage("The harbour board announced 40 layoffs at the port on Friday.", "b")
    letters = replace(_plain_passage("Readers wrote about the port timetable on our letters page.", "l"),
                      title="Harbour board layoffs")
    claim = "Ferry crews accepted a 5.2 percent rise, while the harbour board announced layoffs at the port."
    question = "What happened at the port this week?"
    assert [c.chunk_id for c in attribute(claim, [strike, board], question=question).citations] == ["s", "b"]
    result = attribute(claim, [strike, letters], question=question)
    assert result.citations == () and result.unsupported == (claim,)


def test_who_reported_is_checked_against_the_source():
    courier = Passage(chunk_id="k", doc_id="k", title="Bridge budget passes", date=None, url="https://aldercourier.example/x",
                      path="", source="aldercourier.example", text=PAPER_VOTE.removeprefix("The Alder Courier reported that "),
                      start=0, end=0, score=1.0)
    gazette = Passage(chunk_id="g", doc_id="g", title="Council news", date=None, url="https://gazette.example/y",
                      path="", source="gazette.example", text=UNRELATED, start=0, end=0, score=1.0)
    question = "How did the bridge budget pass?"
    result = attribute("The Courier article reports that the bridge budget passed after a two-hour debate.", [gazette, courier],
                       question=question)
    assert [c.chunk_id for c in result.citations] == ["k"]
    assert claim_support("The Courier reported a two-hour debate.", courier.text, frame="Council news gazette.example") < \
        claim_support("The Courier reported a two-hour debate.", courier.text, frame="Bridge budget passes aldercourier.example")


def test_numbered_list_items_are_claims_with_their_numbers():
    claims = split_claims("The sponsors are:\n1. Kestrel Bank\n2. Moor Shipping")
    assert [c for c, _ in claims] == ["The sponsors are:", "1. Kestrel Bank", "2. Moor Shipping"]
    assert claim_support("1. Kestrel Bank", "Kestrel Bank and Moor Shipping paid for it.") == 1.0


def test_a_number_about_something_else_does_not_support_the_claim():
    """The verifier's relation check: the number is in the passage, but about another subject."""
    strike = Passage(chunk_id="s", doc_id="s", title="Ferry strike ends with pay deal", date=None, url=None, path="",
                     source=None, text=("Ines Navarro said members had backed the deal. Alder Sound Ferries said the "
                                        "stoppage had cost the company an estimated 1.9 million pounds in lost fares."),
                     start=0, end=0, score=1.0)
    question = "How much does a ferry ticket from Port Alder to Merrow Island cost?"
    invented = "A ferry ticket from Port Alder to Merrow Island costs 1.9 million pounds [1]."
    assert attribute(invented, [strike], question=question).citations == ()
    # the rule is what catches it (and the names the question gives, which the strike story lacks: rag.verification.content)
    assert attribute(invented, [strike], question=question, anchor_share=0.0).citations
    # The same number asked about its own subject is supported.
    result = attribute("The stoppage cost Alder Sound Ferries 1.9 million pounds [1].", [strike],
                       question="How much did the stoppage cost Alder Sound Ferries?")
    assert result.citations and not result.unsupported


def test_refusal_is_read_from_the_opening_sentence():
    from rag.pipeline import is_refusal

    assert is_refusal("The documents do not answer this question.")
    assert is_refusal("No\nThe documents do not answer this question.")  # a bare verdict first changes nothing
    assert is_refusal("The provided passages don't say who won.")
    # An answer that says one source is silent on something is still an answer.
    assert not is_refusal("Yes\nThe Verge lists travel adapters [1].\nThe Wired report does not mention these items.")
    assert not is_refusal("No. The Courier article does not discuss the bridge; it covers the ferry strike [2].")
    assert not is_refusal("The bridge is 320 metres long [1].")


def test_the_article_date_supports_a_claim_about_when_it_reported():
    report = Passage(chunk_id="r", doc_id="r", title="Ferry talks collapse", date="2025-09-23", url=None, path="",
                     source="valleypost.example", text="Crews at Alder Sound Ferries began an indefinite strike on Monday.",
                     start=0, end=0, score=1.0)
    question = "When did the Valley Post report the ferry strike?"
    said = attribute("The Valley Post reported on September 23, 2025 that crews began an indefinite strike.", [report],
                     question=question)
    assert said.citations and not said.unsupported
    wrong = attribute("The Valley Post reported on October 23, 2025 that crews began an indefinite strike.", [report],
                      question=question)
    assert wrong.support < said.support


def test_a_copied_report_with_a_swapped_name_is_a_conflict():
    from rag.conflicts import describe, find_conflicts, swapped

    true = _plain_passage("The 2025 Coastal Young Scientists Prize was won by Noor Haddad and Felix Brennan of Alder Bay.", "t")
    planted = _plain_passage("The 2025 Coastal Young Scientists Prize was won by Maria Lopez and Felix Brennan of Alder Bay.", "p")
    other = _plain_passage("The prize was presented at a ceremony in the Town Hall on 28 November.", "o")
    result = attribute("Noor Haddad and Felix Brennan won the 2025 prize [1].", [true, planted, other],
                       question="Who won the 2025 Coastal Young Scientists Prize?")
    conflicts = find_conflicts(list(result.citations), [true, planted, other])
    assert [(c.cited.chunk_id, c.other.chunk_id, c.cited_value, c.other_value) for c in conflicts] == [
        ("t", "p", "Noor Haddad", "Maria Lopez")]
    note, citations = describe(conflicts, list(result.citations), "The sources disagree:")
    assert note == "The sources disagree: Noor Haddad [1] versus Maria Lopez [2]."
    # Both sides cited: still one conflict.
    both = attribute("Noor Haddad and Felix Brennan won the 2025 prize [1]. Maria Lopez and Felix Brennan won it [2].",
                     [true, planted, other], question="Who won the 2025 Coastal Young Scientists Prize?")
    assert len(both.citations) == 2 and len(find_conflicts(list(both.citations), [true, planted, other])) == 1
    # Rewording, or one word changed that is not a name, is not a conflict.
    assert swapped("Mayor Helena Brandt called the vote historic.", "Mayor Helena Brandt called the vote a mistake.") is None
    assert swapped(STORM_A, "Storm Brenna caused an estimated 4.2 million pounds of damage in Port Alder, the council said.") is None


def test_a_swapped_date_is_quoted_whole_in_the_note():
    """Two reports of one release that differ in the day and the year: the words that differ ("21, 2007"
    against "1, 2017") are no value a reader can check, so the note quotes each side's whole date."""
    from rag.conflicts import describe, find_conflicts

    cited = _plain_passage("The Harbour Lights box set was released on December 21, 2007 in Port Alder.", "c")
    other = _plain_passage("The Harbour Lights box set was released on December 1, 2017 in Port Alder.", "o")
    result = attribute("The box set was released on December 21, 2007 [1].", [cited, other],
                       question="When was the Harbour Lights box set released?")
    conflicts = find_conflicts(list(result.citations), [cited, other])
    assert [(c.cited_value, c.other_value) for c in conflicts] == [("21, 2007", "1, 2017")]
    note, _ = describe(conflicts, list(result.citations), "The sources disagree:")
    assert note == "The sources disagree: December 21, 2007 [1] versus December 1, 2017 [2]."
    # only the year differs: still the whole date; a swapped name is quoted as it is
    later = _plain_passage("The Harbour Lights box set was released on December 21, 2017 in Port Alder.", "l")
    conflicts = find_conflicts(list(result.citations), [cited, later])
    assert describe(conflicts, list(result.citations), "X:")[0] == "X: December 21, 2007 [1] versus December 21, 2017 [2]."


def test_two_other_passages_disagreeing_about_the_answers_value_are_a_conflict():
    """The cited sentence has no twin among the passages, but two other results are one sentence with the
    answer's name swapped: the passages disagree about what the answer states (RGB's planted facts look so)."""
    from rag.conflicts import describe, find_conflicts

    cited = _plain_passage("Maria Lopez of Alder Bay received the 2025 Coastal Young Scientists Prize.", "c")
    planted = _plain_passage("The 2025 Coastal Young Scientists Prize was won by Maria Lopez of Alder Bay School.", "p")
    true = _plain_passage("The 2025 Coastal Young Scientists Prize was won by Noor Haddad of Alder Bay School.", "t")
    question = "Who won the 2025 Coastal Young Scientists Prize?"
    result = attribute("Maria Lopez won the 2025 prize [1].", [cited], question=question)
    assert [c.chunk_id for c in result.citations] == ["c"]
    passages = [cited, planted, true]
    assert find_conflicts(list(result.citations), passages) == []  # without the answer's text: only cited sentences
    conflicts = find_conflicts(list(result.citations), passages, answer=result.text)
    assert [(c.cited.chunk_id, c.other.chunk_id, c.cited_value, c.other_value) for c in conflicts] == [
        ("p", "t", "Maria Lopez", "Noor Haddad")]
    note, citations = describe(conflicts, list(result.citations), "The sources disagree:")
    assert note == "The sources disagree: Maria Lopez [2] versus Noor Haddad [3]."
    assert [c.chunk_id for c in citations] == ["c", "p", "t"]
    # An answer that states neither side's value (or both) is not what they disagree about; a value counts as
    # whole words ("1" is not stated by "1999").
    assert find_conflicts(list(result.citations), passages, answer="The prize went to a pupil of Alder Bay [1].") == []
    final_1 = _plain_passage("Alder Bay Rovers won the cup final by 3 goals to 1 in Port Alder on Saturday.", "f1")
    final_2 = _plain_passage("Alder Bay Rovers won the cup final by 3 goals to 2 in Port Alder on Saturday.", "f2")
    assert find_conflicts([], [final_1, final_2], answer="Alder Bay Rovers won the cup in 1999 [3].") == []
    assert len(find_conflicts([], [final_1, final_2], answer="They won by 3 goals to 1 [1].")) == 1


def test_two_sources_cannot_carry_a_number_about_something_else():
    """Joining passages must not get round the relation check: the number's sentence is about the strike."""
    strike = Passage(chunk_id="s", doc_id="s", title="Ferry strike ends with pay deal", date=None, url=None, path="",
                     source=None, text="Alder Sound Ferries said the stoppage had cost the company an estimated 1.9 "
                                       "million pounds in lost fares.", start=0, end=0, score=1.0)
    route = Passage(chunk_id="r", doc_id="r", title="Ferry crews walk out", date=None, url=None, path="", source=None,
                    text="About 1,400 passengers use the Merrow Island route from Port Alder on a typical weekday.",
                    start=0, end=0, score=1.0)
    result = attribute("A ferry ticket from Port Alder to Merrow Island costs 1.9 million pounds.", [strike, route],
                       question="How much does a ferry ticket from Port Alder to Merrow Island cost?")
    assert result.citations == () and result.unsupported


def _article(chunk_id: str, title: str, text: str) -> Passage:
    return Passage(chunk_id=chunk_id, doc_id=chunk_id, title=title, date=None, url=None, path="", source=None,
                   text=text, start=0, end=len(text), score=1.0)


def test_a_name_from_a_sentence_about_something_else_does_not_support_the_claim():
    """The relation check for names: "Daniel Osei" is in the passages, but as the mayor, not the manager."""
    mayor = _article("m", "Daniel Osei elected mayor of Port Alder",
                     "Daniel Osei, who served as Port Alder's harbourmaster, was elected mayor on Thursday. "
                     "Turnout was the highest for a Port Alder election since 1998.")
    rovers = _article("r", "Rovers beat Kingsmere to reach cup semi-final",
                      "Port Alder Rovers reached the semi-final with a 3-1 win. "
                      "Manager Callum Reyes said the squad had grown up a lot.")
    question = "Who is the manager of Port Alder Rovers?"
    wrong = "Daniel Osei is the manager of Port Alder Rovers [1]."
    assert attribute(wrong, [mayor, rovers], question=question).citations == ()
    # the rule catches it (and the question's "Rovers", which the mayor's story lacks: rag.verification.content)
    assert attribute(wrong, [mayor, rovers], question=question, name_share=0.0).citations
    right = attribute("Callum Reyes is the manager of Port Alder Rovers [2].", [mayor, rovers], question=question)
    assert right.citations and not right.unsupported and right.citations[0].doc_id == "r"


def test_a_name_next_to_the_subject_in_the_following_sentence_is_supported():
    """The subject may be named in the sentence after the quote ("... Kestrel and Moor. Its lead engineer, X, ...")."""
    bridge = _article("b", "Council approves Alder Harbour Bridge replacement",
                      "The council approved the replacement on Tuesday. The contract has been awarded to Kestrel and "
                      "Moor Engineering. Its lead engineer, Tomasz Wierzbicki, said the crossing will be 320 metres long.")
    result = attribute("Tomasz Wierzbicki works for Kestrel and Moor Engineering [1].", [bridge],
                       question="Which firm does Tomasz Wierzbicki work for?")
    assert result.citations and not result.unsupported


# Three articles on one story, each stating one part of a multi-part question.
_LAUNCH = [
    _article("g", "Glimmerdeck 2 review", "Harbourlight has announced a new Glimmerdeck, and we have already tested it. "
             "The Glimmerdeck 2 goes on sale on 16 March at 9am."),
    _article("p", "What changed in the Glimmerdeck 2",
             "Alongside the brighter screen, Harbourlight has made a handful of minor physical upgrades with the new "
             "iteration."),
    _article("e", "Interview: one target for developers",
             "Harbourlight's lead designer spoke to us this week. "
             "She wants developers to keep a single performance target rather than split their attention."),
    # Another company's news that shares words with the question ("new version", "physical upgrades").
    _article("l", "Lumenware roundup", "Lumenware is also releasing a version of its handheld."),
]
_LAUNCH_QUESTION = ("Which company, covered by two reviews, is releasing a new version of its handheld on 16 March, "
                    "with minor physical upgrades and a single performance target for developers?")


def test_an_entity_answer_restating_the_questions_numbers_is_supported_and_cites_each_part():
    """The question's own "16 March" is a premise the answer repeats, not a number it states anew, and
    a claim restating a multi-part question cites the sentences that state its parts."""
    answer = ("Harbourlight is releasing a new version of its handheld on 16 March, with minor physical upgrades and "
              "a single performance target for developers.")
    result = attribute(answer, _LAUNCH, question=_LAUNCH_QUESTION)
    assert not result.unsupported
    assert {c.doc_id for c in result.citations} == {"g", "p", "e"}  # not "l": it is not about Harbourlight
    assert all(c.support >= 0.5 for c in result.citations)  # (the UI shows each citation's support)
    # A yes/no question's numbers stay checked: the answer must not confirm a date no passage gives.
    wrong_date = attribute("Yes, Harbourlight releases it on 18 March [1].", _LAUNCH,
                           question="Does Harbourlight release the Glimmerdeck 2 on 18 March?")
    assert wrong_date.citations == ()


def test_a_verdict_with_the_question_restated_rests_on_the_sentences_that_state_it():
    question = ("Did the review of the Glimmerdeck 2 and the interview about developers report consistently on "
                "Harbourlight's minor physical upgrades and single performance target?")
    answer = ("Yes\nThe first article reports Harbourlight's minor physical upgrades, while the second article reports "
              "the single performance target for developers.")
    result = attribute(answer, _LAUNCH, question=question)
    assert not result.unsupported and {c.doc_id for c in result.citations} >= {"p", "e"}
    assert result.text.startswith("Yes [")  # the verdict cites them too ...
    assert "\n" in result.text  # ... and keeps its own line
    # Restating what no passage says is not supported by three unrelated sentences.
    invented = attribute("Yes\nThe first article reports Harbourlight's recall of faulty batteries, while the second "
                         "article reports refunds for early buyers.", _LAUNCH,
                         question="Did both articles report Harbourlight's recall of faulty batteries and refunds?")
    assert invented.citations == ()


def test_a_name_no_sentence_near_the_quote_mentions_halves_the_support():
    """"Okafor was compared to a famous investor" is not supported by "Lindqvist was compared to ..."."""
    trial = _article("t", "The trial so far",
                     "Lindqvist was even compared to Marcus Ashdown and called the rescuer of the harbour bank.")
    question = "Who said the exchange planned a board of experts?"
    wrong = attribute("The person compared to Marcus Ashdown and called the rescuer of the harbour bank is Okafor [1].",
                      [trial], question=question)
    assert wrong.citations == ()
    right = attribute("The person compared to Marcus Ashdown and called the rescuer of the harbour bank is Lindqvist [1].",
                      [trial], question=question)
    assert right.citations and not right.unsupported


def test_unsupported_sentences_leave_the_answer_and_are_reported():
    """Every sentence an answer keeps carries a citation; the others are reported, in answer order."""
    answer = ("The bridge will cost 48.5 million pounds [1]. It was designed by elves [1]. "
              "It opens in June 2027 [1].")
    result = attribute(answer, [A, B], question="What do we know about the bridge?")
    assert result.text == "The bridge will cost 48.5 million pounds [1]. It opens in June 2027 [2]."
    assert result.unsupported == ("It was designed by elves.",)
    # A line break after a left-out sentence is kept: the verdict stays on its own line.
    lines = attribute("Yes\nIt was designed by elves.\nIt opens in June 2027 [1].", [A, B],
                      question="Does the bridge open in June 2027?")
    assert lines.text == "Yes [1]\nIt opens in June 2027 [1]." and lines.unsupported == ("It was designed by elves.",)
    # Nothing supported: the text stays whole (there is no answer; the assistant abstains).
    nothing = attribute("It was designed by elves.", [A, B], question="Who designed the bridge?")
    assert nothing.text == "It was designed by elves." and not nothing.citations


# ---- who reported it: a claim that names a publication cites that publication ----------------------------------
SITES = ("harbourgazette.example", "valleypost.example", "alderweekly.example")


def _sourced(chunk_id: str, source: str, title: str, text: str) -> Passage:
    return Passage(chunk_id=chunk_id, doc_id=chunk_id.split("-")[0], title=title, date=None, url=None, path="",
                   source=source, text=text, start=0, end=len(text), score=1.0)


STRIKE = _sourced("s-0", "valleypost.example", "Ferry strike ends",
                  "Ferry crews accepted a 5.2 percent rise spread over two years.")
LIBRARY = _sourced("l-0", "alderweekly.example", "Library reopens",
                   "The library reopened on Monday with a new reading room.")
ABOUT_GAZETTE = _sourced("g-0", "alderweekly.example", "Paper changes hands",
                         "The Harbour Gazette was sold to a regional publisher in March.")


def test_a_claim_naming_another_publication_than_its_passage_is_unsupported():
    # The question names the publication, so the claim's "Harbour Gazette" is no new name the passage must hold:
    # only where the passage comes from tells that the Valley Post, not the Gazette, reported the rise.
    question = "What rise did the Harbour Gazette and the Valley Post say ferry crews accepted?"
    claim = "The Harbour Gazette reported that ferry crews accepted a 5.2 percent rise [1]."
    wrong = attribute(claim, [STRIKE, LIBRARY], question=question, publications=SITES)
    assert wrong.citations == () and len(wrong.unsupported) == 1
    assert wrong.reasons == ("it names harbourgazette.example, but the passage that says this is from valleypost.example",)
    right = attribute(claim.replace("Harbour Gazette", "Valley Post"), [STRIKE, LIBRARY], question=question,
                      publications=SITES)
    assert [c.chunk_id for c in right.citations] == ["s-0"] and right.unsupported == ()
    # Without the index's sources the verifier cannot tell a publication's name from other words; it is still a
    # name the cited passage must hold (rag.verification.content.unsupported_names), and this one does not.
    assert [c.chunk_id for c in attribute(claim, [STRIKE, LIBRARY], question=question).citations] == ["s-0"]
    assert attribute(claim, [STRIKE, LIBRARY], question=question,
                     check_question_names=True).reasons == ("the passages do not name The Harbour Gazette",)


def test_a_passage_that_speaks_of_the_named_publication_may_support_it():
    result = attribute("The Harbour Gazette was sold to a regional publisher [1].", [STRIKE, ABOUT_GAZETTE],
                       question="What happened to the Harbour Gazette?", publications=SITES)
    assert [c.chunk_id for c in result.citations] == ["g-0"]


def test_a_verdict_sentence_naming_a_publication_rests_on_that_publications_facts_only():
    question = "Did the Valley Post and the Harbour Gazette both report that ferry crews accepted a rise?"
    answer = ("Yes.\nThe Harbour Gazette reported that ferry crews accepted a rise.\n"
              "Ferry crews accepted a 5.2 percent rise spread over two years [1].")
    result = attribute(answer, [STRIKE, LIBRARY], question=question, publications=SITES)
    # The restated question names the Gazette, and the only fact given is the Valley Post's: it leaves the answer.
    assert result.unsupported == ("The Harbour Gazette reported that ferry crews accepted a rise.",)
    assert result.reasons == ("a conclusion about harbourgazette.example: no supported fact of the answer comes from it",)
    assert result.text.splitlines() == ["Yes [1].", "Ferry crews accepted a 5.2 percent rise spread over two years [1]."]
    # Naming the Valley Post instead, it rests on that fact.
    valley = attribute(answer.replace("Harbour Gazette reported", "Valley Post reported"), [STRIKE, LIBRARY],
                       question=question, publications=SITES)
    assert valley.unsupported == () and valley.text.splitlines()[1].endswith("[1].")


def test_the_assistant_checks_who_reported_against_the_index(sample_index):
    """Real embedder and FAISS over the sample corpus; the answer is scripted (a real model cannot be made to
    misattribute on demand): the pay deal was reported by the Valley Post, not the Harbour Gazette."""
    from rag import Assistant, Settings

    question = "What pay rise did the Harbour Gazette or the Valley Post say the ferry crews accepted?"
    answers = {}
    for paper in ("Harbour Gazette", "Valley Post"):
        reply = f"The {paper} reported that the crews accepted a 5.2 percent rise spread over two years [1]."
        assistant = Assistant(Settings(index_dir=sample_index.path), index=sample_index,
                              generator=ScriptedGenerator(reply))
        answers[paper] = assistant.ask(question)
    gazette = answers["Harbour Gazette"]
    assert gazette.abstained and gazette.left_out and gazette.outcome == "unverified_draft"
    # The reader is told why, in the JSON and the terminal.
    why = "it names harbourgazette.example, but the passage that says this is from valleypost.example"
    assert [x["reason"] for x in gazette.to_dict()["left_out"]] == [why]
    valley = answers["Valley Post"]
    assert not valley.abstained and [c.url.split("/")[2] for c in valley.citations] == ["valleypost.example"]


def test_citation_lookup_of_a_claim_naming_a_publication_keeps_to_it():
    from rag.verification import best_quotes

    claim = "The Harbour Gazette reported that ferry crews accepted a 5.2 percent rise."
    assert best_quotes(claim, [STRIKE, LIBRARY])[0].support > 0.5  # not told the sources: any passage
    assert all(q.support == 0.0 for q in best_quotes(claim, [STRIKE, LIBRARY], publications=SITES))
    valley = best_quotes(claim.replace("Harbour Gazette", "Valley Post"), [STRIKE, LIBRARY], publications=SITES)
    assert valley[0].chunk_id == "s-0" and valley[0].support > 0.5


def test_rag_cite_says_who_reported_it_and_names_the_publication_it_lacks(sample_index, capsys):
    """Real embedder and FAISS over the sample corpus, through the CLI: the pay deal was reported by the
    Valley Post; the same claim put in the Harbour Gazette's mouth finds no support, and says why."""
    from ui.cli import main

    claim = "{} reported that ferry crews accepted a 5.2 percent rise spread over two years."
    assert main(["cite", claim.format("The Valley Post"), "--index", str(sample_index.path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] support=") and "valleypost.example" in out.splitlines()[0] and "5.2 percent" in out
    assert main(["cite", claim.format("The Harbour Gazette"), "--index", str(sample_index.path)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == ("no passage in the index supports this text (it names harbourgazette.example: only what "
                           "they wrote counts; without the name, other sources may)")


# ---- who / which: an answer must name someone or something -----------------------------------------
DOC_TRIAL = ("Header\n20231015\nhttps://t.example/z\nQuarry Works argues that Orbitek restrains competition in "
             "handset app distribution. Orbitek touted the superior architecture of its Lumen model.\n")
TRIAL = _passage(DOC_TRIAL, "t-0", "Quarry Works takes Orbitek to court")
WHICH = "Which company is cast as the villain of a court case by Quarry Works and touts its Lumen model?"


def test_an_answer_to_which_that_names_only_what_the_question_names_is_no_answer():
    # The restatement adds nothing a passage could state (answers_who_or_which, which rejected it
    # whole, was removed: docs/decisions/2026-12-06-verifier-rule-pruning.md).
    result = attribute("Quarry Works is cast as the villain of a court case by Quarry Works [1].", [TRIAL],
                       question=WHICH)
    assert result.citations == () and result.unsupported == (
        "Quarry Works is cast as the villain of a court case by Quarry Works.",)
    assert result.reasons == ("no passage says this",)
    # Naming someone the question does not is an answer, checked as any other.
    named = attribute("Orbitek touted the superior architecture of its Lumen model [1].", [TRIAL], question=WHICH)
    assert named.unsupported == () and named.citations[0].quote.startswith("Orbitek touted")


def test_the_names_rule_keeps_to_questions_that_open_with_who_or_which():
    # "Between A and B, which ...?" asks to choose one of the options it names.
    choice = "Between Quarry Works and Orbitek, which argues that the other restrains competition in app distribution?"
    result = attribute("Quarry Works argues that Orbitek restrains competition in handset app distribution [1].", [TRIAL],
                       question=choice)
    assert result.unsupported == () and result.citations
    # A number the question lacks is an answer too ("Which year ...?").
    year = attribute("The bridge opens in June 2027 [1].", [A], question="Which year does the bridge open in June?")
    assert year.unsupported == () and year.citations


def test_the_assistant_abstains_on_a_restatement_that_names_no_one(sample_index):
    """Real embedder and FAISS over the sample corpus; the two drafts are scripted (a real model cannot
    be made to restate on demand)."""
    from rag import Assistant, Settings

    question = "Which company was awarded the design and construction contract for the Alder Harbour Bridge?"
    restated = "The company was awarded the design and construction contract for the Alder Harbour Bridge [1]."
    named = "Kestrel and Moor Engineering was awarded the design and construction contract [1]."
    settings = Settings(index_dir=sample_index.path)
    empty = Assistant(settings, index=sample_index, generator=ScriptedGenerator(restated)).ask(question)
    assert empty.abstained and [c.sentence for c in empty.left_out] == [restated.replace(" [1]", "")]
    # answers_who_or_which was removed (docs/decisions/2026-12-06-verifier-rule-pruning.md): the
    # restatement names nothing beyond the question, so answer_carries_what_is_asked or, unsupported,
    # the walk leaves it out.
    assert empty.left_out[0].rule in ("answer_carries_what_is_asked", "unsupported")
    answer = Assistant(settings, index=sample_index, generator=ScriptedGenerator(named)).ask(question)
    assert not answer.abstained and "Kestrel and Moor Engineering" in answer.citations[0].quote


# ---- the entailment rules (a scripted reader stands for the model; the real model: test_entailment.py) ----
DOC_D = ("Header\n19870301\nhttps://d.example/z\nDaimler-Benz said group net profit rose to 1.8 billion marks. "
         "Its truck unit earned 420 million marks.\n")
D = _passage(DOC_D, "d-0", "Daimler profit rises")


class ScriptedReader:
    """An entailment model that states what it is told: P = ``verdicts[claim]`` for every premise (0.5
    for claims it was not told about), and remembers the pairs it read."""

    def __init__(self, verdicts: dict[str, float]) -> None:
        self.verdicts = verdicts
        self.read: list[tuple[str, str]] = []

    def __call__(self, pairs):
        self.read += list(pairs)
        return [self.verdicts.get(claim, 0.5) for _, claim in pairs]


def test_a_quote_that_does_not_state_the_claim_is_no_citation():
    """The right article, the wrong subject: word overlap keeps it, the reader does not."""
    draft = "Daimler-Benz earned 420 million marks [1]."
    assert attribute(draft, [D], question="How much did Daimler-Benz earn?").unsupported == ()
    reader = ScriptedReader({"Daimler-Benz earned 420 million marks.": 0.1})
    result = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=reader)
    assert result.citations == () and result.unsupported == ("Daimler-Benz earned 420 million marks.",)
    assert result.reasons == ("the quoted sentence does not state this (entailment 0.10)",)
    premise, claim = reader.read[0]
    assert "Its truck unit earned 420 million marks." in premise and premise.startswith("Daimler profit rises.")


def test_a_quote_the_reader_confirms_keeps_its_citation():
    draft = "Daimler-Benz's group net profit rose to 1.8 billion marks [1]."
    reader = ScriptedReader({"Daimler-Benz's group net profit rose to 1.8 billion marks.": 0.97})
    result = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=reader)
    (c,) = result.citations
    assert result.unsupported == () and c.quote.startswith("Daimler-Benz said group net profit")


def test_a_claim_in_other_words_is_kept_when_the_reader_is_sure():
    """Words the overlap check misses ("spokesperson", "Mr") leave a right answer out; a sure reading of a
    passage sentence brings it back, cited to that sentence, and an unsure one does not."""
    doc = ("Header\n20211118\nhttps://k.example/a\nThe talks went on for hours. "
           "\"This was all preparation,\" Kremlin spokesman Dmitry Peskov said.\n")
    kremlin = _passage(doc, "k-0", "Putin warns the West")
    question, draft = "Who spoke for the Kremlin?", "The Kremlin spokesperson was Mr Peskov."
    assert attribute(draft, [kremlin], question=question).reasons == ("no passage says this",)
    sure = attribute(draft, [kremlin], question=question, entails=ScriptedReader({draft: 0.95}))
    (c,) = sure.citations
    assert sure.unsupported == () and "Dmitry Peskov said" in c.quote and sure.text == f"{draft[:-1]} [1]."
    unsure = attribute(draft, [kremlin], question=question, entails=ScriptedReader({draft: 0.6}))
    assert unsure.citations == () and unsure.reasons == ("no passage says this",)


def test_a_verdict_is_not_read_by_the_entailment_model():
    reader = ScriptedReader({})
    attribute("Yes. The bridge will cost 48.5 million pounds [1].", [A, B],
              question="Will the bridge cost more than 40 million pounds?", entails=reader)
    assert all(claim != "Yes." for _, claim in reader.read) and reader.read


def test_units_as_news_abbreviates_them_are_the_same_words():
    """Wire style "2.0 mln dlrs" states "2.0 million dollars" (a right Reuters answer was withdrawn for it),
    and "5 per cent" / "5%" state "5 percent"."""
    from rag.text import stemmed_terms

    doc = ("Header\n19870303\nhttps://r.example/1\nSaatchi and Saatchi said it was buying Cleveland Consulting "
           "Associates for an initial consideration of 2.0 mln dlrs. Its stake rose 5 per cent.\n")
    saatchi = _passage(doc, "s-0", "Saatchi buys Cleveland Consulting")
    result = attribute("The initial consideration is 2.0 million dollars.", [saatchi],
                       question="What initial consideration is Saatchi paying for Cleveland Consulting?")
    assert result.unsupported == () and "2.0 mln dlrs" in result.citations[0].quote
    assert stemmed_terms("up 5%") == stemmed_terms("up 5 percent") == stemmed_terms("up 5 per cent")
    assert stemmed_terms("3 pct") == stemmed_terms("3 percent") and "million" in stemmed_terms("4 bln or 2 mln")


def test_initialisms_as_news_writes_them_are_one_word():
    """"U.S.", "U. S." and "US" are one word: "won the women's singles U. S. Open" is stated by a sentence
    that writes "US Open" (the shape of an RGB en_fact answer that was left out; names invented)."""
    from rag.text import key_terms

    final = _plain_passage("Mira Okafor won the 2031 US Open women's singles title by defeating Lena Brandt.", "f")
    result = attribute("Mira Okafor won the women's singles U. S. Open in 2031.", [final],
                       question="Who won the women's singles U.S. Open in 2031?")
    assert result.unsupported == () and result.citations[0].quote.startswith("Mira Okafor won")
    assert key_terms("U.S. Open") == key_terms("U. S. Open") == key_terms("US Open") == ["us", "open"]
    assert key_terms("the U.K. and the U.N.") == ["uk", "un"]
    # a single initial stays a letter; abbreviations and decimals keep their own forms
    assert key_terms("John F. Kennedy") == ["john", "f", "kennedy"]
    assert key_terms("St. Louis rose 3.5 pct") == ["st", "louis", "rose", "3.5", "percent"]
