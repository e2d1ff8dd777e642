"""Ingestion jobs: creation, the queued → running → done | failed | skipped lifecycle, and worker claiming."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import IngestionJob, JobStatus
from aurora_mcp.errors import DocumentNotFound, JobNotFound

Id = uuid.UUID | str

_COLUMNS = (
    "id, tenant_id, document_id, status, params, metrics, worker, logs, error, created_at, started_at, finished_at, "
    "source"
)
_J_COLUMNS = ", ".join(f"j.{c.strip()}" for c in _COLUMNS.split(","))
# A job may only point at a document of its own tenant: the INSERT selects nothing otherwise.
_CREATE = f"""
INSERT INTO ingestion_jobs (tenant_id, document_id, status, params, source)
SELECT $1::uuid, $2::uuid, $3::job_status, $4::jsonb, $5::jsonb
WHERE $2::uuid IS NULL OR EXISTS (SELECT 1 FROM documents d WHERE d.id = $2 AND d.tenant_id = $1)
RETURNING {_COLUMNS}
"""
_ATTACH = f"""
UPDATE ingestion_jobs SET document_id = $3
WHERE tenant_id = $1 AND id = $2
  AND EXISTS (SELECT 1 FROM documents d WHERE d.id = $3 AND d.tenant_id = $1)
RETURNING {_COLUMNS}
"""
_EXISTS = "SELECT EXISTS (SELECT 1 FROM ingestion_jobs WHERE tenant_id = $1 AND id = $2)"
# Each start counts an attempt in metrics.attempts, which requeue_stale compares with its limit.
_RUNNING = (
    "status = 'running', started_at = now(), finished_at = NULL, worker = $WORKER, "
    "metrics = COALESCE(metrics, '{}'::jsonb) "
    "|| jsonb_build_object('attempts', COALESCE((metrics ->> 'attempts')::int, 0) + 1)"
)
_START = f"""
UPDATE ingestion_jobs SET {_RUNNING.replace("$WORKER", "$3")}
WHERE tenant_id = $1 AND id = $2 AND status = 'queued'
RETURNING {_COLUMNS}
"""
_CLAIM = f"""
UPDATE ingestion_jobs j SET {_RUNNING.replace("$WORKER", "$1")}
WHERE j.id = (
    SELECT q.id FROM ingestion_jobs q
    WHERE q.status = 'queued'
    ORDER BY q.created_at, q.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING {_J_COLUMNS}
"""
_METRICS = f"""
UPDATE ingestion_jobs SET metrics = COALESCE(metrics, '{{}}'::jsonb) || $3::jsonb
WHERE tenant_id = $1 AND id = $2
RETURNING {_COLUMNS}
"""
_FINISH = f"""
UPDATE ingestion_jobs SET status = $3::job_status, finished_at = now(), error = $5,
    metrics = COALESCE(metrics, '{{}}'::jsonb) || COALESCE($4::jsonb, '{{}}'::jsonb)
WHERE tenant_id = $1 AND id = $2
RETURNING {_COLUMNS}
"""
_GET = f"SELECT {_COLUMNS} FROM ingestion_jobs WHERE tenant_id = $1 AND id = $2"
_FOR_DOCUMENT = f"""
SELECT {_COLUMNS} FROM ingestion_jobs WHERE tenant_id = $1 AND document_id = $2 ORDER BY created_at DESC, id
"""
# Running jobs whose worker went silent: back to the queue, or failed once they used up their attempts.
_REQUEUE_STALE = """
WITH stale AS (
    SELECT id, COALESCE((metrics ->> 'attempts')::int, 0) AS attempts
    FROM ingestion_jobs
    WHERE status = 'running' AND started_at < now() - make_interval(secs => $1::float8 * 60)
    FOR UPDATE SKIP LOCKED
), moved AS (
    UPDATE ingestion_jobs j SET
        status = CASE WHEN s.attempts >= $2 THEN 'failed'::job_status ELSE 'queued'::job_status END,
        error = CASE WHEN s.attempts >= $2
                     THEN format('gave up after %s attempt(s): the worker stopped responding', s.attempts)
                     ELSE j.error END,
        finished_at = CASE WHEN s.attempts >= $2 THEN now() END,
        started_at = CASE WHEN s.attempts >= $2 THEN j.started_at END,
        worker = CASE WHEN s.attempts >= $2 THEN j.worker END
    FROM stale s
    WHERE j.id = s.id
    RETURNING j.status
)
SELECT count(*) FILTER (WHERE status = 'queued') AS requeued, count(*) FILTER (WHERE status = 'failed') AS failed
FROM moved
"""


def _job(row: Any) -> IngestionJob:
    return IngestionJob.model_validate(dict(row))


class JobRepository:
    """Rows of `ingestion_jobs`. Invariants: every per-job statement is filtered by tenant_id, and a job only ever
    references a document of its own tenant. `claim_next` and `requeue_stale` are deliberately cross-tenant: one
    worker pool serves every tenant, and the job row it returns carries the tenant to act for."""

    async def create(
        self,
        conn: Executor,
        tenant_id: Id,
        *,
        document_id: Id | None = None,
        params: Mapping[str, Any] | None = None,
        source: Mapping[str, Any] | None = None,
        status: JobStatus | str = JobStatus.QUEUED,
    ) -> IngestionJob:
        """A new job. Raises: DocumentNotFound when `document_id` is not one of the tenant's documents."""
        row = await conn.fetchrow(
            _CREATE, tenant_id, document_id, JobStatus(status), dict(params or {}), dict(source or {})
        )
        if row is None:
            raise DocumentNotFound(f"document {document_id} not found")
        return _job(row)

    async def attach_document(self, conn: Executor, tenant_id: Id, job_id: Id, document_id: Id) -> IngestionJob:
        """Point the job at its document. Raises: JobNotFound or DocumentNotFound naming the missing id."""
        row = await conn.fetchrow(_ATTACH, tenant_id, job_id, document_id)
        if row is None:
            await self._raise_missing(conn, tenant_id, job_id)
            raise DocumentNotFound(f"document {document_id} not found")
        return _job(row)

    async def start(self, conn: Executor, tenant_id: Id, job_id: Id, worker: str) -> IngestionJob | None:
        """queued → running by `worker`; None when the job is no longer queued (another worker took it).

        Raises: JobNotFound naming the id.
        """
        row = await conn.fetchrow(_START, tenant_id, job_id, worker)
        if row is None:
            await self._raise_missing(conn, tenant_id, job_id)
            return None
        return _job(row)

    async def claim_next(self, conn: Executor, worker: str) -> IngestionJob | None:
        """Take the oldest queued job of any tenant (FOR UPDATE SKIP LOCKED: concurrent workers never share one).

        Cross-tenant by design: workers serve every tenant; the caller acts for the returned job's tenant_id.
        """
        row = await conn.fetchrow(_CLAIM, worker)
        return _job(row) if row is not None else None

    async def update_metrics(
        self, conn: Executor, tenant_id: Id, job_id: Id, metrics: Mapping[str, Any]
    ) -> IngestionJob:
        """Merge `metrics` into the job's metrics (top-level keys overwrite). Raises: JobNotFound."""
        row = await conn.fetchrow(_METRICS, tenant_id, job_id, dict(metrics))
        if row is None:
            raise JobNotFound(f"ingestion job {job_id} not found")
        return _job(row)

    async def finish(
        self,
        conn: Executor,
        tenant_id: Id,
        job_id: Id,
        *,
        status: JobStatus | str = JobStatus.DONE,
        metrics: Mapping[str, Any] | None = None,
    ) -> IngestionJob:
        """End a job as done or skipped, merging final metrics. Raises: JobNotFound; ValueError for other statuses."""
        final = JobStatus(status)
        if final not in (JobStatus.DONE, JobStatus.SKIPPED):
            raise ValueError(f"finish() takes done or skipped, not {final}; use fail() for failures")
        row = await conn.fetchrow(_FINISH, tenant_id, job_id, final, dict(metrics or {}), None)
        if row is None:
            raise JobNotFound(f"ingestion job {job_id} not found")
        return _job(row)

    async def fail(self, conn: Executor, tenant_id: Id, job_id: Id, error: str) -> IngestionJob:
        """End a job as failed with its error text. Raises: JobNotFound naming the id."""
        row = await conn.fetchrow(_FINISH, tenant_id, job_id, JobStatus.FAILED, None, error)
        if row is None:
            raise JobNotFound(f"ingestion job {job_id} not found")
        return _job(row)

    async def get(self, conn: Executor, tenant_id: Id, job_id: Id) -> IngestionJob:
        """Raises: JobNotFound naming the id (also when it belongs to another tenant)."""
        row = await conn.fetchrow(_GET, tenant_id, job_id)
        if row is None:
            raise JobNotFound(f"ingestion job {job_id} not found")
        return _job(row)

    async def list_for_document(self, conn: Executor, tenant_id: Id, document_id: Id) -> list[IngestionJob]:
        """The tenant's jobs of one document, newest first."""
        return [_job(r) for r in await conn.fetch(_FOR_DOCUMENT, tenant_id, document_id)]

    async def requeue_stale(self, conn: Executor, older_than_minutes: float, max_attempts: int) -> tuple[int, int]:
        """Recover `running` jobs started more than `older_than_minutes` ago (their worker died).

        Cross-tenant by design, like `claim_next`. A job that already used `max_attempts` starts is failed with an
        explanatory error instead of requeued.

        Returns:
            (requeued, failed) counts.
        """
        row = await conn.fetchrow(_REQUEUE_STALE, float(older_than_minutes), max_attempts)
        return int(row["requeued"]), int(row["failed"])

    async def _raise_missing(self, conn: Executor, tenant_id: Id, job_id: Id) -> None:
        if not await conn.fetchval(_EXISTS, tenant_id, job_id):
            raise JobNotFound(f"ingestion job {job_id} not found")
