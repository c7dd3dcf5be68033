#!/usr/bin/env bash
# Install everything the product needs into ./.venv (idempotent: a second run only checks).
#   - Python 3.11 virtual environment with the project and its pinned dependencies
#   - llama-cpp-python compiled without the multimodal tools (saves build time)
#   - for tests (RAG_SETUP_TEST=1): pytest, Playwright, Debian's chromium, and Dask (the extra
#     'cluster', so the rag index --cluster tests run; a plain install does not need it)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "setup: Python 3.11 is required (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"

extras=""
if [ "${RAG_SETUP_TEST:-0}" = "1" ]; then extras="[test,cluster]"; fi

stamp=.venv/.rag-installed$extras
want="$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: python packages up to date"
else
    echo "setup: installing python packages (the first run compiles llama-cpp-python, ~10 min on 2 cores)"
    $PIP install --quiet --upgrade pip
    # llama.cpp: skip the llava/mtmd multimodal library, tools, tests, examples and server.
    export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF}"
    # torch first, pinned: it satisfies sentence-transformers and keeps pip from choosing a CUDA build.
    $PIP install --quiet torch==2.13.0
    $PIP install --quiet -e ".$extras"
    echo "$want" > "$stamp"
fi

if [ "${RAG_SETUP_TEST:-0}" = "1" ] && ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests"
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "setup: done"
