"""BM25's frequent-term rule (index/store.py, IndexingSettings.bm25_max_term_postings): a word found in more passages
than the limit is left out of the query, unless every word is; a corpus within the limit is untouched."""

from __future__ import annotations

import numpy as np

from index import Chunk, CorpusIndex, Document
from index.settings import IndexingSettings


class LookupEmbedder:
    id, dim = "lookup-test", 8

    def embed(self, texts):
        raise AssertionError("not embedded")


def build(tmp_path, n: int, indexing: IndexingSettings | None = None) -> CorpusIndex:
    index = CorpusIndex.open(tmp_path / "idx", LookupEmbedder(), create=True, indexing=indexing)
    rng = np.random.default_rng(0)
    items = []
    for i in range(n):
        # "market" is in every passage, "harbour" in every tenth, "zeppelin" in one.
        text = f"market report {i} " + ("harbour " if i % 10 == 0 else "") + ("zeppelin" if i == 7 else "")
        doc = Document(id=f"d{i:04d}", title=f"Item {i}", text=text)
        v = rng.standard_normal((1, 8)).astype(np.float32)
        items.append((doc, [Chunk(id=f"d{i:04d}-0", doc_id=doc.id, text=text, start=0, end=len(text), n_tokens=5,
                                  ordinal=0)], v / np.linalg.norm(v)))
    index.add_embedded(items)
    return index


def test_frequent_words_leave_the_query_unless_all_are_frequent(tmp_path):
    index = build(tmp_path, 200)
    store = index.store
    assert store.bm25_terms("market harbour zeppelin", max_postings=50) == ["harbour", "zeppelin"]
    assert store.bm25_terms("market harbour zeppelin", max_postings=10) == ["zeppelin"]
    assert store.bm25_terms("market report", max_postings=10) == ["market", "report"]  # all frequent: all kept,
    assert store.bm25_match("market report", max_postings=10) == '"market" AND "report"'  # and AND-ed
    assert store.bm25_match("market harbour", max_postings=50) == '"harbour"'
    assert len(index.lexical_search("market harbour", 100, max_postings=5)) == 20  # AND: the 20 with both words
    assert store.bm25_terms("market harbour zeppelin", max_postings=None) == ["market", "harbour", "zeppelin"]
    # Without "market" (in all 200 passages) BM25 scores only the 20 "harbour" and 1 "zeppelin" passages,
    # and the best match is the same passage.
    full = index.lexical_search("market harbour zeppelin", 100, max_postings=None)
    ruled = index.lexical_search("market harbour zeppelin", 100, max_postings=50)
    assert len(full) == 100 and len(ruled) == 21
    assert full[0][0] == ruled[0][0] and index.rows([ruled[0][0]])[ruled[0][0]].chunk.doc_id == "d0007"


def test_a_corpus_within_the_limit_keeps_every_word(tmp_path):
    index = build(tmp_path, 200)
    assert 200 <= IndexingSettings().bm25_max_term_postings
    query = "market harbour zeppelin"
    assert index.store.bm25_terms(query) == ["market", "harbour", "zeppelin"]
    assert index.lexical_search(query, 100) == index.lexical_search(query, 100, max_postings=None)


def test_the_limit_is_the_indexing_setting_the_index_was_opened_with(tmp_path):
    index = build(tmp_path, 200, IndexingSettings(bm25_max_term_postings=50))
    assert index.store.bm25_terms("market harbour zeppelin") == ["harbour", "zeppelin"]
    assert index.bm25_terms("market harbour zeppelin") == ["harbour", "zeppelin"]
    assert len(index.lexical_search("market harbour zeppelin", 100)) == 21


def test_the_bm25_index_size_counts_pages_not_a_wrapping_sum(tmp_path):
    """disk_usage()['fts'] is pages x page size of the FTS5 shadow tables: dbstat's aggregated pgsize is a
    32-bit sum that wrapped past 4 GiB on the 10M series, so it must agree with the per-page rows here."""
    index = build(tmp_path, 200)
    with index.store.connection() as conn:
        per_page = sum(int(r[0]) for r in conn.execute(
            "SELECT pgsize FROM dbstat('main') WHERE name IN "
            "('chunks_fts_data', 'chunks_fts_idx', 'chunks_fts_docsize', 'chunks_fts_config')"))
    assert per_page > 0 and index.disk_usage()["fts"] == per_page
