#!/usr/bin/env bash
# Browser-test tooling (no Docker, nothing downloaded by a test tool itself):
# Debian's chromium + chromium-driver from apt, and axe-core from the npm registry.
#
#   deploy/local/browser.sh up      install what is missing (apt as root; npm pack into the cache)
#   deploy/local/browser.sh status  exit 0 if chromium, chromedriver and axe.min.js are there, 3 if not
#   deploy/local/browser.sh env     print `export WW_CHROMIUM=... WW_CHROMEDRIVER=... WW_AXE_JS=...`
#
# Selenium is pointed at these exact files (tests/support/browser.py), so Selenium Manager
# never fetches a browser or a driver of its own; this machine's network is closed anyway.
# Env: WW_CACHE_DIR (default deploy/local/.cache), WW_CHROMIUM, WW_CHROMEDRIVER.
set -euo pipefail

# shellcheck source=_lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/_lib.sh"

CHROMIUM="${WW_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${WW_CHROMEDRIVER:-/usr/bin/chromedriver}"
# Pinned: the accessibility rules (and so what the tests accept) change between releases.
# The integrity is the registry's sha512 of the tarball; a different file is refused.
AXE_VERSION=4.10.3
AXE_INTEGRITY="sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
AXE_DIR="$WW_CACHE_DIR_RESOLVED/axe-core-$AXE_VERSION"
AXE_JS="$AXE_DIR/axe.min.js"

have_browser() { [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; }
have_axe() { [ -s "$AXE_JS" ]; }

ensure_browser() {
  have_browser && return 0
  ww_is_root || ww_die "chromium/chromedriver not found and not root: apt-get install -y chromium chromium-driver"
  ww_log "browser: installing Debian's chromium and chromium-driver ..."
  export DEBIAN_FRONTEND=noninteractive
  # Another apt run on the machine (a parallel setup) holds the dpkg lock for a while: wait.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    chromium chromium-driver >&2
  have_browser || ww_die "chromium installed but $CHROMIUM or $CHROMEDRIVER still missing"
}

ensure_axe() {
  have_axe && return 0
  if ! command -v npm >/dev/null 2>&1; then
    ww_is_root || ww_die "npm not found (needed once to fetch axe-core $AXE_VERSION): apt-get install -y npm"
    ww_log "browser: installing Debian's npm (needed once to fetch axe-core) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends npm >&2
  fi
  local tmp tgz got
  mkdir -p "$WW_CACHE_DIR_RESOLVED"
  tmp="$(mktemp -d "$WW_CACHE_DIR_RESOLVED/.axe.XXXXXX")"
  ww_log "browser: fetching axe-core@$AXE_VERSION from the npm registry ..."
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
  tgz="$tmp/axe-core-$AXE_VERSION.tgz"
  [ -s "$tgz" ] || { rm -rf "$tmp"; ww_die "npm pack did not produce $tgz"; }
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [ "$got" = "$AXE_INTEGRITY" ] || { rm -rf "$tmp"; ww_die "axe-core tarball integrity mismatch: $got"; }
  tar -xzf "$tgz" -C "$tmp" package/axe.min.js package/LICENSE
  mkdir -p "$AXE_DIR"
  mv "$tmp/package/LICENSE" "$AXE_DIR/LICENSE"
  mv "$tmp/package/axe.min.js" "$AXE_JS"   # last: its presence means "complete"
  rm -rf "$tmp"
}

versions() {
  ww_info "browser: $("$CHROMIUM" --version 2>/dev/null | head -1); $("$CHROMEDRIVER" --version 2>/dev/null | awk '{print $1, $2}'); axe-core $AXE_VERSION ($AXE_JS)"
}

cmd_up() {
  local t0=$SECONDS
  ensure_browser
  ensure_axe
  versions
  ww_info "browser: ready ($((SECONDS - t0))s)"
}

cmd_status() {
  if have_browser && have_axe; then
    versions
    return 0
  fi
  have_browser || ww_log "browser: $CHROMIUM or $CHROMEDRIVER missing"
  have_axe || ww_log "browser: $AXE_JS missing"
  return 3
}

cmd_env() {
  cat <<EOF
export WW_CHROMIUM=$CHROMIUM
export WW_CHROMEDRIVER=$CHROMEDRIVER
export WW_AXE_JS=$AXE_JS
EOF
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|status|env" >&2; exit 2 ;;
esac
