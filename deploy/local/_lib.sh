# shellcheck shell=bash
# Shared helpers for deploy/local/*.sh.  Source it, do not execute it.
#
# Defines: WW_LOCAL_DIR, WW_REPO_ROOT, WW_STATE_DIR_RESOLVED, WW_CACHE_DIR_RESOLVED,
#          ww_log, ww_info, ww_die, ww_port_free, ww_pick_port, ww_is_root, ww_init_state_dir

WW_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
WW_REPO_ROOT="$(cd "$WW_LOCAL_DIR/../.." && pwd -P)"
WW_STATE_DIR_RESOLVED="${WW_STATE_DIR:-$WW_REPO_ROOT/var}"
WW_CACHE_DIR_RESOLVED="${WW_CACHE_DIR:-$WW_LOCAL_DIR/.cache}"

# Make relative overrides absolute (we cd around and hand paths to other users/processes).
case "$WW_STATE_DIR_RESOLVED" in /*) ;; *) WW_STATE_DIR_RESOLVED="$PWD/$WW_STATE_DIR_RESOLVED" ;; esac
case "$WW_CACHE_DIR_RESOLVED" in /*) ;; *) WW_CACHE_DIR_RESOLVED="$PWD/$WW_CACHE_DIR_RESOLVED" ;; esac

# One-line messages go to stderr so that `env` output on stdout stays eval-able.
ww_log() { printf '%s\n' "$*" >&2; }
# Summary lines; suppressed when a wrapper (up.sh/down.sh) prints its own summary.
ww_info() { [ "${WW_LOCAL_QUIET:-0}" = 1 ] || printf '%s\n' "$*" >&2; }
ww_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

ww_is_root() { [ "$(id -u)" -eq 0 ]; }

# ww_port_free PORT -> 0 if 127.0.0.1:PORT can be bound (SO_REUSEADDR, like the servers do).
ww_port_free() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for fam, addr in ((socket.AF_INET, "127.0.0.1"),):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        s.listen(1)
    except OSError:
        sys.exit(1)
    finally:
        s.close()
# Also refuse a port on which something already answers (e.g. bound to another address).
c = socket.socket()
c.settimeout(0.3)
try:
    c.connect(("127.0.0.1", port))
    sys.exit(1)
except OSError:
    pass
finally:
    c.close()
sys.exit(0)
PY
}

# ww_pick_port WANTED [EXCLUDE...] -> prints WANTED if free, else the next free port
# above it (up to +200), else an ephemeral one.  Ports listed in EXCLUDE are skipped.
ww_pick_port() {
  local wanted="$1"; shift
  local p ex skip
  for ((p = wanted; p < wanted + 200 && p < 65536; p++)); do
    skip=0
    for ex in "$@"; do [ "$p" = "$ex" ] && skip=1; done
    [ "$skip" = 1 ] && continue
    if ww_port_free "$p"; then echo "$p"; return 0; fi
  done
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Create the state dir.  When it is the default one inside the repo, drop a .gitignore
# in it so that nothing under var/ is ever picked up by git.
ww_init_state_dir() {
  mkdir -p "$WW_STATE_DIR_RESOLVED"
  if [ -z "${WW_STATE_DIR:-}" ] && [ ! -e "$WW_STATE_DIR_RESOLVED/.gitignore" ]; then
    printf '# created by deploy/local scripts: runtime state, never commit\n*\n' \
      >"$WW_STATE_DIR_RESOLVED/.gitignore"
  fi
}
