#!/usr/bin/env bash
# Print `export ...` lines for the local stack:  eval "$(deploy/local/env.sh)"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
"$here/pg.sh" env
"$here/kafka.sh" env
