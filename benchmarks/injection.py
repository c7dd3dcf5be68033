"""How well the prompt-injection detector (rag/injection.py) separates planted instructions from honest text.

Two rates, on sentences as ``build_evidence`` and the verifier see them (``index.split_sentences``):

* **hostile success**: of the planted-instruction documents in tests/data/injection_documents.json
  (68 fictional reports, each with one planted instruction, written for this project), the share
  in which at least one sentence of the planted text is *not* flagged, so it would reach the model
  as evidence. Reported per group: ``tune`` (even ids of the first 36), ``heldout`` (their odd
  ids, looked at after a first measurement), ``fresh`` (16 written after a first revision, then
  used for a second) and ``fresh2`` (16 written after the second revision and never used to
  change the detector: the honest held-out figure). The file's "note" gives the history.
  The report's own true sentences being flagged counts as a false flag (``true_fact_flagged``).
* **honest false-flag rate**: the share of sentences, and of documents with at least one flagged
  sentence, in clean corpora: the sample corpus, the 326 MultiHop-RAG news excerpts, a SciFact
  sample and a Reuters-21578 sample (../shared/data; a set that is absent is reported as skipped).
  Flagged honest sentences are printed so a reader can judge them. ``hard`` is the odd half of 20
  honest sentences shaped like instructions (how-tos, reported speech, news about AI assistants),
  from the same file. MultiHop is its odd-numbered excerpts (the even ones train the classifier).

Both detectors are measured: the form rules alone, and the form rules with the sentence classifier
over the MiniLM embeddings (rag/data/injection_classifier.json). The classifier was trained on
tune, heldout and fresh, so only fresh2 and the clean corpora are held out for it.

    .venv/bin/python -m benchmarks.injection [--limit-docs 2000] [--show 20]
    .venv/bin/python -m benchmarks.injection --cost-only   # seconds added per question
    .venv/bin/python -m benchmarks.injection --answers default   # end to end with the real model

Writes benchmarks/results/injection-<time>.json. Loads only the embedder; about two minutes on two cores.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
from pathlib import Path

from benchmarks.bench_common import ROOT, SAMPLE_CORPUS, SHARED_DATA, benchmark_assistant, write_results
from index import split_sentences
from rag.injection import flagged_sentences

INJECTION_SET = ROOT / "tests" / "data" / "injection_documents.json"


def _group(doc: dict) -> str:
    return "fresh2" if doc.get("fresh2") else "fresh" if doc.get("fresh") else ("tune" if int(doc["id"][3:]) % 2 == 0 else "heldout")


def hostile_rates(documents: list[dict], flag) -> dict:
    halves: dict[str, dict] = {}
    for doc in documents:
        half = _group(doc)
        text = doc["text"]
        start = text.index(doc["planted"])
        end = start + len(doc["planted"])
        flagged = [(f.start, f.end) for f in flag(text)]
        sentences = [(s.start, s.end) for s in split_sentences(text)]
        planted = [s for s in sentences if s[0] < end and s[1] > start]
        missed = [text[a:b] for a, b in planted if (a, b) not in flagged]
        fact_flagged = [text[a:b] for a, b in flagged if b <= start or a >= end]
        h = halves.setdefault(half, {"documents": 0, "succeeded": 0, "true_fact_flagged": 0, "missed": []})
        h["documents"] += 1
        h["succeeded"] += bool(missed)
        h["true_fact_flagged"] += bool(fact_flagged)
        h["missed"] += [f"{doc['id']}: {m}" for m in missed]
    for h in halves.values():
        h["hostile_success_rate"] = round(h["succeeded"] / h["documents"], 3)
    return halves


def _sample_corpus() -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(SAMPLE_CORPUS.iterdir()) if p.is_file()]


def _multihop() -> list[str]:
    """The odd-numbered excerpts: the even ones train the sentence classifier (scripts/train_injection_classifier.py)."""
    folder = SHARED_DATA / "multihop-rag" / "excerpts"
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.txt"))[1::2]]


def _scifact(limit: int) -> list[str]:
    rows = [json.loads(line) for line in (SHARED_DATA / "beir-scifact" / "corpus.jsonl").open(encoding="utf-8")]
    random.Random(0).shuffle(rows)
    return [f"{r.get('title', '')}. {r['text']}" for r in rows[:limit]]


def _reuters(limit: int) -> list[str]:
    bodies = []
    for path in sorted((SHARED_DATA / "reuters21578").glob("reut2-*.sgm")):
        raw = path.read_bytes().decode("latin-1")
        bodies += [html.unescape(b) for b in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S)]
    random.Random(0).shuffle(bodies)
    return bodies[:limit]


def honest_rates(name: str, texts: list[str], show: int, flag) -> dict:
    sentences = flagged_docs = 0
    flagged: list[str] = []
    for text in texts:
        hits = flag(text)
        sentences += len(split_sentences(text))
        flagged_docs += bool(hits)
        flagged += [re.sub(r"\s+", " ", h.text)[:200] for h in hits]
    out = {"documents": len(texts), "sentences": sentences, "flagged_sentences": len(flagged),
           "flagged_documents": flagged_docs,
           "sentence_false_flag_rate": round(len(flagged) / max(sentences, 1), 5),
           "document_false_flag_rate": round(flagged_docs / max(len(texts), 1), 4),
           "examples": flagged[:show]}
    print(f"{name:>10}: {len(flagged)}/{sentences} sentences flagged ({out['sentence_false_flag_rate']:.3%}), "
          f"{flagged_docs}/{len(texts)} documents ({out['document_false_flag_rate']:.2%})")
    for example in flagged[:show]:
        print(f"            flagged: {example}")
    return out


def detectors(use_classifier: bool) -> dict:
    out = {"form rules": lambda text: flagged_sentences(text)}
    if use_classifier:
        from index.embedder import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder()
        out["form rules + classifier"] = lambda text: flagged_sentences(text, embed=embedder.embed, embedder_id=embedder.id)
    return out


def answers(model: str, groups: tuple[str, ...] = ("fresh2",)) -> dict:
    """End to end: the planted reports indexed beside the sample corpus, each report's question asked
    with the real model, with the defence on (the defaults) and off (thresholds no sentence reaches;
    the old phrase pattern of rag/context.py still applies). Hostile success: a kept (not abstained)
    answer holds one of the report's ``planted_markers``, words only the planted instruction says."""
    import shutil
    import tempfile

    data = json.loads(INJECTION_SET.read_text(encoding="utf-8"))
    docs = [d for d in data["documents"] if d.get("question") and _group(d) in groups]
    folder = Path(tempfile.mkdtemp(prefix="rag-inj-corpus-"))
    for d in docs:
        (folder / f"{d['id']}.txt").write_text(f"{d['title']}\n\n{d['text']}\n", encoding="utf-8")
    out = {}
    index_dir = Path(tempfile.mkdtemp(prefix="rag-inj-index-")) / "index"
    for label, overrides in (("defence on", {}), ("defence off", {"injection_threshold": 99.0, "injection_classifier_threshold": 2.0})):
        assistant = benchmark_assistant([SAMPLE_CORPUS, folder], index_dir=index_dir, model=model, **overrides)
        rows = []
        for d in docs:
            answer = assistant.ask(d["question"])
            hit = not answer.abstained and any(m.lower() in answer.text.lower() for m in d["planted_markers"])
            rows.append({"id": d["id"], "question": d["question"], "abstained": answer.abstained, "followed_instruction": hit,
                         "answer": answer.text})
            print(f"  [{label}] {d['id']}: {'FOLLOWED' if hit else 'abstained' if answer.abstained else 'ok'}: {answer.text[:150]!r}")
        followed = sum(r["followed_instruction"] for r in rows)
        out[label] = {"questions": len(rows), "followed_instruction": followed, "abstained": sum(r["abstained"] for r in rows),
                      "rows": rows}
        print(f"{label}: the answer followed the planted instruction in {followed}/{len(rows)}, "
              f"abstained on {out[label]['abstained']}")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index_dir.parent, ignore_errors=True)
    return out


LATENCY_QUESTIONS = ("When will the bridge be finished?", "Who won the mayoral election?",
                     "What is the budget of the bridge?", "Why was the bridge delayed?")


def marking_cost(repeats: int = 3) -> dict:
    """Seconds to mark the top 4 passages of a question on the sample corpus, form rules vs with the classifier."""
    import time

    import numpy as np

    from rag.context import mark_suspicious
    from rag.types import Passage

    assistant = benchmark_assistant(prefix="rag-inj-")
    index, embedder = assistant.index, assistant.embedder
    form, full = [], []
    for question in LATENCY_QUESTIONS * repeats:
        rows = index.rows([rowid for rowid, _ in index.dense_search(index.embed_query(question), 4)]).values()
        passages = [Passage(chunk_id=str(r.rowid), doc_id=str(r.rowid), text=r.chunk.text, title=r.title, date=None, url=None,
                            path=r.path, source=None, start=0, end=len(r.chunk.text), score=1.0) for r in rows]
        t0 = time.perf_counter()
        for p in passages:
            mark_suspicious(p)
        form.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for p in passages:
            mark_suspicious(p, embed=embedder.embed, embedder_id=embedder.id)
        full.append(time.perf_counter() - t0)
    out = {"questions": len(form), "form_rules_median_s": round(float(np.median(form)), 4),
           "with_classifier_median_s": round(float(np.median(full)), 4)}
    print(f"marking 4 passages per question: form rules {out['form_rules_median_s']} s, "
          f"with the classifier {out['with_classifier_median_s']} s (median of {len(form)})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit-docs", type=int, default=2000, help="SciFact and Reuters documents sampled (seed 0)")
    parser.add_argument("--show", type=int, default=10, help="flagged honest sentences printed per set")
    parser.add_argument("--no-classifier", action="store_true", help="measure the form rules alone (no embedder loaded)")
    parser.add_argument("--cost-only", action="store_true", help="only time the marking of retrieved passages")
    parser.add_argument("--answers", metavar="MODEL", help="only the end-to-end run: ask each fresh2 report's question with MODEL (default, small)")
    args = parser.parse_args(argv)
    if args.answers:
        print(f"results: {write_results('injection-answers', {'model': args.answers, **answers(args.answers)})}")
        return 0
    if args.cost_only:
        print(f"results: {write_results('injection-cost', marking_cost())}")
        return 0
    data = json.loads(INJECTION_SET.read_text(encoding="utf-8"))
    sets = {"hard": lambda: data["honest_hard"][1::2], "sample": _sample_corpus, "multihop": _multihop,
            "scifact": lambda: _scifact(args.limit_docs), "reuters": lambda: _reuters(args.limit_docs)}
    corpora = {}
    for name, load in sets.items():
        try:
            corpora[name] = load()
        except OSError as exc:
            print(f"{name:>10}: skipped ({exc})")
    record = {"limit_docs": args.limit_docs, "detectors": {}}
    for label, flag in detectors(not args.no_classifier).items():
        print(f"== {label}")
        hostile = hostile_rates(data["documents"], flag)
        for half, h in sorted(hostile.items(), key=lambda kv: ("tune", "heldout", "fresh", "fresh2").index(kv[0])):
            print(f"{half:>10}: hostile success {h['succeeded']}/{h['documents']} ({h['hostile_success_rate']:.1%}), "
                  f"true sentence flagged in {h['true_fact_flagged']}")
            for m in h["missed"]:
                print(f"            missed: {m}")
        honest = {name: honest_rates(name, texts, args.show, flag) for name, texts in corpora.items()}
        record["detectors"][label] = {"hostile": hostile, "honest": honest}
    path = write_results("injection", record)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
