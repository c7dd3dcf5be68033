"""The ``rag`` program: rag's commands (rag/cli.py) plus ``rag ui`` and ``rag serve`` from this package.

The console script (pyproject.toml ``[project.scripts]``) points here, so that rag never imports ui:
``python -m rag.cli`` runs every command but these two, and says where they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from rag import CliCommand, UsageError, cli_answer_args, cli_main, cli_parser, cli_settings, port_number

__all__ = ["main", "build_parser", "COMMANDS"]

_UI_EPILOG = ("A --host other than 127.0.0.1, localhost or ::1 requires a password: --password-file "
              "PATH, else $RAG_UI_PASSWORD (--password is for this machine only). See docs/SECURITY.md.")
_SERVE_EPILOG = ("A --host other than 127.0.0.1, localhost or ::1 requires an API key: export "
                 "RAG_API_KEY=KEY (or name another variable with --api-key-env). With a key, every "
                 "endpoint but /v1/health needs 'Authorization: Bearer KEY'. See README, 'Serve it'.")


def _ui_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=7860, help="TCP port, 1-65535 (default 7860)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password-file", metavar="PATH",
                        help="require a login (user 'rag') with the password on the first line of this file")
    secret.add_argument("--password", metavar="SECRET",
                        help="require this password (user 'rag'); other users of this machine can read it in the "
                             "process list, so it is refused with a --host other than this machine: use "
                             "RAG_UI_PASSWORD or --password-file there")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to this host name, e.g. a DNS name of this machine or a "
                        "reverse proxy's name (repeatable); other Host names are refused")
    cli_answer_args(p)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=8000, help="TCP port, 1-65535 (default 8000)")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="the environment variable holding the API key clients must send (default RAG_API_KEY; "
                        "unset: no key is required, which only a 127.0.0.1 bind allows)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests addressed to this host name (repeatable); other Host names get 421")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="let web pages from this origin (e.g. https://tools.example.org) call the API (repeatable); "
                        "CORS is off by default")
    p.add_argument("--no-ui", action="store_true", help="serve the API only, without the chat UI at /")
    cli_answer_args(p)


def _run_ui(args: argparse.Namespace) -> int:
    """Password precedence: --password-file, else --password, else $RAG_UI_PASSWORD (ui.web_security.resolve_password)."""
    from .app import serve
    from .web_security import HostPolicy, check_exposure, resolve_password

    HostPolicy.for_bind(args.host, args.allow_host)  # a bad --host or --allow-host is a usage error, before any loading
    password, source, warnings = resolve_password(args.password, args.password_file)
    check_exposure(args.host, password, source)
    for warning in warnings:
        print(f"rag ui: warning: {warning}", file=sys.stderr, flush=True)
    return serve(cli_settings(args), host=args.host, port=args.port, password=password, allow_hosts=args.allow_host)


def _run_serve(args: argparse.Namespace) -> int:
    from .serve import check_serve_exposure, resolve_api_key, serve
    from .web_security import HostPolicy, normal_origin

    HostPolicy.for_bind(args.host, args.allow_host)  # a bad --host or --allow-host is a usage error, before loading
    for origin in args.cors_origin:
        if not re.fullmatch(r"https?://[^/\s?#@]+", normal_origin(origin)):
            raise UsageError(f"--cors-origin {_shown(origin)} is not an origin like https://tools.example.org "
                             "(scheme, host and optional port; no path)")
    key, variable = resolve_api_key(args.api_key_env)
    check_serve_exposure(args.host, key, variable)
    return serve(cli_settings(args), host=args.host, port=args.port, api_key=key, key_variable=variable,
                 allow_hosts=args.allow_host, cors_origins=args.cors_origin, ui=not args.no_ui)


def _shown(value: str) -> str:
    return value if len(value) <= 80 else f"{value[:60]}... ({len(value)} characters)"


COMMANDS = (
    CliCommand("ui", "start the chat interface in the browser", _ui_arguments, _run_ui, _UI_EPILOG),
    CliCommand("serve", "serve the HTTP API (REST and OpenAI-compatible) and the chat UI", _serve_arguments,
               _run_serve, _SERVE_EPILOG),
)
"""The commands this package adds to rag's."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole ``rag`` program."""
    return cli_parser(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rag`` console script."""
    return cli_main(argv, COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
