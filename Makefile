# Both entry points bootstrap themselves: a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean conformance

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m reportgen.demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check reportgen tests benchmarks examples
	$(BIN)/ruff format --check reportgen tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# The black-box suite of README's "Assumptions about W&B". `auto`: against the W&B that
# WANDB_API_KEY (WANDB_BASE_URL, WANDB_ENTITY) names when the key is set and WANDB_BASE_URL
# is not a reportgen sandbox, else against two sandboxes it starts itself (one per upsert
# mode); the run's header says which. REPORTGEN_CONFORMANCE=wandb (or sandbox) forces one.
# `make test` runs it too, always against sandboxes.
REPORTGEN_CONFORMANCE ?= auto
conformance: $(STAMP)
	REPORTGEN_CONFORMANCE=$(REPORTGEN_CONFORMANCE) $(BIN)/pytest tests/conformance -v -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
