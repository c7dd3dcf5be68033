"""rag/entailment.py and its training pairs (scripts/entailment_pairs.py).

The shipped model is scored on tests/data/entailment_pairs.json, pairs written by hand (no rule
made them); its accuracy floor and the must-pass orderings are in the tests below.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import pytest

from rag.entailment import DEFAULT_MODEL_DIR, EntailmentModel
from rag.errors import EntailmentModelError, RagError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import entailment_pairs as gen  # noqa: E402

ACCURACY_FLOOR = 0.60
"""Measured 26/40 = 0.65 (benchmarks/entailment.py); the floor allows two of the borderline pairs
(0.54, 0.57) to flip on another CPU's int8 kernels, and fails on any real regression."""
FIXED = json.loads((ROOT / "tests" / "data" / "entailment_pairs.json").read_text(encoding="utf-8"))["pairs"]

PASSAGE = gen.Passage("test.txt", (
    "Ferry strike ends after 24 days",
    "Crews at Alder Sound Ferries voted to accept a 5 percent rise on Friday, ending the strike.",
    "Union secretary Ines Navarro said 88 percent of members had backed the deal.",
    "The company said the stoppage had cost 1.9 million pounds, and the council said it had cost 0.4 million pounds.",
))
NEIGHBOUR = gen.Passage("other.txt", (
    "Port Alder library reopens after renovation",
    "Head librarian Ruth Okonkwo said 1,150 visitors came on the first day.",
))


# ---- the pair generator ---------------------------------------------------------------------
def test_names_and_figures_found_by_rule():
    sentence = PASSAGE.sentences[2]
    assert gen.names(sentence) == ["Ines Navarro"]
    assert [m.group(0) for m in gen.figures(PASSAGE.sentences[3])] == ["1.9 million", "0.4 million"]
    assert gen.names("Ferry Strike Ends After Twenty Four Days") == []  # a title-case headline


def test_negatives_change_what_the_sentence_says():
    rng = random.Random(1)
    assert gen.negated(PASSAGE.sentences[2]) is None or "not" in gen.negated(PASSAGE.sentences[2])
    assert gen.negated("The bridge will open in June.") == "The bridge will not open in June."
    assert gen.negated("The bridge will not open in June.") == "The bridge will open in June."
    assert gen.negated("Mothers would no longer need to travel.") == "Mothers would still need to travel."
    swapped = gen.figure_swap(PASSAGE.sentences[3], rng)
    assert "cost 0.4 million pounds, and the council said it had cost 1.9 million" in swapped
    true, false = gen.neighbour_figure(PASSAGE.sentences[3])
    assert true == "The company said the stoppage had cost 1.9 million pounds."
    assert false == "The company said the stoppage had cost 0.4 million pounds."
    changed = gen.figure_changed(PASSAGE.sentences[2], rng)
    assert changed != PASSAGE.sentences[2] and "Ines Navarro" in changed
    replaced = gen.other_person(PASSAGE.sentences[2], ["Ruth Okonkwo"], rng)
    assert replaced == "Union secretary Ruth Okonkwo said 88 percent of members had backed the deal."
    assert gen.date_changed("Work begins in January 2026.", rng) != "Work begins in January 2026."


def test_positives_keep_what_the_sentence_says():
    assert gen.shortened(PASSAGE.sentences[1]) == "Crews at Alder Sound Ferries voted to accept a 5 percent rise on Friday."
    assert gen.reworded(PASSAGE.sentences[2]) == \
        "According to Union secretary Ines Navarro, 88 percent of members had backed the deal."
    assert gen.role_and_name(PASSAGE.sentences[2]) == ("Union secretary", "Ines Navarro", True)
    assert gen.role_and_name("Kremlin spokesman Dmitry Peskov said talks would go on.") == \
        ("Kremlin spokesman", "Dmitry Peskov", True)


def test_generated_pairs_are_labelled_by_kind():
    pairs = gen.pairs_for_passage(PASSAGE, NEIGHBOUR, ["Ruth Okonkwo", "Daniel Osei"], random.Random(3),
                                  persons=["Ruth Okonkwo"])
    kinds = {p.kind for p in pairs}
    assert {"copy", "shortened", "figure_swap", "neighbour_figure", "negation", "other_person"} <= kinds
    for p in pairs:
        assert p.label == (1 if p.kind in gen.POSITIVE_KINDS else 0)
        if p.kind == "copy":
            assert p.hypothesis in p.premise
        if p.label == 0:
            assert p.hypothesis not in p.premise  # a negative is never a copy of the premise
    balanced = gen.balance(pairs, seed=0, cap_per_kind=100)
    assert sum(p.label for p in balanced) * 2 == len(balanced)


def test_generation_is_deterministic():
    a = gen.generate([PASSAGE, NEIGHBOUR], seed=5)
    b = gen.generate([PASSAGE, NEIGHBOUR], seed=5)
    assert a == b and a


# ---- the runtime ----------------------------------------------------------------------------
def test_missing_model_is_a_clear_rag_error(tmp_path):
    model = EntailmentModel(tmp_path / "nowhere")  # lazy: constructing it reads nothing
    with pytest.raises(EntailmentModelError, match="model.onnx") as caught:
        model.scores([("a", "b")])
    assert isinstance(caught.value, RagError) and caught.value.exit_code == 10
    assert model.scores([]) == []


def test_corrupt_model_is_a_clear_rag_error(tmp_path):
    folder = tmp_path / "entailment"
    shutil.copytree(DEFAULT_MODEL_DIR, folder, ignore=shutil.ignore_patterns("model.onnx"))
    (folder / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(EntailmentModelError, match="could not load"):
        EntailmentModel(folder).scores([("a", "b")])


@pytest.fixture(scope="module")
def fixed_scores() -> list[float]:
    return EntailmentModel().scores([(p["premise"], p["hypothesis"]) for p in FIXED])


def _score(scores, hypothesis: str) -> float:
    return next(s for s, p in zip(scores, FIXED) if p["hypothesis"] == hypothesis)


def test_shipped_model_is_small_and_documented():
    assert (DEFAULT_MODEL_DIR / "model.onnx").stat().st_size < 30_000_000
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    assert "ODC-BY 1.0" in json.dumps(meta["data"]) and meta["seed"] is not None
    assert meta["heldout_metrics"]["int8_onnx"]["auc"] > 0.8



def test_shipped_model_on_the_hand_written_pairs(fixed_scores):
    right = sum((s >= 0.5) == (p["label"] == 1) for s, p in zip(fixed_scores, FIXED))
    assert right / len(FIXED) >= ACCURACY_FLOOR


def test_must_pass_orderings(fixed_scores):
    """Errors the shipped model catches: each wrong claim scores below the faithful one."""
    s = lambda h: _score(fixed_scores, h)  # noqa: E731
    copy = s("The regulator approved the merger of Tellan Mobile and Ostra Networks on Thursday.")
    assert s("The regulator did not approve the merger of Tellan Mobile and Ostra Networks.") < copy
    faithful = s("According to health minister Irena Sobczak, the new clinic will not open before March.")
    assert s("Finance minister Tomas Reiner said the new clinic will not open before March.") < faithful
    assert s("Grid operator chief Owen Pryce said crews would work through the night.") < \
        s("The grid operator chief cited is Nadia Ferris.")
    assert s("Priya Raman worked for Marlow Bank before joining Solvik Foods.") < \
        s("Priya Raman is the chief executive of Solvik Foods.")
    assert s("The survey counted 97 nesting pairs of puffins on Skerry Island.") < \
        s("The survey counted 412 nesting pairs of puffins on Skerry Island.")
    assert s("Unemployment in the region fell to 3.8 percent in October.") < \
        s("In October the region's unemployment rate dropped to 4.8%.")
    assert s("The bridge over the River Aln is scheduled to reopen in September 2025.") < \
        s("The River Aln bridge is due to reopen in September 2026.")
    assert s("The storm closed three schools in the valley.") < s("About 2,300 homes were without electricity on Sunday morning.")


@pytest.mark.xfail(strict=True, reason="known failure of the shipped model (docs/decisions/2026-12-05-entailment-model.md): "
                                       "relations between two names or figures of one sentence")
@pytest.mark.parametrize("wrong, right", [
    ("Halvorsen Group reported quarterly revenue of 1.1 billion dollars.",  # the subsidiary's figure
     "Halvorsen Group reported quarterly revenue of 4.2 billion dollars."),
    ("Brightmoor Energy will invest 300 million euros in the plant.",  # the parent's investment
     "Castell Holdings will invest 300 million euros in the plant."),
    ("The Kremlin spokesman quoted in the coverage is Sergei Lavrov.",  # another name of the passage
     "The Kremlin spokesman quoted in the coverage is Dmitry Peskov."),
    ("Kiln Batteries sued its former supplier Vestra Motors over a breach of contract.",  # names swapped
     "Kiln Batteries was sued by Vestra Motors over a breach of contract."),
    ("The Civic Alliance won 14 seats in the district vote.",  # the neighbouring item's count
     "Labour took 6 seats in the district vote."),
])
def test_known_failures_relations_within_a_sentence(fixed_scores, wrong, right):
    """Strict xfail: when a better model gets one right, this fails, and the case moves above."""
    assert _score(fixed_scores, wrong) < _score(fixed_scores, right)
