"""The shipped entailment model (rag/entailment.py) on pairs it was not trained on.

    flock /tmp/rag-heavy.lock .venv/bin/python benchmarks/entailment.py [--out benchmarks/results/entailment-TS.json]
    flock /tmp/rag-heavy.lock .venv/bin/python benchmarks/entailment.py --judge llm [--llm-model default] \
        [--judge-cache benchmarks/results/judge-readings-fixed-default.json] [--out ...]

``--judge llm`` scores the fixed set (1.) with the answering LLM as the judge (rag/judge.py; the readings
cached by pair, so other thresholds replay without it) instead of the shipped model, at
``VerifierSettings.judge_reject``, with the seconds per pair it took; 2. and 3. are the model's only.

1. the hand-written fixed set tests/data/entailment_pairs.json: accuracy at 0.5, AUC, per case;
2. the session-18 reader-labelled citation pairs (benchmarks/data/citation-audit-*-session18.json):
   AUC of the score for "supports" against "partial" or "no". The premise is the cited quote, with
   and without its article's title (the reader saw both); the claim is the answer sentence. The
   texts come from the MultiHop results files the labels name (as benchmarks/citation_audit.py
   recovers them); pairs whose quote comes from an even-numbered excerpt (the model trained on
   those passages, not on these claims) are also reported apart;
3. speed: pairs per second on this machine, single process, as the verifier would call it.

Writes numbers only (no corpus text) to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

from train_entailment import MULTIHOP, auc  # noqa: E402

from rag.entailment import EntailmentModel  # noqa: E402

FIXED = ROOT / "tests" / "data" / "entailment_pairs.json"
AUDITS = sorted((ROOT / "benchmarks" / "data").glob("citation-audit-*-session18.json"))


def fixed_set(model, threshold: float = 0.5) -> dict:
    """Accuracy at ``threshold`` and AUC on the hand-written pairs; ``model``: anything with ``scores``, or an Entails."""
    pairs = json.loads(FIXED.read_text(encoding="utf-8"))["pairs"]
    score = getattr(model, "scores", model)
    scores = list(score([(p["premise"], p["hypothesis"]) for p in pairs]))
    right = [(s >= threshold) == (p["label"] == 1) for s, p in zip(scores, pairs)]
    cases: dict[str, list] = {}
    for p, s, ok in zip(pairs, scores, right):
        cases.setdefault(p["case"], []).append(ok)
    wrong = [{"case": p["case"], "label": p["label"], "score": round(s, 3), "hypothesis": p["hypothesis"]}
             for p, s, ok in zip(pairs, scores, right) if not ok]
    return {"pairs": len(pairs), "threshold": threshold, "accuracy_at_0.5" if threshold == 0.5 else "accuracy_at_threshold":
            round(sum(right) / len(pairs), 4),
            "scores": [round(s, 4) for s in scores],
            "auc": round(auc(scores, [p["label"] for p in pairs]), 4),
            "per_case": {c: f"{sum(v)}/{len(v)}" for c, v in sorted(cases.items())}, "wrong": wrong}


def audit_pairs() -> list[dict]:
    from citation_audit import _pairs

    titles, parity = {}, {}
    files = sorted(MULTIHOP.glob("*.txt"))
    for i, path in enumerate(files):
        text = path.read_text(encoding="utf-8")
        titles[path.name] = text.split("\n", 1)[0]
        parity[path.name] = (i % 2, text)
    out = []
    for labels_file in AUDITS:
        data = json.loads(labels_file.read_text(encoding="utf-8"))
        record = json.loads((ROOT / data["results"]).read_text(encoding="utf-8"))
        pairs = {p["key"]: p for p in _pairs(record)}
        for x in data["labels"]:
            pair = pairs[x["key"]]
            source = next((name for name, (_, text) in parity.items() if pair["quote"] in text), None)
            out.append({"file": labels_file.name, "label": x["label"], "quote": pair["quote"],
                        "sentence": re.sub(r"\s*\[\d+\]", "", pair["sentence"]),
                        "title": titles.get(source, ""), "odd": parity[source][0] == 1 if source else None})
    return out


def audit(model: EntailmentModel) -> dict:
    pairs = audit_pairs()
    result = {"pairs": len(pairs), "labels": {k: sum(p["label"] == k for p in pairs) for k in ("supports", "partial", "no")}}
    for premise_kind in ("quote", "title_and_quote"):
        premises = [p["quote"] if premise_kind == "quote" else f"{p['title']}. {p['quote']}" for p in pairs]
        scores = model.scores(list(zip(premises, [p["sentence"] for p in pairs])))
        entry = {}
        for name, keep in (("all", lambda p: True), ("odd_excerpts", lambda p: p["odd"] is True),
                           ("even_excerpts", lambda p: p["odd"] is False)):
            chosen = [(s, p) for s, p in zip(scores, pairs) if keep(p)]
            y = [1 if p["label"] == "supports" else 0 for _, p in chosen]
            s = [x for x, _ in chosen]
            y_strict = [1 if p["label"] != "no" else 0 for _, p in chosen]
            entry[name] = {"n": len(chosen), "auc_supports_vs_rest": _r(auc(s, y)),
                           "auc_supports_or_partial_vs_no": _r(auc(s, y_strict)),
                           "accuracy_at_0.5": round(sum((a >= 0.5) == (b == 1) for a, b in zip(s, y)) / max(1, len(s)), 4)}
        for file in sorted({p["file"] for p in pairs}):
            chosen = [(s, p) for s, p in zip(scores, pairs) if p["file"] == file]
            entry[file] = {"n": len(chosen), "auc_supports_vs_rest": _r(auc([s for s, _ in chosen],
                                                                            [1 if p["label"] == "supports" else 0 for _, p in chosen]))}
        result[premise_kind] = entry
    return result


def speed(model: EntailmentModel) -> dict:
    pairs = [(p["premise"], p["hypothesis"]) for p in json.loads(FIXED.read_text(encoding="utf-8"))["pairs"]]
    pairs = (pairs * 8)[:256]
    model.scores(pairs[:8])  # load and warm up
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        model.scores(pairs)
        runs.append(time.perf_counter() - started)
    single = []
    for premise, claim in pairs[:40]:
        started = time.perf_counter()
        model.scores([(premise, claim)])
        single.append(time.perf_counter() - started)
    return {"batched_pairs_per_second": round(len(pairs) / min(runs), 1), "batch": len(pairs),
            "one_pair_ms_median": round(1000 * sorted(single)[len(single) // 2], 2), "cpu": _cpu()}


def _cpu() -> dict:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return {"machine": platform.machine()}
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    flags = fields.get("Flags", "").split()
    return {"model_name": fields.get("Model name", "").strip(), "cpus": fields.get("CPU(s)", "").strip(),
            "simd": sorted(f for f in flags if re.match(r"(sse4|avx|fma|amx|vnni|avx512)", f))}


def _r(x):
    return None if x is None else round(x, 4)


def llm_fixed_set(args) -> int:
    from judge_cache import CachedReader

    from rag import Assistant, Settings
    from rag.judge import LLMJudge
    from rag.verification import VerifierSettings

    threshold = VerifierSettings().judge_reject
    cached = CachedReader(args.judge_cache, lambda: Assistant(Settings(model=args.llm_model)).generator, model=args.llm_model)
    if cached.live_factory is not None and not cached.readings:
        cached._live = cached.live_factory()
        cached._live.llm  # load before timing
    judge = LLMJudge(cached)
    try:
        result = fixed_set(judge, threshold)
    finally:
        cached.save()
    sweep = {}
    pairs = json.loads(FIXED.read_text(encoding="utf-8"))["pairs"]
    for t in (0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9):
        sweep[str(t)] = round(sum((s >= t) == (p["label"] == 1) for s, p in zip(result["scores"], pairs)) / len(pairs), 4)
    report = {"judge": "llm", "llm_model": args.llm_model, "fixed_set": result, "accuracy_by_threshold": sweep,
              "speed": {**cached.stats(), "cpu": _cpu()}}
    print(json.dumps({k: v for k, v in report.items()}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--model", type=Path, default=None, help="a model folder (default: the shipped one)")
    parser.add_argument("--judge", choices=["model", "llm"], default="model",
                        help="llm: the fixed set read by the answering LLM (VerifierSettings.entailment_judge=llm)")
    parser.add_argument("--llm-model", default="default", help="with --judge llm: default, small, or a GGUF path")
    parser.add_argument("--judge-cache", type=Path, help="with --judge llm: readings by pair (read, and written back)")
    args = parser.parse_args()
    if args.judge == "llm":
        return llm_fixed_set(args)
    model = EntailmentModel(args.model, threads=args.threads) if args.model else EntailmentModel(threads=args.threads)
    report = {"model_meta": json.loads(model.folder.joinpath("meta.json").read_text())["heldout_metrics"],
              "fixed_set": fixed_set(model), "citation_audit_session18": audit(model), "speed": speed(model),
              "threads": args.threads}
    print(json.dumps({k: v for k, v in report.items() if k != "model_meta"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
