"""Record the model's raw drafts (with the prompt and passages) for the verifier's ablation.

    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.record_drafts --set sample [--index DIR]
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.record_drafts --set conversations [--index DIR]
    flock /tmp/rag-heavy.lock .venv/bin/python -m benchmarks.record_drafts --set rgb [--rgb-limit 50]
        [--model default] [--max-seconds 780] [--json OUT]

``benchmarks.ablate_verifier`` verifies recorded drafts again with each rule switched off. MultiHop-RAG
and Reuters records keep the model's raw draft; the sample and conversation records keep only the
verified answer, where what a rule rejected is already gone. This script records, through the
product's own pipeline (``AnswerPipeline.prepare``, the default model, greedy decoding), the raw
draft of:

- ``sample``: every question of ``tests/data/sample_questions.json`` over the sample corpus;
- ``conversations``: the final turn of every conversation of ``tests/data/sample_conversations.json``,
  asked with the standalone question the product's rewrite gave it in the recorded run
  ``benchmarks/results/conversations-default-20261128T114438Z.json`` (the answer prompt holds no
  history: ``rag.conversation``), so no earlier turn is generated again;
- ``rgb``: the first ``--rgb-limit`` (default 30) questions of RGB ``en_fact``
  (``/work/shared/data/rgb/en_fact.json``), each over its own five drawn passages exactly as
  ``rag eval rgb`` asks them (noise rate 0, correct rate 0.4).

Each record keeps the question, the standalone question, the filter, the prompt (``messages``), the
evidence passages the verifier reads (number, chunk id, title, text) and the draft. Drafts are cached by
model and prompt under ``<eval cache>/drafts/`` (``rag.evaluation.beir.cache_root``): a rerun (after
``--max-seconds`` stopped one, to keep each hold of the shared lock short) generates only the missing ones.
Written to ``benchmarks/results/drafts-<set>-<model>-<UTC>.json`` (``--json`` elsewhere) once every
draft of the set is there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from benchmarks.bench_common import ROOT, benchmark_assistant, write_results
from rag.pipeline import AnswerPipeline, AnswerStream, Prepared

RESULTS = ROOT / "benchmarks" / "results"
CONVERSATIONS = RESULTS / "conversations-default-20261128T114438Z.json"
RGB_DATA = Path("/work/shared/data/rgb/en_fact.json")
RGB_LIMIT = 30
SETS = ("sample", "conversations", "rgb")


def draft_cache() -> Path:
    from rag.evaluation.beir import cache_root

    return cache_root() / "drafts"


def prompt_key(model: str, messages) -> str:
    return hashlib.sha256(json.dumps([model, list(messages)], sort_keys=True).encode()).hexdigest()[:24]


def questions_of(name: str, rgb_limit: int = RGB_LIMIT) -> list[dict]:
    """The set's questions: ``id``, ``question``, ``standalone`` (None: the question), ``doc_ids`` (a filter)."""
    if name == "sample":
        return [{"id": q["id"], "question": q["question"], "standalone": None, "doc_ids": None}
                for q in json.loads((ROOT / "tests/data/sample_questions.json").read_text())]
    if name == "conversations":
        record = json.loads(CONVERSATIONS.read_text())
        return [{"id": row["id"], "question": row["turns"][-1]["question"], "standalone": row["turns"][-1]["standalone"],
                 "doc_ids": None} for row in record["rows"]]
    raise ValueError(name)


def rgb_index(rgb_limit: int = RGB_LIMIT, data: Path = RGB_DATA):
    """The index of the first ``rgb_limit`` RGB en_fact questions' drawn passages (built once, cached as
    ``rag eval rgb`` caches it), the rows, and ``{question id: {doc id: kind}}``."""
    from index import SentenceTransformerEmbedder
    from index.loaders import load_file
    from rag import Settings
    from rag.evaluation.beir import open_cached_index
    from rag.evaluation.rgb import load_rgb, write_corpus

    rows = load_rgb(data, rgb_limit)
    path, kinds = write_corpus(rows, 0.0, 0.4)
    embedder = SentenceTransformerEmbedder(Settings.embedder)
    index, _ = open_cached_index([path], lambda: load_file(path), path.stem, embedder)
    return index, rows, kinds


def prepare(pipeline: AnswerPipeline, q: dict) -> Prepared:
    from index import SearchFilter

    filters = SearchFilter(doc_ids=tuple(q["doc_ids"])) if q.get("doc_ids") else None
    return pipeline.prepare(q["question"], standalone_question=q.get("standalone"), filters=filters)


def evidence_of(prepared: Prepared) -> list[dict]:
    if prepared.evidence is None:
        return []
    return [{"n": i, "chunk_id": p.chunk_id, "title": p.title, "text": text}
            for i, (p, text) in enumerate(zip(prepared.evidence.passages, prepared.evidence.texts), 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", required=True, choices=SETS)
    parser.add_argument("--model", default="default")
    parser.add_argument("--index", help="index of the sample corpus (sample, conversations; built in a temp dir when absent)")
    parser.add_argument("--rgb-limit", type=int, default=RGB_LIMIT, help="RGB en_fact: the first N questions")
    parser.add_argument("--max-seconds", type=float, help="stop generating after this long (rerun: cached drafts are reused)")
    parser.add_argument("--json", help="write the record here (default benchmarks/results/drafts-<set>-<model>-<UTC>.json)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    if args.set == "rgb":
        from rag import Assistant, Settings

        if not RGB_DATA.is_file():
            print(f"skipped: no RGB data at {RGB_DATA}")
            return 1
        index, rows, kinds = rgb_index(args.rgb_limit)
        assistant = Assistant(Settings().with_overrides(model=args.model), index=index)
        questions = [{"id": str(r["id"]), "question": r["query"], "standalone": None,
                      "doc_ids": sorted(kinds[str(r["id"])])} for r in rows]
    else:
        assistant = benchmark_assistant(index_dir=args.index, prefix="rag-drafts-", model=args.model)
        questions = questions_of(args.set)
    pipeline, model = assistant.pipeline, assistant.model_id
    cache = draft_cache()
    cache.mkdir(parents=True, exist_ok=True)
    records, generated, missing = [], 0, 0
    for q in questions:
        prepared = prepare(pipeline, q)
        record = {**q, "messages": list(prepared.messages), "abstain_reason": prepared.abstain_reason,
                  "evidence": evidence_of(prepared), "draft": None}
        if prepared.abstain_reason is None:
            key = cache / f"{prompt_key(model, prepared.messages)}.json"
            if key.is_file():
                record["draft"] = json.loads(key.read_text())["draft"]
            elif args.max_seconds and time.perf_counter() - t0 > args.max_seconds:
                missing += 1
                continue
            else:
                stream = AnswerStream(pipeline, prepared, assistant.generator)
                g0 = time.perf_counter()
                for _ in stream:
                    pass
                record["draft"] = stream.text
                record["seconds"] = round(time.perf_counter() - g0, 2)
                key.write_text(json.dumps({"model": model, "draft": stream.text, "seconds": record["seconds"]}))
                generated += 1
        answer = pipeline.finish(prepared, record["draft"] or "", model=model)
        record["verified"] = {"text": answer.text, "abstained": answer.abstained, "outcome": answer.outcome}
        records.append(record)
        print(f"{q['id']}: {'(abstained before generation)' if record['draft'] is None else record['draft'][:120]!r}",
              flush=True)
    print(f"{len(records)} of {len(questions)} questions recorded ({generated} drafts generated now, the rest cached); "
          f"{time.perf_counter() - t0:.0f} s")
    if missing:
        print(f"{missing} drafts missing after --max-seconds: run again to finish (nothing written)")
        return 2
    out = {"set": args.set, "model": model, "model_name": args.model, "questions": len(records),
           "settings": {"k": assistant.settings.retrieval.k, "context_tokens": assistant.settings.context.context_tokens},
           "source": {"sample": "tests/data/sample_questions.json",
                      "conversations": f"{CONVERSATIONS.relative_to(ROOT)} (final turns, recorded standalone questions)",
                      "rgb": f"{RGB_DATA}, first {args.rgb_limit} questions, noise 0, correct rate 0.4"}[args.set],
           "records": records}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
        print(args.json)
    else:
        print(write_results(f"drafts-{args.set}-{args.model}", out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
