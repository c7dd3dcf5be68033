"""Evaluation: retrieval and answer metrics on public benchmarks (``rag eval``)."""
