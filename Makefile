# Two commands matter: `make run` (the whole system, embedded) and `make test` (everything,
# on real PostgreSQL and Apache Kafka). The rest are conveniences.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install run run-distributed test test-fast lint typecheck bench infra-up infra-down infra-status check-run asyncapi clean

help:
	@echo "make run              all four services in embedded mode (SQLite, in-process events, demo data)"
	@echo "make test             lint, types and the full test suite on real PostgreSQL + Kafka"
	@echo "make run-distributed  the services as separate processes on PostgreSQL + Kafka"
	@echo "make bench            performance figures as ratios to baselines"
	@echo "make lint | typecheck | test-fast | infra-up | infra-down | check-run | asyncapi"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@$(BIN)/ww embedded

run-distributed: $(STAMP)
	@bash scripts/run_distributed.sh

test: $(STAMP)
	@bash scripts/test.sh

test-fast: $(STAMP)
	@$(BIN)/python -m pytest -q tests/unit tests/contract services/*/tests/unit

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check shared services tests bench

typecheck: $(STAMP)
	@$(BIN)/mypy

bench: $(STAMP)
	@bash scripts/bench.sh

infra-up:
	@bash deploy/local/up.sh

infra-down:
	@bash deploy/local/down.sh

infra-status:
	@bash deploy/local/pg.sh status; bash deploy/local/kafka.sh status

check-run:
	@bash scripts/check_make_run.sh

asyncapi: $(STAMP)
	@$(BIN)/ww events asyncapi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
