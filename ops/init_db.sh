#!/usr/bin/env bash
# Applies aurora_schema.sql (version 00_baseline) then migrations/NN_*.sql to $AURORA_DATABASE_URL, each at most once.
#
# Same bookkeeping as aurora_mcp.db.migrate, so both may be mixed on one database: versions are file stems recorded in
# public.schema_migrations, each file runs in its own transaction under the same advisory lock, and an existing
# schema without bookkeeping (public.tenants present) has its baseline recorded rather than re-applied.
set -euo pipefail

if [[ -z "${AURORA_DATABASE_URL:-}" ]]; then
    echo "init_db.sh: AURORA_DATABASE_URL is not set; export it, e.g." >&2
    echo "  AURORA_DATABASE_URL=postgresql://user:password@host:5432/aurora bash ops/init_db.sh" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The top-level aurora_schema.sql and migrations/ are symlinks into the package, which ships the real files.
root="${AURORA_SQL_ROOT:-$here/..}"
psql_bin="${PSQL:-psql}"
# Must equal aurora_mcp.db.migrate.LOCK_KEY: concurrent runners (shell or Python) then serialise.
lock_key=4242001

if ! command -v "$psql_bin" >/dev/null 2>&1; then
    echo "init_db.sh: psql not found; install the PostgreSQL client or set PSQL=/path/to/psql" >&2
    exit 2
fi

run_psql() {
    # PGOPTIONS quiets NOTICEs such as "relation already exists, skipping" from the idempotent migrations.
    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
        "$psql_bin" "$AURORA_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"
}

run_psql --single-transaction -c "SELECT pg_advisory_xact_lock($lock_key)" -c "
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
)" >/dev/null

apply() {
    local version="$1" file="$2" skip_if_present="$3"
    # The check runs after the lock is taken, inside the transaction, so two runners never apply a file twice.
    run_psql --single-transaction -v version="$version" -v file="$file" -v skip_if_present="$skip_if_present" <<SQL
SELECT pg_advisory_xact_lock($lock_key) AS locked \gset
SELECT EXISTS (SELECT 1 FROM public.schema_migrations WHERE version = :'version') AS already_applied,
       (:'skip_if_present' = 'yes' AND to_regclass('public.tenants') IS NOT NULL) AS already_present \gset
\if :already_applied
\elif :already_present
\echo init_db.sh: :version already present (public.tenants exists), recorded without applying
INSERT INTO public.schema_migrations (version) VALUES (:'version');
\else
\echo init_db.sh: applying :version
\i :file
INSERT INTO public.schema_migrations (version) VALUES (:'version');
\endif
SQL
}

apply "00_baseline" "$root/aurora_schema.sql" yes
# Numeric order of the NN prefix (a plain glob would put 100_ before 42_), the order the Python runner uses.
while IFS= read -r name; do
    apply "$name" "$root/migrations/$name.sql" no
done < <(cd "$root/migrations" && ls -- [0-9]*_*.sql | sed 's/\.sql$//' | sort -t_ -k1,1n -k2)
echo "init_db.sh: schema up to date"
