#!/usr/bin/env bash
# Stop local Kafka + PostgreSQL (keeps all data; use pg.sh/kafka.sh reset to wipe).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export WW_LOCAL_QUIET=1
t0=$SECONDS
rc=0
"$here/kafka.sh" down || rc=$?
"$here/pg.sh" down || rc=$?
[ "$rc" = 0 ] && echo "local stack down in $((SECONDS - t0))s (data kept)" >&2
exit "$rc"
