"""The ingestion queue: stage a file and queue a job for any worker; workers claim jobs with SKIP LOCKED."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import asyncpg

from aurora_mcp.config import IngestSettings
from aurora_mcp.db.records import IngestionJob
from aurora_mcp.db.repositories.jobs import JobRepository
from aurora_mcp.index.base import VectorIndex
from aurora_mcp.ingest.files import inspect_file
from aurora_mcp.ingest.results import DocumentMetadata
from aurora_mcp.ingest.service import IngestService, temp_copy
from aurora_mcp.scope import TenantScope
from aurora_mcp.storage.base import UPLOADS_BUCKET, ObjectStore

STALE_JOB_MAX_ATTEMPTS = 3


class IngestQueue:
    """Jobs as rows in `ingestion_jobs`, so any number of workers on any number of machines share one queue."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        pool: asyncpg.Pool,
        store: ObjectStore,
        index: VectorIndex,
        ingest: IngestService,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._store = store
        self._index = index
        self._ingest = ingest
        self._jobs = JobRepository()

    async def run_queued(self, *, idle_seconds: float = 2.0, once: bool = False) -> int:
        """Worker loop: claim queued jobs with SKIP LOCKED and run them; returns how many ran (for `once`)."""
        ran = 0
        unoptimized = 0
        while True:
            await self._jobs.requeue_stale(self._pool, self._settings.stale_job_minutes, STALE_JOB_MAX_ATTEMPTS)
            job = await self._jobs.claim_next(self._pool, self._ingest.worker_name)
            if job is None:
                if unoptimized:
                    # The queue is drained: build the index now, when the engine blocking costs nobody.
                    await self._index.optimize()
                    unoptimized = 0
                if once:
                    return ran
                await anyio.sleep(idle_seconds)
                continue
            await self._run_claimed(job)
            ran += 1
            unoptimized += 1

    async def _run_claimed(self, job: IngestionJob) -> None:
        params = job.params or {}
        source = job.source or {}
        scope = TenantScope(
            tenant_id=str(job.tenant_id), tenant_slug="", caller_app=params.get("caller_app") or "worker"
        )
        filename = params.get("filename") or "upload"
        metadata = DocumentMetadata.model_validate(params.get("metadata") or {})
        bucket, key = source.get("bucket"), source.get("key")
        if not bucket or not key:
            await self._jobs.fail(self._pool, scope.tenant_id, str(job.id), "job has no staged upload to read")
            return
        async with temp_copy(b"", filename) as path:
            await self._store.get_file(bucket, key, path)
            await self._ingest.ingest_path(scope, path, filename=filename, metadata=metadata, job=job)
        await self._store.delete(bucket, key)

    async def enqueue_path(
        self, scope: TenantScope, path: Path, *, filename: str | None = None, metadata: DocumentMetadata | None = None
    ) -> str:
        """Check the file as a worker would, stage it in the uploads bucket and queue a job; returns the job id.

        Raises:
            FileRejected, UnsupportedFormat: refused now rather than failed later by a worker.
        """
        filename = filename or path.name
        metadata = metadata or DocumentMetadata()
        await inspect_file(path, filename=filename, max_bytes=self._settings.max_file_bytes)
        staged_key = f"{scope.tenant_id}/_queue/{uuid.uuid4().hex}/{Path(filename).name or 'upload'}"
        await self._store.put_file(UPLOADS_BUCKET, staged_key, path)
        job = await self._jobs.create(
            self._pool,
            scope.tenant_id,
            params={"filename": filename, "metadata": metadata.model_dump(), "caller_app": scope.caller_app},
            source={"kind": "staged", "bucket": UPLOADS_BUCKET, "key": staged_key},
        )
        return str(job.id)
