#!/usr/bin/env bash
# The main job on the embedded default (no server to install): set up, ingest real documents, then ask over MCP
# (stdio) and print the cited answer, the outline and a resolved follow-up. Data goes to $AURORA_HOME (default .aurora/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install.sh
export AURORA_HOME="${AURORA_HOME:-$PWD/.aurora}"

manual=/usr/share/doc/postgresql-doc-15/html
if [ -d "$manual" ]; then
  # A few chapters of the PostgreSQL 15 manual (Debian's postgresql-doc-15): real documents no one here wrote.
  docs=("$manual"/routine-vacuuming.html "$manual"/sql-vacuum.html "$manual"/backup-dump.html
        "$manual"/mvcc-intro.html "$manual"/indexes-types.html "$manual"/wal-intro.html)
else
  echo "[demo] $manual is missing (install postgresql-doc-15 as root); ingesting examples/documents instead" >&2
  docs=(examples/documents)
fi
.venv/bin/aurora-mcp ingest "${docs[@]}" --project demo
.venv/bin/python examples/ask.py "$@"
echo >&2
echo "[demo] the documents live in $AURORA_HOME; run 'export AURORA_HOME=$AURORA_HOME' to use them with aurora-mcp" >&2
