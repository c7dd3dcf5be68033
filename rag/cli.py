"""The ``rag`` command line. Errors become one line on stderr and a documented exit code.

Exit codes: 0 success; 1 unexpected error; 2 usage error; 3 no index; 4 index
built with other settings; 5 index corrupt; 6 unknown document or passage id;
7 no file could be indexed; 8 embedder missing; 9 disk full while indexing;
10 model missing or corrupt; 11 model failed to load; 12 prompt too long for the model
(also when an LLM server says so); 13 index is read-only (writes refused); 14 LLM server
unreachable; 15 LLM server timed out; 16 LLM server error (HTTP error, rejected API key,
unknown model, malformed or cut-off stream); 17 ``rag index --cluster`` cannot use the cluster
(Dask not installed: ``pip install -e .[cluster]``; scheduler unreachable; a worker's embedder differs);
130 interrupted.

``--llm-url`` (ask, chat, ui) generates with an OpenAI-compatible server instead of a local
model; it cannot be combined with ``--model`` (a usage error, so that neither is silently ignored).

Anything else that goes wrong is a bug: it prints one line, ``rag CMD: unexpected error:
TYPE: message (please report it)``, and exits 1. Set ``RAG_DEBUG=1`` in the environment to
see its Python traceback instead.

Text from documents (titles, paths, urls, passages, quotes, answers) is printed through
:func:`rag.terminal.printable`, so that escape sequences in a document cannot drive the
terminal; ``--json`` output is JSON as is (``json.dumps`` escapes control characters).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .dates import parse_iso_day
from .errors import USER_ERRORS, RagError
from .settings import FIELD_ENVIRONMENT, ContextSettings, RetrievalSettings, Settings, default_index_dir, env_value
from .terminal import printable

__all__ = ["main", "build_parser", "port_number", "whole_number", "Command", "UsageError", "add_answer_args", "settings_of"]

ASK_K = (1, 50)
"""``rag ask --k``: passages given to the model (each costs prompt tokens)."""
SEARCH_K = (1, 1000)
"""``rag search --k`` and ``rag cite --k``: passages or citations listed."""

_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


def whole_number(low: int, high: int):
    """An argparse ``type``: a whole number ``low..high`` written in ASCII digits, else a usage error.

    ``int()`` alone accepts '١٢', ' 5 ' and '1_0', and a huge number that overflows later."""

    def parse(value: str) -> int:
        text = value.strip()
        if not _ASCII_INTEGER.fullmatch(text):
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r} (allowed: {low}-{high})")
        digits = text.lstrip("+-").lstrip("0")
        number = int(text) if len(digits) <= 18 else (-1 if text.startswith("-") else 1) * 10 ** 18
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{text if len(text) <= 30 else text[:27] + '...'} is outside "
                                             f"the allowed range {low}-{high}")
        return number

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


port_number = whole_number(1, 65535)
"""argparse ``type`` of ``rag ui --port``: a TCP port, 1-65535."""


def _sample_corpus() -> Path:
    return Path(__file__).resolve().parent / "sample_corpus"


def _default_index_shown() -> str:
    """The default index folder for --help: argparse %-formats help text, so a '%' in $RAG_INDEX is doubled."""
    try:
        shown = str(default_index_dir()).replace("%", "%%")
        return shown.encode("utf-8", "backslashreplace").decode("utf-8")  # a name that is not UTF-8: as \udcxx
    except RuntimeError:  # $RAG_INDEX is '~name' of no such user: the command that uses it says so
        return "$RAG_INDEX"


def _add_index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", help=f"index directory (default: $RAG_INDEX or {_default_index_shown()})")


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only documents dated on or after this day")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only documents dated on or before this day")
    p.add_argument("--source", action="append", default=[], metavar="SITE", help="only documents from this site (repeatable)")
    p.add_argument("--doc", action="append", default=[], metavar="DOC_ID", help="only these documents (repeatable)")


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors quote what was typed with control characters escaped (ESC cannot reach
    the terminal through an argument echoed back); subcommand parsers are of this class too."""

    def error(self, message: str):
        super().error(printable(message))

    def _get_values(self, action, arg_strings):
        # Python 3.11 reads '--k=--' as --k with no value at all: [] reaches the command, past the type check.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            self.error(f"argument {'/'.join(action.option_strings)}: expected one argument")
        return super()._get_values(action, arg_strings)


def _cluster(value: str) -> str:
    """argparse ``type`` of ``rag index --cluster``: auto, auto:N or a Dask scheduler address."""
    from index.cluster import parse_cluster

    try:
        return parse_cluster(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--cluster ")) from None


@dataclass(frozen=True)
class Command:
    """A command another package adds to ``rag`` (``ui`` adds ``rag ui`` and ``rag serve``: ui/cli.py),
    so that rag's own command line never imports the packages built on it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    """Adds the command's options; :func:`add_answer_args` adds those of the commands that answer."""
    run: Callable[[argparse.Namespace], int]
    """Runs the command after the usual checks; :func:`settings_of` gives its Settings."""
    epilog: str = ""


def build_parser(extensions: Sequence[Command] = ()) -> argparse.ArgumentParser:
    parser = _Parser(prog="rag", description="Ask questions of your documents; every answer cited, all local.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build or update an index from files and folders")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (recursive)")
    p.add_argument("--sample", action="store_true", help="index the built-in sample corpus")
    p.add_argument("--no-prune", action="store_true", help="keep documents whose files were deleted")
    p.add_argument("--embedder", help="sentence-transformers folder (default: packaged all-MiniLM-L6-v2)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="follow symbolic links that lead outside the named folders; by default they are skipped and listed")
    p.add_argument("--cluster", metavar="auto|ADDRESS", type=_cluster,
                   help="load, chunk and embed on a Dask cluster: 'auto' starts one worker per core here ('auto:N' N "
                        "workers), tcp://HOST:PORT joins a scheduler. Needs: pip install -e .[cluster]")
    _add_index_arg(p)

    p = sub.add_parser("ask", help="ask a question, get a cited answer")
    p.add_argument("question")
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    p.add_argument("--k", type=whole_number(*ASK_K), metavar="N",
                   help=f"passages given to the model, {ASK_K[0]}-{ASK_K[1]} (default {RetrievalSettings.k})")
    _add_budget_arg(p)
    _add_llm_args(p)
    _add_set_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_index_arg(p)
    _add_filter_args(p)

    p = sub.add_parser("search", help="retrieve passages without generating an answer")
    p.add_argument("query")
    p.add_argument("--k", type=whole_number(*SEARCH_K), default=10, metavar="N",
                   help=f"passages to list, {SEARCH_K[0]}-{SEARCH_K[1]} (default 10)")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)
    _add_filter_args(p)

    p = sub.add_parser("lookup", help="show a passage by id, with its document and context")
    p.add_argument("id", help="passage id as printed in citations (e.g. 68ee16de7e0bc4b6-2)")
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)

    p = sub.add_parser("cite", help="find the passages that support a claim or quote")
    p.add_argument("text")
    p.add_argument("--k", type=whole_number(*SEARCH_K), default=5, metavar="N",
                   help=f"citations to list, {SEARCH_K[0]}-{SEARCH_K[1]} (default 5)")
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)
    _add_filter_args(p)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    p.add_argument("--json", action="store_true", help="read one question per line on stdin, print one JSON answer per line")
    p.add_argument("--resume", metavar="ID", help="continue a saved conversation")
    p.add_argument("--list", action="store_true", help="list saved conversations and exit")
    _add_budget_arg(p)
    _add_llm_args(p)
    _add_set_arg(p)
    _add_index_arg(p)

    p = sub.add_parser("docs", help="list the documents in the index")
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)

    p = sub.add_parser("remove", help="remove documents from the index")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    _add_index_arg(p)

    p = sub.add_parser("settings", help="list every setting: its value for this run and what it does")
    p.add_argument("--json", action="store_true", help="print a JSON list of {name, value, description}")
    _add_set_arg(p)
    _add_index_arg(p)

    for command in extensions:
        p = sub.add_parser(command.name, help=command.help, epilog=command.epilog)
        command.add_arguments(p)

    from .evaluation.cli import add_eval_parser  # light module: no heavy imports at parse time

    add_eval_parser(sub)
    return parser


def settings_of(args: argparse.Namespace) -> Settings:
    """The Settings of a run: the defaults, then ``--set NAME=VALUE`` in order, then the named options."""
    index = getattr(args, "index", None)
    # An explicit --index wins: $RAG_INDEX, which Settings() reads for its default, is then not looked at.
    base = Settings(index_dir=Path(index)) if index is not None else Settings()
    base = base.with_assignments(getattr(args, "set", None) or ())
    return base.with_overrides(index_dir=index, model=getattr(args, "model", None),
                               embedder=getattr(args, "embedder", None),
                               context_tokens=getattr(args, "context_tokens", None),
                               **{name: getattr(args, name, None) for name in _LLM_ARGS})


def _evidence_budget(value: str) -> int:
    """``--context-tokens``: a whole number of tokens the evidence may take in the prompt."""
    try:
        tokens = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 50 <= tokens <= 3000:
        raise argparse.ArgumentTypeError(f"{tokens} is outside 50-3000 (the model's context is 4,096 tokens)")
    return tokens


def _add_budget_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--context-tokens", type=_evidence_budget, metavar="N",
                   help=f"evidence budget in tokens (default {ContextSettings.context_tokens}; 240 answers about "
                        "twice as fast on a CPU and shows less evidence: docs/BENCHMARKS.md)")


def _add_set_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change a setting for this run, e.g. --set k=6 or --set retrieval.fusion=rrf (repeatable; "
                        "'rag settings' lists them; an unknown name or a bad value exits 2); named options such as "
                        "--context-tokens win over --set")


def add_answer_args(p: argparse.ArgumentParser) -> None:
    """The options of a command that answers questions: --model, --context-tokens, the LLM server, --set, --index."""
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    _add_budget_arg(p)
    _add_llm_args(p)
    _add_set_arg(p)
    _add_index_arg(p)


_LLM_ARGS = {"llm_url": "--llm-url", "llm_model": "--llm-model", "llm_api_key_env": "--llm-api-key-env"}
"""The LLM-server options, by dest (and Settings field)."""


def _add_llm_args(p: argparse.ArgumentParser) -> None:
    """--llm-url, --llm-model, --llm-api-key-env: generate with an OpenAI-compatible server (checked by _check_llm_args)."""
    p.add_argument("--llm-url", metavar="URL",
                   help="generate with this OpenAI-compatible server instead of a local model, e.g. "
                        "http://127.0.0.1:8080/v1 (default: $RAG_LLM_URL); not with --model")
    p.add_argument("--llm-model", metavar="NAME",
                   help="model name sent to the server (default: $RAG_LLM_MODEL, else the first it lists)")
    p.add_argument("--llm-api-key-env", metavar="VAR",
                   help="name of the environment variable holding the server's API key, sent as a Bearer token "
                        "(default: $RAG_LLM_API_KEY_ENV; without it no key is sent)")


def _check_llm_args(args: argparse.Namespace) -> None:
    """The LLM-server options (and $RAG_LLM_*) are usable, before anything loads."""
    from .settings import FIELD_ENVIRONMENT, env_name_problem, llm_url_problem

    if not hasattr(args, "llm_url"):
        return
    given = {name: getattr(args, name) for name in _LLM_ARGS if getattr(args, name) is not None}
    settings = Settings(index_dir=Path()).with_assignments(getattr(args, "set", None) or ()).with_overrides(**given)
    origin = {name: _LLM_ARGS[name] if name in given else FIELD_ENVIRONMENT[name] for name in _LLM_ARGS}
    if settings.llm.llm_url is None:
        named = [_LLM_ARGS[name] for name in given]
        if named:
            raise _UsageError(f"{' and '.join(named)} need{'s' if len(named) == 1 else ''} --llm-url URL "
                              f"(or {FIELD_ENVIRONMENT['llm_url']}): the server to generate with")
        return
    problem = llm_url_problem(settings.llm.llm_url)
    if problem:
        raise _UsageError(f"{origin['llm_url']} {problem}")
    if getattr(args, "model", None) is not None:
        raise _UsageError(f"--model runs a local model, {origin['llm_url']} names a server: give one of them "
                          "(the server's model is chosen with --llm-model)")
    if settings.llm.llm_model is not None and not settings.llm.llm_model.strip():
        raise _UsageError(f"{origin['llm_model']} is empty; name a model of the server, or leave it out")
    if settings.llm.llm_api_key_env is not None:
        problem = env_name_problem(settings.llm.llm_api_key_env)
        if problem:
            raise _UsageError(f"{origin['llm_api_key_env']} {problem}")
        settings.llm_api_key()  # a named but unset variable: a SettingsError (exit 2) now, not after the search


def _filters(args: argparse.Namespace):
    from index import SearchFilter

    days = {}
    for name in ("since", "until"):
        value = getattr(args, name)
        if value:
            try:
                days[name] = parse_iso_day(value)
            except ValueError:
                raise _UsageError(f"--{name} must be a date like 2021-11-18 (YYYY-MM-DD), not {value!r}") from None
    if days.get("since") and days.get("until") and days["since"] > days["until"]:
        raise _UsageError(f"--since {days['since']} is after --until {days['until']}: no document can match")
    return SearchFilter(since=days.get("since"), until=days.get("until"), sources=tuple(args.source),
                        doc_ids=tuple(args.doc))


_TEXT_ARGS = {"ask": "question", "search": "query", "cite": "text"}
# Arguments that are text, not file names: what argv held as bytes that are not UTF-8 reaches Python
# as lone surrogates, which neither SQLite nor a UTF-8 stdout accepts.
_UTF8_ARGS = {"question": "the question", "query": "the query", "text": "the text", "id": "the passage id",
              "doc_ids": "DOC_ID", "source": "--source", "doc": "--doc", "resume": "--resume", **_LLM_ARGS}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Arguments that name a file or folder (or a packaged name such as 'default'), by dest, rag eval's included.
_PATH_ARGS = {"embedder": "--embedder", "model": "--model", "beir": "--beir", "queries": "--queries",
              "corpus": "--corpus", "data": "--data", "index_dir": "--index-dir", "results_dir": "--results-dir"}


def _check_args(args: argparse.Namespace) -> None:
    """Usage errors found before anything loads (the same check for every command)."""
    name = _TEXT_ARGS.get(args.command)
    if name and not getattr(args, name).strip():
        raise _UsageError(f"the {name} is empty")
    for dest, label in _UTF8_ARGS.items():
        values = getattr(args, dest, None)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and _SURROGATE.search(value):
                try:
                    raw = repr(os.fsencode(value))  # the bytes as given
                except UnicodeEncodeError:
                    raw = ascii(value)
                raise _UsageError(f"{label} is not valid UTF-8 text ({_shown(raw)}); "
                                  "check the encoding of the terminal or script that wrote it")
    for dest, flag in _PATH_ARGS.items():
        value = getattr(args, dest, None)
        why = _unusable_path(value) if isinstance(value, str) else None
        if why:
            raise _UsageError(f"{flag} {_shown(value)}: {why}")
    if hasattr(args, "since"):
        _filters(args)
    # Every command reads Settings, whose default index folder comes from $RAG_INDEX.
    _check_index_dir(getattr(args, "index", None))
    _check_llm_args(args)


def _shown(value: str) -> str:
    return value if len(value) <= 80 else f"{value[:60]}... ({len(value)} characters)"


def _no_such_user(path: str) -> str:
    """Why ``Path(path).expanduser()`` failed: '~name' stands for the home folder of a user who does not exist."""
    user = path[1:].split("/", 1)[0]
    return f"'~{_shown(user)}' is the home folder of user {_shown(user)!r}, who does not exist"


def _check_index_dir(explicit: str | None) -> None:
    """``--index`` (or ``$RAG_INDEX``) must name a folder, or a path where one can be made."""
    named = explicit if explicit is not None else env_value(FIELD_ENVIRONMENT["index_dir"])
    if explicit is not None and not explicit.strip():
        raise _UsageError("--index is empty; name an index folder")
    if not named:
        return
    flag = "--index" if explicit is not None else FIELD_ENVIRONMENT["index_dir"]
    if _SURROGATE.search(named):  # FAISS (and so the index) takes UTF-8 file names only
        raise _UsageError(f"{flag} {_shown(ascii(named))}: the folder name is not valid UTF-8; name another folder")
    try:
        path = Path(named).expanduser()
    except RuntimeError:  # '~name' where no user is called name
        raise _UsageError(f"{flag} {_shown(named)}: {_no_such_user(named)}") from None
    for candidate in (path, *path.parents):
        try:
            if candidate.exists() and not candidate.is_dir():
                where = "is a file" if candidate == path else f"is under {candidate}, which is a file"
                raise _UsageError(f"{flag} {_shown(named)} {where}, not an index folder")
        except OSError as exc:  # a name too long for the file system, a folder that may not be searched
            raise _UsageError(f"{flag} {_shown(named)} cannot be an index folder: {exc.strerror or exc}") from None


class UsageError(RagError):
    """A command line that cannot be run as given (exit code 2), found before anything loads."""

    exit_code = 2


_UsageError = UsageError


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def _unusable_path(path: str) -> str | None:
    """Why a named path cannot even be looked up (the folder walk would fail on it), else None."""
    try:
        Path(path).expanduser().exists()
    except RuntimeError:  # '~name' where no user is called name
        return _no_such_user(path)
    except OSError as exc:  # e.g. a name too long for the file system
        return exc.strerror or str(exc)
    return None


def _cmd_index(args) -> int:
    from index import IndexReport, Skipped

    from .assistant import Assistant

    paths = list(args.paths)
    if args.sample:
        paths.append(str(_sample_corpus()))
    if not paths:
        raise _UsageError("name files or folders to index (or --sample for the built-in sample corpus)")
    unusable = [Skipped(p, why) for p in paths if (why := _unusable_path(p))]  # skipped like unreadable files
    paths = [p for p in paths if not _unusable_path(p)]
    assistant = Assistant(settings_of(args))
    interactive = sys.stderr.isatty()

    def progress(p) -> None:
        line = f"indexed {p.files_done}/{p.files_total} files, {p.chunks_added} chunks, {p.chunks_per_second:.1f} chunks/s"
        print(("\r" + line) if interactive else line, end="" if interactive else "\n", file=sys.stderr, flush=True)

    if paths:
        report = assistant.build(paths, progress=progress, prune=not args.no_prune, follow_symlinks=args.follow_symlinks,
                                 cluster=args.cluster)
    else:
        report = IndexReport()
    report.skipped[:0] = unusable
    if interactive:
        print(file=sys.stderr)
    if assistant.has_index:
        stats = assistant.index.stats()
    else:  # nothing could be read, so no index was left behind
        stats = {"path": str(Path(assistant.settings.index_dir).expanduser()), "documents": 0, "chunks": 0}
    if args.json:
        _print_json({**report.to_dict(), "index": stats})
    else:
        print(f"{printable(assistant.settings.index_dir)}: {len(report.added)} added, {len(report.updated)} updated, "
              f"{report.unchanged} unchanged, {len(report.removed)} removed, {len(report.duplicates)} duplicates; "
              f"{report.chunks_added} chunks embedded in {report.seconds:.1f}s. "
              f"Index holds {stats['documents']} documents, {stats['chunks']} chunks.")
        for s in report.skipped:
            print(f"skipped {printable(s.path)}: {printable(s.reason)}", file=sys.stderr)
    nothing_read = report.skipped and not (report.added or report.updated or report.unchanged or report.duplicates)
    return 7 if nothing_read else 0


def _cmd_ask(args) -> int:
    from .assistant import Assistant

    assistant = Assistant(settings_of(args))
    stream = assistant.stream(args.question, k=args.k, filters=_filters(args))
    live = sys.stderr.isatty() and not args.json
    if live:
        print(f"[{len(stream.passages)} passages found; generating with {assistant.model_id}]", file=sys.stderr, flush=True)
    for piece in stream:
        if live:
            print(printable(piece, lines=True), end="", file=sys.stderr, flush=True)
    if live:
        print("\n", file=sys.stderr)
    answer = stream.answer
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(printable(answer.with_references(), lines=True))
        if answer.abstained and answer.passages:
            print("\nClosest passages:")
            for p in answer.passages[:3]:
                print(f"  {p.chunk_id}  {printable(p.title)} ({printable(p.date) or 'undated'}): {printable(p.text[:160])}")
        if answer.abstained and answer.left_out:
            print("\nWhy each sentence of the model's answer was left out:\n"
                  + "\n".join(printable(line) for line in answer.left_out_lines()))
    return 0


def _print_passages(passages) -> None:
    for i, p in enumerate(passages, 1):
        print(f"{i}. [{p.chunk_id}] {printable(p.title)} ({printable(p.date) or 'undated'}) score={p.score:.4f} cos={p.dense:.3f}")
        print(f"   {printable(p.url or p.path)}")
        print(f"   {printable(p.text[:300])}{'...' if len(p.text) > 300 else ''}")


def _cmd_search(args) -> int:
    from .assistant import Assistant

    passages = Assistant(settings_of(args)).search(args.query, k=args.k, filters=_filters(args), mode=args.mode)
    if args.json:
        _print_json([p.to_dict() for p in passages])
    else:
        _print_passages(passages) if passages else print("no passages found")
    return 0


def _cmd_lookup(args) -> int:
    from .assistant import Assistant

    found = Assistant(settings_of(args)).lookup(args.id)
    if args.json:
        _print_json(found.to_dict())
    else:
        print(f"{printable(found.title)} ({printable(found.date) or 'undated'})\n{printable(found.url)}\n"
              f"{printable(found.path)} [{found.start}:{found.end}]\n")
        print(printable(f"...{found.before}>>>{found.text}<<<{found.after}...", lines=True))
    return 0


def _cmd_cite(args) -> int:
    from .assistant import Assistant
    from .sources import named_sources

    assistant = Assistant(settings_of(args))
    citations = assistant.sources_for(args.text, k=args.k, filters=_filters(args))
    if args.json:
        _print_json([c.to_dict() for c in citations])
    elif not citations:
        named = named_sources(args.text, assistant.index.sources())
        print("no passage in the index supports this text" + (
            f" (it names {printable(', '.join(named))}: only what they wrote counts; without the name, other sources may)"
            if named else ""))
    else:
        for c in citations:
            print(f"[{c.n}] support={c.support:.2f} {printable(c.title)} ({printable(c.date) or 'undated'}) "
                  f"{printable(c.url or c.path)} [{c.start}:{c.end}]")
            print(f'    "{printable(c.quote)}"')
    return 0


def _cmd_docs(args) -> int:
    from .assistant import Assistant

    docs = Assistant(settings_of(args)).documents()
    if args.json:
        _print_json(docs)
    else:
        for d in docs:
            print(f"{d['doc_id']}  {printable(d['date']) or '----------'}  {d['chunks']:>3} chunks  "
                  f"{printable(d['title'][:70])}  ({printable(d['source'] or d['path'])})")
        print(f"{len(docs)} documents")
    return 0


def _cmd_remove(args) -> int:
    from .assistant import Assistant

    removed = Assistant(settings_of(args)).remove(args.doc_ids)
    print(f"removed {len(removed)} documents")
    return 0


def _cmd_chat(args) -> int:
    from .assistant import Assistant
    from .chat_cli import run_chat

    assistant = Assistant(settings_of(args))
    if args.list:
        assistant.index  # a missing index is reported as such
        for c in assistant.conversations():
            print(f"{c['id']}  {c['turns']:>2} turns  {printable(c['first_question'][:80])}")
        return 0
    return run_chat(assistant, json_mode=args.json, resume=args.resume)


def _json_value(value):
    """A setting's value as JSON holds it: a path as text, a set of names as a sorted list."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def _cmd_settings(args) -> int:
    rows = settings_of(args).describe()
    if args.json:
        _print_json([{"name": name, "value": _json_value(value), "description": text} for name, value, text in rows])
        return 0
    for name, value, text in rows:
        print(f"{name} = {printable(str(value))}")
        for line in textwrap.wrap(text, 96):
            print(f"    {line}")
    print(f"{len(rows)} settings; change one for a run with --set NAME=VALUE (NAME alone, or group.NAME)")
    return 0


COMMANDS = {
    "index": _cmd_index, "ask": _cmd_ask, "search": _cmd_search, "lookup": _cmd_lookup, "cite": _cmd_cite,
    "chat": _cmd_chat, "docs": _cmd_docs, "remove": _cmd_remove, "settings": _cmd_settings,
}


def _cmd_eval(args) -> int:
    from .evaluation.cli import run_eval

    return run_eval(args)


COMMANDS["eval"] = _cmd_eval


_ELSEWHERE = {"ui": "the chat interface", "serve": "the HTTP API"}
"""Commands of the ``rag`` program that live in the ui package (ui/cli.py), not in ``python -m rag.cli``."""


def main(argv: Sequence[str] | None = None, extensions: Sequence[Command] = ()) -> int:
    """Run one command; ``extensions`` are the commands of packages built on rag (the ``rag`` program: ui/cli.py)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # pypdf logs its complaints about damaged files ("EOF marker not found") to stderr, in
    # between the progress lines; rag index reports each such file once, with its reason.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    parser = build_parser(extensions)
    words = sys.argv[1:] if argv is None else list(argv)
    added = {command.name for command in extensions}
    if words and words[0] in _ELSEWHERE and words[0] not in added:
        print(f"rag {words[0]}: {_ELSEWHERE[words[0]]} is a command of the installed 'rag' program "
              f"(or python -m ui.cli {words[0]}), not of python -m rag.cli", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    run = {**COMMANDS, **{command.name: command.run for command in extensions}}[args.command]
    try:
        _check_args(args)
        return run(args)
    except USER_ERRORS as exc:
        print(f"rag {args.command}: error: {printable(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        print(f"\nrag {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line (the traceback with RAG_DEBUG=1), not a wall of text
        if env_value("RAG_DEBUG") == "1":
            raise
        print(f"rag {args.command}: unexpected error: {type(exc).__name__}: {printable(exc)} (please report it)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
