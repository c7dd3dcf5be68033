"""The ``rag`` command line. Errors become one line on stderr and a documented exit code.

Exit codes: 0 success; 1 unexpected error; 2 usage error; 3 no index; 4 index
built with other settings; 5 index corrupt; 6 unknown document or passage id;
7 no file could be indexed; 8 embedder missing; 10 model missing or corrupt;
11 model failed to load; 12 prompt too long for the model; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from .errors import USER_ERRORS, RagError
from .settings import Settings, default_index_dir

__all__ = ["main", "build_parser"]


def _sample_corpus() -> Path:
    return Path(__file__).resolve().parent / "sample_corpus"


def _add_index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", help=f"index directory (default: $RAG_INDEX or {default_index_dir()})")


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only documents dated on or after this day")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only documents dated on or before this day")
    p.add_argument("--source", action="append", default=[], metavar="SITE", help="only documents from this site (repeatable)")
    p.add_argument("--doc", action="append", default=[], metavar="DOC_ID", help="only these documents (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions of your documents; every answer cited, all local.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build or update an index from files and folders")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (recursive)")
    p.add_argument("--sample", action="store_true", help="index the built-in sample corpus")
    p.add_argument("--no-prune", action="store_true", help="keep documents whose files were deleted")
    p.add_argument("--embedder", help="sentence-transformers folder (default: packaged all-MiniLM-L6-v2)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_index_arg(p)

    p = sub.add_parser("ask", help="ask a question, get a cited answer")
    p.add_argument("question")
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    p.add_argument("--k", type=int, help=f"passages given to the model (default {Settings().k})")
    _add_budget_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_index_arg(p)
    _add_filter_args(p)

    p = sub.add_parser("search", help="retrieve passages without generating an answer")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=10)
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
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)
    _add_filter_args(p)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    p.add_argument("--json", action="store_true", help="read one question per line on stdin, print one JSON answer per line")
    p.add_argument("--resume", metavar="ID", help="continue a saved conversation")
    p.add_argument("--list", action="store_true", help="list saved conversations and exit")
    _add_budget_arg(p)
    _add_index_arg(p)

    p = sub.add_parser("docs", help="list the documents in the index")
    p.add_argument("--json", action="store_true")
    _add_index_arg(p)

    p = sub.add_parser("remove", help="remove documents from the index")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    _add_index_arg(p)

    p = sub.add_parser("ui", help="start the chat interface in the browser")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--model", help="default, small, or a path to a GGUF file")
    p.add_argument("--password", help="require this password (user 'rag'); recommended with --host 0.0.0.0")
    _add_budget_arg(p)
    _add_index_arg(p)

    from .evaluation.cli import add_eval_parser  # light module: no heavy imports at parse time

    add_eval_parser(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(index_dir=getattr(args, "index", None), model=getattr(args, "model", None),
                                     embedder=getattr(args, "embedder", None),
                                     context_tokens=getattr(args, "context_tokens", None))


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
                   help="evidence budget in tokens (default 480; 240 answers about twice as fast on a CPU and "
                        "shows less evidence: docs/BENCHMARKS.md)")


def _filters(args: argparse.Namespace):
    from index import SearchFilter

    for name in ("since", "until"):
        value = getattr(args, name)
        if value and not _is_date(value):
            raise _UsageError(f"--{name} must be a date like 2021-11-18, not {value!r}")
    return SearchFilter(since=args.since, until=args.until, sources=tuple(args.source), doc_ids=tuple(args.doc))


def _is_date(value: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
        return True
    except ValueError:
        return False


class _UsageError(RagError):
    exit_code = 2


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def _cmd_index(args) -> int:
    from .assistant import Assistant

    paths = list(args.paths)
    if args.sample:
        paths.append(str(_sample_corpus()))
    if not paths:
        raise _UsageError("name files or folders to index (or --sample for the built-in sample corpus)")
    assistant = Assistant(_settings(args))
    interactive = sys.stderr.isatty()

    def progress(p) -> None:
        line = f"indexed {p.files_done}/{p.files_total} files, {p.chunks_added} chunks, {p.chunks_per_second:.1f} chunks/s"
        print(("\r" + line) if interactive else line, end="" if interactive else "\n", file=sys.stderr, flush=True)

    report = assistant.build(paths, progress=progress, prune=not args.no_prune)
    if interactive:
        print(file=sys.stderr)
    stats = assistant.index.stats()
    if args.json:
        _print_json({**report.to_dict(), "index": stats})
    else:
        print(f"{assistant.settings.index_dir}: {len(report.added)} added, {len(report.updated)} updated, "
              f"{report.unchanged} unchanged, {len(report.removed)} removed, {len(report.duplicates)} duplicates; "
              f"{report.chunks_added} chunks embedded in {report.seconds:.1f}s. "
              f"Index holds {stats['documents']} documents, {stats['chunks']} chunks.")
        for s in report.skipped:
            print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    nothing_read = report.skipped and not (report.added or report.updated or report.unchanged or report.duplicates)
    return 7 if nothing_read else 0


def _cmd_ask(args) -> int:
    from .assistant import Assistant

    assistant = Assistant(_settings(args))
    stream = assistant.stream(args.question, k=args.k, filters=_filters(args))
    live = sys.stderr.isatty() and not args.json
    if live:
        print(f"[{len(stream.passages)} passages found; generating with {assistant.model_id}]", file=sys.stderr, flush=True)
    for piece in stream:
        if live:
            print(piece, end="", file=sys.stderr, flush=True)
    if live:
        print("\n", file=sys.stderr)
    answer = stream.answer
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(answer.with_references())
        if answer.abstained and answer.passages:
            print("\nClosest passages:")
            for p in answer.passages[:3]:
                print(f"  {p.chunk_id}  {p.title} ({p.date or 'undated'}): {p.text[:160]}")
        if answer.abstained and answer.unsupported:
            print("\nThe model's answer, which no passage supports:\n" + "\n".join(answer.left_out_lines()))
    return 0


def _print_passages(passages) -> None:
    for i, p in enumerate(passages, 1):
        print(f"{i}. [{p.chunk_id}] {p.title} ({p.date or 'undated'}) score={p.score:.4f} cos={p.dense:.3f}")
        print(f"   {p.url or p.path}")
        print(f"   {p.text[:300]}{'...' if len(p.text) > 300 else ''}")


def _cmd_search(args) -> int:
    from .assistant import Assistant

    passages = Assistant(_settings(args)).search(args.query, k=args.k, filters=_filters(args), mode=args.mode)
    if args.json:
        _print_json([p.to_dict() for p in passages])
    else:
        _print_passages(passages) if passages else print("no passages found")
    return 0


def _cmd_lookup(args) -> int:
    from .assistant import Assistant

    found = Assistant(_settings(args)).lookup(args.id)
    if args.json:
        _print_json(found.to_dict())
    else:
        print(f"{found.title} ({found.date or 'undated'})\n{found.url or ''}\n{found.path} [{found.start}:{found.end}]\n")
        print(f"...{found.before}>>>{found.text}<<<{found.after}...")
    return 0


def _cmd_cite(args) -> int:
    from .assistant import Assistant
    from .sources import named_sources

    assistant = Assistant(_settings(args))
    citations = assistant.sources_for(args.text, k=args.k, filters=_filters(args))
    if args.json:
        _print_json([c.to_dict() for c in citations])
    elif not citations:
        named = named_sources(args.text, assistant.index.store.sources())
        print("no passage in the index supports this text" + (
            f" (it names {', '.join(named)}: only what they wrote counts; without the name, other sources may)"
            if named else ""))
    else:
        for c in citations:
            print(f"[{c.n}] support={c.support:.2f} {c.title} ({c.date or 'undated'}) {c.url or c.path} [{c.start}:{c.end}]")
            print(f'    "{c.quote}"')
    return 0


def _cmd_docs(args) -> int:
    from .assistant import Assistant

    docs = Assistant(_settings(args)).documents()
    if args.json:
        _print_json(docs)
    else:
        for d in docs:
            print(f"{d['doc_id']}  {d['date'] or '----------'}  {d['chunks']:>3} chunks  {d['title'][:70]}  ({d['source'] or d['path']})")
        print(f"{len(docs)} documents")
    return 0


def _cmd_remove(args) -> int:
    from .assistant import Assistant

    removed = Assistant(_settings(args)).remove(args.doc_ids)
    print(f"removed {len(removed)} documents")
    return 0


def _cmd_chat(args) -> int:
    from .assistant import Assistant
    from .chat_cli import run_chat

    assistant = Assistant(_settings(args))
    if args.list:
        assistant.index  # a missing index is reported as such
        for c in assistant.conversations():
            print(f"{c['id']}  {c['turns']:>2} turns  {c['first_question'][:80]}")
        return 0
    return run_chat(assistant, json_mode=args.json, resume=args.resume)


def _cmd_ui(args) -> int:
    from ui.app import serve

    return serve(_settings(args), host=args.host, port=args.port, password=args.password)


COMMANDS = {
    "index": _cmd_index, "ask": _cmd_ask, "search": _cmd_search, "lookup": _cmd_lookup, "cite": _cmd_cite,
    "chat": _cmd_chat, "docs": _cmd_docs, "remove": _cmd_remove, "ui": _cmd_ui,
}


def _cmd_eval(args) -> int:
    from .evaluation.cli import run_eval

    return run_eval(args)


COMMANDS["eval"] = _cmd_eval


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # pypdf logs its complaints about damaged files ("EOF marker not found") to stderr, in
    # between the progress lines; rag index reports each such file once, with its reason.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as exc:
        print(f"rag {args.command}: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        print(f"\nrag {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
