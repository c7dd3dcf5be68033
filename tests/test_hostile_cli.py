"""Hostile command-line input: usage errors (exit 2) with one clear line, never a traceback."""

from __future__ import annotations

import pytest

from rag.cli import main
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
