"""The LLM as the entailment judge (rag/judge.py; VerifierSettings.entailment_judge = "llm").

Fakes stand for the model (a scripted Yes/No reader, a fake llama object, a fake OpenAI-compatible
server over real HTTP); the real default model reads hand-written pairs in the slow test, and the real
``llama_cpp.server`` with the small model answers the judge's request in the other slow test.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fakes import send_json
from rag import Settings, SettingsError, VerifierSettings
from rag.errors import LLMServerError
from rag.generator import LlamaGenerator, YesNo
from rag.judge import JUDGE_SYSTEM, LLMJudge, judge_messages
from rag.remote import OpenAIGenerator
from rag.verification import attribute
from rag.verification.rules import entailment_candidates  # noqa: F401  (the rescue's pairs, documented there)
from test_attribution import D, _passage

ROOT = Path(__file__).resolve().parents[1]
LLM = VerifierSettings(entailment_judge="llm")


class ScriptedYesNo:
    """A Yes/No reader that gives ``margins[claim]`` (default 0) for every premise and records the pairs asked."""

    def __init__(self, margins: dict[str, float], how: str = "logits", fail: Exception | None = None) -> None:
        self.margins, self.how, self.fail = margins, how, fail
        self.asked: list[str] = []

    def yes_no(self, messages):
        assert messages[0] == {"role": "system", "content": JUDGE_SYSTEM}
        user = messages[-1]["content"]
        self.asked.append(user)
        if self.fail is not None:
            raise self.fail
        claim = user.split("\nSentence: ", 1)[1].split("\n", 1)[0]
        margin = self.margins.get(claim, 0.0)
        return YesNo(margin, "Yes" if margin > 0 else "No", self.how)


# ---- the scorer ------------------------------------------------------------------------------
def test_the_judge_gives_p_yes_from_the_margin_and_says_how_it_read():
    reader = ScriptedYesNo({"A.": 2.0, "B.": -1.0})
    judge = LLMJudge(reader)
    read = judge([("premise one", "A."), ("premise two", "B.")])
    assert read == pytest.approx([1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(1.0))])
    assert read.how == ["logits", "logits"] and judge.pairs == 2
    assert "Passage:\npremise one\n\nSentence: A.\n" in reader.asked[0]
    assert YesNo(None, " Yes").probability == 1.0 and YesNo(None, "No").probability == 0.0
    assert judge_messages("p", "c")[0]["content"] == JUDGE_SYSTEM  # the fixed prefix its KV snapshot keeps


def test_a_generator_that_cannot_be_asked_is_a_clear_error():
    from rag.errors import RagError

    class NoJudge:
        id = "plain"

    with pytest.raises(RagError, match="entailment_judge=model"):
        LLMJudge(lambda: NoJudge())([("p", "c")])


def test_the_llm_thresholds_apply_when_the_llm_judges():
    assert (LLM.reject_threshold, LLM.accept_threshold) == (LLM.judge_reject, LLM.judge_accept)
    model = VerifierSettings()
    assert (model.reject_threshold, model.accept_threshold) == (model.entailment_reject, model.entailment_accept)
    changed = Settings().with_assignments(["entailment_judge=llm", "judge_reject=0.2"])
    assert changed.verification.entailment_judge == "llm" and changed.verification.reject_threshold == 0.2
    assert "entailment_judge" not in VerifierSettings.numeric_fields()


def test_an_unknown_judge_is_a_settings_error(tmp_path):
    from rag import Assistant

    settings = Settings(index_dir=tmp_path, verification=VerifierSettings(verify_entailment=True, entailment_judge="gpt"))
    with pytest.raises(SettingsError, match="entailment_judge"):
        Assistant(settings, index=object())._entails()


# ---- in the verifier -------------------------------------------------------------------------
def test_the_llm_judge_rejects_a_quote_of_the_wrong_subject_and_reads_only_what_the_rules_need():
    draft = "Daimler-Benz earned 420 million marks [1]."
    reader = ScriptedYesNo({"Daimler-Benz earned 420 million marks.": -3.0})
    judge = LLMJudge(reader)
    result = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=judge, settings=LLM)
    assert result.citations == () and result.reasons[0].startswith("the quoted sentence does not state this (entailment 0.05)")
    # the quote, then the rescue's sentences for the claim no quote holds; nothing else
    assert 1 < judge.pairs <= 1 + 1 + LLM.entailment_candidates
    kept = ScriptedYesNo({"Daimler-Benz's group net profit rose to 1.8 billion marks.": 1.5})
    judge = LLMJudge(kept)
    result = attribute("Daimler-Benz's group net profit rose to 1.8 billion marks [1].", [D],
                       question="How much did Daimler-Benz earn?", entails=judge, settings=LLM)
    assert result.citations and judge.pairs == 1  # a quote the judge confirms: no rescue read
    assert result.checks[0].scores["entailment"] == pytest.approx(1 / (1 + math.exp(-1.5)))


def test_the_llm_threshold_is_the_judges_not_the_models():
    draft = "Daimler-Benz's group net profit rose to 1.8 billion marks [1]."
    reader = ScriptedYesNo({"Daimler-Benz's group net profit rose to 1.8 billion marks.": -0.3})  # P 0.43
    kept = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=LLMJudge(reader), settings=LLM)
    assert kept.citations  # 0.43 >= judge_reject 0.35
    model = VerifierSettings(entailment_judge="model")
    dropped = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=LLMJudge(reader), settings=model)
    assert not dropped.citations  # 0.43 < entailment_reject 0.5


def test_an_unavailable_judge_leaves_the_claim_to_the_word_overlap_rules_and_says_so():
    draft = "Daimler-Benz's group net profit rose to 1.8 billion marks [1]."
    failing = ScriptedYesNo({}, fail=LLMServerError("the LLM server at x:1 answered HTTP 500: boom"))
    result = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=LLMJudge(failing), settings=LLM)
    plain = attribute(draft, [D], question="How much did Daimler-Benz earn?")
    assert result.text == plain.text and [c.quote for c in result.citations] == [c.quote for c in plain.citations]
    (check,) = result.checks
    assert check.verdict == "kept" and "the entailment judge was unavailable (the LLM server at x:1 answered HTTP 500: boom)" \
        in check.reason and "decided by the word-overlap rules" in check.reason
    assert len(failing.asked) == 1  # not asked again within the verification


def test_a_reading_from_the_reply_text_is_said_in_the_trace():
    draft = "Daimler-Benz's group net profit rose to 1.8 billion marks [1]."

    class TextOnly(ScriptedYesNo):
        def yes_no(self, messages):
            super().yes_no(messages)
            return YesNo(None, "Yes", "reply text")

    result = attribute(draft, [D], question="How much did Daimler-Benz earn?", entails=LLMJudge(TextOnly({})), settings=LLM)
    assert result.citations and "its reply text" in result.checks[0].reason
    assert result.checks[0].scores["entailment"] == 1.0


# ---- the local model: one llama context, one lock -----------------------------------------------
class FakeLlama:
    """Stands for llama_cpp.Llama: tokenizes "Yes"/"No" to ids 1/2 and calls the logits processor once."""

    n_tokens = 0

    def __init__(self, yes: float, no: float) -> None:
        self.logits = [0.0, yes, no]
        self.calls: list[dict] = []

    def tokenize(self, data, add_bos=False, special=False):
        return [{b"Yes": 1, b"No": 2}.get(data, 3)]

    def create_chat_completion(self, messages, max_tokens, logits_processor=None, **kw):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, **kw})
        for processor in logits_processor or []:
            processor([], list(self.logits))
        return {"choices": [{"message": {"content": "Yes" if self.logits[1] > self.logits[2] else "No"}}]}


def test_the_local_judge_reads_the_logit_margin_under_the_generators_lock(tmp_path):
    pytest.importorskip("llama_cpp")
    generator = LlamaGenerator(str(tmp_path / "none.gguf"))
    generator._llm = FakeLlama(yes=1.25, no=3.0)
    reply = generator.yes_no(judge_messages("p", "c"))
    assert reply == YesNo(pytest.approx(-1.75), "No", "logits")
    assert generator._llm.calls[0]["max_tokens"] == 1 and generator.snapshots.current == JUDGE_SYSTEM
    done = threading.Event()
    with generator.lock:  # an answer is being generated
        worker = threading.Thread(target=lambda: (generator.yes_no(judge_messages("p", "c")), done.set()))
        worker.start()
        assert not done.wait(0.3)  # the judge waits for it
    worker.join(5)
    assert done.is_set()


# ---- route (c): the judge is the server --------------------------------------------------------
class JudgeServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint that answers non-streaming one-token completions as ``mode`` says:
    "logprobs" (Yes/No with top_logprobs), "text" (the reply only), "refuses-logprobs" (HTTP 400 naming
    the field), ("status", CODE), "hang"."""

    daemon_threads = True

    def __init__(self, mode="logprobs", yes=-0.2, no=-1.8) -> None:
        super().__init__(("127.0.0.1", 0), _JudgeHandler)
        self.mode, self.yes, self.no = mode, yes, no
        self.bodies: list[dict] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _JudgeHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "judge-model", "object": "model"}]})

    def do_POST(self) -> None:
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        if self.path != "/v1/chat/completions":
            return self._json(404, {"detail": "Not Found"})
        server.bodies.append(body)
        mode = server.mode
        if isinstance(mode, tuple):
            return self._json(mode[1], {"error": {"message": "internal failure"}})
        if mode == "hang":
            server.release.wait(10)
            return
        if mode == "refuses-logprobs" and body.get("logprobs"):
            return self._json(400, {"error": {"message": "logprobs is not supported by this server"}})
        text = "Yes" if server.yes > server.no else "No"
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
        if mode == "logprobs" and body.get("logprobs"):
            tops = [{"token": "Yes", "logprob": server.yes}, {"token": "No", "logprob": server.no},
                    {"token": "The", "logprob": -4.0}]
            first = max(tops, key=lambda t: t["logprob"])
            choice["logprobs"] = {"content": [{**first, "top_logprobs": tops}]}
        self._json(200, {"id": "x", "object": "chat.completion", "choices": [choice]})

    def _json(self, status: int, data) -> None:
        send_json(self, status, data)


@pytest.fixture()
def server():
    made = []

    def start(*args, **kwargs) -> JudgeServer:
        s = JudgeServer(*args, **kwargs)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        made.append(s)
        return s

    yield start
    for s in made:
        s.release.set()
        s.shutdown()
        s.server_close()


def test_the_server_judge_reads_top_logprobs(server):
    s = server("logprobs", yes=-0.2, no=-1.8)
    reply = OpenAIGenerator(s.url).yes_no(judge_messages("p", "c"))
    assert reply.how == "logprobs" and reply.margin == pytest.approx(1.6) and reply.text == "Yes"
    body = s.bodies[0]
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["top_logprobs"] >= 2 and body["stream"] is False
    assert body["temperature"] == 0.0 and body["messages"][0]["content"] == JUDGE_SYSTEM


def test_a_server_without_logprobs_is_read_from_its_reply_text(server):
    s = server("text", yes=-3.0, no=-0.1)
    reply = OpenAIGenerator(s.url).yes_no(judge_messages("p", "c"))
    assert reply == YesNo(None, "No", "reply text") and reply.probability == 0.0


def test_a_server_that_refuses_logprobs_is_asked_again_without_them_once(server):
    s = server("refuses-logprobs")
    generator = OpenAIGenerator(s.url)
    assert generator.yes_no(judge_messages("p", "c")).how == "reply text"
    generator.yes_no(judge_messages("p", "c"))
    assert [b.get("logprobs") for b in s.bodies] == [True, None, None]


def test_a_server_error_or_timeout_in_judging_keeps_the_answer(server, hash_index):
    """The whole route through the Assistant: the draft's sentence is decided by the word-overlap rules and
    the trace says the judge was unavailable; the answer is the one the verifier gives without a judge."""
    from fakes import CopyingGenerator
    from rag import Assistant

    question = "How much did the library renovation cost?"
    plain = Assistant(Settings(index_dir=hash_index.path), index=hash_index, generator=CopyingGenerator()).ask(question)
    assert not plain.abstained
    for mode, fragment in ((("status", 500), "HTTP 500"), ("hang", "sent nothing for 1 s")):
        s = server(mode)
        judge = LLMJudge(OpenAIGenerator(s.url, timeout=1.0, retries=0))
        settings = Settings(index_dir=hash_index.path, verification=VerifierSettings(verify_entailment=True, entailment_judge="llm"))
        answer = Assistant(settings, index=hash_index, generator=CopyingGenerator(), judge=judge).ask(question)
        assert answer.text == plain.text and not answer.abstained, mode
        kept = [c for c in answer.verification if c.verdict != "left out"]
        assert kept and all("the entailment judge was unavailable" in c.reason and fragment in c.reason for c in kept), mode
        assert len(s.bodies) == 1, mode  # unavailable for the rest of this verification


@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    from fakes import HashEmbedder
    from index import CorpusIndex

    index = CorpusIndex.open(tmp_path_factory.mktemp("judge") / "index", HashEmbedder(), create=True)
    index.index_paths([ROOT / "rag" / "sample_corpus"])
    return index


# ---- the real default model on hand-written pairs (slow) ---------------------------------------
FIXED = json.loads((ROOT / "tests" / "data" / "entailment_pairs.json").read_text(encoding="utf-8"))["pairs"]


def _pair(hypothesis: str) -> tuple[str, str]:
    p = next(p for p in FIXED if p["hypothesis"] == hypothesis)
    return p["premise"], p["hypothesis"]


CASES = [  # (case, wrong, right): the four errors the issue names, from tests/data/entailment_pairs.json
    ("relation swap", "Kiln Batteries sued its former supplier Vestra Motors over a breach of contract.",
     "Kiln Batteries was sued by Vestra Motors over a breach of contract."),
    ("restated question, right name", "The Kremlin spokesman quoted in the coverage is Sergei Lavrov.",
     "The Kremlin spokesman quoted in the coverage is Dmitry Peskov."),
    ("neighbouring item's number", "The Civic Alliance won 14 seats in the district vote.",
     "Labour took 6 seats in the district vote."),
    ("negation", "The regulator did not approve the merger of Tellan Mobile and Ostra Networks.",
     "The regulator approved the merger of Tellan Mobile and Ostra Networks on Thursday."),
]
"""Measured with the default model (benchmarks/results/entailment-llm-judge-20261206T044257Z.json, P(Yes)):
relation swap 0.43 / 0.88, Lavrov 0.73 / Peskov 0.89, neighbour 0.69 / 0.83, negation 0.11 / 0.99."""


@pytest.fixture(scope="module")
def default_readings():
    from rag import Assistant

    judge = LLMJudge(Assistant(Settings(model="default")).generator)
    pairs = [_pair(h) for _, wrong, right in CASES for h in (wrong, right)]
    return dict(zip([claim for _, claim in pairs], judge(pairs)))


@pytest.mark.slow
@pytest.mark.parametrize("case, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_the_default_model_as_judge_orders_the_wrong_claim_below_the_right_one(default_readings, case, wrong, right):
    assert default_readings[wrong] < default_readings[right]
    assert default_readings[right] >= VerifierSettings().judge_reject  # the right claim is kept


@pytest.mark.slow
def test_the_default_model_as_judge_rejects_the_negation(default_readings):
    assert default_readings[CASES[3][1]] < VerifierSettings().judge_reject


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured: the default model reads these wrong claims as stated (P(Yes) 0.43-0.73, "
                                       "above judge_reject); docs/decisions/2026-12-06-llm-judge.md")
@pytest.mark.parametrize("case", [c for c in CASES[:3]], ids=[c[0] for c in CASES[:3]])
def test_known_failures_the_judge_accepts_the_wrong_claim(default_readings, case):
    assert default_readings[case[1]] < VerifierSettings().judge_reject


# ---- route (c) against the real llama_cpp.server (slow) -----------------------------------------
@pytest.mark.slow
def test_real_llama_cpp_server_judges_with_the_in_process_models_margin(sample_index, tmp_path):
    """llama_cpp.server returns top_logprobs on chat completions: the server's Yes-minus-No log-probability
    margin is the in-process model's logit margin (softmax cancels), and an answer verified with the
    server as judge carries the judge's readings in its trace."""
    pytest.importorskip("llama_cpp.server.app", reason="pip install 'rag-news[test]' (llama-cpp-python[server])")
    from test_remote_backend import _wait_until_serving, closed_port

    from fakes import CopyingGenerator
    from rag import Assistant
    from rag.models import resolve_model

    port, threads = closed_port(), str(os.cpu_count() or 1)
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path / "server.log"
    premise, claim = _pair("The regulator did not approve the merger of Tellan Mobile and Ostra Networks.")
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model("small")),
                                    "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
                                    "--n_threads", threads, "--n_threads_batch", threads],
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_serving(process, url, log)
        remote = OpenAIGenerator(url)
        served = remote.yes_no(judge_messages(premise, claim))
        settings = Settings(index_dir=sample_index.path, verification=VerifierSettings(verify_entailment=True, entailment_judge="llm"))
        judge = LLMJudge(remote)
        answer = Assistant(settings, index=sample_index, generator=CopyingGenerator(), judge=judge).ask(
            "When is the Port Alder harbour bridge expected to open?")
    finally:
        process.kill()
        process.wait(30)
    assert served.how == "logprobs" and served.text in ("Yes", "No")
    local = Assistant(Settings(model="small")).generator.yes_no(judge_messages(premise, claim))
    assert served.margin == pytest.approx(local.margin, abs=0.05)
    assert judge.pairs >= 1 and not answer.abstained and "June 2027" in answer.text
    read = [c for c in answer.verification if "entailment" in c.scores]
    assert read and not any("unavailable" in c.reason or "reply text" in c.reason for c in answer.verification)
