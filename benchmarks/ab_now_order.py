"""A/B of newest-first passages for questions about the present, on MultiHop-RAG dev.

    .venv/bin/python benchmarks/ab_now_order.py [--queries ../shared/data/multihop-rag/queries.dev.json]
        [--corpus ../shared/data/multihop-rag/excerpts]

Takes the dev queries that :func:`rag.questions.asks_about_now` picks ("now",
"currently", "latest", "still", ...) and answers each twice with the default
model: passages newest first with the one-line hint (the product), and in
retrieval order without it. Prints strict accuracy (verified and unverified)
and the answerable abstention rate of both, and each query's verified result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rag.assistant as assistant_module  # noqa: E402
from index import SentenceTransformerEmbedder  # noqa: E402
from rag import Assistant, Settings  # noqa: E402
from rag.evaluation.multihop import evaluate_answers, load_queries, open_corpus_index  # noqa: E402
from rag.questions import asks_about_now  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", default=str(ROOT.parent / "shared/data/multihop-rag/queries.dev.json"))
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared/data/multihop-rag/excerpts"))
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    index, _ = open_corpus_index(args.corpus, SentenceTransformerEmbedder())
    queries = [q for q in load_queries(args.queries) if asks_about_now(q["query"])]
    print(f"{len(queries)} queries about the present", flush=True)
    assistant = Assistant(Settings(model=args.model), index=index)
    for name, rule in (("newest first + hint", asks_about_now), ("retrieval order", lambda _q: False)):
        assistant_module.asks_about_now = rule  # the one switch the assistant reads
        out = evaluate_answers(assistant, queries)
        verified, unverified = out["systems"]["verified"], out["systems"]["unverified"]
        print(f"{name}: strict verified {verified['accuracy']['all']['strict']:.3f}, unverified "
              f"{unverified['accuracy']['all']['strict']:.3f}, answerable abstained "
              f"{verified['wrong_abstention_rate_answerable']:.3f}", flush=True)
        print("  verified strict per query:", [int(r["verified"]["strict"]) for r in out["answers"]], flush=True)
    assistant_module.asks_about_now = asks_about_now
    return 0


if __name__ == "__main__":
    sys.exit(main())
