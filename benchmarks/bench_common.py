"""What every benchmark shares: the one way to get an index, machine description, results files, memory, timing.

Not a benchmark itself. Every script prints its numbers and writes one JSON
record under benchmarks/results/ holding the machine, the date, the command
and the configuration, so a number in docs/BENCHMARKS.md can be traced to a run.
Scripts are run as modules from the repository root (``python -m benchmarks.NAME``),
so ``rag`` and ``index`` import as the installed product does.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from rag.evaluation.results import machine_info

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED_DATA = ROOT.parent / "shared" / "data"
SEED = ROOT.parent / "shared" / "corpus" / "seed"
SAMPLE_CORPUS = ROOT / "rag" / "sample_corpus"


def benchmark_assistant(corpora: Sequence[str | Path] = (SAMPLE_CORPUS,), index_dir: str | Path | None = None,
                        prefix: str = "rag-bench-", **settings):
    """The one way a benchmark gets an index to ask questions of: an Assistant whose index holds ``corpora``
    (default: the sample corpus), built with ``Assistant.build`` exactly as ``rag index`` builds one.

    ``index_dir`` is brought up to date (a no-op when it already is: pass it to reuse an index across
    runs), else a new index is made in a temp dir. ``settings`` are Settings fields (the variants a
    benchmark compares); None leaves one as is. Scripts that time indexing itself (bench_index,
    bench_vs_langchain) call ``CorpusIndex.index_paths`` directly, because that call is what they measure.
    """
    from rag import Assistant, Settings

    path = index_dir or tempfile.mkdtemp(prefix=prefix)
    assistant = Assistant(Settings(index_dir=path).with_overrides(**settings))
    assistant.build([Path(c).expanduser() for c in corpora])
    return assistant


def machine() -> dict:
    """CPU, cores, memory and the load other users put on this shared machine (the ``rag eval`` record, one key renamed)."""
    info = machine_info()
    info["load_average_1m"] = info.pop("load_average_1m_at_start")
    return info


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def peak_rss_mib() -> float:
    """Peak resident memory of this process image so far, in MiB.

    VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a case started from a
    driver process would report the driver's peak whenever it was the larger.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    lo, hi = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def command_line() -> str:
    """How this run was started, as it would be typed: ``python -m benchmarks.NAME ARGS``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    start = ["-m", spec.name] if spec is not None else sys.argv[:1]
    return " ".join([Path(sys.executable).name, *start, *sys.argv[1:]])


def write_results(name: str, record: dict) -> Path:
    """benchmarks/results/<name>-<UTC timestamp>.json with machine, date, command and ``record``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    full = {
        "benchmark": name,
        "date": now.isoformat(timespec="seconds"),
        "command": command_line(),
        "git_commit": git_commit(),
        "machine": machine(),
        **record,
    }
    path = RESULTS / f"{name}-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(full, indent=2, default=str) + "\n")
    os.replace(tmp, path)
    return path


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
