# Lectern: `make dev` runs the whole API locally, `make test` runs every check.
# Both set up their own virtual environment on first use; nothing must be running before.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
PORT ?= 8000

.DEFAULT_GOAL := help
FUZZ_EXAMPLES ?= 200
.PHONY: help dev test lint format typecheck pytest fuzz reset bench openapi clean build-MigrateFunction

help:  ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt layers/deps/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

dev: $(STAMP)  ## run the API on 127.0.0.1:$(PORT) with Postgres, Redis (Upstash API), moto and Typesense
	PORT=$(PORT) $(BIN)/python -m local

test: lint typecheck pytest  ## ruff, mypy on shared/, then pytest (starts its own services)

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)  ## mypy (strict) on the shared package
	$(BIN)/mypy

pytest: $(STAMP)  ## the test suite: unit, integration, e2e, infrastructure
	$(BIN)/python -m pytest

fuzz: $(STAMP)  ## schemathesis over the spec as each role, many examples (FUZZ_EXAMPLES=200), new seeds
	LECTERN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LECTERN_FUZZ_SEED=$${LECTERN_FUZZ_SEED:-random} \
		$(BIN)/python -m pytest -m fuzz tests/e2e/api/test_fuzz.py

bench: $(STAMP)  ## benchmarks (print figures; not pass/fail)
	$(BIN)/python bench/kv_calls.py
	$(BIN)/python bench/cold_start.py

openapi: $(STAMP)  ## write the whole API's OpenAPI spec to local/openapi.json
	$(BIN)/python -m local.openapi --write

reset:  ## forget the local stack's data (.local-data/)
	rm -rf .local-data

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam

# SAM builds the migrate function with this target (BuildMethod: makefile): the handler
# plus the Alembic environment it applies.
build-MigrateFunction:
	cp functions/migrate/handler.py "$(ARTIFACTS_DIR)/"
	mkdir -p "$(ARTIFACTS_DIR)/migrations"
	cp -R migrations/. "$(ARTIFACTS_DIR)/migrations/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
