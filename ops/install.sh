#!/usr/bin/env bash
# Installs what Aurora needs on a Debian/Ubuntu machine: system packages, then a venv with the project.
# Usage: bash ops/install.sh [--test]   (--test adds the test extra, PostgreSQL server binaries and the MCP Inspector)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf '[install] %s\n' "$*" >&2; }

apt_install() {
  # Only what is missing, so a second run costs nothing; apt needs root (or sudo without a password).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      log "cannot install ${missing[*]} without root; continuing without them"; return 0; fi
  fi
  log "apt-get install ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if command -v apt-get >/dev/null 2>&1; then
  # postgresql-doc-15: the PostgreSQL manual, the real documents of the demo, the tests and the benchmarks.
  pkgs=(postgresql-doc-15)
  [ $want_test -eq 1 ] && pkgs+=(postgresql postgresql-client)
  apt_install "${pkgs[@]}"
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($python --version 2>&1)"
  $python -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ $want_test -eq 1 ]; then
  log "pip install -e .[test]"
  .venv/bin/python -m pip install -q -e ".[test]"
else
  log "pip install -e ."
  .venv/bin/python -m pip install -q -e .
fi

if [ $want_test -eq 1 ] && command -v npm >/dev/null 2>&1; then
  # The MCP Inspector CLI is a real third-party client the e2e tests drive; installed once into a local prefix.
  if [ ! -x .cache/inspector/node_modules/.bin/mcp-inspector ]; then
    log "npm install @modelcontextprotocol/inspector"
    npm install --silent --no-audit --no-fund --prefix .cache/inspector @modelcontextprotocol/inspector >/dev/null 2>&1 \
      || log "could not install the MCP Inspector; its test will fail"
  fi
fi
log "done"
