"""Results files: every ``rag eval`` run leaves a JSON record of what was measured and how."""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

from index.atomic import write_atomic

__all__ = ["machine_info", "default_results_dir", "write_results", "package_version"]


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("rag-news")
    except Exception:
        return "0+unknown"


_SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
               "avx_vnni", "amx_int8")
"""The CPU flags (as lscpu and /proc/cpuinfo name them) that change how fast the vector and LLM kernels run."""


def machine_info() -> dict:
    """What the numbers were measured on (latency is meaningless without it)."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = [f for f in line.split(":", 1)[1].split() if f in _SIMD_FLAGS]
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        memory = 0
    return {
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_flags": flags,
        "cores": usable,
        "memory_gib": round(memory / 2**30, 1),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gpu": None,
        "load_average_1m_at_start": None if load is None else round(load, 2),
    }


def default_results_dir() -> Path:
    """``benchmarks/results`` of the source checkout when running from one, else of the working directory."""
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").exists() and (repo / "rag").is_dir():
        return repo / "benchmarks" / "results"
    return Path.cwd() / "benchmarks" / "results"


def write_results(record: dict, name: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """Write ``record`` (plus date, machine, package version) to ``<folder>/<name>-<UTC time>.json``."""
    now = datetime.now(timezone.utc)
    record = {"date": now.isoformat(timespec="seconds"), "machine": machine_info(),
              "package_version": package_version(), **record}
    folder = Path(folder).expanduser() if folder else default_results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = folder / f"{safe}-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_atomic(path, json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
