"""Settings: every knob in one object, in groups, each with its description; ``rag settings`` shows them all."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from rag import RetrievalSettings, Settings, SettingsError
from rag.settings import GROUPS, field_docs

ROOT = Path(__file__).resolve().parents[1]


def _knobs() -> list[tuple[type, str]]:
    """(the class that defines it, name) for every knob of every group, and the fields of Settings itself."""
    knobs = [(Settings, f.name) for f in fields(Settings) if f.name not in GROUPS]
    return knobs + [(cls, f.name) for cls in GROUPS.values() for f in fields(cls)]


def test_every_knob_has_a_description():
    missing = [f"{cls.__name__}.{name}" for cls, name in _knobs() if len(field_docs(cls).get(name, "")) < 10]
    assert not missing, f"these settings have no docstring saying what they do and why that value: {missing}"
    assert all(cls.__doc__ for cls in GROUPS.values())


def test_knob_names_are_unique_across_groups():
    names = [name for _, name in _knobs()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert not set(names) & set(GROUPS)
    assert sorted(Settings.knob_names()) == sorted(names)


def test_a_knob_is_set_by_its_name_alone_or_with_its_group():
    base = Settings(index_dir=Path("/tmp/x"))
    assert Settings(k=8).retrieval.k == 8
    assert base.with_overrides(k=8).retrieval == RetrievalSettings(k=8)
    assert base.with_overrides(k=8, candidates=30).retrieval == RetrievalSettings(k=8, candidates=30)
    assert base.with_overrides(retrieval=RetrievalSettings(k=2)).retrieval.k == 2
    assert base.with_overrides(retrieval=RetrievalSettings(k=2), candidates=9).retrieval == RetrievalSettings(k=2, candidates=9)
    assert base.with_overrides(k=None) == base  # None: unchanged
    assert base.with_overrides(serve_queue=1).serve.serve_queue == 1
    assert base.with_overrides(index_dir="~/i").index_dir == Path("~/i").expanduser()
    assert base.with_overrides(k=8).context == base.context  # other groups untouched
    with pytest.raises(TypeError, match="unknown settings: kk"):
        base.with_overrides(kk=3)
    with pytest.raises(TypeError, match="unknown settings"):
        Settings(kk=3)


def test_assignments_are_typed_and_checked():
    base = Settings(index_dir=Path("/tmp/x"))
    changed = base.with_assignments(["k=6", "retrieval.fusion=rrf", "n_threads=none", "verify_entailment=on",
                                     "llm_timeout=30", "index_dir=/tmp/y"])
    assert (changed.retrieval.k, changed.retrieval.fusion, changed.llm.n_threads) == (6, "rrf", None)
    assert changed.verification.verify_entailment is True and changed.llm.llm_timeout == 30.0 and changed.index_dir == Path("/tmp/y")
    for bad, message in [("k", "expected NAME=VALUE"), ("kk=1", "no such setting"), ("k=six", "expected int"),
                         ("fusion=best", "unknown fusion"), ("context.k=3", "no such setting"),
                         ("llm_timeout=nan", "expected float"), ("verify_entailment=maybe", "expected bool")]:
        with pytest.raises(SettingsError, match=message):
            base.with_assignments([bad])
        assert SettingsError.exit_code == 2


def test_describe_lists_every_knob_with_its_value():
    settings = Settings(index_dir=Path("/tmp/x"), k=7)
    rows = {name: (value, text) for name, value, text in settings.describe()}
    assert len(rows) == len(_knobs())
    assert rows["retrieval.k"][0] == 7 and "Passages given to the model" in rows["retrieval.k"][1]
    assert all(text for _, text in rows.values())


def test_rag_settings_prints_every_knob(capsys):
    from ui.cli import main

    assert main(["settings", "--index", "/tmp/x", "--set", "k=7"]) == 0
    out = capsys.readouterr().out
    for name, value, text in Settings(index_dir=Path("/tmp/x"), k=7).describe():
        assert f"{name} = {value}" in out
        assert " ".join(text.split()[:4]) in " ".join(out.split())
    assert "retrieval.k = 7" in out


def test_an_unknown_or_bad_setting_on_the_command_line_exits_2(capsys):
    from ui.cli import main

    assert main(["ask", "anything?", "--index", "/tmp/x", "--set", "kk=3"]) == 2
    assert "no such setting (did you mean k?)" in capsys.readouterr().err
    assert main(["settings", "--set", "candidates=many"]) == 2
    assert "expected int" in capsys.readouterr().err


def test_the_rag_program_is_ui_cli_and_rag_cli_says_where_ui_and_serve_are():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["rag"] == "ui.cli:main"
    done = subprocess.run([sys.executable, "-m", "rag.cli", "serve"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 2 and "python -m ui.cli serve" in done.stderr, done.stderr
    assert "Warning" not in done.stderr  # rag/__init__ does not import rag.cli ahead of -m
