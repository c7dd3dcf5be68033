"""The offline step behind the ``onnx``, ``onnx-int8`` and ``openvino`` embedder backends.

A local sentence-transformers model is exported once to ONNX (pooling and
normalisation inside the graph), its attention fused by onnxruntime's
transformer optimizer, optionally quantised to int8, then checked against the
PyTorch model on probe sentences before it is published, atomically, into the
export cache. :func:`ensure_export` returns a verified export folder, building
it when it is absent or stale. The runtime side, which runs a finished export,
is :mod:`index.onnx_runner`; the embedder that picks a backend is
:mod:`index.embedder`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np

from .documents import file_sha256
from .errors import EmbedderError
from .onnx_runner import ExportedRunner
from .sentence_model import embedding_dimension, load_sentence_transformer

__all__ = ["MIN_COSINE", "build_export", "ensure_export", "export_is_valid", "fuse_bert_onnx", "model_file_intact",
           "model_fingerprint", "quantize_onnx_int8"]

log = logging.getLogger(__name__)

# Export check: cosine of the exported model's vectors to PyTorch's on probe sentences.
MIN_COSINE = {"onnx": 0.9999, "openvino": 0.9999, "onnx-int8": 0.99}
_EXPORT_FORMAT = 2  # 2: FFN down-projections stay fp32 in int8 exports
_PROBES = (
    "The council approved the harbour bridge on Tuesday after two years of debate.",
    "Vitamin D deficiency is associated with an increased risk of hip fractures in older adults.",
    "Ferry strike ends",
    "Wer hat den Preis gewonnen? Die Bibliothek öffnet am 3. März 2024 wieder.",
    "GDP grew 2.1% in Q3, beating the 1.8% forecast; unemployment fell to 4.2 percent.",
    "a " * 300,  # longer than max_seq_length: truncation must agree
)


def ensure_export(model_path: Path, model_id: str, backend: str, cache_root: Path) -> Path:
    """Folder of the verified export of ``model_path`` for ``backend``, building it first when absent or stale."""
    fingerprint = model_fingerprint(model_path)
    folder = cache_root / f"{model_id}-{backend}-{fingerprint[:12]}"
    if export_is_valid(folder, fingerprint, backend):
        return folder
    started = time.perf_counter()
    log.info("exporting embedder %s for backend %s into %s (once)", model_id, backend, folder)
    build_export(model_path, folder, backend, fingerprint)
    log.info("export done in %.1f s", time.perf_counter() - started)
    return folder


def model_fingerprint(path: Path) -> str:
    """Cheap identity of a model folder: names, sizes and the small config files' bytes."""
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        stat = file.stat()
        digest.update(f"{file.relative_to(path)}\0{stat.st_size}\0".encode())
        if stat.st_size < 1_000_000:
            digest.update(file.read_bytes())
    return digest.hexdigest()


def export_is_valid(folder: Path, fingerprint: str, backend: str) -> bool:
    try:
        info = json.loads((folder / "export.json").read_text())
        if not (info.get("format") == _EXPORT_FORMAT and info.get("source_fingerprint") == fingerprint
                and info.get("backend") == backend):
            return False
        return model_file_intact(folder / "model.onnx", info.get("model_sha256"))
    except (OSError, ValueError):
        return False


def model_file_intact(model: Path, sha256: str | None) -> bool:
    """Whether the exported model file still has the digest recorded at export.

    Hashing the ~90 MB file took 0.07-0.34 s of every process start, so a match is remembered
    in ``.verified`` beside it as the file's size and modification time; the file is hashed
    again only when either changes (a truncated, replaced or rewritten file).
    """
    stat = model.stat()
    stamp = f"{sha256}:{stat.st_size}:{stat.st_mtime_ns}"
    marker = model.with_name(".verified")
    try:
        if marker.read_text() == stamp:
            return True
    except OSError:
        pass
    if file_sha256(model) != sha256:
        return False
    try:
        marker.write_text(stamp)
    except OSError:
        pass  # a read-only cache: hash at every start, as before
    return True


def _pooling_mode(st_model) -> tuple[str, bool]:
    """(pooling mode, normalise?) of a Transformer -> Pooling [-> Normalize] model; anything else is refused."""
    kinds = [type(module).__name__ for module in st_model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise EmbedderError(f"export supports Transformer -> Pooling [-> Normalize] models, not {' -> '.join(kinds)}")
    pooling = st_model[1]
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None:  # older sentence-transformers keep one flag per mode
        mode = "cls" if getattr(pooling, "pooling_mode_cls_token", False) else (
            "mean" if getattr(pooling, "pooling_mode_mean_tokens", False) else "other")
    if mode not in ("mean", "cls"):
        raise EmbedderError(f"export supports mean or CLS pooling, not {mode!r}")
    return mode, len(kinds) > 2


def build_export(model_path: Path, folder: Path, backend: str, fingerprint: str) -> None:
    """Export the local model to ONNX (fused, optionally int8), verify it against PyTorch, publish atomically."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}.{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        import torch

        # Eager attention exports as plain MatMul/Softmax, which onnxruntime's optimizer fuses
        # into one Attention op; the SDPA export is left unfused (about 1.15x slower here).
        st = load_sentence_transformer(model_path, model_kwargs={"attn_implementation": "eager"})
        mode, normalize = _pooling_mode(st)
        transformer = st[0]
        hf = transformer.auto_model.eval()
        tokenizer = transformer.tokenizer
        max_len = int(st.max_seq_length or 512)
        sample = tokenizer(["an example sentence", "another one"], padding=True, return_tensors="pt")
        inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class _Pooled(torch.nn.Module):
            # Transformer + pooling + normalisation in one graph, so the runtime returns final vectors.
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, *args):
                kwargs = dict(zip(inputs, args))
                hidden = self.model(**kwargs).last_hidden_state
                if mode == "cls":
                    pooled = hidden[:, 0]
                else:
                    mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, p=2.0, dim=1) if normalize else pooled

        plain = tmp / "plain.onnx"
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Pooled(hf), tuple(sample[n] for n in inputs), str(plain),
                input_names=inputs, output_names=["embedding"], opset_version=17, dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in inputs}, "embedding": {0: "batch"}},
            )
        final = tmp / "model.onnx"
        if backend == "openvino":
            plain.rename(final)
        else:
            fused = tmp / "fused.onnx"
            fuse_bert_onnx(plain, fused, hf.config)
            plain.unlink(missing_ok=True)
            if backend == "onnx-int8":
                quantize_onnx_int8(fused, final)
                fused.unlink()
            else:
                fused.rename(final)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            if (model_path / name).exists():
                shutil.copy2(model_path / name, tmp / name)
        if not (tmp / "tokenizer.json").exists():
            tokenizer.save_pretrained(str(tmp))
        if not (tmp / "tokenizer.json").exists():
            raise EmbedderError("the model has no fast tokenizer (tokenizer.json)")
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        info = {"format": _EXPORT_FORMAT, "backend": backend, "source": str(model_path),
                "source_fingerprint": fingerprint, "inputs": inputs, "max_seq_length": max_len, "pad_id": int(pad_id),
                "pooling": mode, "normalize": normalize, "dim": int(embedding_dimension(st)),
                "versions": _versions(), "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (tmp / "export.json").write_text(json.dumps(info, indent=2))

        # Verify before publishing: the exported model must reproduce the PyTorch vectors.
        reference = st.encode(list(_PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        got = ExportedRunner(tmp, backend, 8, None).embed(list(_PROBES))
        if not normalize:
            got = got / np.linalg.norm(got, axis=1, keepdims=True)
        cosine = float((reference * got).sum(1).min())
        if not cosine >= MIN_COSINE[backend]:
            raise EmbedderError(f"exported {backend} model disagrees with PyTorch (min cosine {cosine:.4f})")
        info["verified_min_cosine"] = round(cosine, 6)
        info["model_sha256"] = file_sha256(final)
        (tmp / "export.json").write_text(json.dumps(info, indent=2))
        try:
            os.replace(tmp, folder)  # atomic publish; a concurrent exporter may have won the race
        except OSError:
            if not export_is_valid(folder, fingerprint, backend):
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(tmp, folder)
    except EmbedderError:
        raise
    except Exception as exc:
        raise EmbedderError(f"could not export {model_path} for {backend}: {type(exc).__name__}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fuse_bert_onnx(plain: Path, fused: Path, config, embeddings: bool = True) -> None:
    """``plain`` with attention (and, when ``embeddings``, the embedding layer norm) fused by
    onnxruntime's transformer optimizer, saved as ``fused``; models that are not BERT are copied
    unfused (fusion patterns are model-specific). Used by the embedder exports and by
    scripts/train_entailment.py."""
    if getattr(config, "model_type", "") != "bert":
        shutil.copyfile(plain, fused)
        return
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    # Unfused, the word embeddings stay a Gather, which the int8 quantiser can shrink (4x).
    options.enable_embed_layer_norm = embeddings
    optimized = optimize_model(str(plain), model_type="bert", num_heads=int(config.num_attention_heads),
                               hidden_size=int(config.hidden_size), optimization_options=options)
    optimized.save_model_to_file(str(fused))


def quantize_onnx_int8(fused: Path, final: Path, keep_ffn_down_fp32: bool = True, gather: bool = False) -> None:
    """Dynamic int8 quantisation with per-channel weights (per-tensor int8 loses too much here:
    cosine to fp32 ~0.93). ``keep_ffn_down_fp32``: see :func:`_after_gelu`; ``gather``: quantise
    embedding tables too (a model exported without the embedding fusion)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice through the root logger
    try:
        quantize_dynamic(str(fused), str(final), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=_after_gelu(onnx.load(str(fused))) if keep_ffn_down_fp32 else [],
                         op_types_to_quantize=["MatMul", "Attention", "Gather"] if gather else None,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)


def _after_gelu(model) -> list[str]:
    """MatMuls fed by a GELU: the FFN down-projections, kept fp32 in int8 exports.

    Their input (GELU output) has a long-tailed range that per-tensor dynamic
    activation quantisation handles worst. Keeping these 6 of 24 weight matrices
    in fp32 lifts the worst cosine to fp32 from 0.987 to 0.994 on SciFact chunks
    for about a tenth of the int8 speed-up (docs/BENCHMARKS.md "Indexing").
    """
    gelu_outputs = {o for n in model.graph.node if "Gelu" in n.op_type for o in n.output}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and any(i in gelu_outputs for i in n.input)]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("torch", "sentence-transformers", "transformers", "onnx", "onnxruntime", "openvino"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found
