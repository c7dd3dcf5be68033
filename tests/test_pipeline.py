"""The answer pipeline (prepare, generate, finish), conversations over it, their store, and the import layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fakes import CopyingGenerator

ROOT = Path(__file__).resolve().parents[1]


def test_prepare_then_finish_is_what_the_assistant_answers(sample_index):
    """Real embedder and FAISS over the sample corpus; the draft is the fake model's."""
    from rag import Assistant, Settings
    from rag.pipeline import AnswerPipeline

    question = "Who won the mayoral election in November 2025?"
    settings = Settings(index_dir=sample_index.path)
    pipeline = AnswerPipeline(sample_index, settings)
    prepared = pipeline.prepare(question)
    assert prepared.abstain_reason is None and prepared.messages[-1]["content"].endswith(f"Question: {question}")
    assert (prepared.filters.since, prepared.filters.until) == ("2025-11-01", "2025-11-30")  # read from the question
    draft = "".join(CopyingGenerator().stream(list(prepared.messages)))
    answer = pipeline.finish(prepared, draft, model="copying")
    expected = Assistant(settings, index=sample_index, generator=CopyingGenerator()).ask(question)
    strip = lambda a: {k: v for k, v in a.to_dict().items() if k != "timings"}  # noqa: E731
    assert not answer.abstained and strip(answer) == strip(expected)


def test_an_early_abstention_never_makes_the_generator(sample_index):
    from rag import Assistant, Settings

    assistant = Assistant(Settings(index_dir=sample_index.path, model="/no/such.gguf"), index=sample_index)
    stream = assistant.stream("xqzzy blorft?")
    assert stream.abstain_reason is not None and stream.messages == () and list(stream) == []
    assert stream.answer.abstained and stream.answer.model == "such.gguf"


def test_conversations_are_saved_listed_and_resumed(tmp_path):
    from rag.conversation import Conversation, ConversationStore, Turn
    from rag.errors import RagError

    store = ConversationStore(tmp_path / "conversations")
    assert store.saved() == [] and not store.exists("x")
    conversation = Conversation(pipeline=None, generator=None, store=store)
    assert conversation.save() is None  # nothing to save before the first turn
    conversation.turns.append(Turn("Who won?", "Who won the election?", "Osei won [1].", [{"date": "2025-11-07"}], False))
    path = conversation.save()
    assert path == tmp_path / "conversations" / f"{conversation.id}.json" and store.exists(conversation.id)
    assert store.saved() == [{"id": conversation.id, "turns": 1, "first_question": "Who won?"}]
    assert [t.to_dict() for t in store.load(conversation.id)] == [t.to_dict() for t in conversation.turns]
    with pytest.raises(RagError, match="invalid conversation id"):
        store.load("../elsewhere")
    with pytest.raises(RagError, match="no conversation 'nope'"):
        store.load("nope")


def _imports(path: Path, package: str) -> set[str]:
    """The modules of ``package`` that ``path`` imports (at module level or inside functions)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module.split(".")[: -node.level]
            target = ".".join(base + ([node.module] if node.module else []))
            out |= {target} | {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m.startswith(package + ".")}


def test_no_module_imports_one_that_imports_it_back():
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts): p
               for p in (ROOT / "rag").rglob("*.py") if p.name != "__init__.py"}
    graph = {m: _imports(p, "rag") & modules.keys() for m, p in modules.items()}
    pairs = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, ())})
    assert pairs == []


def test_verification_with_the_shipped_entailment_model(sample_index):
    """Settings.verification.verify_entailment: the real entailment model reads the quotes of a real answer (real
    embedder, FAISS and sample corpus; the draft copies the evidence, which the model must accept)."""
    from rag import Assistant, Settings, VerifierSettings

    question = "When is the Port Alder harbour bridge expected to open?"
    off = Assistant(Settings(index_dir=sample_index.path), index=sample_index, generator=CopyingGenerator())
    on = Assistant(Settings(index_dir=sample_index.path, verification=VerifierSettings(verify_entailment=True)), index=sample_index,
                   generator=CopyingGenerator())
    read: list = []
    scores = on.entailment.scores
    on.entailment.scores = lambda pairs: read.append(list(pairs)) or scores(pairs)
    plain, checked = off.ask(question), on.ask(question)
    assert read and all(premise and claim for premise, claim in read[0])  # the model was asked
    assert not checked.abstained and "June 2027" in checked.text and checked.citations
    assert [c.quote for c in checked.citations] == [c.quote for c in plain.citations]
