"""Embedder backends: the ONNX exports reproduce the PyTorch vectors, ids keep int8 and fp32 apart,
and a missing runtime or a failed export falls back to PyTorch instead of failing.

The exports go to the user cache (built once, ~15 s each, then reused), like the
product's own first use; one test builds into a fresh folder to prove that works
offline from the packaged model alone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil

import numpy as np
import pytest

import index.embedder as embedder_module
import index.onnx_export as export_module
from index import CorpusIndex, IndexMismatchError
from index.embedder import DEFAULT_EMBEDDER, SentenceTransformerEmbedder, embedder_for_id, parse_embedder_name
from index.onnx_export import export_is_valid, model_file_intact, model_fingerprint

SENTENCES = [
    "The harbour bridge was approved by the council on Tuesday.",
    "Vitamin D deficiency is associated with an increased risk of fractures.",
    "Rovers reach the cup semi-final after a late goal.",
    "Le musée rouvre ses portes après deux ans de travaux.",
]


REAL_MODEL_FIXTURES = {"torch_vectors"}  # the real MiniLM: conftest.py marks the tests using it slow


@pytest.fixture(scope="module")
def torch_vectors():
    emb = SentenceTransformerEmbedder(backend="torch")
    return emb.embed(SENTENCES)


def test_names_and_ids():
    assert parse_embedder_name("all-MiniLM-L6-v2+onnx-int8") == ("all-MiniLM-L6-v2", "onnx-int8")
    assert parse_embedder_name("all-MiniLM-L6-v2") == ("all-MiniLM-L6-v2", None)
    assert parse_embedder_name("/models/my+model") == ("/models/my+model", None)  # not a backend suffix
    assert SentenceTransformerEmbedder(backend="torch").id == DEFAULT_EMBEDDER
    assert SentenceTransformerEmbedder(f"{DEFAULT_EMBEDDER}+torch").backend == "torch"
    with pytest.raises(Exception, match="unknown embedder backend"):
        SentenceTransformerEmbedder(backend="tpu")


@pytest.mark.parametrize("backend,min_cosine", [("onnx", 0.9999), ("onnx-int8", 0.99)])
def test_onnx_backends_match_torch(backend, min_cosine, torch_vectors):
    emb = SentenceTransformerEmbedder(backend=backend)
    assert emb.backend == backend
    got = emb.embed(SENTENCES)
    assert got.dtype == np.float32 and got.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cosine = np.sum(got * torch_vectors, axis=1)
    assert cosine.min() >= min_cosine, cosine
    # Order and batching do not change a text's vector (length-sorted batches are put back in order).
    emb.batch_size = 2
    again = emb.embed(SENTENCES[::-1])[::-1]
    np.testing.assert_allclose(again, got, atol=2e-3)
    assert emb.embed([]).shape == (0, 384)
    # fp32 ONNX gives the same vectors as torch, so it keeps the plain id; int8 does not.
    assert emb.id == (DEFAULT_EMBEDDER if backend == "onnx" else f"{DEFAULT_EMBEDDER}+onnx-int8")


@pytest.mark.slow  # the real MiniLM, three backends
def test_manifest_refuses_mixing_fp32_index_with_int8_embedder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Lighthouse restored\n20240105\nhttps://coast.example/a\nThe old lighthouse was restored.\n")
    fp32 = SentenceTransformerEmbedder(backend="torch")
    CorpusIndex.open(tmp_path / "idx", fp32, create=True).index_paths([docs])
    int8 = SentenceTransformerEmbedder(backend="onnx-int8")
    with pytest.raises(IndexMismatchError, match=r"all-MiniLM-L6-v2\+onnx-int8"):
        CorpusIndex.open(tmp_path / "idx", int8)
    # The fp32 ONNX backend produces the same vectors, so it may serve the fp32 index, and
    # embedder_for_id turns a manifest's id back into a matching embedder whatever the default.
    assert CorpusIndex.open(tmp_path / "idx", SentenceTransformerEmbedder(backend="onnx")).stats()["chunks"] == 1
    manifest_id = json.loads((tmp_path / "idx" / "manifest.json").read_text())["embedder"]["id"]
    assert embedder_for_id(manifest_id).id == manifest_id == DEFAULT_EMBEDDER
    assert embedder_for_id(f"{DEFAULT_EMBEDDER}+onnx-int8").id == f"{DEFAULT_EMBEDDER}+onnx-int8"


def test_missing_runtime_falls_back_to_torch(monkeypatch, caplog, torch_vectors):
    real = embedder_module.importlib.util.find_spec
    monkeypatch.setattr(embedder_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with caplog.at_level(logging.WARNING, logger="index.embedder"):
        emb = SentenceTransformerEmbedder(backend="onnx-int8")
        assert emb.backend == "torch" and emb.id == DEFAULT_EMBEDDER
    assert "onnxruntime" in caplog.text and "torch" in caplog.text


def test_failed_export_falls_back_to_torch(monkeypatch, caplog, tmp_path):
    def broken(*args, **kwargs):
        raise embedder_module.EmbedderError("exporter exploded")

    monkeypatch.setattr(export_module, "build_export", broken)
    with caplog.at_level(logging.WARNING, logger="index.embedder"):
        emb = SentenceTransformerEmbedder(backend="onnx-int8", cache_dir=tmp_path)
        assert emb.backend == "torch" and emb.id == DEFAULT_EMBEDDER
    assert "exporter exploded" in caplog.text


def test_fresh_offline_export_is_verified_and_reused(tmp_path, monkeypatch, torch_vectors):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("RAG_EMBEDDER_CACHE", str(tmp_path / "cache"))
    emb = SentenceTransformerEmbedder(backend="onnx-int8")
    assert emb.backend == "onnx-int8"
    (folder,) = (tmp_path / "cache").iterdir()
    info = json.loads((folder / "export.json").read_text())
    assert info["backend"] == "onnx-int8" and info["verified_min_cosine"] >= 0.985
    assert not any(p.name.startswith(folder.name + ".tmp") for p in folder.parent.iterdir())
    # A second embedder reuses the export instead of building it again.
    monkeypatch.setattr(export_module, "build_export", lambda *a, **k: pytest.fail("export rebuilt"))
    assert SentenceTransformerEmbedder(backend="onnx-int8").embed(SENTENCES[:1]).shape == (1, 384)
    # A damaged export is not trusted.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    with (damaged / "model.onnx").open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\0" * 64)
    fingerprint = model_fingerprint(emb.path)
    assert export_is_valid(folder, fingerprint, "onnx-int8")
    assert not export_is_valid(damaged, fingerprint, "onnx-int8")


def test_model_digest_is_checked_once_until_the_file_changes(tmp_path, monkeypatch):
    from index.documents import file_sha256

    model = tmp_path / "model.onnx"
    model.write_bytes(b"onnx" * 1000)
    digest = file_sha256(model)
    assert model_file_intact(model, digest) and (tmp_path / ".verified").exists()
    # Verified before and unchanged since: not hashed again.
    monkeypatch.setattr(export_module, "file_sha256", lambda _: pytest.fail("hashed again"))
    assert model_file_intact(model, digest)
    monkeypatch.undo()
    # Rewritten (same size, new content and modification time): hashed again, and refused.
    before = model.stat().st_mtime_ns
    model.write_bytes(b"xxxx" * 1000)
    os.utime(model, ns=(before + 10**9, before + 10**9))  # (file times can be coarser than two quick writes)
    assert not model_file_intact(model, digest)
    assert not model_file_intact(model, "0" * 64)
