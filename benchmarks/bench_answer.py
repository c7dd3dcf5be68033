"""Answer latency: the product's generation path against raw llama-cpp-python on the same prompt.

    .venv/bin/python -m benchmarks.bench_answer --model small [--repeats 3]

Measures, in one process and one run (ratios are what to compare on a shared machine):
  - raw llama-cpp-python: time to first token and decode tokens/s for the product's exact messages,
    with a cold KV cache (llm.reset()) and with the fixed system prompt already cached;
  - the product (AnswerStream): the same numbers through rag's generator wrapper;
  - the prompt size in tokens (evidence budget) and the prompt-evaluation rate.
Writes benchmarks/results/answer-<model>-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

from benchmarks.bench_common import RESULTS, benchmark_assistant

QUESTION = "How much did the library renovation cost, and who designed the building?"


def _raw(llm, messages, max_tokens):
    t0 = time.perf_counter()
    first = None
    n = 0
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                            repeat_penalty=1.05, stream=True):
        if chunk["choices"][0].get("delta", {}).get("content"):
            n += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - t0, n / (end - first) if n > 1 else 0.0, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="small")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    assistant = benchmark_assistant(prefix="rag-answer-", model=args.model)
    stream = assistant.stream(QUESTION)
    messages = list(stream.messages)
    generator = assistant.generator
    llm = generator.llm
    text = "".join(m["content"] for m in messages)
    prompt_tokens = len(llm.tokenize(text.encode("utf-8"), add_bos=False))
    rows = {"raw_cold": [], "raw_warm_prefix": [], "product_cold": [], "product_warm_prefix": []}
    for _ in range(args.repeats):
        llm.reset()
        rows["raw_cold"].append(_raw(llm, messages, args.max_tokens))
        # same system prompt, different question: only the prefix is reusable
        other = list(assistant.stream("Who is the head librarian and how many visitors came on the first day?").messages)
        rows["raw_warm_prefix"].append(_raw(llm, other, args.max_tokens))
        llm.reset()
        for name, question in (("product_cold", QUESTION), ("product_warm_prefix", "Who is the head librarian and how many visitors came on the first day?")):
            s = assistant.stream(question)
            t0 = time.perf_counter()
            first, n = None, 0
            for _piece in generator.stream(s.messages, max_tokens=args.max_tokens):
                n += 1
                if first is None:
                    first = time.perf_counter()
            end = time.perf_counter()
            rows[name].append((first - t0, n / (end - first) if n > 1 else 0.0, n))
    summary = {name: {"ttft_s_median": statistics.median(r[0] for r in vals),
                      "decode_tokens_per_s_median": statistics.median(r[1] for r in vals),
                      "tokens": vals[0][2]} for name, vals in rows.items()}
    summary["product_vs_raw_decode_ratio"] = (summary["product_cold"]["decode_tokens_per_s_median"]
                                             / summary["raw_cold"]["decode_tokens_per_s_median"])
    summary["product_vs_raw_ttft_ratio"] = summary["product_cold"]["ttft_s_median"] / summary["raw_cold"]["ttft_s_median"]
    record = {"benchmark": "answer", "model": assistant.model_id, "prompt_tokens_cold": prompt_tokens,
              "evidence_tokens": stream.evidence.tokens, "context_tokens_setting": assistant.settings.context.context_tokens,
              "repeats": args.repeats, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", "summary": summary}
    print(json.dumps(record, indent=2))
    out = RESULTS / f"answer-{args.model}-{datetime.now().strftime('%Y%m%dT%H%M')}.json"
    out.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
