"""Clear errors everywhere, in real processes: one line on stderr that says what to do, and the
exit code documented in the README (3 no index, 4 index built with other settings, 5 index
corrupt, 10 model missing or not a model, 11 model cannot be loaded, including not enough
memory, 12 prompt larger than the model's context)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import HashEmbedder

RAG = str(Path(sys.executable).with_name("rag"))
QUESTION = "How much did the library renovation cost?"  # answered by the sample corpus: reaches the model


def run(*args, timeout=600):
    return subprocess.run([RAG, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def one_line_error(result, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    message = result.stderr.strip()
    assert "Traceback" not in message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory) -> Path:
    """The sample corpus indexed by a real ``rag index`` (real embedder)."""
    path = tmp_path_factory.mktemp("errors") / "index"
    result = run("index", "--sample", "--index", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    return path


@pytest.fixture()
def index_copy(sample_index, tmp_path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(sample_index, target)
    return target


# ---- the index ---------------------------------------------------------------------------------

def test_missing_index_exits_3(tmp_path):
    one_line_error(run("ask", QUESTION, "--index", str(tmp_path / "none")), 3, "no index at", "rag index PATH")


def test_index_built_by_another_embedder_exits_4(tmp_path):
    from index import CorpusIndex

    (tmp_path / "doc.txt").write_text("Lighthouse\n20240105\nhttps://coast.example/a\nThe lighthouse was restored.\n")
    CorpusIndex.open(tmp_path / "idx", HashEmbedder(), create=True).index_paths([tmp_path / "doc.txt"])
    one_line_error(run("search", "lighthouse", "--index", str(tmp_path / "idx")), 4, "'hashing-64'", "rag index PATH... --index NEW_DIR")


def test_index_of_another_format_version_exits_4(index_copy):
    manifest = json.loads((index_copy / "manifest.json").read_text())
    manifest["format_version"] = 999
    (index_copy / "manifest.json").write_text(json.dumps(manifest))
    one_line_error(run("search", "library", "--index", str(index_copy)), 4, "format version 999", "rebuild it")


@pytest.mark.parametrize("damage", ["manifest", "store", "missing store"])
def test_corrupt_index_exits_5(index_copy, damage):
    if damage == "manifest":
        (index_copy / "manifest.json").write_text("{not json")
    else:
        for extra in ("store.sqlite-wal", "store.sqlite-shm"):
            (index_copy / extra).unlink(missing_ok=True)
        store = index_copy / "store.sqlite"
        store.unlink() if damage == "missing store" else store.write_bytes(b"not a database " * 100)
    one_line_error(run("docs", "--index", str(index_copy)), 5, "rebuild")


# ---- the model -----------------------------------------------------------------------------------

def test_missing_model_file_exits_10(sample_index, tmp_path):
    one_line_error(run("ask", QUESTION, "--index", str(sample_index), "--model", str(tmp_path / "gone.gguf")), 10,
                   "no such file", "default, small")


def test_file_that_is_not_a_model_exits_10(sample_index, tmp_path):
    fake = tmp_path / "weights.gguf"
    fake.write_bytes(b"<html>a download error page</html>")
    one_line_error(run("ask", QUESTION, "--index", str(sample_index), "--model", str(fake)), 10, "not a GGUF")


def small_model() -> Path:
    from rag.errors import ModelNotFoundError
    from rag.models import resolve_model

    try:
        return resolve_model("small")
    except ModelNotFoundError as exc:
        pytest.skip(f"the small model is not installed: {exc}")


@pytest.mark.slow
def test_truncated_model_exits_11(sample_index, tmp_path):
    """The first 2 MB of the real small model: a valid GGUF header that llama.cpp cannot load."""
    truncated = tmp_path / "truncated.gguf"
    with open(small_model(), "rb") as src:
        truncated.write_bytes(src.read(2 << 20))
    one_line_error(run("ask", QUESTION, "--index", str(sample_index), "--model", str(truncated)), 11,
                   "damaged or incomplete", "Download the GGUF file again", "--model small")


# Runs `rag ask` with an address-space limit (ulimit -v) set the moment the model is about to
# load, as if the machine had only HEADROOM bytes left for it. Without the check before
# loading, ggml aborted the whole process (SIGABRT, exit 134) at 600 MB of headroom.
LIMITED = """
import re, resource, sys
import rag.generator as generator

HEADROOM = int(sys.argv[1])
load = generator.LlamaGenerator.llm.fget


def limited(self):
    mapped = int(re.search(r"VmSize:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mapped + HEADROOM, resource.RLIM_INFINITY))
    return load(self)


generator.LlamaGenerator.llm = property(limited)
from ui.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("model", ["small", "1.2 GB"])
def test_not_enough_memory_for_the_model_exits_11(sample_index, tmp_path, model):
    if model == "small":
        path = small_model()
    else:  # a sparse stand-in for a bigger model: the check needs its size, not its weights
        path = tmp_path / "big.gguf"
        with open(path, "wb") as fh:
            fh.write(b"GGUF")
            fh.truncate(1200 << 20)
    headroom = 600 << 20
    result = subprocess.run([sys.executable, "-c", LIMITED, str(headroom), "ask", QUESTION, "--index", str(sample_index),
                             "--model", str(path)], capture_output=True, text=True, timeout=600)
    message = one_line_error(result, 11, "not enough memory to load the model", "ulimit -v", "close other programs")
    assert ("--model small" in message) == (model != "small")  # no point suggesting the model that does not fit


@pytest.mark.slow
def test_question_larger_than_the_context_exits_12(sample_index):
    """About 5,400 prompt tokens for the small model's 4,096-token window (real llama.cpp)."""
    small_model()
    question = " ".join([QUESTION] * 600)
    one_line_error(run("ask", question, "--index", str(sample_index), "--model", "small", "--json"), 12,
                   "does not fit the model's 4096-token context", "shorten the question")


def test_llama_cpp_overflow_message_maps_to_exit_12(tmp_path, monkeypatch):
    """The error llama-cpp-python 0.3 raises for an oversized prompt, without loading a model (fast):
    llama_cpp.Llama is replaced by a stand-in that refuses every prompt so."""
    from rag.errors import ContextOverflowError
    from rag.generator import LlamaGenerator

    class Refuses:
        def __init__(self, model_path, **kwargs):
            self.model_path = model_path

        def create_chat_completion(self, **kwargs):
            raise ValueError("Requested tokens (5450) exceed context window of 4096")

    monkeypatch.setattr("llama_cpp.Llama", Refuses)
    generator = LlamaGenerator(str(tmp_path / "m.gguf"))
    with pytest.raises(ContextOverflowError, match="shorten the question") as overflow:
        list(generator.stream([{"role": "user", "content": "q"}]))
    assert overflow.value.exit_code == 12 and isinstance(generator.llm, Refuses)
