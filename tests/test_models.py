"""GGUF assembly from split packages: pinned hash, cache reuse, clear errors."""

from __future__ import annotations

import hashlib
import sys

import pytest

from rag import models
from rag.errors import ModelNotFoundError


@pytest.fixture()
def fake_parts(tmp_path, monkeypatch):
    """Three importable packages fakemodel_part1..3, each with data/partNN.bin."""
    site = tmp_path / "site"
    chunks = [b"GGUF" + b"a" * 100, b"b" * 100, b"c" * 50]
    for n, data in enumerate(chunks, 1):
        pkg = site / f"fakemodel_part{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    spec = models.ModelSpec(name="fake", description="", package_prefix="fakemodel-part", module_prefix="fakemodel_part",
                            parts=3, sha256=hashlib.sha256(b"".join(chunks)).hexdigest(), filename="fake.gguf")
    monkeypatch.setitem(models.MODELS, "fake", spec)
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    return site, b"".join(chunks)


def test_assembles_once_and_verifies(fake_parts, tmp_path):
    _, whole = fake_parts
    path = models.resolve_model("fake")
    assert path.read_bytes() == whole
    mtime = path.stat().st_mtime_ns
    assert models.resolve_model("fake") == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_corrupt_part_names_packages(fake_parts):
    site, _ = fake_parts
    (site / "fakemodel_part2" / "data" / "part02.bin").write_bytes(b"x" * 100)
    with pytest.raises(ModelNotFoundError, match="fakemodel-part1 fakemodel-part2"):
        models.resolve_model("fake")
    assert not list((models.cache_dir() / "models").glob("fake.gguf*"))  # nothing half-written left


def test_missing_part_names_the_package(fake_parts):
    site, _ = fake_parts
    import shutil

    shutil.rmtree(site / "fakemodel_part3")
    sys.modules.pop("fakemodel_part3", None)
    with pytest.raises(ModelNotFoundError, match="pip install --force-reinstall fakemodel-part3"):
        models.resolve_model("fake")


def test_paths_and_unknown_names(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not one of default, small"):
        models.resolve_model("nonexistent-model")
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelNotFoundError, match="not a GGUF"):
        models.resolve_model(str(bad))
    good = tmp_path / "y.gguf"
    good.write_bytes(b"GGUF....")
    assert models.resolve_model(str(good)) == good
