"""``rag serve`` overheads and behaviour under load, on the sample corpus with the packaged small model.

    .venv/bin/python -m benchmarks.serve [--model small] [--questions 6] [--clients 1,4,16] [--per-client 2] [--skip-backend]

Three measurements, each a ratio or a count taken in one run on one machine:
1. API overhead: the same questions asked through ``POST /v1/ask`` (HTTP, JSON, the queue, a worker
   thread) and in process with ``Assistant.ask``, in passes A B B A over the list (``_both_ways``).
2. K concurrent clients (default 1, 4, 16), each sending ``--per-client`` questions one after the
   other without retrying a refusal: answers per minute, p50/p95 latency of the answered ones, and
   the share refused with 429 (the server's queue holds ``Settings.serve_queue`` waiting questions).
3. Backend overhead: ``python -m llama_cpp.server`` with the same GGUF file, used with
   ``--llm-url``, against the in-process model on the same questions, also A B B A (and whether the
   answers match). Times are per question, summed over its two passes.

Run it alone: the two cores are the bottleneck, and a second busy process changes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

from benchmarks.bench_common import ROOT, benchmark_assistant, percentile, write_results

QUESTIONS = ROOT / "tests" / "data" / "sample_questions.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _questions(n: int) -> tuple[list[str], str]:
    """The first ``n`` answerable sample questions, and the next one to warm the models up with (a question
    that is not measured, so no measured prompt is already in a cache)."""
    data = [q["question"] for q in json.loads(QUESTIONS.read_text()) if q["answerable"]]
    return data[:n], data[n]


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _both_ways(questions: list[str], first, second) -> tuple[list, list]:
    """Every question asked both ways, in passes A B B A over the whole list: within a pass each question
    follows a different one, so no prompt is answered from the cache of its own previous run, and the
    order effects (a cache, a warming CPU, another job on the machine) fall on both sides alike. Returns
    each side's per-question (seconds, answer), the seconds summed over its two passes."""
    def two_passes(ask, answers: list) -> None:
        for i, q in enumerate(questions):
            took, answer = ask(q)
            answers[i] = (answers[i][0] + took, answer) if answers[i] else (took, answer)

    a: list = [None] * len(questions)
    b: list = [None] * len(questions)
    two_passes(first, a)
    two_passes(second, b)
    two_passes(second, b)
    two_passes(first, a)
    return a, b


def _median_ratio(a: list, b: list) -> float:
    """The median over questions of a's time over b's: one question slowed by another job on the machine
    moves a sum, not a median."""
    return round(statistics.median(ta / tb for (ta, _), (tb, _) in zip(a, b)), 4)


def api_overhead(assistant, url: str, questions: list[str]) -> dict:
    import httpx

    def in_process(q):
        return _timed(lambda: assistant.ask(q))

    def over_http(q):
        return _timed(lambda: httpx.post(f"{url}/v1/ask", json={"question": q}, timeout=600).json())

    local, remote = _both_ways(questions, in_process, over_http)
    same = sum(a.text == r["answer"] for (_, a), (_, r) in zip(local, remote))
    local_s, remote_s = sum(t for t, _ in local), sum(t for t, _ in remote)
    return {"in_process_s": [round(t, 3) for t, _ in local], "api_s": [round(t, 3) for t, _ in remote],
            "ratio_api_to_in_process": round(remote_s / local_s, 4),
            "median_ratio_per_question": _median_ratio(remote, local), "same_answers": f"{same}/{len(questions)}"}


def concurrent_clients(url: str, questions: list[str], clients: int, per_client: int) -> dict:
    import httpx

    latencies: list[float] = []
    refused = failed = 0
    lock = threading.Lock()

    def client(i: int) -> None:
        nonlocal refused, failed
        with httpx.Client(timeout=900) as http:
            for j in range(per_client):
                question = questions[(i + j) % len(questions)]
                took, response = _timed(lambda: http.post(f"{url}/v1/ask", json={"question": question}))
                with lock:
                    if response.status_code == 200:
                        latencies.append(took)
                    elif response.status_code == 429:
                        refused += 1
                    else:
                        failed += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    sent = clients * per_client
    return {"clients": clients, "requests": sent, "answered": len(latencies), "refused_429": refused,
            "failed": failed, "refused_share": round(refused / sent, 3), "wall_s": round(wall, 1),
            "answers_per_minute": round(len(latencies) / wall * 60, 2),
            "p50_s": round(percentile(latencies, 50), 2), "p95_s": round(percentile(latencies, 95), 2)}


def backend_overhead(assistant, questions: list[str], warm_up: str, model_path: str) -> dict:
    import httpx

    from rag import Assistant

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", str(assistant.settings.llm.n_ctx),
                               "--n_threads", str(os.cpu_count() or 1)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("llama_cpp.server did not start")
            time.sleep(0.5)
        remote = Assistant(assistant.settings.with_overrides(llm_url=url), index=assistant.index)
        remote.ask(warm_up)  # load the server's model and its cache of the fixed prompt prefix, as in process
        local, served = _both_ways(questions, lambda q: _timed(lambda: assistant.ask(q)),
                                   lambda q: _timed(lambda: remote.ask(q)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    same = sum(a.text == b.text for (_, a), (_, b) in zip(local, served))
    return {"in_process_s": [round(t, 3) for t, _ in local], "llm_url_s": [round(t, 3) for t, _ in served],
            "ratio_llm_url_to_in_process": round(sum(t for t, _ in served) / sum(t for t, _ in local), 4),
            "median_ratio_per_question": _median_ratio(served, local),
            "same_answers": f"{same}/{len(questions)}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="small")
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--clients", default="1,4,16", help="client counts to run, comma-separated (empty: none)")
    parser.add_argument("--per-client", type=int, default=2)
    parser.add_argument("--skip-backend", action="store_true")
    args = parser.parse_args()

    from rag.models import resolve_model
    from ui.serve import start

    assistant = benchmark_assistant(prefix="rag-serve-", model=args.model)
    questions, warm_up = _questions(args.questions)
    assistant.ask(warm_up)  # load the embedder and the model before anything is timed
    running = start(assistant.settings, port=_free_port(), assistant=assistant, ui=False)
    try:
        record = {"model": args.model, "questions": questions, "serve_queue": assistant.settings.serve.serve_queue,
                  "api_overhead": api_overhead(assistant, running.url, questions), "concurrency": []}
        print("API overhead:", json.dumps(record["api_overhead"]), flush=True)
        for k in (int(x) for x in args.clients.split(",") if x.strip()):
            result = concurrent_clients(running.url, questions, k, args.per_client)
            record["concurrency"].append(result)
            print("clients:", json.dumps(result), flush=True)
    finally:
        running.close()
    if not args.skip_backend:
        record["backend_overhead"] = backend_overhead(assistant, questions, warm_up, str(resolve_model(args.model)))
        print("backend overhead:", json.dumps(record["backend_overhead"]), flush=True)
    print("results:", write_results("serve", record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
