#!/usr/bin/env bash
# Backs up a server deployment (PostgreSQL by URL + a Qdrant server) the way `aurora-mcp backup` does, with psql tools.
#
# Writes backups/{UTC timestamp}-{short id}/ with postgres.dump (pg_dump --format=custom), index.snapshot (Qdrant's
# snapshot API) and manifest.json (same fields as `aurora-mcp backup`, so `aurora-mcp restore ID` reads it), into
# $AURORA_BACKUP_DIR (default ./aurora-backups), then uploads it to s3://aurorarag-backups/ when AURORA_S3_ENDPOINT is
# set and the `aws` CLI is installed. The embedded deployment (embedded PostgreSQL, edge or local index) has no
# server to call: use `aurora-mcp backup` there.
#
# Needs: pg_dump and psql (major version >= the server's), curl, jq, sha256sum.
set -euo pipefail

die() { echo "backup.sh: $*" >&2; exit 2; }

[[ -n "${AURORA_DATABASE_URL:-}" ]] || die "AURORA_DATABASE_URL is not set (embedded deployment? use: aurora-mcp backup)"
[[ -n "${AURORA_QDRANT_URL:-}" ]] || die "AURORA_QDRANT_URL is not set (embedded index? use: aurora-mcp backup)"
for tool in "${PG_DUMP:-pg_dump}" "${PSQL:-psql}" curl jq sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

db_url="$AURORA_DATABASE_URL"
qdrant="${AURORA_QDRANT_URL%/}"
collection="${AURORA_COLLECTION:-aurora_documents}"
bucket="aurorarag-backups"
backup_id="$(date -u +%Y%m%dT%H%M%SZ)-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
out="${AURORA_BACKUP_DIR:-./aurora-backups}/backups/$backup_id"
mkdir -p "$out"
curl_q=(curl -fsS --retry 2)
[[ -n "${AURORA_QDRANT_API_KEY:-}" ]] && curl_q+=(-H "api-key: $AURORA_QDRANT_API_KEY")

now() { date +%s%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# One psql session holds a REPEATABLE READ transaction open and exports its snapshot: the counts below and the dump
# then read exactly the same data, as in `aurora-mcp backup`.
coproc PSQL_SESSION { "${PSQL:-psql}" "$db_url" -X -q -A -t -v ON_ERROR_STOP=1 2>&1; }
ask() {
    echo "$1" >&"${PSQL_SESSION[1]}"
    local line
    IFS= read -r -t 60 line <&"${PSQL_SESSION[0]}" || die "psql did not answer: $1"
    echo "$line"
}
echo "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" >&"${PSQL_SESSION[1]}"  # quiet: prints nothing
snapshot="$(ask "SELECT pg_export_snapshot();")"
[[ "$snapshot" =~ ^[0-9A-F-]+$ ]] || die "could not export a snapshot: $snapshot"
facts="$(ask "SELECT json_build_object(
    'server_version', current_setting('server_version'),
    'server_major', current_setting('server_version_num')::int / 10000,
    'tenants', (SELECT count(*) FROM tenants),
    'documents', (SELECT count(*) FROM documents),
    'artifacts', (SELECT count(*) FROM artifacts),
    'schema_migrations', (SELECT coalesce(json_agg(version ORDER BY applied_at, version), '[]') FROM schema_migrations));")"
echo "$facts" | jq -e . >/dev/null 2>&1 || die "could not read the database facts: $facts"

started="$(now)"
PGPASSWORD="${PGPASSWORD:-}" "${PG_DUMP:-pg_dump}" --format=custom --compress=6 --no-password \
    --snapshot="$snapshot" --file="$out/postgres.dump" --dbname="$db_url"
dump_seconds="$(since "$started")"
dump_major="$("${PG_DUMP:-pg_dump}" --version | sed -E 's/.*\(PostgreSQL\) ([0-9]+).*/\1/')"
printf 'COMMIT;\n\\q\n' >&"${PSQL_SESSION[1]}"
wait "$PSQL_SESSION_PID" 2>/dev/null || true

# The index after the dump (same order as aurora-mcp): a document indexed meanwhile leaves points without a live row,
# which search ignores, rather than a live row without points.
started="$(now)"
points="$("${curl_q[@]}" -X POST -H 'Content-Type: application/json' -d '{"exact": true}' \
    "$qdrant/collections/$collection/points/count" | jq -r '.result.count')"
dimension="$("${curl_q[@]}" "$qdrant/collections/$collection" | jq -r '.result.config.params.vectors.dense.size')"
snap_name="$("${curl_q[@]}" -X POST "$qdrant/collections/$collection/snapshots?wait=true" | jq -r '.result.name')"
"${curl_q[@]}" -o "$out/index.snapshot" "$qdrant/collections/$collection/snapshots/$snap_name"
"${curl_q[@]}" -X DELETE "$qdrant/collections/$collection/snapshots/$snap_name?wait=true" >/dev/null
index_seconds="$(since "$started")"

part() {  # name → {"name", "key", "size_bytes", "sha256"}
    jq -n --arg name "$1" --arg key "backups/$backup_id/$1" \
        --argjson size "$(stat -c %s "$out/$1")" --arg sha "$(sha256sum "$out/$1" | cut -d' ' -f1)" \
        '{name: $name, key: $key, size_bytes: $size, sha256: $sha}'
}
objects='{}'
if [[ -n "${AURORA_S3_ENDPOINT:-}" ]] && command -v aws >/dev/null 2>&1; then
    s3=(aws --endpoint-url "http${AURORA_S3_SECURE:+s}://${AURORA_S3_ENDPOINT#*://}" s3)
    export AWS_ACCESS_KEY_ID="${AURORA_S3_ACCESS_KEY:-}" AWS_SECRET_ACCESS_KEY="${AURORA_S3_SECRET_KEY:-}"
    for b in aurorarag-uploads aurorarag-artifacts; do
        count="$("${s3[@]}" ls --recursive "s3://$b/" | wc -l)"
        objects="$(jq -c --arg b "$b" --argjson n "$count" '. + {($b): $n}' <<<"$objects")"
    done
fi
jq -n --arg id "$backup_id" --arg created "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" --argjson db "$facts" \
    --argjson dump_major "$dump_major" --arg collection "$collection" --argjson points "$points" \
    --argjson dimension "$dimension" --argjson objects "$objects" \
    --argjson dump "$(part postgres.dump)" --argjson index "$(part index.snapshot)" \
    --argjson s_dump "$dump_seconds" --argjson s_index "$index_seconds" \
    --arg store "$([[ -n "${AURORA_S3_ENDPOINT:-}" ]] && echo s3 || echo local)" '{
        format: 1, backup_id: $id, aurora_version: "ops/backup.sh", created_at: $created, embedding_model: null,
        database: ($db + {dump_tool_major: $dump_major, schema_level: ($db.schema_migrations | last // "")}),
        index: {engine: "server", collection: $collection, points: $points, dense_dimension: $dimension},
        object_store: $store, objects: $objects, parts: [$dump, $index],
        seconds: {pg_dump: $s_dump, index_snapshot: $s_index}
    }' >"$out/manifest.json"

if [[ -n "${AURORA_S3_ENDPOINT:-}" ]] && command -v aws >/dev/null 2>&1; then
    # The manifest last: a backup without one is incomplete, and `aurora-mcp restore` refuses it.
    "${s3[@]}" cp "$out/postgres.dump" "s3://$bucket/backups/$backup_id/postgres.dump" --only-show-errors
    "${s3[@]}" cp "$out/index.snapshot" "s3://$bucket/backups/$backup_id/index.snapshot" --only-show-errors
    "${s3[@]}" cp "$out/manifest.json" "s3://$bucket/backups/$backup_id/manifest.json" --only-show-errors
    echo "backup.sh: uploaded to s3://$bucket/backups/$backup_id/" >&2
fi
echo "backup.sh: $(jq -r '.database.documents' "$out/manifest.json") documents, $points points -> $out" >&2
echo "$backup_id"
