"""Backup → wipe → restore round trips on real PostgreSQL, both embedded Qdrant engines, a local folder and S3."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from aurora_mcp.app import Aurora
from aurora_mcp.config import AppSettings, IndexEngine, StorageSettings
from aurora_mcp.embedding.base import DenseEmbedder
from aurora_mcp.errors import BackupCorrupt, DeploymentNotEmpty, EngineBusy
from aurora_mcp.ops.backup import BackupService
from aurora_mcp.ops.manifest import DUMP_PART, INDEX_PART, MANIFEST_NAME, BackupManifest
from aurora_mcp.ops.restore import restore
from aurora_mcp.storage.base import BACKUPS_BUCKET
from aurora_mcp.storage.factory import create_object_store
from tests.ops.conftest import DeploymentState, ops_settings, populate, read_state

pytestmark = pytest.mark.anyio


async def _backup_populated(settings: AppSettings, minilm: DenseEmbedder) -> tuple[BackupManifest, DeploymentState]:
    async with Aurora(settings, embedder=minilm) as app:
        await populate(app)
        before = await read_state(app)
        manifest = await BackupService.for_app(app).backup(keep=100)
    return manifest, before


async def _state_of(settings: AppSettings, minilm: DenseEmbedder) -> DeploymentState:
    async with Aurora(settings, embedder=minilm) as app:
        return await read_state(app)


def _wipe_index(settings: AppSettings) -> None:
    shutil.rmtree(settings.qdrant_dir, ignore_errors=True)


async def _has_schema(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return bool(await conn.fetchval("SELECT to_regclass('public.documents') IS NOT NULL"))
    finally:
        await conn.close()


@pytest.mark.parametrize("engine", [IndexEngine.EDGE, IndexEngine.LOCAL])
async def test_a_restored_deployment_has_the_same_rows_points_and_search_results_as_the_backed_up_one(
    engine: IndexEngine, tmp_path: Path, database_url: str, raw_server_url: str, minilm: DenseEmbedder
) -> None:
    source = ops_settings(tmp_path / "home", database_url, engine)
    manifest, before = await _backup_populated(source, minilm)
    assert manifest.database.documents == 3 and manifest.index.points == sum(before.points.values()) > 0
    assert manifest.index.engine == engine and {p.name for p in manifest.parts} == {DUMP_PART, INDEX_PART}

    _wipe_index(source)
    target = ops_settings(tmp_path / "home", raw_server_url, engine)  # a fresh empty database, no schema at all
    report = await restore(target, manifest.backup_id)

    assert report.ok, report.checks
    after = await _state_of(target, minilm)
    assert after == before


async def test_a_backup_in_s3_restores_a_local_mode_deployment_whose_objects_live_in_s3(
    tmp_path: Path,
    database_url: str,
    raw_server_url: str,
    minilm: DenseEmbedder,
    s3_storage_settings: StorageSettings,
) -> None:
    source = ops_settings(tmp_path / "home", database_url, IndexEngine.LOCAL, s3_storage_settings)
    manifest, before = await _backup_populated(source, minilm)
    assert manifest.object_store == "s3"
    store = create_object_store(source)
    try:
        keys = {o.key for o in await store.list(BACKUPS_BUCKET, f"backups/{manifest.backup_id}/")}
    finally:
        await store.close()
    assert keys == {f"backups/{manifest.backup_id}/{name}" for name in (DUMP_PART, INDEX_PART, MANIFEST_NAME)}

    _wipe_index(source)
    target = ops_settings(tmp_path / "home", raw_server_url, IndexEngine.LOCAL, s3_storage_settings)
    report = await restore(target, manifest.backup_id)

    assert report.ok, report.checks
    assert await _state_of(target, minilm) == before


async def test_the_embedded_postgres_is_dumped_through_its_socket_and_restored_into_a_new_cluster(
    pg_tmp_path: Path, minilm: DenseEmbedder
) -> None:
    settings = ops_settings(pg_tmp_path / "home", None)
    manifest, before = await _backup_populated(settings, minilm)
    assert manifest.database.server_major >= 15

    shutil.rmtree(settings.postgres_dir)
    _wipe_index(settings)
    report = await restore(settings, manifest.backup_id)

    assert report.ok, report.checks
    assert await _state_of(settings, minilm) == before


@pytest.mark.parametrize(("part", "on_s3"), [(DUMP_PART, False), (INDEX_PART, True)])
async def test_a_corrupted_part_is_named_and_the_empty_target_is_left_untouched(
    part: str,
    on_s3: bool,
    tmp_path: Path,
    database_url: str,
    raw_server_url: str,
    minilm: DenseEmbedder,
    s3_storage_settings: StorageSettings,
) -> None:
    storage = s3_storage_settings if on_s3 else None
    source = ops_settings(tmp_path / "home", database_url, IndexEngine.EDGE, storage)
    manifest, _ = await _backup_populated(source, minilm)
    store = create_object_store(source)
    try:
        key = manifest.part(part).key
        data = bytearray(await store.get_bytes(BACKUPS_BUCKET, key))
        data[len(data) // 2] ^= 0x01
        await store.put_bytes(BACKUPS_BUCKET, key, bytes(data))
    finally:
        await store.close()
    _wipe_index(source)
    target = ops_settings(tmp_path / "home", raw_server_url, IndexEngine.EDGE, storage)

    with pytest.raises(BackupCorrupt, match=f"part {part} is corrupt"):
        await restore(target, manifest.backup_id)

    assert not await _has_schema(raw_server_url)
    assert not target.qdrant_dir.exists()


async def test_restoring_over_a_deployment_that_holds_documents_needs_force(
    tmp_path: Path, database_url: str, minilm: DenseEmbedder
) -> None:
    settings = ops_settings(tmp_path / "home", database_url)
    manifest, before = await _backup_populated(settings, minilm)
    async with Aurora(settings, embedder=minilm) as app:
        scope = await app.scope("acme", "tests")
        await app.ingest.ingest_bytes(scope, b"# Later\n\nWritten after the backup.\n", filename="later.md")

    with pytest.raises(DeploymentNotEmpty, match=r"already holds 4 document\(s\)"):
        await restore(settings, manifest.backup_id)

    report = await restore(settings, manifest.backup_id, force=True)
    assert report.ok, report.checks
    assert await _state_of(settings, minilm) == before


async def test_a_restore_names_the_artifact_objects_missing_from_the_store(
    tmp_path: Path, database_url: str, raw_server_url: str, minilm: DenseEmbedder
) -> None:
    source = ops_settings(tmp_path / "home", database_url)
    manifest, _ = await _backup_populated(source, minilm)
    async with Aurora(source, embedder=minilm) as app:
        scope = await app.scope("globex", "tests")
        (routes,) = (await app.documents.list(scope)).documents
        await app.documents.delete(scope, routes.document_id)
    _wipe_index(source)

    report = await restore(ops_settings(tmp_path / "home", raw_server_url), manifest.backup_id)

    failed = {c.name for c in report.checks if not c.ok}
    assert failed == {"objects in aurorarag-uploads", "objects in aurorarag-artifacts", "artifact objects missing"}
    assert report.missing_objects and all(routes.document_id in uri for uri in report.missing_objects)


async def test_retention_keeps_only_the_newest_backups(
    tmp_path: Path, database_url: str, minilm: DenseEmbedder
) -> None:
    settings = ops_settings(tmp_path / "home", database_url)
    async with Aurora(settings, embedder=minilm) as app:
        await populate(app)
        service = BackupService.for_app(app)
        made = [(await service.backup(keep=2)).backup_id for _ in range(3)]
        listed = await service.list_backups()

    assert [b.backup_id for b in listed] == made[:0:-1]
    assert all(b.complete and b.documents == 3 and b.size_bytes > 0 for b in listed)


async def test_a_forced_restore_while_a_server_holds_the_index_fails_before_touching_the_database(
    tmp_path: Path, database_url: str, raw_server_url: str, minilm: DenseEmbedder
) -> None:
    source = ops_settings(tmp_path / "home", database_url)
    manifest, _ = await _backup_populated(source, minilm)
    target = ops_settings(tmp_path / "home", raw_server_url)

    async with Aurora(source, embedder=minilm):  # a running server on the same data dir holds the edge shard
        with pytest.raises(EngineBusy, match="in use by another process"):
            await restore(target, manifest.backup_id, force=True)

    assert not await _has_schema(raw_server_url)
