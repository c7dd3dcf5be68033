"""Hostile command-line input: usage errors (exit 2) with one clear line, never a traceback."""

from __future__ import annotations

import json
import os

import pytest

from ui.cli import main
from rag.dates import parse_iso_day
from rag.terminal import printable


def code_of(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


@pytest.mark.parametrize("cmd, bad", [(c, k) for c in ("search", "cite", "ask")
                                      for k in ("99999999999999999999", "0", "-1", "²", "١٢", "")])
def test_k_out_of_range_is_a_usage_error(cmd, bad, capsys, tmp_path):
    code, err = code_of([cmd, "q", "--k", bad, "--index", str(tmp_path / "none")], capsys)
    assert code == 2 and "allowed" in err, err
    assert ("1-50" if cmd == "ask" else "1-1000") in err


def test_ask_k_above_50_refused_search_allows_it(capsys, tmp_path):
    assert code_of(["ask", "q", "--k", "51", "--index", str(tmp_path)], capsys)[0] == 2
    assert code_of(["search", "q", "--k", "51", "--index", str(tmp_path / "none")], capsys)[0] == 3


@pytest.mark.parametrize("cmd", [["search", "q"], ["ask", "q"], ["docs"], ["lookup", "x-1"], ["cite", "q"],
                                 ["remove", "d"], ["chat", "--list"], ["index", "--sample"]])
@pytest.mark.parametrize("under", [False, True])
def test_index_naming_a_file(cmd, under, capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    target = f / "sub" if under else f
    code, err = code_of([*cmd, "--index", str(target)], capsys)
    assert code == 2 and "not an index folder" in err and "rag index PATH" not in err, err
    assert err.strip().count("\n") == 0


def test_port_number():
    import argparse

    from rag.cli import port_number

    assert port_number("7860") == 7860
    for bad in ("99999", "0", "-1", "²", "x", "9" * 40):
        with pytest.raises(argparse.ArgumentTypeError, match="1-65535"):
            port_number(bad)


@pytest.mark.parametrize("bad", ["20251001", "2025-W40", "2025-02-30", "2025-10-01T00:00", "２０２５-10-01"])
def test_strict_dates(bad, capsys, tmp_path):
    with pytest.raises(ValueError):
        parse_iso_day(bad)
    code, err = code_of(["search", "q", "--since", bad, "--index", str(tmp_path)], capsys)
    assert code == 2 and "YYYY-MM-DD" in err


@pytest.mark.parametrize("cmd", ["ask", "search", "cite"])
@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_is_a_usage_error(cmd, text, capsys, tmp_path):
    assert code_of([cmd, text, "--index", str(tmp_path / "none")], capsys)[0] == 2


def test_printable():
    assert printable("a\x1b[31mred\x9b\r") == "a\\x1b[31mred\\x9b\\x0d"
    assert printable("t\ni\tx", lines=True) == "t\ni\tx"
    assert printable("t\ni") == "t\\x0ai"


def test_unexpected_error_is_one_line(monkeypatch, capsys):
    import rag.cli as cli

    def boom(args):
        raise ZeroDivisionError("bug")

    monkeypatch.setitem(cli.COMMANDS, "docs", boom)
    monkeypatch.delenv("RAG_DEBUG", raising=False)
    code, err = code_of(["docs"], capsys)
    assert code == 1 and err.strip() == "rag docs: unexpected error: ZeroDivisionError: bug (please report it)"
    monkeypatch.setenv("RAG_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["docs"])


def test_chat_source_with_unicode_digit(capsys):
    from rag.chat_cli import _show_source

    class Answer:
        citations = []

    _show_source(None, Answer(), "/source ²")
    assert "usage: /source N" in capsys.readouterr().out


@pytest.mark.parametrize("port", ["99999", "0", "-1", "99999999999999999999"])
def test_ui_port_out_of_range_is_a_usage_error(port, capsys):
    code, err = code_of(["ui", "--port", port], capsys)
    assert code == 2 and "1-65535" in err, err


@pytest.mark.parametrize("bad", ["20251001", "2025-W40", "2025-10-01T00:00"])
def test_ui_date_filter_is_strict(bad):
    from ui.app import parse_filters

    with pytest.raises(ValueError, match="must be a date"):
        parse_filters(bad, None, [])
    assert parse_filters("2025-10-01", None, []).since == "2025-10-01"


# ---- found by tests/test_hostile_cli_property.py --------------------------------------------------

NOT_UTF8 = os.fsdecode(b"caf\xe9")  # what argv gives Python for bytes that are not UTF-8


def one_error_line(code, err, expected_code, *fragments):
    assert code == expected_code, (code, err)
    lines = [line for line in err.strip().split("\n") if not line.startswith("usage:") and not line.startswith("   ")]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("cmd", [["search", "q"], ["docs"], ["chat", "--list"], ["index", "--sample"], ["ui"]])
@pytest.mark.parametrize("bad", ["~nosuchuser", "~nosuchuser/index", "x" * 10_000, "a/" * 3_000, NOT_UTF8])
def test_index_that_cannot_be_a_folder_is_a_usage_error(cmd, bad, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    one_error_line(*code_of([*cmd, "--index", bad], capsys), 2, "--index")


@pytest.mark.parametrize("bad", ["~nosuchuser", "x" * 10_000, NOT_UTF8])
def test_bad_rag_index_environment(bad, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_INDEX", bad)
    one_error_line(*code_of(["docs"], capsys), 2, "RAG_INDEX")
    one_error_line(*code_of(["eval", "rgb", "--data", "missing"], capsys), 2, "RAG_INDEX")
    # an explicit --index wins over $RAG_INDEX
    one_error_line(*code_of(["search", "q", "--index", str(tmp_path / "none")], capsys), 3, "no index at")


@pytest.mark.parametrize("value", ["~nosuchuser", "/data/100%/index", os.fsdecode(b"/data/\xff/index")])
def test_help_with_any_rag_index(value, capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX", value)
    assert code_of(["docs", "--help"], capsys)[0] == 0
    assert code_of(["ask", "--help"], capsys)[0] == 0


def test_help_output_is_printable_utf8(capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX", os.fsdecode(b"/data/\xff/index"))
    with pytest.raises(SystemExit):
        main(["lookup", "--help"])
    out = capsys.readouterr().out
    out.encode("utf-8")  # a UTF-8 stdout (strict) can print it
    assert "\\udcff" in out


@pytest.mark.parametrize("argv", [["search", NOT_UTF8], ["ask", NOT_UTF8], ["cite", NOT_UTF8], ["lookup", NOT_UTF8],
                                  ["remove", "abc", NOT_UTF8], ["search", "q", "--doc", NOT_UTF8],
                                  ["search", "q", "--source", NOT_UTF8], ["chat", "--resume", NOT_UTF8]])
def test_text_that_is_not_utf8_is_a_usage_error(argv, capsys, tmp_path):
    one_error_line(*code_of([*argv, "--index", str(tmp_path / "none")], capsys), 2, "not valid UTF-8", r"caf\xe9")


@pytest.mark.parametrize("argv", [["index", "x", "--embedder", "~nosuchuser"], ["index", "x", "--embedder", "e" * 5000],
                                  ["ask", "q", "--model", "~nosuchuser"], ["ask", "q", "--model", "m" * 5000],
                                  ["eval", "retrieval", "--beir", "~nosuchuser"], ["eval", "retrieval", "--beir", "b" * 5000],
                                  ["eval", "multihop", "--queries", "q", "--corpus", "~nosuchuser"],
                                  ["eval", "rgb", "--data", "d" * 5000]])
def test_path_that_cannot_be_looked_up_is_a_usage_error(argv, capsys, tmp_path):
    flag = argv[-2]
    extra = [] if argv[0] == "eval" else ["--index", str(tmp_path / "none")]
    one_error_line(*code_of([*argv, *extra], capsys), 2, flag)


def test_index_skips_paths_that_cannot_be_looked_up(capsys, tmp_path):
    code, err = code_of(["index", "~nosuchuser", "p" * 5000, "--index", str(tmp_path / "idx")], capsys)
    assert code == 7, err
    assert "skipped ~nosuchuser: '~nosuchuser' is the home folder of user 'nosuchuser', who does not exist" in err
    assert "File name too long" in err
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("argv", [["ui", "--port=--"], ["search", "q", "--k=--"], ["docs", "--index=--"],
                                  ["search", "q", "--source=--"]])
def test_option_equals_double_dash_is_a_usage_error(argv, capsys):
    code, err = code_of(argv, capsys)
    assert code == 2 and "expected one argument" in err, err


def test_usage_errors_escape_control_characters(capsys):
    code, err = code_of(["docs", "\x1b]0;owned\x07", "-\x1b[2J"], capsys)
    assert code == 2 and "\x1b" not in err and "\x07" not in err and "\\x1b" in err, repr(err)


def test_chat_refuses_stdin_lines_that_are_not_utf8_and_goes_on(capsys, monkeypatch, tmp_path):
    import io
    import sys

    import index.corpus_index as corpus_index
    from index import CorpusIndex
    from fakes import HashEmbedder

    (tmp_path / "doc.txt").write_text("Lighthouse\n2024-01-05\nhttps://coast.example/a\nThe lighthouse was restored.\n")
    CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True).index_paths([tmp_path / "doc.txt"])
    monkeypatch.setattr(corpus_index, "_embedder_that_built", lambda path, built_with: HashEmbedder())
    for json_mode in (False, True):
        stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9?\n\xff\xfe\n/quit\n"), encoding="utf-8")  # errors="strict"
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["chat", "--index", str(tmp_path / "idx"), *(["--json"] if json_mode else [])]) == 0
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "unexpected" not in err, err
        if json_mode:
            replies = [json.loads(line) for line in out.splitlines()]
            assert [r["question"] for r in replies] == [NOT_UTF8 + "?", os.fsdecode(b"\xff\xfe")]
            assert all("not valid UTF-8" in r["error"] for r in replies)
        else:
            assert err.count("error: the line is not valid UTF-8") == 2, err
