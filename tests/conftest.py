"""Shared fixtures. Integration fixtures use the real embedder, FAISS and small LLM.

A test that uses one of them (:data:`REAL_MODEL_FIXTURES`, or a fixture its module names in its own
``REAL_MODEL_FIXTURES``) is marked ``slow`` here, so ``-m "not slow"`` never loads a model;
``python -m pytest -q`` (``make test``) still runs every test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "rag" / "sample_corpus"
SHARED_DATA = ROOT.parent / "shared" / "data"

REAL_MODEL_FIXTURES = frozenset({"embedder", "sample_index", "small_assistant"})
"""Fixtures that load the real all-MiniLM-L6-v2 embedder or the real LLM."""

# Never reach for a model hub, and keep runs quiet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def embedder():
    from index import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory) -> Path:
    """A private copy of the sample corpus (tests may not modify the package's files)."""
    target = tmp_path_factory.mktemp("corpus") / "sample"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder, sample_corpus):
    from index import CorpusIndex

    index = CorpusIndex.open(tmp_path_factory.mktemp("index"), embedder, create=True)
    report = index.index_paths([sample_corpus])
    assert not report.skipped, report.skipped
    return index


@pytest.fixture(scope="session")
def small_assistant(sample_index):
    """Assistant over the sample index with the real 0.5B model (loaded once per test session)."""
    from rag import Assistant, Settings

    return Assistant(Settings(index_dir=sample_index.path, model="small"), index=sample_index)


def pytest_collection_modifyitems(config, items):
    for item in items:
        real = REAL_MODEL_FIXTURES | set(getattr(getattr(item, "module", None), "REAL_MODEL_FIXTURES", ()))
        if real & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
