"""Tenant isolation: tenant B holding tenant A's ids can neither read, write nor delete A's rows."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import asyncpg
import pytest

from aurora_mcp.db.records import Document, IngestionJob, QueryLogEntry, Tenant
from aurora_mcp.db.repositories.api_tokens import ApiTokenRepository
from aurora_mcp.db.repositories.artifacts import ArtifactRepository
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.jobs import JobRepository
from aurora_mcp.db.repositories.query_log import QueryLogRepository
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.errors import DocumentNotFound, JobNotFound, NotFound

pytestmark = pytest.mark.anyio
docs, artifacts, jobs = DocumentRepository(), ArtifactRepository(), JobRepository()
threads, tokens, queries = ThreadStateRepository(), ApiTokenRepository(), QueryLogRepository()


@dataclass
class World:
    a: Tenant
    b: Tenant
    doc: Document  # tenant A's
    job: IngestionJob  # tenant A's
    query_id: uuid.UUID  # tenant A's
    token_id: uuid.UUID  # tenant A's


@pytest.fixture
async def world(db_pool: asyncpg.Pool) -> World:
    a = await TenantRepository().get_or_create(db_pool, "tenant-a")
    b = await TenantRepository().get_or_create(db_pool, "tenant-b")
    doc, _ = await docs.create_or_get(db_pool, a.id, checksum=hashlib.sha256(b"a").hexdigest(), filename="a.pdf")
    await docs.set_status(db_pool, a.id, doc.id, "indexed")
    await artifacts.add(db_pool, a.id, doc.id, kind="markdown", uri_s3="s3://a/a.md", size_bytes=1)
    job = await jobs.create(db_pool, a.id, document_id=doc.id)
    await threads.upsert(db_pool, a.id, "mcp", "thread-1", last_titles=["A's secret title"])
    query = QueryLogEntry(tenant_id=a.id, question="A's question")
    await queries.insert_many(db_pool, [query])
    token = await tokens.create(db_pool, a.id, "mcp", hashlib.sha256(b"tok").hexdigest())
    return World(a=a, b=b, doc=doc, job=job, query_id=query.id, token_id=token.id)


async def test_tenant_b_cannot_read_tenant_a_documents_or_their_artifacts(db_pool: asyncpg.Pool, world: World) -> None:
    b, doc = world.b.id, world.doc.id
    with pytest.raises(DocumentNotFound, match=str(doc)):
        await docs.get(db_pool, b, doc)
    with pytest.raises(DocumentNotFound):
        await docs.metadata_base(db_pool, b, doc)
    assert await docs.get_many(db_pool, b, [doc]) == []
    assert await docs.live_ids(db_pool, b, [doc]) == set()
    assert await docs.list(db_pool, b) == ([], 0)
    assert (
        await docs.find_previous_version(
            db_pool, b, external_id=None, project=None, filename="a.pdf", exclude_id=uuid.uuid4()
        )
        == []
    )
    assert await artifacts.list_for_document(db_pool, b, doc) == []


async def test_tenant_b_cannot_change_or_delete_tenant_a_documents(db_pool: asyncpg.Pool, world: World) -> None:
    b, doc = world.b.id, world.doc.id
    with pytest.raises(DocumentNotFound):
        await docs.set_status(db_pool, b, doc, "error", error_text="sabotage")
    with pytest.raises(DocumentNotFound):
        await docs.set_uri(db_pool, b, doc, "s3://evil/x")
    with pytest.raises(DocumentNotFound):
        await artifacts.add(db_pool, b, doc, kind="original", uri_s3="s3://evil/x", size_bytes=1)
    assert await docs.delete(db_pool, b, doc) is False
    assert await docs.delete_many(db_pool, b, [doc]) == []
    untouched = await docs.get(db_pool, world.a.id, doc)
    assert (untouched.status, untouched.uri_s3) == ("indexed", None)
    assert len(await artifacts.list_for_document(db_pool, world.a.id, doc)) == 1


async def test_tenant_b_cannot_touch_tenant_a_jobs_or_point_its_own_at_a_documents(
    db_pool: asyncpg.Pool, world: World
) -> None:
    b, job = world.b.id, world.job.id
    with pytest.raises(JobNotFound, match=str(job)):
        await jobs.get(db_pool, b, job)
    with pytest.raises(JobNotFound):
        await jobs.start(db_pool, b, job, "evil-worker")
    with pytest.raises(JobNotFound):
        await jobs.update_metrics(db_pool, b, job, {"x": 1})
    with pytest.raises(JobNotFound):
        await jobs.finish(db_pool, b, job)
    with pytest.raises(JobNotFound):
        await jobs.fail(db_pool, b, job, "sabotage")
    assert await jobs.list_for_document(db_pool, b, world.doc.id) == []
    with pytest.raises(DocumentNotFound):
        await jobs.create(db_pool, b, document_id=world.doc.id)
    own = await jobs.create(db_pool, b)
    with pytest.raises(DocumentNotFound):
        await jobs.attach_document(db_pool, b, own.id, world.doc.id)
    assert (await jobs.get(db_pool, world.a.id, job)).status == "queued"


async def test_tenant_b_cannot_see_tenant_a_threads_queries_or_tokens(db_pool: asyncpg.Pool, world: World) -> None:
    b = world.b.id
    assert await threads.get(db_pool, b, "mcp", "thread-1") is None
    await threads.upsert(db_pool, b, "mcp", "thread-1", last_titles=["B's title"])  # same key, its own row
    assert (await threads.get(db_pool, world.a.id, "mcp", "thread-1")).last_titles == ["A's secret title"]
    assert await threads.delete(db_pool, b, "mcp", "thread-1") is True
    assert await threads.get(db_pool, world.a.id, "mcp", "thread-1") is not None
    with pytest.raises(NotFound):
        await queries.get(db_pool, b, world.query_id)
    assert await queries.list_recent(db_pool, b) == []
    assert await tokens.list(db_pool, b) == []
    with pytest.raises(NotFound):
        await tokens.revoke(db_pool, b, world.token_id)
    assert (await tokens.list(db_pool, world.a.id))[0].revoked_at is None
