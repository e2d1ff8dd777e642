"""Schema runner on real PostgreSQL: baseline + migrations, idempotence, newer schemas, ops/init_db.sh, PG 18 wheel."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import anyio
import asyncpg
import pytest

from aurora_mcp.db.embedded import EmbeddedPostgres
from aurora_mcp.db.migrate import BASELINE_VERSION, available, check_schema, migrate, pending
from aurora_mcp.errors import SchemaTooNew
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
SEED_TABLES = {"tenants", "api_keys", "documents", "artifacts", "ingestion_jobs", "queries_log"}
NEW_TABLES = {"thread_state", "api_tokens", "schema_migrations"}
VIEWS = {"v_documents_metadata", "v_last_job_per_document", "v_last_queries"}
FUNCTIONS = {"get_document_metadata_base", "set_updated_at", "to_epoch_ms"}
FOLLOWUP_COLUMNS = {
    "thread_id", "caller_app", "retrieval_query_final", "retrieval_queries_tried", "retrieval_retry_count",
    "condense_used", "condense_model", "followup_resolved", "followup_section_id", "followup_section_title",
    "followup_ref_type",
}  # fmt: skip


async def _names(conn: asyncpg.Connection, query: str) -> set[str]:
    return {r[0] for r in await conn.fetch(query)}


async def _schema_signature(url: str) -> set[tuple[str, str, str]]:
    """(table, column, type) of every public relation, plus constraints and indexes: what "same schema" means."""
    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
        )
        constraints = await conn.fetch(
            "SELECT conrelid::regclass::text, conname, contype::text FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace"
        )
        indexes = await conn.fetch("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        return {tuple(r) for r in [*columns, *constraints, *indexes]}
    finally:
        await conn.close()


async def test_an_empty_database_gets_every_seed_object_and_the_numbered_migrations(raw_server_url: str) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        applied = await migrate(conn)
        assert applied == [m.version for m in available()]
        assert applied[0] == BASELINE_VERSION
        assert {"42_thread_state", "43_queries_log_followup", "44_tenant_scoped_fixes", "45_api_tokens"} <= set(applied)

        tables = await _names(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert tables >= SEED_TABLES | NEW_TABLES
        assert await _names(conn, "SELECT viewname FROM pg_views WHERE schemaname = 'public'") >= VIEWS
        routines = await _names(
            conn, "SELECT routine_name FROM information_schema.routines WHERE routine_schema = 'public'"
        )
        assert routines >= FUNCTIONS
        assert "trg_documents_updated" in await _names(conn, "SELECT tgname FROM pg_trigger")
        qlog = await _names(conn, "SELECT column_name FROM information_schema.columns WHERE table_name = 'queries_log'")
        assert qlog >= FOLLOWUP_COLUMNS
        extensions = await _names(conn, "SELECT extname FROM pg_extension")
        assert {"pg_trgm", "btree_gin"} <= extensions
        assert "pgcrypto" not in extensions
        constraints = await _names(conn, "SELECT conname FROM pg_constraint WHERE conrelid = 'documents'::regclass")
        assert "documents_tenant_checksum_key" in constraints
        assert "documents_sha256_key" not in constraints
        thread_pk = await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'thread_state_pkey'"
        )
        assert thread_pk == "PRIMARY KEY (tenant_id, caller_app, thread_id)"
        # gen_random_uuid() must come from core, not from an extension we no longer install.
        assert await conn.fetchval("SELECT gen_random_uuid() IS NOT NULL")
    finally:
        await conn.close()


async def test_a_second_run_applies_nothing_and_nothing_is_pending(raw_server_url: str) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        assert await pending(conn) == [m.version for m in available()]
        assert await migrate(conn)
        assert await migrate(conn) == []
        assert await pending(conn) == []
        await check_schema(conn)
    finally:
        await conn.close()


async def test_every_numbered_migration_can_run_again_on_a_migrated_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for migration in available()[1:]:
            async with conn.transaction():
                await conn.execute(migration.sql)  # IF NOT EXISTS / DO blocks: a re-run changes nothing
    finally:
        await conn.close()


async def test_the_baseline_leaves_no_session_setting_behind_on_the_connection(raw_server_url: str) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        before = await conn.fetchval("SHOW search_path")
        await migrate(conn)
        # The dump sets search_path = '' for itself; on a pooled connection that would break every later query.
        assert await conn.fetchval("SHOW search_path") == before
        assert await conn.fetchval("SHOW check_function_bodies") == "on"
    finally:
        await conn.close()


async def test_two_runners_at_once_apply_each_migration_exactly_once(raw_server_url: str) -> None:
    conns = [await asyncpg.connect(raw_server_url) for _ in range(2)]
    results: list[list[str]] = []
    try:

        async def run(conn: asyncpg.Connection) -> None:
            results.append(await migrate(conn))

        async with anyio.create_task_group() as tg:
            for conn in conns:
                tg.start_soon(run, conn)
        assert sorted(results[0] + results[1]) == sorted(m.version for m in available())
        recorded = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
        assert recorded == len(available())
    finally:
        for conn in conns:
            await conn.close()


async def test_a_newer_migration_in_the_database_raises_schema_too_new_naming_it(raw_server_url: str) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        await migrate(conn)
        await conn.execute("INSERT INTO schema_migrations (version) VALUES ('99_from_the_future')")
        with pytest.raises(SchemaTooNew, match="99_from_the_future"):
            await check_schema(conn)
        with pytest.raises(SchemaTooNew, match="upgrade aurora-mcp"):
            await migrate(conn)
    finally:
        await conn.close()


async def test_an_existing_seed_schema_without_bookkeeping_is_recorded_not_reapplied(raw_server_url: str) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        baseline = available()[0].sql
        async with conn.transaction():
            await conn.execute(baseline)  # a database restored from the seed's dump: tables, no schema_migrations
        applied = await migrate(conn)
        assert applied == [m.version for m in available()]
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(available())
    finally:
        await conn.close()


def _init_db(url: str | None, psql: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AURORA_DATABASE_URL"}
    env["PSQL"] = psql
    if url is not None:
        env["AURORA_DATABASE_URL"] = url
    return subprocess.run(
        ["bash", str(REPO / "ops" / "init_db.sh")], capture_output=True, text=True, env=env, timeout=120, check=False
    )


async def test_init_db_script_builds_the_same_schema_and_then_python_finds_nothing_pending(
    raw_server_url: str, database_url: str, postgres_server: PostgresServer
) -> None:
    first = await anyio.to_thread.run_sync(_init_db, raw_server_url, postgres_server.psql)
    assert first.returncode == 0, first.stderr
    assert "applying 00_baseline" in first.stdout
    again = await anyio.to_thread.run_sync(_init_db, raw_server_url, postgres_server.psql)
    assert again.returncode == 0, again.stderr
    assert "applying" not in again.stdout

    conn = await asyncpg.connect(raw_server_url)
    try:
        assert await pending(conn) == []
        assert await migrate(conn) == []
    finally:
        await conn.close()
    # database_url was migrated by the Python runner: both runners must produce the same schema.
    assert await _schema_signature(raw_server_url) == await _schema_signature(database_url)


async def test_init_db_script_finishes_what_the_python_runner_started(
    raw_server_url: str, postgres_server: PostgresServer
) -> None:
    conn = await asyncpg.connect(raw_server_url)
    try:
        await migrate(conn)
        await conn.execute("DELETE FROM schema_migrations WHERE version = '45_api_tokens'")
        await conn.execute("DROP TABLE api_tokens")
    finally:
        await conn.close()
    result = await anyio.to_thread.run_sync(_init_db, raw_server_url, postgres_server.psql)
    assert result.returncode == 0, result.stderr
    assert "applying 45_api_tokens" in result.stdout
    assert "applying 00_baseline" not in result.stdout


async def test_init_db_script_without_a_database_url_says_which_variable_to_set(
    postgres_server: PostgresServer,
) -> None:
    result = await anyio.to_thread.run_sync(_init_db, None, postgres_server.psql)
    assert result.returncode == 2
    assert "AURORA_DATABASE_URL is not set" in result.stderr


async def test_the_schema_applies_on_the_embedded_postgresql_18_wheel(pg_tmp_path: Path) -> None:
    server = EmbeddedPostgres(pg_tmp_path / "pg")
    dsn = await server.start()
    try:
        conn = await asyncpg.connect(dsn)
        try:
            assert int(await conn.fetchval("SHOW server_version_num")) >= 180000
            assert await migrate(conn) == [m.version for m in available()]
            tables = await _names(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            assert tables >= SEED_TABLES | NEW_TABLES
            assert await _names(conn, "SELECT viewname FROM pg_views WHERE schemaname = 'public'") >= VIEWS
        finally:
            await conn.close()
    finally:
        await server.stop()
    assert not (pg_tmp_path / "pg" / "data" / "postmaster.pid").exists()
