# The two commands of the README:
#   make run   - install everything, index the sample corpus, answer a sample question, start the UI
#   make test  - install everything (with test tools and chromium) and run the whole test suite
.PHONY: run test setup bench screenshots

VENV := .venv/bin
SAMPLE_QUESTION ?= When is the Port Alder harbour bridge expected to open?

setup:
	./scripts/setup.sh

run: setup
	$(VENV)/rag index --sample
	$(VENV)/rag ask "$(SAMPLE_QUESTION)"
	$(VENV)/rag ui

test:
	RAG_SETUP_TEST=1 ./scripts/setup.sh
	$(VENV)/python -m pytest -q

screenshots:
	RAG_SETUP_TEST=1 ./scripts/setup.sh
	$(VENV)/python scripts/screenshots.py
