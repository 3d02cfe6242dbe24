#!/usr/bin/env bash
# Acceptance check for `make run`: from a fresh clone, all four /health endpoints answer
# within 60 s (counted from the moment the services start, after `make` installed the venv;
# the installation time is printed separately). Stops the system afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${WW_RUN_DEADLINE_S:-60}
log=$(mktemp)
t0=$(date +%s)
make install-run >/dev/null
t1=$(date +%s)
echo "install: $((t1 - t0)) s"
# Its own process group, so Ctrl-C's equivalent reaches make and `ww embedded` alike.
WW_STATE_DIR="${WW_STATE_DIR:-$(mktemp -d)}" setsid make run >"$log" 2>&1 &
pid=$!
trap 'kill -INT -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
start=$(date +%s)
for p in 8001 8002 8003 8004; do
  until curl -fsS "http://127.0.0.1:$p/health" >/dev/null 2>&1; do
    if [ $(( $(date +%s) - start )) -ge "$limit" ]; then
      echo "FAIL: port $p not healthy within ${limit}s"; tail -n 40 "$log"; exit 1
    fi
    sleep 0.5
  done
done
echo "OK: all four /health answered $(( $(date +%s) - start )) s after start (limit ${limit} s)"
