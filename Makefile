# Lectern: `make dev` runs the whole API locally, `make test` runs every check.
# Both set up their own virtual environment on first use; nothing must be running before.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
# AWS SAM CLI lives apart: its pins clash with requirements-dev.txt's.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.deps-stamp
PORT ?= 8000

.DEFAULT_GOAL := help
FUZZ_EXAMPLES ?= 200
.PHONY: help dev test lint format typecheck pytest fuzz reset bench openapi clean sam build-DepsLayer build-SharedLayer build-MigrateFunction

help:  ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt layers/deps/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

$(SAM_STAMP): requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	@touch $(SAM_STAMP)

sam: $(SAM_STAMP)  ## the AWS SAM CLI in .venv-sam (sam build needs python3.12 on PATH)

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

pytest: $(STAMP) $(SAM_STAMP)  ## the test suite: unit, integration, e2e, infrastructure
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
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam

# ---------------------------------------------------------------- SAM builds
# `sam build` runs build-<LogicalId> (BuildMethod: makefile, ContextPath: .) in a copy
# of the resource's CodeUri and packages $(ARTIFACTS_DIR). Each ships bytecode for the
# Lambda runtime's Python, hash-checked: `sam package` dates every zip entry 1980-01-01,
# so timestamp-checked .pyc files would never match their sources and be ignored.
LAMBDA_PYTHON ?= python3.12
# The template's Architectures (the bench overrides both for this machine's).
LAMBDA_ARCH ?= arm64
LAMBDA_PLATFORM := manylinux2014_$(if $(filter arm64,$(LAMBDA_ARCH)),aarch64,x86_64)
define lambda_bytecode
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash \
		-s "$(ARTIFACTS_DIR)" -p $(1) "$(ARTIFACTS_DIR)"
endef

# Third-party wheels for the Lambda platform; console scripts (bin/) would carry this
# machine's interpreter path and are of no use in a layer.
build-DepsLayer:
	$(LAMBDA_PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile \
		--target "$(ARTIFACTS_DIR)/python" --platform $(LAMBDA_PLATFORM) \
		--implementation cp --python-version 3.12 --only-binary=:all: -r requirements.txt
	rm -rf "$(ARTIFACTS_DIR)/python/bin"
	$(call lambda_bytecode,/opt)

# The lectern package, at /opt/python/lectern.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -R lectern "$(ARTIFACTS_DIR)/python/"
	$(call lambda_bytecode,/opt)

# The handler plus the Alembic environment it applies (migrations links to the repo's).
build-MigrateFunction:
	cp handler.py "$(ARTIFACTS_DIR)/"
	mkdir -p "$(ARTIFACTS_DIR)/migrations"
	cp -RL migrations/. "$(ARTIFACTS_DIR)/migrations/"
	$(call lambda_bytecode,/var/task)

# Every other function: its folder as it is. (A pattern rule, so not in .PHONY: make
# skips pattern rules for phony targets.)
build-%Function:
	cp -R . "$(ARTIFACTS_DIR)/"
	$(call lambda_bytecode,/var/task)
