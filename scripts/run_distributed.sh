#!/usr/bin/env bash
# The services as separate processes on PostgreSQL + Kafka (deploy/local), one `ww run`
# (API + relay + consumer) per service. Ctrl-C stops the services; the infrastructure keeps
# running (stop it with `make infra-down`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
eval "$(bash deploy/local/up.sh)"
base="postgresql+psycopg://${WW_PG_USER}:${WW_PG_PASSWORD}@${WW_PG_HOST}:${WW_PG_PORT}"
export WW_TRANSPORT=kafka WW_KAFKA_BOOTSTRAP WW_LOG_JSON="${WW_LOG_JSON:-true}"
export INTAKE_DATABASE_URL="$base/ww_intake" TRIAGE_DATABASE_URL="$base/ww_triage"
export COACHING_DATABASE_URL="$base/ww_coaching" STARTERS_DATABASE_URL="$base/ww_starters"
mkdir -p var/logs
pids=()
stop() {
  echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT
port=8001
for svc in intake triage coaching starters; do
  $BIN/ww run "$svc" >"var/logs/$svc.log" 2>&1 &
  pids+=($!)
  echo "  $svc     http://127.0.0.1:$port  (log: var/logs/$svc.log)"
  port=$((port + 1))
done
for p in 8001 8002 8003 8004; do
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break
    sleep 0.5
  done
done
echo "All four services are up on PostgreSQL + Kafka. Press Ctrl-C to stop them."
wait
