#!/usr/bin/env bash
# Benchmarks (`make bench`): starts PostgreSQL and Kafka through deploy/local unless
# WW_TEST_PG_URL and WW_TEST_KAFKA name running ones, runs `python -m bench` (arguments are
# passed on, e.g. --quick or --only events), and stops only what it started.
# Figures are ratios against baselines measured in the same run; see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
started=()
cleanup() {
  for svc in "${started[@]}"; do bash "deploy/local/$svc.sh" down || true; done
}
trap cleanup EXIT

if [ -z "${WW_TEST_PG_URL:-}" ]; then
  if ! bash deploy/local/pg.sh status >/dev/null 2>&1; then
    bash deploy/local/pg.sh up
    started+=(pg)
  fi
  eval "$(bash deploy/local/pg.sh env)"
fi
if [ -z "${WW_TEST_KAFKA:-}" ]; then
  if ! bash deploy/local/kafka.sh status >/dev/null 2>&1; then
    bash deploy/local/kafka.sh up
    started+=(kafka)
  fi
  eval "$(bash deploy/local/kafka.sh env)"
fi
export WW_TEST_PG_URL WW_TEST_KAFKA

$BIN/python -m bench "$@"
