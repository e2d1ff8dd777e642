"""Restore a backup into an empty deployment: verify every part first, then pg_restore and the index snapshot."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import anyio.to_thread
import asyncpg
from pydantic import BaseModel

from aurora_mcp.config import AppSettings
from aurora_mcp.db.migrate import available
from aurora_mcp.db.pool import connect
from aurora_mcp.errors import BackupCorrupt, ConfigurationError, DeploymentNotEmpty, DimensionMismatch, NotFound
from aurora_mcp.index.factory import create_vector_index
from aurora_mcp.ops.backup import DATA_BUCKETS, count_objects, read_manifest
from aurora_mcp.ops.deployment import database_dsn
from aurora_mcp.ops.manifest import DUMP_PART, INDEX_PART, BackupManifest, sha256_file
from aurora_mcp.ops.pgtools import pg_restore, server_facts
from aurora_mcp.storage.base import BACKUPS_BUCKET, ObjectStore
from aurora_mcp.storage.factory import create_object_store

logger = logging.getLogger(__name__)

_HAS_DOCUMENTS_TABLE = "SELECT to_regclass('public.documents') IS NOT NULL"
_DOCUMENTS = "SELECT count(*) FROM documents"
_OTHER_CLIENTS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""
_COUNTS = """
SELECT (SELECT count(*) FROM tenants) AS tenants,
       (SELECT count(*) FROM documents) AS documents,
       (SELECT count(*) FROM artifacts) AS artifacts,
       (SELECT version FROM schema_migrations ORDER BY applied_at DESC, version DESC LIMIT 1) AS schema_level
"""
_ARTIFACT_URIS = "SELECT uri_s3 FROM artifacts"


class RestoreCheck(BaseModel):
    """One comparison between the manifest and the restored deployment."""

    name: str
    expected: int | str
    actual: int | str
    at_least: bool = False  # objects: more than at backup time is fine (uploads since), fewer is not

    @property
    def ok(self) -> bool:
        if self.at_least and isinstance(self.actual, int) and isinstance(self.expected, int):
            return self.actual >= self.expected
        return self.expected == self.actual


class RestoreReport(BaseModel):
    backup_id: str
    checks: list[RestoreCheck]
    missing_objects: list[str]
    seconds: dict[str, float]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


async def restore(settings: AppSettings, backup_id: str, *, force: bool = False) -> RestoreReport:
    """Restore `backup_id` into the deployment `settings` describe, which must not be open elsewhere.

    Opens what it needs itself (object store, PostgreSQL — the embedded one is started and stopped — and the
    index engine), so the façade is never open on the target. Order: fetch and verify every part (nothing changed
    on failure), refuse a non-empty target unless `force`, pg_restore in one transaction, swap in the index
    snapshot, then compare counts with the manifest.

    Returns:
        The checks; `ok` is False when a count differs (for instance objects missing from the store).

    Raises:
        BackupNotFound, InvalidInput: unknown or malformed id.
        BackupCorrupt: a part is missing or its sha256 differs; names the part; nothing was changed.
        DeploymentNotEmpty: documents or points present, or other clients connected, and `force` not given.
        ConfigurationError: another engine than the backup's, a newer schema, missing pg_restore, engine busy.
    """
    store = create_object_store(settings)
    try:
        await store.ensure_buckets()
        manifest = await read_manifest(store, backup_id)
        _check_compatible(settings, manifest)
        seconds: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="aurora-restore-") as tmp:
            started = time.perf_counter()
            dump, snapshot = await _fetch_verified(store, manifest, Path(tmp))
            seconds["fetch_and_verify"] = time.perf_counter() - started
            async with database_dsn(settings) as dsn:
                conn = await connect(dsn)
                try:
                    server_major = (await server_facts(conn)).major
                    await _refuse_unless_empty_database(conn, force)
                finally:
                    await conn.close()
                await _refuse_unless_empty_index(settings, manifest, force)
                started = time.perf_counter()
                at_least = max(server_major, manifest.database.dump_tool_major)
                await pg_restore(dsn, dump, at_least=at_least, bin_dir=settings.backup.pg_bin_dir)
                seconds["pg_restore"] = time.perf_counter() - started
                started = time.perf_counter()
                index = create_vector_index(settings)
                try:
                    await index.restore_snapshot(snapshot)
                except Exception as exc:
                    raise ConfigurationError(
                        f"the database of backup {backup_id} was restored but its index was not ({exc}); "
                        "fix the cause and run the restore again with --force"
                    ) from exc
                finally:
                    await index.close()
                seconds["index_restore"] = time.perf_counter() - started
                started = time.perf_counter()
                report = await _verify(dsn, settings, store, manifest)
                seconds["verify"] = time.perf_counter() - started
    finally:
        await store.close()
    report.seconds.update(seconds)
    logger.info("restored backup %s (%s)", backup_id, "verified" if report.ok else "with differences")
    return report


def _check_compatible(settings: AppSettings, manifest: BackupManifest) -> None:
    engine = str(settings.index.engine)
    if manifest.index.engine != engine:
        raise ConfigurationError(
            f"backup {manifest.backup_id} holds a {manifest.index.engine} index snapshot but this deployment uses "
            f"the {engine} engine: set AURORA_QDRANT_ENGINE={manifest.index.engine} to restore it"
        )
    unknown = sorted(set(manifest.database.schema_migrations) - {m.version for m in available()})
    if unknown:
        raise ConfigurationError(
            f"backup {manifest.backup_id} has schema migration(s) {', '.join(unknown)} that this aurora-mcp "
            f"({manifest.aurora_version} wrote it) does not know: upgrade aurora-mcp, then restore"
        )


async def _fetch_verified(store: ObjectStore, manifest: BackupManifest, folder: Path) -> tuple[Path, Path]:
    """Download both parts and check size and sha256 of each before anything on the target is touched."""
    paths: dict[str, Path] = {}
    for name in (DUMP_PART, INDEX_PART):
        part = manifest.part(name)
        path = folder / name
        try:
            await store.get_file(BACKUPS_BUCKET, part.key, path)
        except NotFound:
            raise BackupCorrupt(f"backup {manifest.backup_id} is missing its part {name} ({part.key})") from None
        digest = await anyio.to_thread.run_sync(sha256_file, path)
        if digest != part.sha256 or path.stat().st_size != part.size_bytes:
            raise BackupCorrupt(
                f"backup {manifest.backup_id}: part {name} is corrupt (sha256 {digest[:12]}… instead of "
                f"{part.sha256[:12]}…, {path.stat().st_size} bytes instead of {part.size_bytes}); nothing was restored"
            )
        paths[name] = path
    return paths[DUMP_PART], paths[INDEX_PART]


async def _refuse_unless_empty_database(conn: asyncpg.Connection, force: bool) -> None:
    if force:
        return
    others = await conn.fetchval(_OTHER_CLIENTS)
    if others:
        raise DeploymentNotEmpty(
            f"{others} other client(s) are connected to the target database: stop aurora-mcp (serve, workers) "
            "first, or pass --force"
        )
    if await conn.fetchval(_HAS_DOCUMENTS_TABLE):
        documents = await conn.fetchval(_DOCUMENTS)
        if documents:
            raise DeploymentNotEmpty(
                f"the target database already holds {documents} document(s); restore into an empty deployment, "
                "or pass --force to replace them"
            )


async def _refuse_unless_empty_index(settings: AppSettings, manifest: BackupManifest, force: bool) -> None:
    # Opened even with `force`: an engine held by a running server fails here (EngineBusy), before the database
    # is replaced, rather than after it.
    index = create_vector_index(settings)
    try:
        await index.ensure_collection(manifest.index.dense_dimension)
        points = await index.count_all()
    except DimensionMismatch:
        points = -1
    finally:
        await index.close()
    if points and not force:
        held = "a collection of another vector size" if points < 0 else f"{points} point(s)"
        raise DeploymentNotEmpty(
            f"the target index collection {settings.index.collection!r} already holds {held}; restore into an "
            "empty deployment, or pass --force to replace it"
        )


async def _verify(dsn: str, settings: AppSettings, store: ObjectStore, manifest: BackupManifest) -> RestoreReport:
    conn = await connect(dsn)
    try:
        counts = await conn.fetchrow(_COUNTS)
        uris = [r["uri_s3"] for r in await conn.fetch(_ARTIFACT_URIS)]
    finally:
        await conn.close()
    index = create_vector_index(settings)
    try:
        await index.ensure_collection(manifest.index.dense_dimension)
        points = await index.count_all()
    finally:
        await index.close()
    objects = await count_objects(store)
    present = {f"s3://{bucket}/{o.key}" for bucket in DATA_BUCKETS for o in await store.list(bucket)}
    missing = sorted(uri for uri in uris if uri not in present)
    db = manifest.database
    checks = [
        RestoreCheck(name="schema level", expected=db.schema_level, actual=counts["schema_level"] or ""),
        RestoreCheck(name="tenants", expected=db.tenants, actual=counts["tenants"]),
        RestoreCheck(name="documents", expected=db.documents, actual=counts["documents"]),
        RestoreCheck(name="artifacts", expected=db.artifacts, actual=counts["artifacts"]),
        RestoreCheck(name="index points", expected=manifest.index.points, actual=points),
        *(
            RestoreCheck(
                name=f"objects in {bucket}",
                expected=manifest.objects.get(bucket, 0),
                actual=objects[bucket],
                at_least=True,
            )
            for bucket in DATA_BUCKETS
        ),
        RestoreCheck(name="artifact objects missing", expected=0, actual=len(missing)),
    ]
    return RestoreReport(backup_id=manifest.backup_id, checks=checks, missing_objects=missing[:20], seconds={})
