"""The scale benchmarks run end to end on small sizes (their figures are in docs/SCALING.md).

These are not timed tests: they check that the commands the Scaling page names still run against
the current code and that their harness measures what it says (exact search has recall 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_common, bench_real_text, bench_scale_index

REUTERS = bench_common.SHARED_DATA / "reuters21578"


@pytest.fixture
def results(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "results"
    monkeypatch.setattr(bench_common, "RESULTS", folder)
    return folder


def _only(folder: Path, prefix: str) -> dict:
    (path,) = folder.glob(f"{prefix}-*.json")
    return json.loads(path.read_text())


@pytest.mark.skipif(not REUTERS.is_dir(), reason="needs ../shared/data/reuters21578 (the synthetic texts' word frequencies)")
def test_scale_series_builds_and_queries_a_small_index(tmp_path, results):
    series = tmp_path / "s10k"
    assert bench_scale_index.main(["build", "--dir", str(series), "--size", "10000", "--block", "10000"]) == 0
    built = _only(results, "scale-index-build-10k")["result"]
    assert built["n"] == 10000 and built["kind"] == "flat" and built["bytes_per_passage"]["store"] > 0
    assert bench_scale_index.main(["query", "--dir", str(series), "--sweep", ""]) == 0
    main = _only(results, "scale-index-query-10k")["result"]["measure"]["main"]
    assert main["kind"] == "flat" and main["recall@10"] == 1.0  # exact search finds the exact top 10
    assert 0 < main["dense_p50_ms"] <= main["hybrid_p50_ms"] + 1000
    assert main["bm25_rule"][0]["max_postings"] is None


@pytest.mark.skipif(not (bench_real_text.SCIFACT / "queries.jsonl").is_file(),
                    reason="needs ../shared/data (SciFact, MultiHop-RAG and Reuters questions)")
def test_real_text_recall_harness_on_the_sample_index(tmp_path, results, sample_index, monkeypatch):
    monkeypatch.setattr(bench_real_text, "QUERIES_PER_SET", 5)
    (tmp_path / "rt").mkdir()
    (tmp_path / "rt" / "index").symlink_to(sample_index.path)
    assert bench_real_text.main(["query", "--dir", str(tmp_path / "rt")]) == 0
    result = _only(results, "real-text-query")["result"]
    assert result["kind_chosen"] == "flat" and result["queries"] == {"multihop_dev": 5, "scifact": 5, "reuters_qa": 5}
    rows = {(r["kind"], r["share"]): r for r in result["recall"]}
    # Probing every list is exact search: the harness must then find the exact top 10 (ivf-sq8 re-ranks exactly).
    assert rows[("ivf", "1/1")]["recall@10_all"] >= 0.99  # not 1: equal scores (duplicate passages) may swap at the 10th place
    assert rows[("ivf-sq8", "1/1")]["recall@10_all"] >= 0.98
    for kind in ("ivf", "ivf-sq8"):
        shares = [rows[(kind, f"1/{s}")]["recall@10_all"] for s in bench_real_text.SHARES]
        assert shares == sorted(shares, reverse=True)  # fewer lists probed never finds more
    assert result["hybrid_ms"]["p50"] > 0
