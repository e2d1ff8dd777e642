"""Backups of a running deployment to the `aurorarag-backups` bucket: pg_dump, index snapshot, manifest, retention."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

import anyio.to_thread
import asyncpg

from aurora_mcp import __version__
from aurora_mcp.app import Aurora
from aurora_mcp.config import AppSettings
from aurora_mcp.errors import BackupNotFound, NotFound
from aurora_mcp.index.base import VectorIndex
from aurora_mcp.ops.deployment import dump_dsn
from aurora_mcp.ops.manifest import (
    BACKUPS_PREFIX,
    DUMP_PART,
    INDEX_PART,
    MANIFEST_NAME,
    BackupManifest,
    BackupPart,
    BackupSummary,
    DatabaseFacts,
    IndexFacts,
    backup_id_of,
    backup_prefix,
    new_backup_id,
    sha256_file,
)
from aurora_mcp.ops.pgtools import pg_dump, server_facts
from aurora_mcp.storage.base import ARTIFACTS_BUCKET, BACKUPS_BUCKET, UPLOADS_BUCKET, ObjectStore

logger = logging.getLogger(__name__)

DATA_BUCKETS = (UPLOADS_BUCKET, ARTIFACTS_BUCKET)
_COUNTS = """
SELECT (SELECT count(*) FROM tenants) AS tenants,
       (SELECT count(*) FROM documents) AS documents,
       (SELECT count(*) FROM artifacts) AS artifacts
"""
_MIGRATIONS = "SELECT version FROM schema_migrations ORDER BY applied_at, version"


async def read_manifest(store: ObjectStore, backup_id: str) -> BackupManifest:
    """The manifest of a complete backup.

    Raises:
        InvalidInput: malformed id.
        BackupNotFound: no manifest under that id (unknown, pruned, or a backup that never finished).
    """
    key = backup_prefix(backup_id) + MANIFEST_NAME
    try:
        raw = await store.get_bytes(BACKUPS_BUCKET, key)
    except NotFound:
        raise BackupNotFound(
            f"backup {backup_id} not found in {BACKUPS_BUCKET} (see `aurora-mcp backup list`)"
        ) from None
    return BackupManifest.model_validate_json(raw)


async def count_objects(store: ObjectStore) -> dict[str, int]:
    """Objects per data bucket (uploads, artifacts): backups do not copy them, restores check they are all there."""
    return {bucket: len(await store.list(bucket)) for bucket in DATA_BUCKETS}


class BackupService:
    """Takes, lists and prunes backups of one open deployment.

    Invariant: a backup is usable only once its `manifest.json` exists, and the manifest is written last; a failed
    backup removes what it had uploaded. Objects of the uploads and artifacts buckets are not copied (the store is
    their durable home); the manifest counts them so a restore can tell when some are missing.
    """

    def __init__(
        self,
        *,
        settings: AppSettings,
        pool: asyncpg.Pool,
        index: VectorIndex,
        store: ObjectStore,
        dense_dimension: int,
        embedding_model: str | None = None,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._index = index
        self._store = store
        self._dimension = dense_dimension
        self._model = embedding_model

    @classmethod
    def for_app(cls, app: Aurora) -> BackupService:
        """The service over an open façade (what `aurora-mcp backup` uses)."""
        return cls(
            settings=app.settings,
            pool=app.pool,
            index=app.index,
            store=app.store,
            dense_dimension=app.embedder.dimension,
            embedding_model=getattr(app.embedder, "model_name", None),
        )

    async def backup(self, *, keep: int | None = None) -> BackupManifest:
        """Dump the database, snapshot the index, upload both with a manifest, then prune to `keep` backups.

        Args:
            keep: complete backups to keep afterwards; default `AURORA_BACKUP_KEEP`.

        Returns:
            The manifest written (its `backup_id` names the backup).

        Raises:
            ConfigurationError: pg_dump missing or failing, or the engine cannot snapshot.
        """
        backup_id = new_backup_id()
        prefix = backup_prefix(backup_id)
        created_at = dt.datetime.now(dt.UTC)
        seconds: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="aurora-backup-") as tmp:
            dump_path, index_path = Path(tmp) / DUMP_PART, Path(tmp) / INDEX_PART
            started = time.perf_counter()
            database = await self._dump(dump_path)
            seconds["pg_dump"] = time.perf_counter() - started
            # The index after the dump: a document indexed in between leaves points without a live row, which
            # search ignores, rather than a live row whose points are missing.
            started = time.perf_counter()
            points = await self._index.snapshot(index_path)
            seconds["index_snapshot"] = time.perf_counter() - started
            objects = await count_objects(self._store)
            started = time.perf_counter()
            try:
                parts = [
                    await self._upload(prefix, DUMP_PART, dump_path),
                    await self._upload(prefix, INDEX_PART, index_path),
                ]
                seconds["upload"] = time.perf_counter() - started
                manifest = BackupManifest(
                    backup_id=backup_id,
                    aurora_version=__version__,
                    created_at=created_at,
                    embedding_model=self._model,
                    database=database,
                    index=IndexFacts(
                        engine=str(self._settings.index.engine),
                        collection=self._settings.index.collection,
                        points=points,
                        dense_dimension=self._dimension,
                    ),
                    object_store="s3" if self._settings.storage.s3_endpoint else "local",
                    objects=objects,
                    parts=parts,
                    seconds=seconds,
                )
                await self._store.put_bytes(
                    BACKUPS_BUCKET,
                    prefix + MANIFEST_NAME,
                    manifest.model_dump_json(indent=2).encode(),
                    content_type="application/json",
                )
            except BaseException:
                await self._store.delete_prefix(BACKUPS_BUCKET, prefix)
                raise
        logger.info(
            "backup %s: %d bytes, %d documents, %d points", backup_id, manifest.size_bytes, database.documents, points
        )
        await self.prune(keep=keep if keep is not None else self._settings.backup.backup_keep)
        return manifest

    async def _dump(self, target: Path) -> DatabaseFacts:
        async with self._pool.acquire() as conn:
            facts = await server_facts(conn)
            dsn = await dump_dsn(self._settings, conn)
            # Counts and the dump read one exported snapshot, so the manifest describes exactly what was dumped.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
                counts = await conn.fetchrow(_COUNTS)
                migrations = [r["version"] for r in await conn.fetch(_MIGRATIONS)]
                tool_major = await pg_dump(
                    dsn, target, server_major=facts.major, snapshot=snapshot, bin_dir=self._settings.backup.pg_bin_dir
                )
        return DatabaseFacts(
            server_version=facts.version,
            server_major=facts.major,
            dump_tool_major=tool_major,
            schema_level=migrations[-1] if migrations else "",
            schema_migrations=migrations,
            tenants=counts["tenants"],
            documents=counts["documents"],
            artifacts=counts["artifacts"],
        )

    async def _upload(self, prefix: str, name: str, path: Path) -> BackupPart:
        digest = await anyio.to_thread.run_sync(sha256_file, path)
        info = await self._store.put_file(BACKUPS_BUCKET, prefix + name, path, content_type="application/octet-stream")
        return BackupPart(name=name, key=info.key, size_bytes=info.size_bytes, sha256=digest)

    async def list_backups(self) -> list[BackupSummary]:
        return await list_backups(self._store)

    async def prune(self, *, keep: int) -> list[str]:
        return await prune(self._store, keep=keep)


async def list_backups(store: ObjectStore) -> list[BackupSummary]:
    """Every backup in the bucket, newest first; incomplete ones (no manifest) are listed as such.

    Needs only the object store, so it runs beside a live server.
    """
    sizes: dict[str, int] = {}
    complete: set[str] = set()
    for info in await store.list(BACKUPS_BUCKET, BACKUPS_PREFIX):
        backup_id = backup_id_of(info.key)
        if backup_id is None:
            continue
        sizes[backup_id] = sizes.get(backup_id, 0) + info.size_bytes
        if info.key.endswith("/" + MANIFEST_NAME):
            complete.add(backup_id)
    summaries = []
    for backup_id, size in sizes.items():
        if backup_id not in complete:
            summaries.append(BackupSummary(backup_id=backup_id, complete=False, size_bytes=size))
            continue
        manifest = await read_manifest(store, backup_id)
        summaries.append(
            BackupSummary(
                backup_id=backup_id,
                complete=True,
                created_at=manifest.created_at,
                size_bytes=size,
                documents=manifest.database.documents,
                points=manifest.index.points,
                engine=manifest.index.engine,
            )
        )
    # Ids start with their UTC second; the manifest's full timestamp orders backups taken in the same second.
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    summaries.sort(key=lambda s: (s.backup_id[:16], s.created_at or oldest), reverse=True)
    return summaries


async def prune(store: ObjectStore, *, keep: int) -> list[str]:
    """Delete complete backups beyond the newest `keep`; returns the ids removed.

    Incomplete backups are left alone: one may be in progress in another process.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    complete = [s.backup_id for s in await list_backups(store) if s.complete]
    removed = complete[keep:]
    for backup_id in removed:
        await store.delete_prefix(BACKUPS_BUCKET, backup_prefix(backup_id))
        logger.info("pruned backup %s", backup_id)
    return removed
