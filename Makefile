# The two set-up commands of the README: `make run` and `make test`. Both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

# Builds the registry from the bundled data (a no-op when it is current), prints the national summary,
# then starts the main job: the web app on http://127.0.0.1:8000 (Ctrl-C stops it).
run: $(STAMP) system-deps
	$(BIN)/disentangle import
	$(BIN)/disentangle summary
	$(BIN)/disentangle serve --workers 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) system-deps
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint types unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
