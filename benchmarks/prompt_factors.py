"""The answer prompt's factors, each alone, against the plain-prompt baseline (issue #22 item 0).

    .venv/bin/python -m benchmarks.prompt_factors multihop --per-type 15 --variants product,plain,instructions
    .venv/bin/python -m benchmarks.prompt_factors reuters --split dev --variants product,plain,format \\
        --seed benchmarks/results/reuters-dev-product-default-*.json benchmarks/results/reuters-dev-plain-default-*.json

Every variant answers the same questions over the same retrieval with the same model; each changes
one thing of the product's answer prompt (a :class:`~rag.settings.Settings` field, see ``VARIANTS``):

* ``product``      the product's default prompt;
* ``plain``        the plain-prompt baseline (:mod:`rag.evaluation.plain`), unverified;
* ``instructions`` ``answer_instructions="plain"``: the baseline's wording, ``[n]`` asked for in one sentence;
* ``format``       ``passage_format="bare"``: ``[n] text`` without the title/date/source header;
* ``order``        ``passage_order="reversed"``: best passage last, next to the question;
* ``whole``        ``context_tokens=2000``: whole passages instead of the sentences chosen for 480 tokens.

The product variants are scored as ``rag eval`` scores them (MultiHop-RAG: ``strict_correct``;
Reuters: the set's judge), twice from one generation: the draft before verification
(``unverified``) and the verified answer. The summary adds the citation rate: the share of
answered answerable drafts that carry at least one ``[n]`` marker.

Drafts are cached on disk (``--cache``, git-ignored), keyed by the model, the token limit and the
exact chat messages: decoding is greedy, so an identical prompt gives the identical draft. A
variant whose prompt for a question equals another's costs nothing there (``whole`` regenerates
only the questions whose evidence was cut), and a run stopped at the lock's time limit resumes
where it stopped. ``--seed`` fills the cache from recorded ``rag eval reuters`` or ``rag eval
multihop --answers`` results whose retrieval and evidence are unchanged (each question's prompt is
rebuilt by the current code; a question whose shown articles differ from the record is not seeded).

Writes one JSON record per run to benchmarks/results/ (``prompt-factors-SET-UTC.json``), rewritten
after each variant, with every question's drafts and answers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Iterator, Sequence

from benchmarks.bench_common import ROOT
from rag import Assistant, Settings

VARIANTS: dict[str, dict | None] = {
    "product": {},
    "plain": None,
    "instructions": {"answer_instructions": "plain"},
    "format": {"passage_format": "bare"},
    "order": {"passage_order": "reversed"},
    "whole": {"context_tokens": 2000},
    "verdict_last": {"verdict_position": "last"},
}
"""Variant name -> the Settings fields it changes (None: the plain-prompt baseline)."""

_MARKER = re.compile(r"\[\d+\]")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class DraftCache:
    """A generator that answers a prompt it has seen with the text recorded for it, and any other
    prompt with the live model (then records it). One JSON line per prompt in ``path``."""

    def __init__(self, live, path: Path, model_id: str) -> None:
        self.live = live
        self.path = path
        self.id = model_id
        self.texts: dict[str, str] = {}
        self.hits = self.generated = 0
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.texts[row["key"]] = row["text"]

    def key(self, messages: Sequence[dict], max_tokens: int) -> str:
        blob = json.dumps({"model": self.id, "max_tokens": max_tokens,
                           "messages": [{"role": m["role"], "content": m["content"]} for m in messages]},
                          sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def put(self, key: str, text: str, source: str) -> None:
        if key in self.texts:
            return
        self.texts[key] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "text": text, "source": source}, ensure_ascii=False) + "\n")

    def count_tokens(self, text: str) -> int:
        return self.live.count_tokens(text)

    def stream(self, messages: Sequence[dict], max_tokens: int = 256) -> Iterator[str]:
        key = self.key(messages, max_tokens)
        if key in self.texts:
            self.hits += 1
            yield self.texts[key]
            return
        text = "".join(self.live.stream(messages, max_tokens=max_tokens))
        self.generated += 1
        self.put(key, text, "generated")
        yield text


def _seed(cache: DraftCache, assistant: Assistant, plain_assistant: Assistant, suite: str, paths: list[str]) -> dict:
    """Put recorded drafts into the cache under the prompts the current code builds for them."""
    from rag.evaluation.plain import plain_evidence
    from rag.evaluation.reuters import newid_of_url
    from rag.prompts import plain_messages

    seeded = skipped = 0
    max_tokens = assistant.settings.llm.max_answer_tokens
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data["models"]["llm"] != cache.id:
            raise SystemExit(f"{path} was answered by {data['models']['llm']}, not {cache.id}: it cannot seed this cache")
        rows = data["records"] if suite == "reuters" else data["answers"]["answers"]
        plain = data.get("prompt") == "plain" or (suite == "multihop" and "plain" in data["answers"]["systems"])
        for row in rows:
            question = row["question"] if suite == "reuters" else row["query"]
            if plain:
                passages, texts = plain_evidence(plain_assistant, question)
                if suite == "reuters" and [newid_of_url(p.url) for p in passages] != row["shown"]:
                    skipped += 1
                    continue
                if texts:
                    cache.put(cache.key(plain_messages(list(texts), question), max_tokens), row["answer"], path)
                    seeded += 1
                continue
            stream = assistant.stream(question)
            if stream.abstain_reason is not None:
                continue
            shown = [newid_of_url(p.url) for p in stream.evidence.passages]
            if suite == "reuters" and (row.get("pre_abstained") or shown != row["shown"]):
                skipped += 1
                continue
            cache.put(cache.key(stream.messages, max_tokens), row["draft"], path)
            seeded += 1
    return {"seeded": seeded, "skipped_changed": skipped}


def _summary(suite: str, name: str, body: dict) -> dict:
    """Answerable accuracy (unverified and verified), abstention on unanswerable/null, citation rate."""
    if suite == "multihop":
        rows = body["answers"]
        answerable = [r for r in rows if not r["null"]]
        unanswerable = [r for r in rows if r["null"]]
        right = lambda r, s: bool(r[s]["strict"])  # noqa: E731
        abstained = lambda r, s: bool(r[s]["abstained"])  # noqa: E731
        draft = lambda r: r["answer"] if name == "plain" else r["draft"]  # noqa: E731
    else:
        rows = body["records"]
        answerable = [r for r in rows if r["answerable"]]
        unanswerable = [r for r in rows if not r["answerable"]]
        right = lambda r, s: bool(r[s])  # noqa: E731
        abstained = lambda r, s: bool(r["abstained"] if s in ("verified", "plain") else r["draft_abstained"])  # noqa: E731
        draft = lambda r: r["answer"] if name == "plain" else r["draft"]  # noqa: E731
    systems = ("plain",) if name == "plain" else ("unverified", "verified")
    out = {}
    for s in systems:
        answered = [r for r in answerable if not abstained(r, s)]
        out[s] = {
            "answerable": len(answerable),
            "answerable_right": sum(right(r, s) for r in answerable),
            "answerable_abstained": sum(abstained(r, s) for r in answerable),
            "wrong_when_answered": sum(not right(r, s) for r in answered),
            "unanswerable": len(unanswerable),
            "unanswerable_abstained": sum(abstained(r, s) for r in unanswerable),
            "drafts_with_markers": sum(bool(_MARKER.search(draft(r))) for r in answered),
            "answered": len(answered),
        }
        if suite == "multihop":
            by_type: dict[str, list[int]] = {}
            for r in answerable:
                by_type.setdefault(r["question_type"], []).append(int(right(r, s)))
            out[s]["by_type"] = {t: f"{sum(v)}/{len(v)}" for t, v in sorted(by_type.items())}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", choices=["multihop", "reuters"])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS))
    parser.add_argument("--model", default="default")
    parser.add_argument("--queries", default="/work/shared/data/multihop-rag/queries.dev.json")
    parser.add_argument("--corpus", default="/work/shared/data/multihop-rag/excerpts")
    parser.add_argument("--per-type", type=int, default=15, help="multihop: the first N queries of each type")
    parser.add_argument("--data", default="/work/shared/data/reuters21578")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--limit", type=int, help="only the first N questions (smoke runs)")
    parser.add_argument("--seed", nargs="*", default=[], metavar="RESULTS", help="recorded results to fill the cache from")
    parser.add_argument("--cache", help="draft cache (default benchmarks/.work/prompt_factors/drafts-MODEL.jsonl)")
    parser.add_argument("--results-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")

    from index import SentenceTransformerEmbedder
    from rag.evaluation.results import write_results

    embedder = SentenceTransformerEmbedder(Settings().embedder)
    if args.suite == "multihop":
        from rag.evaluation.multihop import evaluate_answers, evaluate_plain_answers, load_queries, open_corpus_index

        questions = load_queries(args.queries, args.limit, args.per_type)
        index, info = open_corpus_index(args.corpus, embedder, log=_log)
    else:
        from rag.evaluation.reuters import evaluate_reuters, load_questions, open_reuters_index

        questions = load_questions(None, args.split, args.limit)
        index, info = open_reuters_index(args.data, embedder, log=_log)

    base = Assistant(Settings().with_overrides(model=args.model), index=index)
    cache_path = Path(args.cache) if args.cache else ROOT / "benchmarks" / ".work" / "prompt_factors" / f"drafts-{args.model}.jsonl"
    cache = DraftCache(base.generator, cache_path, base.model_id)
    seeding = _seed(cache, Assistant(base.settings, index=index, generator=cache),
                    Assistant(base.settings, index=index, generator=cache), args.suite, args.seed) if args.seed else None

    name = (f"prompt-factors-multihop-{Path(args.queries).stem}-pt{args.per_type}" if args.suite == "multihop"
            else f"prompt-factors-reuters-{args.split}")
    record = {"suite": args.suite, "arguments": {k: v for k, v in vars(args).items() if not isinstance(v, list)},
              "seed_files": args.seed, "seeding": seeding, "questions": len(questions),
              "models": {"llm": base.model_id, "embedder": embedder.id}, "index": info,
              "variants": {}, "summary": {}}
    path = None
    for variant in names:
        changes = VARIANTS[variant]
        settings = base.settings.with_overrides(**(changes or {}))
        assistant = Assistant(settings, index=index, generator=cache)
        hits, generated, t0 = cache.hits, cache.generated, time.perf_counter()
        _log(f"{variant}: {len(questions)} questions ({changes if changes is not None else 'plain prompt'})")
        if args.suite == "multihop":
            body = (evaluate_plain_answers if changes is None else evaluate_answers)(assistant, questions, log=_log)
        else:
            body = evaluate_reuters(assistant, questions, "plain" if changes is None else "product", log=_log)
        record["variants"][variant] = {"settings": changes, "cached_drafts": cache.hits - hits,
                                       "generated_drafts": cache.generated - generated,
                                       "seconds": round(time.perf_counter() - t0, 1), **body}
        record["summary"][variant] = _summary(args.suite, variant, body)
        _log(f"{variant}: {json.dumps(record['summary'][variant])}")
        if path is not None:
            path.unlink(missing_ok=True)
        path = write_results(record, name, args.results_dir)
    print(json.dumps(record["summary"], indent=1))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
