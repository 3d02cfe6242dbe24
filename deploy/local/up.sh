#!/usr/bin/env bash
# Start local PostgreSQL + Kafka (idempotent), then print the env exports on stdout:
#   eval "$(deploy/local/up.sh)"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
t0=$SECONDS
export WW_LOCAL_QUIET=1
"$here/pg.sh" up
"$here/kafka.sh" up
envs="$("$here/env.sh")"
printf '%s\n' "$envs"
pg_port="$(sed -n 's/^export WW_PG_PORT=//p' <<<"$envs")"
kafka="$(sed -n 's/^export WW_KAFKA_BOOTSTRAP=//p' <<<"$envs")"
echo "local stack up in $((SECONDS - t0))s: postgres 127.0.0.1:$pg_port, kafka $kafka" >&2
