# Two commands matter: `make run` (the whole system, embedded) and `make test` (everything,
# on real PostgreSQL and Apache Kafka). The rest are conveniences.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make run` installs only what running needs; the dev tools (pytest, ruff,
# mypy, schemathesis, ...) come with the first `make test`, lint, typecheck or bench.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help install install-run run run-distributed test test-fast lint typecheck bench infra-up infra-down infra-status check-run asyncapi clean

help:
	@echo "make run              all four services in embedded mode (SQLite, in-process events, demo data)"
	@echo "make test             lint, types and the full test suite on real PostgreSQL + Kafka"
	@echo "make run-distributed  the services as separate processes on PostgreSQL + Kafka"
	@echo "make bench            performance figures as ratios to baselines"
	@echo "make lint | typecheck | test-fast | infra-up | infra-down | check-run | asyncapi"

$(RUN_STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the runtime packages into $(VENV)/ (first start or changed pyproject.toml; 1-2 minutes) ..."
	@t0=$$(date +%s); $(BIN)/python -m pip install -q --upgrade pip \
	  && $(BIN)/python -m pip install -q -e . \
	  && echo "... installed in $$(( $$(date +%s) - t0 )) s"
	@touch $@

$(DEV_STAMP): $(RUN_STAMP)
	@echo "Installing the development tools (pytest, ruff, mypy, schemathesis, ...) ..."
	@t0=$$(date +%s); $(BIN)/python -m pip install -q -e '.[dev]' \
	  && echo "... installed in $$(( $$(date +%s) - t0 )) s"
	@touch $@

install: $(DEV_STAMP)

install-run: $(RUN_STAMP)

run: $(RUN_STAMP)
	@$(BIN)/ww embedded

run-distributed: $(RUN_STAMP)
	@bash scripts/run_distributed.sh

test: $(DEV_STAMP)
	@bash scripts/test.sh

test-fast: $(DEV_STAMP)
	@$(BIN)/python -m pytest -q tests/unit tests/contract services/*/tests/unit

lint: $(DEV_STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check shared ww services tests bench

typecheck: $(DEV_STAMP)
	@$(BIN)/mypy

bench: $(DEV_STAMP)
	@bash scripts/bench.sh

infra-up:
	@bash deploy/local/up.sh

infra-down:
	@bash deploy/local/down.sh

infra-status:
	@bash deploy/local/pg.sh status; bash deploy/local/kafka.sh status

check-run:
	@bash scripts/check_make_run.sh

asyncapi: $(RUN_STAMP)
	@$(BIN)/ww events asyncapi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
