"""Running an exported embedder (see :mod:`index.onnx_export`) with onnxruntime or OpenVINO.

Used by the embedder at run time and by the export to verify what it built.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import EmbedderError

__all__ = ["ExportedRunner"]


class ExportedRunner:
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
