"""A standing hostile-input suite for the command line (issue #25): Hypothesis over every argument.

The commands and their options are read from the parser itself (``ui.cli.build_parser``, the
nested ``rag eval SUITE`` commands included), so an option added later is fuzzed without editing
this file. Each option gets its values by what the parser says of it (a flag, ``choices``, a
``type``, a name or metavar that means a path or a date); an option whose kind this file cannot
generate (an unknown ``Action`` class or ``nargs``) fails ``test_every_option_has_a_strategy``.

Values, mixed for every option that takes one: random text (any code point but NUL, which argv
cannot hold, and non-UTF-8 argv bytes as the lone surrogates Python decodes them to), huge and
negative integers, floats, ``nan``/``inf``, empty and blank strings, near-miss dates (``2025-W40``,
``20251001``), ``../..``, ``~`` and ``~nosuchuser``, a regular file, a missing path, a path under a
regular file, names of 10,000 characters, and valid values (a working index, real document,
passage and conversation ids, words of the corpus) so that the hostile ones reach past the parser.
``$RAG_INDEX`` is drawn too, and ``rag chat`` reads hostile lines (``/source ²``, ``/source
99999999999999999999``, control characters, bytes that are not UTF-8) from stdin until EOF.

The property: ``main(argv)`` returns (or exits with) a code from the README's exit-code table, and
stderr has no traceback, no "unexpected error" (the CLI's mark of a bug), no raw control character
and only a few lines. stdout and stderr encode as on a UTF-8 terminal (stdout strict, stderr
backslashreplace), so text that cannot be printed is caught too.

No model runs: the index is built with ``fakes.HashEmbedder`` (the embedder an index names is
swapped for it, and so is any embedder the CLI would load), the LLM is ``fakes.CopyingGenerator``,
``rag ui`` and ``rag serve`` never serve, and every file the CLI writes lands in a temporary sandbox (``$HOME``,
``$XDG_*`` and the working directory point there; absolute paths outside it are moved inside).

``RAG_PROPERTY_EXAMPLES`` sets the examples per command (default 20; docs/RELIABILITY.md).
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import re
import shutil
import sys
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fakes import CopyingGenerator, HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("RAG_PROPERTY_EXAMPLES", "20"))
settings.register_profile(
    "hostile-cli", max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
HOSTILE = settings.get_profile("hostile-cli")  # used as a decorator: loading it would change other test files


def documented_exit_codes() -> set[int]:
    """The codes of the README's "Exit codes" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)}


EXIT_CODES = documented_exit_codes()

# ---- the parser, walked -------------------------------------------------------------------------

FLAG_ACTIONS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._StoreConstAction,
                argparse._AppendConstAction, argparse._CountAction, argparse.BooleanOptionalAction,
                argparse._VersionAction)
VALUE_ACTIONS = (argparse._StoreAction, argparse._AppendAction, argparse._ExtendAction)
SKIPPED_ACTIONS = (argparse._HelpAction, argparse._SubParsersAction)  # -h is drawn as a stray token


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(command words, parser)`` for ``rag`` and every subcommand, nested ones included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, (*path, name))


def parsers() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    from ui.cli import build_parser

    return dict(walk(build_parser()))


def arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, SKIPPED_ACTIONS)]


COMMANDS = sorted(parsers())

# ---- values -------------------------------------------------------------------------------------
# Placeholders for the paths of each example's own workspace (NUL cannot occur in a real argument).
INDEX, FILE, FOLDER, MISSING, GGUF, NOT_GGUF = "\0index\0", "\0file\0", "\0folder\0", "\0missing\0", "\0gguf\0", "\0bin\0"
PATHS = [INDEX, FILE, f"{FILE}/sub", f"{FILE}/sub/deeper", MISSING, f"{MISSING}/a/b", FOLDER, GGUF, NOT_GGUF,
         f"{INDEX}/manifest.json", f"{INDEX}/store.sqlite", f"{INDEX}/conversations", f"{FOLDER}/../{FOLDER[1:-1]}",
         "../..", "..", ".", "~", "~/", "~nosuchuser", "~nosuchuser/index", "/dev/null", "/nonexistent/index",
         "x" * 10_000, "a/" * 3_000, "é" * 300, "name\nwith\nnewlines", "\x1b[31mred", "-", "--", ""]
DATES = ["2025-10-01", "2025-10-31", "1999-01-01", "0001-01-01", "9999-12-31", "2025-W40", "20251001", "2025-02-30",
         "2025-13-01", "2025-10-01T00:00", "2025-10-1", " 2025-10-01 ", "２０２５-10-01", "2025/10/01", "10/01/2025",
         "yesterday", "-2025-10-01", "+2025-10-01", "2025-10-01\n"]
NUMBERS = ["0", "1", "-1", "+7", " 5 ", "05", "1_0", "²", "١٢", "0x10", "1e3", "1e309", "-1e309", "nan", "-nan",
           "inf", "-inf", "1.5", "-0", "9" * 40, "-" + "9" * 40, "9" * 5_000, "1" + "0" * 18, "65535", "65536", "3000",
           "3001", "50", "49"]
SPECIAL = ["", " ", "\t", "\n", " \t\n ", "-", "--", "-x", "--x", "=", "?", "*", '"', "'", "\\", "%s%n", "${HOME}",
           "$(id)", "NEAR(a b)", "a AND OR NOT", "chunks_fts:x", "'; DROP TABLE chunks; --", "\x1b[2J\x1b]0;t\x07",
           "\x9b31m", "\u202egnp.exe", "\ufeff", "\u2028", "\u200b", "\U0001f600", "x" * 10_000, "word " * 2_000,
           "2025-W40", "20251001", "../..", "~nosuchuser"]

ARGV_CHARACTER = st.characters(exclude_categories=("Cs",), exclude_characters="\0")
ARGV_BYTES = st.binary(min_size=1, max_size=24).map(lambda b: os.fsdecode(b.replace(b"\0", b"")))  # \udc80-\udcff
TEXT = st.one_of(
    st.text(ARGV_CHARACTER, max_size=40),
    st.lists(st.one_of(st.text(ARGV_CHARACTER, max_size=6), ARGV_BYTES, st.sampled_from(SPECIAL)),
             max_size=5).map("".join),
)
INTEGERS = st.one_of(st.integers(), st.integers(-(10**30), 10**30), st.integers(-5, 4_000)).map(str)
FLOATS = st.floats(allow_nan=True, allow_infinity=True).map(str)
HOSTILE_VALUE = st.one_of(TEXT, ARGV_BYTES, INTEGERS, FLOATS, st.sampled_from(SPECIAL + NUMBERS + DATES + PATHS))

# Valid values of the known options, so that their neighbours' hostile values get past validation.
QUESTIONS = ["How much did the library renovation cost?", "harbour bridge", "ferry strike", "Who won the election?",
             "and the month before?", "library", "Storm Brenna", "Was the bridge delayed?"]


def valid_values(corpus: dict) -> dict[str, list[str]]:
    """Values by option ``dest`` that pass validation (filled from the test index), for the options that are
    not the one under attack: so that one hostile value at a time reaches deep into the command."""
    return {
        "index": [INDEX], "paths": [FILE, FOLDER], "embedder": ["default", "all-MiniLM-L6-v2", "default+onnx-int8"],
        "model": ["default", "small", GGUF], "id": corpus["chunk_ids"], "doc_ids": corpus["doc_ids"],
        "doc": corpus["doc_ids"], "source": corpus["sources"], "resume": [corpus["conversation"]],
        "question": QUESTIONS, "query": QUESTIONS, "text": QUESTIONS, "host": ["127.0.0.1", "::1", "localhost"],
        "password": ["secret"], "port": ["7860", "65535"], "k": ["1", "5", "50"], "context_tokens": ["50", "480"],
        "since": ["2020-01-01"], "until": ["2030-12-31"], "split": ["test"],
    }


NEAR_VALID = {  # by dest: values just outside what is accepted, and the placeholders that suit the option
    "embedder": [FOLDER, "default+bogus", "+torch", "default+", GGUF], "model": [NOT_GGUF, "Default", " small", INDEX],
    "resume": ["../conversations", "conversations", "..", "x" * 300], "host": ["0.0.0.0", "::", "256.1.1.1",
                                                                            "ex ample", "[::1]", "127.0.0.1:80"],
    "password": [""], "port": ["0", "65536", "-1", "80.0"], "k": ["0", "51", "1001"], "split": ["../../etc", "x/y"],
    "beir": [FOLDER, INDEX, FILE], "queries": [FILE, FOLDER], "corpus": [FOLDER, FILE], "data": [FILE, FOLDER],
    "index_dir": [MISSING, FILE], "results_dir": [MISSING, FILE], "password_file": [FILE, FOLDER, MISSING],
}


def kind(action: argparse.Action) -> str | None:
    """What values an argument takes: flag, choice, number, date, path, id or text; None if unknown."""
    if isinstance(action, FLAG_ACTIONS):
        return "flag"
    if not isinstance(action, VALUE_ACTIONS) or not (action.nargs in (None, "?", "*", "+") or
                                                      isinstance(action.nargs, int)):
        return None
    if action.choices:
        return "choice"
    if action.type not in (None, str):
        return "number"  # every typed argument parses a number (whole_number, int, float, _evidence_budget)
    words = " ".join([*action.option_strings, action.dest, str(action.metavar or "")]).lower()
    if "yyyy" in words or action.dest in ("since", "until"):
        return "date"
    if re.search(r"dir|file|path|index|embedder|model|beir|corpus|queries|data", words):
        return "path"
    if re.search(r"(^|[_ -])ids?\b|doc|source|site|resume", words):
        return "id"
    return "text"


def value_strategy(action: argparse.Action, corpus: dict):
    """Hostile values for ``action``, with valid ones among them."""
    extra = valid_values(corpus).get(action.dest, []) + NEAR_VALID.get(action.dest, [])
    by_kind = {
        "choice": list(action.choices or []), "number": NUMBERS, "date": DATES, "path": PATHS, "id": SPECIAL,
        "text": QUESTIONS,
    }[kind(action)]
    return st.one_of(*[st.sampled_from(values) for values in (extra, by_kind) if values], HOSTILE_VALUE)


def count(nargs, draw) -> int:
    if nargs is None:
        return 1
    if isinstance(nargs, int):
        return nargs
    return draw(st.integers({"?": 0, "*": 0, "+": 1}[nargs], {"?": 1, "*": 3, "+": 3}[nargs]))


@st.composite
def invocation(draw, words: tuple[str, ...], corpus: dict, resolve) -> list[str]:
    """argv for ``rag WORDS ...``: some of its options with hostile values, its positionals, stray tokens.

    ``resolve`` turns a drawn value into the argument (placeholders become the example's paths)."""
    parser = parsers()[words]
    actions = arguments(parser)
    valid = valid_values(corpus)
    # Half the time one argument is under attack and the others hold valid values (or are left out);
    # otherwise every argument given may be hostile.
    attacked = draw(st.one_of(st.none(), st.sampled_from(actions))) if actions else None
    groups, positionals = [], []
    for action in actions:
        calm = attacked is not None and action is not attacked
        if calm and action.dest in valid:
            values = st.sampled_from(valid[action.dest]).map(resolve)
        elif kind(action) == "flag":
            values = None
        else:
            values = value_strategy(action, corpus).map(resolve)
        if not action.option_strings:
            if action is attacked or draw(st.integers(0, 19)) or action.nargs in ("?", "*"):  # now and then left out
                positionals += [draw(values) for _ in range(count(action.nargs, draw))]
            continue
        if action is attacked:
            include = True
        elif calm and values is not None and action.dest not in valid and not action.required:
            include = False  # no valid value known: left out while another argument is under attack
        else:
            include = draw(st.integers(0, 9)) > 0 if action.required else draw(st.booleans())
        if not include:
            continue
        for _ in range(draw(st.integers(1, 2)) if isinstance(action, argparse._AppendAction) else 1):
            flag = draw(st.sampled_from(action.option_strings))
            if values is None:
                groups.append([flag])
                continue
            drawn = [draw(values) for _ in range(count(action.nargs, draw))]
            if len(drawn) == 1 and flag.startswith("--") and draw(st.booleans()):
                groups.append([f"{flag}={drawn[0]}"])
            else:
                groups.append([flag, *drawn])
    groups = draw(st.permutations(groups))
    stray = draw(st.lists(st.sampled_from(["-h", "--help", "--bogus", "-z", "--", "extra", "--json=x", "--k"]),
                          max_size=1 if draw(st.integers(0, 4)) == 0 else 0))
    argv = [*words, *itertools.chain.from_iterable(groups), *positionals]
    for token in stray:
        argv.insert(draw(st.integers(len(words), len(argv))), token)
    return argv


CHAT_LINES = [b"/source \xc2\xb2", b"/source 99999999999999999999", b"/source 1", b"/source 2", b"/source", b"/source -1",
              b"/source 1 2", b"/source x", b"/source \xd9\xa1", b"/new", b"/q", b"/quit", b"/exit", b"/unknown", b"",
              b"   ", b"\x1b[2J\x1b]0;owned\x07", b"\t\x0b\x0c", b"caf\xe9 \xff\xfe", b"\xed\xa0\x80", b"\x00",
              b"x" * 10_000, "Was kostet die Bibliothek? ²".encode()] + [q.encode() for q in QUESTIONS]
STDIN = st.lists(st.one_of(st.sampled_from(CHAT_LINES), st.text(ARGV_CHARACTER, max_size=30).map(str.encode),
                           st.binary(max_size=30)), max_size=6)

# ---- the sandbox ------------------------------------------------------------------------------------


class Terminal(io.TextIOWrapper):
    """A UTF-8 stream like a terminal's (``isatty`` as drawn), whose bytes are kept."""

    def __init__(self, data: bytes = b"", *, errors: str = "strict", tty: bool = False) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8", errors=errors, newline=None, write_through=True)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace")


def _outside(sandbox: Path, cwd: Path, value: str) -> bool:
    if value in ("/dev/null", "/nonexistent/index") or not value:
        return False
    where = os.path.normpath(os.path.join(cwd, os.path.expanduser(value)))
    return os.path.commonpath([where, str(sandbox)]) != str(sandbox)


class Sandbox:
    """Where every example runs: its own copy of the test index and a few files, inside one temporary folder."""

    def __init__(self, root: Path, base_index: Path) -> None:
        self.root = root
        self.base_index = base_index
        self.runs = itertools.count()

    def workspace(self) -> dict[str, Path]:
        ws = self.root / "runs" / str(next(self.runs))
        shutil.copytree(self.base_index, ws / "index")
        (ws / "file.txt").write_text("Harbour news\n2025-10-01\nhttps://news.example/a\nThe ferry ran late.\n")
        folder = ws / "folder"
        folder.mkdir()
        (folder / "good.txt").write_text("Library\n2025-10-02\nhttps://news.example/b\nThe library cost 6 million.\n")
        (folder / "empty.md").write_text("")
        (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        (ws / "model.gguf").write_bytes(b"GGUF" + bytes(60))
        (ws / "model.bin").write_bytes(b"not a model")
        cwd = ws / "a" / "b" / "c"
        cwd.mkdir(parents=True)
        return {INDEX: ws / "index", FILE: ws / "file.txt", FOLDER: folder, MISSING: ws / "missing",
                GGUF: ws / "model.gguf", NOT_GGUF: ws / "model.bin", "cwd": cwd, "ws": ws}

    def resolve(self, value: str, places: dict[str, Path]) -> str:
        for marker, path in places.items():
            if marker.startswith("\0"):
                value = value.replace(marker, str(path))
        option, equals, rest = value.partition("=")
        if equals and option.startswith("-"):  # '--index=/' would reach the parser as --index /
            return f"{option}={self.resolve(rest, places)}"
        if _outside(self.root, places["cwd"], value):  # never write to, or walk, anything outside the sandbox
            value = str(places["ws"] / "outside") + "/" + value.lstrip("/~")
        return value


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """The fakes patched in, the environment pointed at a temporary folder, and a small index built once."""
    import index.corpus_index as corpus_index
    import rag.assistant as assistant
    import rag.evaluation.results as results
    import ui.app
    import ui.serve
    from index import CorpusIndex, EmbedderError
    from index.embedder import BACKENDS, parse_embedder_name, resolve_embedder_path
    from rag.models import MODELS, resolve_model

    root = tmp_path_factory.mktemp("hostile-cli")
    built_by = corpus_index._embedder_that_built

    class StandInEmbedder(HashEmbedder):
        """What the CLI gets instead of a sentence-transformers model: the same checks of the name, no model."""

        def __init__(self, name: str = "all-MiniLM-L6-v2", batch_size: int = 32, backend: str | None = None,
                     **kwargs) -> None:
            model_name, suffix = parse_embedder_name(name)
            if (backend or suffix or "onnx") not in BACKENDS:
                raise EmbedderError(f"unknown embedder backend {backend!r}")
            resolve_embedder_path(model_name)
            super().__init__()

    def packaged_or_named(name: str) -> Path:
        return Path(root / "packaged.gguf") if name in MODELS else resolve_model(name)  # no 1 GB assembly

    def fake_serve(settings, *args, **kwargs) -> int:
        port = kwargs.get("port", args[1] if len(args) > 1 else 7860)
        if not (isinstance(port, int) and 1 <= port <= 65535):
            raise AssertionError(f"serve() was given port {port!r}")
        return 0

    with pytest.MonkeyPatch.context() as mp:
        for module in (assistant, corpus_index, sys.modules["index"], sys.modules["index.embedder"]):
            mp.setattr(module, "SentenceTransformerEmbedder", StandInEmbedder)
        mp.setattr(corpus_index, "_embedder_that_built", lambda path, built_with: HashEmbedder(
            built_with["id"], int(built_with["dim"])) if built_with.get("id") == "hashing-64" else built_by(path, built_with))
        mp.setattr(assistant, "LlamaGenerator", lambda model_path, **kwargs: CopyingGenerator())
        mp.setattr(assistant, "resolve_model", packaged_or_named)
        mp.setattr(ui.app, "serve", fake_serve)
        mp.setattr(ui.serve, "serve", fake_serve)  # rag serve: checked up to the point it would listen
        mp.setattr(results, "default_results_dir", lambda: root / "results")
        home = root / "home"
        home.mkdir()
        for name, value in (("HOME", home), ("XDG_DATA_HOME", home / "data"), ("XDG_CACHE_HOME", home / "cache"),
                            ("RAG_CACHE_DIR", home / "cache" / "rag"), ("RAG_EMBEDDER_CACHE", home / "cache" / "emb")):
            mp.setenv(name, str(value))
        for name in ("RAG_INDEX", "RAG_DEBUG", "RAG_API_KEY", "RAG_LLM_URL", "RAG_LLM_MODEL", "RAG_LLM_API_KEY_ENV"):
            mp.delenv(name, raising=False)
        mp.chdir(root)

        base = root / "base-index"
        CorpusIndex.open(base, HashEmbedder(), create=True).index_paths([ROOT / "rag" / "sample_corpus"])
        box = Sandbox(root, base)
        code, out, err = run(["chat", "--index", str(base)], stdin=b"How much did the library renovation cost?\n")
        assert code == 0, err
        opened = CorpusIndex.open(base, HashEmbedder())
        docs = opened.documents()
        chunk_ids = [c.id for d in docs[:3] for c in opened.chunks_of(d["doc_id"])[:2]]
        conversations = sorted(p.stem for p in (base / "conversations").glob("*.json"))
        assert conversations, "the chat should have saved its conversation"
        box.corpus = {"doc_ids": [d["doc_id"] for d in docs[:4]], "chunk_ids": chunk_ids,
                      "sources": sorted(opened.sources())[:3] or ["news.example"],
                      "conversation": conversations[0]}
        opened.close()
        yield box


def run(argv: list[str], stdin: bytes = b"", tty: bool = False) -> tuple[object, str, str]:
    """``ui.cli.main(argv)`` (the rag program) with terminal-like streams: (exit code, stdout, stderr)."""
    from ui.cli import main

    out, err = Terminal(tty=tty), Terminal(errors="backslashreplace", tty=tty)
    old_stdin = sys.stdin
    sys.stdin = Terminal(stdin, tty=tty)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = 0 if exc.code is None else exc.code
    finally:
        sys.stdin = old_stdin
    return code, out.text(), err.text()


USAGE_CONTINUATION = re.compile(r"^ {2,}\S")
ALLOWED_MANY = re.compile(r"^(skipped |indexed \d+/\d+ files|error: |\(searching for: |rag ui: warning: )")  # one per file / chat turn
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check(argv, code, err: str, tty: bool) -> None:
    shown = f"argv={[a if len(a) < 200 else a[:60] + f'...({len(a)} chars)' for a in argv]!r}"
    assert isinstance(code, int) and code in EXIT_CODES, f"exit code {code!r} is not documented; {shown}\n{err[-2000:]}"
    assert "Traceback" not in err, f"{shown}\n{err[-4000:]}"
    assert "unexpected error" not in err, f"{shown}\n{err[-2000:]}"
    controls = RAW_CONTROL.findall(err.replace("\r", "") if tty else err)
    assert not controls, f"raw control characters {controls[:5]!r} on stderr; {shown}\n{err[-2000:]!r}"
    lines, in_usage = [], False
    for line in err.split("\n"):
        in_usage = line.startswith("usage:") or (in_usage and bool(USAGE_CONTINUATION.match(line)))
        if line.strip() and not in_usage and not ALLOWED_MANY.match(line.lstrip("\r")):
            lines.append(line)
    assert len(lines) <= 2, f"{len(lines)} lines on stderr; {shown}\n{err[-3000:]}"


def test_every_option_has_a_strategy():
    missing = [f"rag {' '.join(words)} {'/'.join(a.option_strings) or a.dest} ({type(a).__name__}, nargs={a.nargs!r})"
               for words, parser in parsers().items() for a in arguments(parser) if kind(a) is None]
    assert not missing, "no value strategy for: " + "; ".join(missing)
    names = {words[0] for words in COMMANDS if words}
    assert {"index", "search", "ask", "chat", "docs", "remove", "ui", "lookup", "cite", "eval"} <= names, names
    assert {0, 1, 2, 3} <= EXIT_CODES, EXIT_CODES


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: "-".join(w) or "rag")
def test_hostile_arguments(words, sandbox):
    @HOSTILE
    @given(st.data())
    def property_(data):
        places = sandbox.workspace()
        argv = data.draw(invocation(words, sandbox.corpus, lambda value: sandbox.resolve(value, places)), label="argv")
        stdin = b"\n".join(data.draw(STDIN, label="stdin")) if words == ("chat",) else b""
        tty = data.draw(st.booleans(), label="tty")
        rag_index = data.draw(st.one_of(st.none(), st.just(INDEX), st.sampled_from(PATHS), TEXT), label="RAG_INDEX")
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(places["cwd"])
            if rag_index is not None:
                mp.setenv("RAG_INDEX", sandbox.resolve(rag_index, places))
            try:
                code, out, err = run(argv, stdin, tty)
            finally:
                shutil.rmtree(places["ws"], ignore_errors=True)
        OUTCOMES.setdefault(" ".join(words) or "rag", Counter())[code] += 1
        if os.environ.get("RAG_PROPERTY_SHOW") and code not in (0, 2):
            print(f"\n{code}: {err.strip()[-300:]!r}")
        check(argv, code, err, tty)

    property_()


OUTCOMES: dict[str, Counter] = {}  # exit codes seen, per command: printed at the end with pytest -s


@pytest.fixture(scope="module", autouse=True)
def report_outcomes():
    yield
    for command, codes in sorted(OUTCOMES.items()):
        print(f"\nrag {command}: {sum(codes.values())} runs, exit codes " +
              ", ".join(f"{code}: {n}" for code, n in sorted(codes.items(), key=lambda item: str(item[0]))))


def test_hostile_chat_input(sandbox):
    """``rag chat`` on a working index, fed hostile lines on stdin (the argv test reaches the chat loop less often)."""

    @HOSTILE
    @given(st.data())
    def property_(data):
        places = sandbox.workspace()
        flags = data.draw(st.lists(st.sampled_from(["--json", "--resume", "--model"]), unique=True), label="flags")
        argv = ["chat", "--index", str(places[INDEX])]
        for flag in flags:
            argv += [flag] if flag == "--json" else [flag, {"--resume": sandbox.corpus["conversation"],
                                                            "--model": "small"}[flag]]
        lines = data.draw(st.lists(st.one_of(st.sampled_from(CHAT_LINES), st.binary(max_size=40)), min_size=1,
                                   max_size=8), label="stdin")
        newline = data.draw(st.sampled_from([b"\n", b"\r\n", b"\r"]), label="newline")
        stdin = newline.join(lines) + data.draw(st.sampled_from([b"", newline]), label="end")
        tty = data.draw(st.booleans(), label="tty")
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(places["cwd"])
            try:
                code, out, err = run(argv, stdin, tty)
            finally:
                shutil.rmtree(places["ws"], ignore_errors=True)
        OUTCOMES.setdefault("chat (stdin)", Counter())[code] += 1
        assert code == 0, f"argv={argv!r} stdin={stdin[:300]!r}\n{err[-2000:]}"
        check(argv, code, err, tty)

    property_()
