"""Evidence compression (rag.context.build_evidence) on hand-written passages."""

from __future__ import annotations

from rag.context import build_evidence
from rag.types import Passage

ARTICLE = ("The council approved the bridge on Monday. The bridge will cost 48.5 million pounds. "
           "Work starts in January. The new crossing will be 320 metres long. Mayor Helena Brandt called the vote historic. "
           "About 14,000 vehicles cross the old bridge every day.")


def _chunk(chunk_id: str, start: int, end: int) -> Passage:
    return Passage(chunk_id=chunk_id, doc_id="d", title="Bridge approved", date="2025-09-09", url=None, path="",
                   source=None, text=ARTICLE[start:end], start=start, end=end, score=1.0)


def test_sentence_shared_by_overlapping_chunks_is_shown_once():
    # Two chunks of one article overlap on "Work starts in January. The new crossing will be 320 metres long."
    overlap_start = ARTICLE.index("Work starts")
    first = _chunk("d-0", 0, ARTICLE.index("Mayor"))
    second = _chunk("d-1", overlap_start, len(ARTICLE))
    evidence = build_evidence([first, second], "How long will the new crossing be?", budget=60)
    shown = " ".join(evidence.texts)
    assert shown.count("The new crossing will be 320 metres long.") == 1
    assert evidence.tokens <= 60


def _article(doc: str, title: str, text: str) -> Passage:
    return Passage(chunk_id=f"{doc}-0", doc_id=doc, title=title, date=None, url=None, path="", source=None,
                   text=text, start=0, end=len(text), score=1.0)


def test_a_rare_question_word_outweighs_names_every_sentence_repeats():
    """The one sentence with "manager" beats sentences that only repeat "Port Alder" (rarity weighting)."""
    mayor = _article("m", "Osei elected mayor", "Daniel Osei was elected mayor of Port Alder. "
                     "Turnout in Port Alder was the highest since 1998. Port Alder Harbour First won six seats.")
    rovers = _article("r", "Cup semi-final", "The club reached the semi-final. Manager Callum Reyes praised the squad.")
    evidence = build_evidence([mayor, rovers], "Who is the manager of Port Alder Rovers?", budget=30)
    shown = " ".join(evidence.texts)
    assert "Manager Callum Reyes" in shown, shown
