"""The LLM judge's readings cached by (premise, claim) in a JSON file, so threshold sweeps replay without the LLM.

    judge = LLMJudge(CachedReader("benchmarks/results/judge-margins-default.json", live_reader))

The cache key is the judge's user message (it holds the premise and the claim; the system prompt is
fixed, :data:`rag.judge.JUDGE_SYSTEM`, and recorded in the file). A reading the file lacks is asked
of ``live`` (a function that makes the real reader, called on the first miss only) and timed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Sequence

from rag.generator import YesNo, YesNoReader
from rag.judge import JUDGE_SYSTEM


class MissingReading(Exception):
    """A reading the cache lacks, with no live model to ask (the run stops: its numbers would be wrong)."""


SAVE_EVERY = 20
"""New readings after which the file is written (runs are split to fit the shared lock's 15-minute holds)."""


class CachedReader:
    """A :class:`rag.generator.YesNoReader` that answers from ``path`` and asks ``live`` only what it lacks."""

    def __init__(self, path: str | Path | None, live: Callable[[], YesNoReader] | None = None, model: str = "") -> None:
        self.path = Path(path) if path else None
        self.live_factory = live
        self._live: YesNoReader | None = None
        self.model = model
        self.readings: dict[str, dict] = {}
        if self.path is not None and self.path.is_file():
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("system") != JUDGE_SYSTEM:
                raise SystemExit(f"{self.path} holds readings of another judge prompt: use another file")
            self.readings = data["readings"]
        self.hits = 0
        self.misses = 0
        self.live_seconds = 0.0

    def yes_no(self, messages: Sequence[dict]) -> YesNo:
        key = messages[-1]["content"]
        cached = self.readings.get(key)
        if cached is not None:
            self.hits += 1
            return YesNo(cached["margin"], cached["text"], cached["how"])
        if self.live_factory is None:
            raise MissingReading("a judge reading is not in the cache and no live model was given (--judge-live)")
        if self._live is None:
            self._live = self.live_factory()
        started = time.perf_counter()
        reply = self._live.yes_no(messages)
        self.live_seconds += time.perf_counter() - started
        self.misses += 1
        self.readings[key] = {"margin": reply.margin, "text": reply.text, "how": reply.how,
                              "seconds": round(time.perf_counter() - started, 3)}
        if self.misses % SAVE_EVERY == 0:
            self.save()  # a run stopped at its time limit keeps what it read
        return reply

    def save(self) -> None:
        if self.path is not None:
            self.path.write_text(json.dumps({"system": JUDGE_SYSTEM, "model": self.model, "readings": self.readings},
                                            indent=0) + "\n", encoding="utf-8")

    def stats(self) -> dict:
        return {"cache_hits": self.hits, "read_live": self.misses, "live_seconds": round(self.live_seconds, 1),
                "live_seconds_per_pair": round(self.live_seconds / self.misses, 3) if self.misses else None}
