"""benchmarks.citation_audit: the blind reading of citations (sample, mix, score) on a tiny record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _record(tmp_path: Path, name: str, answers: list[tuple[str, str, list[str]]]) -> Path:
    """A results file of rag eval multihop --answers with the fields the script reads."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "a.txt").write_text("Bridge approved\n20231104\nhttps://coast.example/a\n"
                                  "The council approved the bridge. It will cost 40 million pounds.\n")
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([{"id": str(i), "query": f"Question {i}?", "answer": "x", "question_type": "inference_query",
                                    "evidence_list": [{"fact": "The council approved the bridge."}]} for i in range(3)]))
    rows = [{"id": qid, "query": f"Question {qid}?", "null": False, "verified": {"abstained": False}, "answer": answer,
             "quotes": quotes} for qid, answer, quotes in answers]
    path = tmp_path / name
    path.write_text(json.dumps({"queries_file": str(queries), "corpus": str(corpus), "answers": {"answers": rows}}))
    return path


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "benchmarks.citation_audit", *args], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return done.stdout


def test_mix_hides_which_pairs_a_change_removed_and_score_counts_each_group(tmp_path):
    approved, cost = "The council approved the bridge.", "It will cost 40 million pounds."
    before = _record(tmp_path, "before.json", [
        ("0", "The council approved it [1]. It costs 40 million pounds [2].", [approved, cost]),
        ("1", "Approved [1].", [approved]),
        ("2", "It costs 40 million [1].", [cost]),
    ])
    # The change took one citation away (query 0's second sentence).
    after = _record(tmp_path, "after.json", [
        ("0", "The council approved it [1].", [approved]),
        ("1", "Approved [1].", [approved]),
        ("2", "It costs 40 million [1].", [cost]),
    ])
    pairs, groups = tmp_path / "pairs.json", tmp_path / "groups.json"
    out = _run("mix", str(before), str(after), "--kept", "2", "--out", str(pairs), "--groups", str(groups))
    assert "1 pairs the change removes and 2 of the 3 it keeps" in out
    shown = json.loads(pairs.read_text())
    assert "Rubric" not in shown["rubric"] and "supports" in shown["rubric"]
    # The reader sees the pair and its heading, nothing of how it was chosen.
    assert all(set(p) == {"key", "question", "sentence", "quote", "heading"} for p in shown["pairs"])
    assert shown["pairs"][0]["heading"].startswith("Bridge approved | 20231104 | https://coast.example/a")
    which = json.loads(groups.read_text())["groups"]
    assert sorted(which.values()) == ["kept", "kept", "removed"] and which["0:1:2"] == "removed"
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"labels": [{"key": k, "label": "no" if g == "removed" else "supports"}
                                             for k, g in which.items()]}))
    scored = _run("score", str(before), str(labels), "--groups", str(groups))
    assert "removed: 1 pairs, supports 0, partial 0, no 1" in scored
    assert "kept: 2 pairs, supports 2, partial 0, no 0" in scored
    assert "citation precision by reading: 0.667 (supports)" in scored
