"""Repositories on real PostgreSQL: each table's lifecycle, dedup and concurrency guarantees."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import asyncpg
import pytest

from aurora_mcp.db.records import DocStatus, JobStatus, QueryLogEntry, Tenant
from aurora_mcp.db.repositories.api_tokens import ApiTokenRepository
from aurora_mcp.db.repositories.artifacts import ArtifactRepository
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.jobs import JobRepository
from aurora_mcp.db.repositories.query_log import QueryLogRepository
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.errors import InvalidInput, TenantNotFound

pytestmark = pytest.mark.anyio
docs, jobs, tenants = DocumentRepository(), JobRepository(), TenantRepository()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
async def tenant(db_pool: asyncpg.Pool) -> Tenant:
    return await tenants.get_or_create(db_pool, "acme", "Acme Corp")


async def test_get_or_create_from_five_concurrent_callers_yields_one_tenant(db_pool: asyncpg.Pool) -> None:
    created = await asyncio.gather(*(tenants.get_or_create(db_pool, "globex") for _ in range(5)))
    assert len({t.id for t in created}) == 1
    assert created[0].name == "globex"
    assert [t.slug for t in await tenants.list(db_pool)] == ["globex"]


async def test_an_unknown_tenant_raises_tenant_not_found_naming_the_key(db_pool: asyncpg.Pool) -> None:
    with pytest.raises(TenantNotFound, match="'nobody'"):
        await tenants.get_by_slug(db_pool, "nobody")
    missing = uuid.uuid4()
    with pytest.raises(TenantNotFound, match=str(missing)):
        await tenants.get(db_pool, missing)
    with pytest.raises(TenantNotFound):
        await tenants.delete(db_pool, missing)


async def test_deleting_a_tenant_removes_everything_it_owns(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    doc, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("a"), filename="a.pdf")
    await jobs.create(db_pool, tenant.id, document_id=doc.id, params={"filename": "a.pdf"})
    await ThreadStateRepository().upsert(db_pool, tenant.id, "mcp", "t1", last_titles=["A"])
    await tenants.delete(db_pool, tenant.id)
    for table in ("documents", "ingestion_jobs", "thread_state"):
        assert await db_pool.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_two_tenants_holding_the_same_file_get_two_documents(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    other = await tenants.get_or_create(db_pool, "initech")
    first, created_first = await docs.create_or_get(db_pool, tenant.id, checksum=sha("x"), filename="x.pdf")
    second, created_second = await docs.create_or_get(db_pool, other.id, checksum=sha("x"), filename="x.pdf")
    assert created_first and created_second
    assert first.id != second.id


async def test_five_concurrent_creates_of_one_checksum_in_one_tenant_make_one_document(
    db_pool: asyncpg.Pool, tenant: Tenant
) -> None:
    results = await asyncio.gather(
        *(docs.create_or_get(db_pool, tenant.id, checksum=sha("same"), filename=f"copy{i}.pdf") for i in range(5))
    )
    assert len({doc.id for doc, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, False, True]
    assert await db_pool.fetchval("SELECT count(*) FROM documents") == 1


async def test_a_document_needs_a_checksum_and_a_title_or_filename(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    with pytest.raises(InvalidInput, match="title or a filename"):
        await docs.create_or_get(db_pool, tenant.id, checksum=sha("t"), filename=None)
    with pytest.raises(InvalidInput, match="checksum"):
        await docs.create_or_get(db_pool, tenant.id, checksum="", filename="f.txt")


async def test_status_moves_through_the_pipeline_stamping_each_stage(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    doc, _ = await docs.create_or_get(
        db_pool, tenant.id, checksum=sha("p"), filename="report.pdf", tags=["q3"], project="alpha"
    )
    assert doc.status is DocStatus.NEW
    assert doc.created_at_epoch == int(doc.created_at.timestamp() * 1000)
    parsed = await docs.set_status(
        db_pool, tenant.id, doc.id, "parsed", page_count=12, lang="fr", title="Rapport", markdown_path="s3://b/k.md"
    )
    assert (parsed.status, parsed.page_count, parsed.lang, parsed.title) == (DocStatus.PARSED, 12, "fr", "Rapport")
    assert parsed.parsed_at is not None and parsed.chunked_at is None
    assert parsed.updated_at_epoch == int(parsed.updated_at.timestamp() * 1000)
    chunked = await docs.set_status(db_pool, tenant.id, doc.id, DocStatus.CHUNKED)
    assert chunked.chunked_at is not None and chunked.title == "Rapport"  # facts not given are kept
    indexed = await docs.set_status(db_pool, tenant.id, doc.id, DocStatus.INDEXED)
    assert indexed.indexed_at is not None and indexed.parsed_at == parsed.parsed_at


async def test_an_error_keeps_its_text_until_a_later_success_clears_it(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    doc, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("e"), filename="broken.docx")
    failed = await docs.set_status(db_pool, tenant.id, doc.id, "error", error_text="docling: corrupt file")
    assert (failed.status, failed.error_text) == (DocStatus.ERROR, "docling: corrupt file")
    retried = await docs.set_status(db_pool, tenant.id, doc.id, "parsed")
    assert retried.error_text is None
    with pytest.raises(ValueError):
        await docs.set_status(db_pool, tenant.id, doc.id, "published")


async def test_listing_filters_pages_and_counts_the_tenants_documents(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    specs = [("plan_2024.pdf", "alpha", ["finance"]), ("plan 2025.pdf", "alpha", ["hr"]), ("memo.txt", "beta", None)]
    for name, project, tags in specs:
        await docs.create_or_get(db_pool, tenant.id, checksum=sha(name), filename=name, project=project, tags=tags)
    page, total = await docs.list(db_pool, tenant.id, project="alpha", limit=1)
    assert total == 2 and len(page) == 1
    tagged, _ = await docs.list(db_pool, tenant.id, tags_any=["hr", "x"])
    assert [d.filename for d in tagged] == ["plan 2025.pdf"]
    # "_" is a LIKE wildcard: searched literally it only matches the underscore name.
    found, count = await docs.list(db_pool, tenant.id, search="PLAN_")
    assert (count, [d.filename for d in found]) == (1, ["plan_2024.pdf"])
    assert (await docs.list(db_pool, tenant.id, status="indexed"))[1] == 0
    assert (await docs.list(db_pool, tenant.id, limit=10, offset=10)) == ([], 3)


async def test_previous_versions_match_external_id_else_filename_in_the_same_project(
    db_pool: asyncpg.Pool, tenant: Tenant
) -> None:
    old, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("v1"), filename="spec.md", project="p")
    other_project, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("v1b"), filename="spec.md")
    new, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("v2"), filename="spec.md", project="p")
    by_name = await docs.find_previous_version(
        db_pool, tenant.id, external_id=None, project="p", filename="spec.md", exclude_id=new.id
    )
    assert [d.id for d in by_name] == [old.id]
    assert other_project.id not in [d.id for d in by_name]
    ext_old, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("e1"), filename="a.md", external_id="X-1")
    ext_new, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("e2"), filename="b.md", external_id="X-1")
    by_ext = await docs.find_previous_version(
        db_pool, tenant.id, external_id="X-1", project=None, filename="b.md", exclude_id=ext_new.id
    )
    assert [d.id for d in by_ext] == [ext_old.id]


async def test_live_ids_keep_only_indexed_documents(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    live, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("l"), filename="live.pdf")
    pending, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("n"), filename="new.pdf")
    await docs.set_status(db_pool, tenant.id, live.id, "indexed")
    assert await docs.live_ids(db_pool, tenant.id, [str(live.id), pending.id, uuid.uuid4()]) == {str(live.id)}
    assert await docs.live_ids(db_pool, tenant.id, []) == set()


async def test_metadata_base_has_the_view_keys_and_the_last_job(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    doc, _ = await docs.create_or_get(
        db_pool, tenant.id, checksum=sha("m"), filename="m.pdf", title="Manual", tags=["ops"], byte_size=42
    )
    job = await jobs.create(db_pool, tenant.id, document_id=doc.id)
    base = await docs.metadata_base(db_pool, tenant.id, doc.id)
    assert base["document_id"] == str(doc.id) and base["tenant_id"] == str(tenant.id)
    assert (base["title"], base["tags"], base["doc_bytes"]) == ("Manual", ["ops"], 42)
    assert base["ingestion_job_id"] == str(job.id)
    assert base["created_at_epoch"] == doc.created_at_epoch


async def test_delete_and_delete_many_report_what_they_removed(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    made = [(await docs.create_or_get(db_pool, tenant.id, checksum=sha(n), filename=n))[0] for n in "abc"]
    assert await docs.delete(db_pool, tenant.id, made[0].id) is True
    assert await docs.delete(db_pool, tenant.id, made[0].id) is False
    assert set(await docs.delete_many(db_pool, tenant.id, [made[1].id, made[2].id, made[0].id])) == {
        made[1].id,
        made[2].id,
    }


async def test_artifacts_are_recorded_and_listed_through_their_document(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    artifacts = ArtifactRepository()
    doc, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("art"), filename="a.pdf")
    await artifacts.add(db_pool, tenant.id, doc.id, kind="original", uri_s3="s3://u/a.pdf", size_bytes=10)
    await artifacts.add(
        db_pool, tenant.id, doc.id, kind="markdown", uri_s3="s3://a/d.md", size_bytes=5, extra={"name": "d.md"}
    )
    listed = await artifacts.list_for_document(db_pool, tenant.id, doc.id)
    assert [(a.kind, a.extra) for a in listed] == [("original", None), ("markdown", {"name": "d.md"})]
    await docs.delete(db_pool, tenant.id, doc.id)
    assert await db_pool.fetchval("SELECT count(*) FROM artifacts") == 0


async def test_a_job_runs_queued_running_done_merging_its_metrics(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    job = await jobs.create(db_pool, tenant.id, params={"filename": "a.pdf"}, source={"kind": "path"})
    assert (job.status, job.params, job.document_id) == (JobStatus.QUEUED, {"filename": "a.pdf"}, None)
    running = await jobs.start(db_pool, tenant.id, job.id, "worker-1")
    assert running is not None and running.status is JobStatus.RUNNING and running.started_at is not None
    assert await jobs.start(db_pool, tenant.id, job.id, "worker-2") is None  # already taken
    doc, _ = await docs.create_or_get(db_pool, tenant.id, checksum=sha("j"), filename="a.pdf")
    assert (await jobs.attach_document(db_pool, tenant.id, job.id, doc.id)).document_id == doc.id
    await jobs.update_metrics(db_pool, tenant.id, job.id, {"pages": 3, "seconds_parse": 1.5})
    done = await jobs.finish(db_pool, tenant.id, job.id, status="done", metrics={"chunks": 9})
    assert done.status is JobStatus.DONE and done.finished_at is not None
    assert done.metrics == {"attempts": 1, "pages": 3, "seconds_parse": 1.5, "chunks": 9}
    assert [j.id for j in await jobs.list_for_document(db_pool, tenant.id, doc.id)] == [job.id]
    with pytest.raises(ValueError, match="use fail"):
        await jobs.finish(db_pool, tenant.id, job.id, status="failed")


async def test_a_failed_job_carries_its_error(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    job = await jobs.create(db_pool, tenant.id)
    failed = await jobs.fail(db_pool, tenant.id, job.id, "parse: encrypted PDF")
    assert (failed.status, failed.error) == (JobStatus.FAILED, "parse: encrypted PDF")
    assert (await jobs.get(db_pool, tenant.id, job.id)).error == "parse: encrypted PDF"


async def test_two_concurrent_workers_never_claim_the_same_job(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    other = await tenants.get_or_create(db_pool, "initech")
    created = {(await jobs.create(db_pool, t.id)).id for t in (tenant, other) for _ in range(10)}
    claimed: dict[str, list[uuid.UUID]] = {"w1": [], "w2": []}

    async def worker(name: str) -> None:
        while True:
            async with db_pool.acquire() as conn, conn.transaction():
                job = await jobs.claim_next(conn, name)
                if job is None:
                    return
                claimed[name].append(job.id)
                await asyncio.sleep(0.005)  # hold the row lock, as a worker does while it records the start

    await asyncio.gather(worker("w1"), worker("w2"))
    assert not set(claimed["w1"]) & set(claimed["w2"])
    assert set(claimed["w1"]) | set(claimed["w2"]) == created
    assert claimed["w1"] and claimed["w2"]  # both really worked: SKIP LOCKED, not a queue behind one lock


async def test_stale_running_jobs_are_requeued_then_failed_after_max_attempts(
    db_pool: asyncpg.Pool, tenant: Tenant
) -> None:
    job = await jobs.create(db_pool, tenant.id)
    await jobs.claim_next(db_pool, "dead-worker")
    age = "UPDATE ingestion_jobs SET started_at = now() - interval '2 hours' WHERE id = $1"
    await db_pool.execute(age, job.id)
    assert await jobs.requeue_stale(db_pool, 30, 2) == (1, 0)
    requeued = await jobs.get(db_pool, tenant.id, job.id)
    assert (requeued.status, requeued.worker, requeued.started_at) == (JobStatus.QUEUED, None, None)
    await jobs.claim_next(db_pool, "dead-again")
    await db_pool.execute(age, job.id)
    assert await jobs.requeue_stale(db_pool, 30, 2) == (0, 1)
    gave_up = await jobs.get(db_pool, tenant.id, job.id)
    assert gave_up.status is JobStatus.FAILED and "2 attempt(s)" in (gave_up.error or "")
    assert await jobs.requeue_stale(db_pool, 30, 2) == (0, 0)


async def test_query_log_entries_round_trip_with_the_followup_columns(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    log = QueryLogRepository()
    first = QueryLogEntry(
        id=uuid.uuid4(), tenant_id=tenant.id, question="budget 2024?", k=5, fetch_k=20, mmr_lambda=0.5,
        filters={"project": "alpha"}, citations=[{"document_id": "d1", "chunk_index": 0}], thread_id="th-1",
        caller_app="claude", retrieval_query_final="budget 2024",
        retrieval_queries_tried=["budget 2024?", "budget 2024"], retrieval_retry_count=1, condense_used=True,
        condense_model="sampling", followup_resolved=True,
        followup_section_id="S2", followup_section_title="Costs", followup_ref_type="section",
    )  # fmt: skip
    second = QueryLogEntry(tenant_id=tenant.id, question="other thread", thread_id="th-2")
    await log.insert_many(db_pool, [first, second])
    await log.insert_many(db_pool, [])
    stored = await log.get(db_pool, tenant.id, first.id)
    assert stored.model_dump(exclude={"created_at"}) == first.model_dump(exclude={"created_at"})
    assert [e.id for e in await log.list_recent(db_pool, tenant.id, thread_id="th-1")] == [first.id]
    assert len(await log.list_recent(db_pool, tenant.id, limit=10)) == 2


async def test_thread_state_upsert_only_overwrites_the_fields_given(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    threads = ThreadStateRepository()
    assert await threads.get(db_pool, tenant.id, "mcp", "t1") is None
    outline = {"sections": [{"id": "S1", "title": "Intro"}, {"id": "S2", "title": "Costs"}]}
    query_id = uuid.uuid4()
    await threads.upsert(db_pool, tenant.id, "mcp", "t1", last_outline=outline, last_answer_query_id=query_id)
    doc_id = uuid.uuid4()
    state = await threads.upsert(db_pool, tenant.id, "mcp", "t1", last_doc_ids=[doc_id], last_titles=["Plan"])
    assert (state.last_outline, state.last_answer_query_id) == (outline, query_id)
    assert (state.last_doc_ids, state.last_titles) == ([str(doc_id)], ["Plan"])
    cleared = await threads.upsert(db_pool, tenant.id, "mcp", "t1", last_outline=None)
    assert cleared.last_outline is None and cleared.last_titles == ["Plan"]
    assert await threads.get(db_pool, tenant.id, "other-app", "t1") is None  # threads are per caller app
    assert await threads.delete(db_pool, tenant.id, "mcp", "t1") is True


async def test_a_token_resolves_to_its_tenant_and_app_until_revoked(db_pool: asyncpg.Pool, tenant: Tenant) -> None:
    tokens = ApiTokenRepository()
    made = await tokens.create(db_pool, tenant.id, "claude-desktop", sha("tok"), label="laptop")
    assert made.last_used_at is None
    identity = await tokens.resolve(db_pool, sha("tok"))
    assert identity == (tenant.id, "acme", "claude-desktop")
    assert (await tokens.list(db_pool, tenant.id))[0].last_used_at is not None
    assert await tokens.resolve(db_pool, sha("unknown")) is None
    revoked = await tokens.revoke(db_pool, tenant.id, made.id)
    assert revoked.revoked_at is not None
    assert (await tokens.revoke(db_pool, tenant.id, made.id)).revoked_at == revoked.revoked_at
    assert await tokens.resolve(db_pool, sha("tok")) is None
