#!/usr/bin/env bash
# Full test run: starts PostgreSQL and Kafka through deploy/local unless WW_TEST_PG_URL and
# WW_TEST_KAFKA name running ones, installs the browser-test tooling (deploy/local/browser.sh),
# runs ruff, mypy and pytest, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
started=()
cleanup() {
  for svc in "${started[@]+"${started[@]}"}"; do bash "deploy/local/$svc.sh" down || true; done
}
trap cleanup EXIT

# Stop at the end only what this run started; a stack that was already up stays up.
if [ -z "${WW_TEST_PG_URL:-}" ]; then
  bash deploy/local/pg.sh status >/dev/null 2>&1 || started+=(pg)
  bash deploy/local/pg.sh up
  eval "$(bash deploy/local/pg.sh env)"
fi
if [ -z "${WW_TEST_KAFKA:-}" ]; then
  bash deploy/local/kafka.sh status >/dev/null 2>&1 || started+=(kafka)
  bash deploy/local/kafka.sh up
  eval "$(bash deploy/local/kafka.sh env)"
  # Fault tests may stop and restart this broker (they only do so when it is ours).
  export WW_KAFKA_CONTROL="deploy-local"
fi
export WW_TEST_PG_URL WW_TEST_KAFKA
# Browser tests (tests/browser): Debian's chromium + chromium-driver and a pinned axe-core,
# installed on first use like PostgreSQL (apt as root) and cached afterwards (~0.1 s).
bash deploy/local/browser.sh up
eval "$(bash deploy/local/browser.sh env)"
export WW_CHROMIUM WW_CHROMEDRIVER WW_AXE_JS

echo "== ruff"
$BIN/ruff check .
echo "== mypy"
$BIN/mypy
echo "== pytest"
$BIN/python -m pytest "$@"
