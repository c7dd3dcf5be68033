"""Does a passage state a claim? A small cross-encoder trained for this project, run with onnxruntime.

The model (rag/data/entailment, made by scripts/train_entailment.py; its meta.json records the
data, licences and held-out metrics) reads a (premise, claim) pair and gives the probability
that the premise states the claim. It was trained on the errors a lexical check lets through:
names or figures swapped between the subjects of one sentence, the neighbouring item's figure,
a person the passage never mentions, a negation, a relation made up between two names. It is
small (MiniLM-L6, int8) and it was trained on generated pairs: a score is evidence, not proof.

Loaded on first use; thread-safe; nothing is downloaded.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import EntailmentModelError

__all__ = ["DEFAULT_MODEL_DIR", "EntailmentModel"]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "data" / "entailment"
_BATCH_SIZE = 32
"""Pairs per onnxruntime call (length-sorted, so each batch pads only to its own longest pair)."""


class EntailmentModel:
    """The shipped entailment cross-encoder. ``scores`` gives P(premise states claim) per pair."""

    def __init__(self, folder: str | Path = DEFAULT_MODEL_DIR, threads: int | None = None,
                 batch_size: int = _BATCH_SIZE) -> None:
        self.folder = Path(folder)
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._loaded: tuple | None = None

    def _load(self) -> tuple:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._open()
            return self._loaded

    def _open(self) -> tuple:
        model, tokenizer_file, meta_file = (self.folder / n for n in ("model.onnx", "tokenizer.json", "meta.json"))
        missing = [p.name for p in (model, tokenizer_file, meta_file) if not p.is_file()]
        if missing:
            raise EntailmentModelError(
                f"the entailment model is incomplete: {', '.join(missing)} missing in {self.folder} "
                "(reinstall rag-news, or rebuild it with scripts/train_entailment.py)")
        try:
            import onnxruntime
            from tokenizers import Tokenizer

            info = json.loads(meta_file.read_text(encoding="utf-8"))["export"]
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_padding()
            tokenizer.enable_truncation(int(info["max_length"]), strategy="longest_first")
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.inter_op_num_threads = 1
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a corrupt file, a wrong meta.json: the install is broken either way
            raise EntailmentModelError(f"could not load the entailment model from {self.folder}: {exc}") from exc
        return session, tokenizer, list(info["inputs"]), int(info.get("pad_id", 0))

    def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Probability, per (premise, claim) pair, that the premise states the claim."""
        if not pairs:
            return []
        session, tokenizer, inputs, pad_id = self._load()
        encodings = tokenizer.encode_batch([(premise, claim) for premise, claim in pairs])
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(-lengths, kind="stable")
        logits = np.empty(len(pairs), dtype=np.float64)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            width = int(lengths[batch].max())
            feed = {name: np.full((len(batch), width), pad_id if name == "input_ids" else 0, dtype=np.int64)
                    for name in ("input_ids", "attention_mask", "token_type_ids")}
            for row, i in enumerate(batch):
                e, n = encodings[i], int(lengths[i])
                feed["input_ids"][row, :n] = e.ids
                feed["attention_mask"][row, :n] = e.attention_mask
                feed["token_type_ids"][row, :n] = e.type_ids
            out = session.run(None, {k: feed[k] for k in inputs})[0]
            logits[batch] = np.asarray(out, dtype=np.float64).reshape(-1)
        return (1.0 / (1.0 + np.exp(-logits))).tolist()
