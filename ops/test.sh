#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, then runs them all against real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install.sh --test
.venv/bin/ruff check aurora_mcp tests bench
exec .venv/bin/python -m pytest "$@"
