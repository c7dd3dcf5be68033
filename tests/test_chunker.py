from hypothesis import given, settings, strategies as st

from index import ChunkerSettings, Document, chunk_document, split_sentences
from index.tokens import count_tokens


def _doc(text: str, body_start: int = 0) -> Document:
    return Document(id="d", title="t", text=text, body_start=body_start)


def test_sentences_respect_abbreviations_and_quotes():
    text = 'Mr. Smith went to Washington. He met U.S. officials on Monday! "It went well," he said. Then he left.'
    sentences = [text[s.start:s.end] for s in split_sentences(text)]
    assert sentences == [
        "Mr. Smith went to Washington.",
        "He met U.S. officials on Monday!",
        '"It went well," he said.',
        "Then he left.",
    ]


def test_each_line_is_a_paragraph():
    text = "First paragraph one. Two.\nSecond paragraph.\n\nThird."
    spans = split_sentences(text)
    assert [s.paragraph_start for s in spans] == [True, False, True, True]


def test_chunks_cover_body_only_and_offsets_hold():
    header = "Title\n20211118\nhttps://x.example/a\n"
    body = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    doc = _doc(header + body, body_start=len(header))
    chunks = chunk_document(doc, ChunkerSettings(max_tokens=64, overlap_tokens=16))
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert c.start >= len(header)
        assert c.n_tokens <= 64
        assert c.text[0].isupper() and c.text.endswith(".")  # whole sentences
    assert chunks[0].start == len(header)
    assert chunks[-1].end == len(doc.text)
    # consecutive chunks overlap by at most the overlap budget and never leave gaps
    for a, b in zip(chunks, chunks[1:]):
        assert b.start <= a.end
        assert count_tokens(doc.text[b.start:a.end]) <= 16 + 2


def test_long_sentence_is_cut_within_budget():
    doc = _doc("word " * 2000)
    chunks = chunk_document(doc, ChunkerSettings(max_tokens=50, overlap_tokens=0))
    assert all(c.n_tokens <= 50 for c in chunks)
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == doc.text.replace(" ", "")


def test_paragraph_boundary_preferred():
    p1 = " ".join(["Alpha beta gamma delta."] * 12)
    p2 = " ".join(["Epsilon zeta eta theta."] * 12)
    doc = _doc(p1 + "\n" + p2)
    chunks = chunk_document(doc, ChunkerSettings(max_tokens=100, overlap_tokens=0))
    assert chunks[0].text == p1


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=3000), st.integers(min_value=0, max_value=50))
def test_offsets_invariant_on_random_text(text, cut):
    body_start = min(cut, len(text))
    doc = _doc(text, body_start=body_start)
    for c in chunk_document(doc, ChunkerSettings(max_tokens=40, overlap_tokens=8)):
        assert doc.text[c.start:c.end] == c.text
        assert c.text.strip()
        assert c.start >= body_start
