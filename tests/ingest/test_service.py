"""IngestService on real PostgreSQL, the edge index, local objects and the real embedder: the whole job flow."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest

from aurora_mcp.app import Aurora
from aurora_mcp.db.repositories.artifacts import ArtifactRepository
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.jobs import JobRepository
from aurora_mcp.errors import FileRejected
from aurora_mcp.index.base import IndexFilter
from aurora_mcp.ingest.files import resolve_allowed_path
from aurora_mcp.ingest.service import DocumentMetadata
from aurora_mcp.retrieval.models import SearchFilters, SearchRequest
from aurora_mcp.scope import TenantScope
from aurora_mcp.storage.base import ARTIFACTS_BUCKET, UPLOADS_BUCKET
from tests.fixtures.app import make_settings

pytestmark = pytest.mark.anyio

GUIDE = b"""# Vacuum guide

## Recovering disk space

VACUUM reclaims storage occupied by dead tuples left behind by UPDATE and DELETE.

## Planner statistics

ANALYZE collects statistics about the contents of tables for the query planner.

## Wraparound

Transaction ID wraparound failures are prevented by freezing old rows.
"""


async def _points(app: Aurora, scope: TenantScope, document_id: str) -> int:
    return await app.index.count(IndexFilter(tenant_id=scope.tenant_id, document_ids=[document_id]))


async def test_a_markdown_file_is_indexed_with_its_job_artifacts_objects_and_points(
    aurora: Aurora, scope: TenantScope
) -> None:
    stages: list[str] = []

    async def progress(value: float, total: float | None, message: str) -> None:
        stages.append(message)

    result = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md", progress=progress)

    assert result.status == "done", result.reason
    assert result.chunks >= 3 and result.sections == 3
    doc = await DocumentRepository().get(aurora.pool, scope.tenant_id, result.document_id)
    assert str(doc.status) == "indexed" and doc.title == "Vacuum guide" and doc.indexed_at is not None
    job = await JobRepository().get(aurora.pool, scope.tenant_id, result.job_id)
    assert str(job.status) == "done"
    assert {"seconds_parse", "seconds_embed", "seconds_index", "chunks"} <= set(job.metrics or {})
    kinds = {str(a.kind) for a in await ArtifactRepository().list_for_document(aurora.pool, scope.tenant_id, doc.id)}
    assert kinds == {"original", "docling_json", "markdown", "docling_analysis_json"}
    prefix = f"{scope.tenant_id}/{doc.id}/"
    assert [o.key for o in await aurora.store.list(UPLOADS_BUCKET, prefix)] == [prefix + "guide.md"]
    assert len(await aurora.store.list(ARTIFACTS_BUCKET, prefix)) == 3
    assert await _points(aurora, scope, result.document_id) == result.chunks
    assert any("embedded" in s for s in stages) and stages[-1].startswith("indexed")


async def test_the_same_content_twice_is_skipped_and_keeps_one_document(aurora: Aurora, scope: TenantScope) -> None:
    first = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md")
    second = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="copy-of-guide.md")

    assert second.status == "skipped" and second.document_id == first.document_id
    assert "already indexed" in (second.reason or "")
    job = await JobRepository().get(aurora.pool, scope.tenant_id, second.job_id)
    assert str(job.status) == "skipped"
    _, total = await DocumentRepository().list(aurora.pool, scope.tenant_id)
    assert total == 1


async def test_five_concurrent_ingestions_of_one_file_give_one_document_and_one_set_of_points(
    aurora: Aurora, scope: TenantScope
) -> None:
    results = []

    async def one() -> None:
        results.append(await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md"))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)

    assert sorted(r.status for r in results) == ["done", "skipped", "skipped", "skipped", "skipped"]
    assert len({r.document_id for r in results}) == 1
    _, total = await DocumentRepository().list(aurora.pool, scope.tenant_id)
    assert total == 1
    done = next(r for r in results if r.status == "done")
    assert await aurora.index.count(IndexFilter(tenant_id=scope.tenant_id)) == done.chunks


async def test_new_content_with_the_same_external_id_replaces_the_old_version(
    aurora: Aurora, scope: TenantScope
) -> None:
    meta = DocumentMetadata(external_id="wiki:42", project="ops")
    old = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md", metadata=meta)
    new_text = GUIDE.replace(b"dead tuples", b"obsolete row versions (zombie tuples)")
    new = await aurora.ingest.ingest_bytes(scope, new_text, filename="guide-v2.md", metadata=meta)

    assert new.status == "done" and new.replaced_document_ids == [old.document_id]
    assert await _points(aurora, scope, old.document_id) == 0
    assert await aurora.index.count(IndexFilter(tenant_id=scope.tenant_id)) == new.chunks
    hits = await aurora.retrieval.search(scope, SearchRequest(query="zombie tuples reclaim storage"))
    assert hits.results and {c.document_id for c in hits.results} == {new.document_id}
    assert not await aurora.store.list(UPLOADS_BUCKET, f"{scope.tenant_id}/{old.document_id}/")


async def test_new_content_under_the_same_filename_and_project_replaces_the_old_version(
    aurora: Aurora, scope: TenantScope
) -> None:
    meta = DocumentMetadata(project="handbook")
    old = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md", metadata=meta)
    new = await aurora.ingest.ingest_bytes(
        scope, GUIDE + b"\n## Appendix\n\nMore.\n", filename="guide.md", metadata=meta
    )
    other_project = await aurora.ingest.ingest_bytes(
        scope, GUIDE + b"\nOther.\n", filename="guide.md", metadata=DocumentMetadata(project="elsewhere")
    )

    assert new.replaced_document_ids == [old.document_id]
    assert other_project.replaced_document_ids == []
    _, total = await DocumentRepository().list(aurora.pool, scope.tenant_id)
    assert total == 2


async def test_deleting_a_document_removes_rows_artifacts_objects_and_points(
    aurora: Aurora, scope: TenantScope
) -> None:
    result = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md")
    deleted = await aurora.documents.delete(scope, result.document_id)

    assert deleted.deleted and deleted.points_removed == result.chunks and deleted.objects_removed == 4
    assert await _points(aurora, scope, result.document_id) == 0
    assert await ArtifactRepository().list_for_document(aurora.pool, scope.tenant_id, result.document_id) == []
    for bucket in (UPLOADS_BUCKET, ARTIFACTS_BUCKET):
        assert await aurora.store.list(bucket, f"{scope.tenant_id}/{result.document_id}/") == []
    found = await aurora.retrieval.search(scope, SearchRequest(query="VACUUM reclaims storage dead tuples"))
    assert found.results == []


async def test_two_tenants_ingesting_the_same_file_get_two_documents(
    aurora: Aurora, scope: TenantScope, other_scope: TenantScope
) -> None:
    mine = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md")
    theirs = await aurora.ingest.ingest_bytes(other_scope, GUIDE, filename="guide.md")

    assert mine.status == theirs.status == "done" and mine.document_id != theirs.document_id
    found = await aurora.retrieval.search(other_scope, SearchRequest(query="reclaim storage dead tuples"))
    assert {c.document_id for c in found.results} == {theirs.document_id}


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00binary", "unsupported file type '.exe'"),
        ("archive.zip", b"PK\x03\x04zip", "unsupported file type '.zip'"),
        ("empty.md", b"", "empty"),
        ("broken.pdf", b"this is not a pdf at all", "not a PDF"),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "PDF"),
    ],
)
async def test_bad_input_fails_the_job_with_a_reason_and_leaves_no_points(
    aurora: Aurora, scope: TenantScope, filename: str, content: bytes, reason: str
) -> None:
    result = await aurora.ingest.ingest_bytes(scope, content, filename=filename)

    assert result.status == "failed" and reason in (result.reason or "")
    job = await JobRepository().get(aurora.pool, scope.tenant_id, result.job_id)
    assert str(job.status) == "failed" and reason in (job.error or "")
    if result.document_id:
        doc = await DocumentRepository().get(aurora.pool, scope.tenant_id, result.document_id)
        assert str(doc.status) == "error" and doc.error_text
    assert await aurora.index.count(IndexFilter(tenant_id=scope.tenant_id)) == 0


async def test_a_file_over_the_size_limit_is_refused_with_the_setting_to_change(
    tmp_path: Path, database_url: str, minilm: object
) -> None:
    settings = make_settings(tmp_path / "home", database_url, max_file_mb=0.0001)
    async with Aurora(settings, embedder=minilm) as app:  # type: ignore[arg-type]
        scope = await app.scope("acme")
        result = await app.ingest.ingest_bytes(scope, GUIDE, filename="guide.md")
    assert result.status == "failed" and "AURORA_MAX_FILE_MB" in (result.reason or "")


@pytest.mark.parametrize("name", ["中文.md", "テスト.md", "rapport final (v2).md", 'l\'été "citation".md'])
async def test_unicode_and_quoted_filenames_ingest_and_keep_their_name(
    aurora: Aurora, scope: TenantScope, name: str
) -> None:
    result = await aurora.ingest.ingest_bytes(scope, GUIDE + name.encode(), filename=name)

    assert result.status == "done", result.reason
    doc = await DocumentRepository().get(aurora.pool, scope.tenant_id, result.document_id)
    assert doc.filename == name


async def test_a_queued_job_is_run_by_a_worker(aurora: Aurora, scope: TenantScope, tmp_path: Path) -> None:
    source = tmp_path / "queued.md"
    source.write_bytes(GUIDE)
    job_id = await aurora.queue.enqueue_path(scope, source, metadata=DocumentMetadata(project="q"))

    ran = await aurora.queue.run_queued(once=True)

    assert ran == 1
    view = await aurora.ingest.get_job(scope, job_id)
    assert view.status == "done" and view.document_id
    found = await aurora.retrieval.search(
        scope, SearchRequest(query="planner statistics", filters=SearchFilters(project=["q"]))
    )
    assert found.results


def test_paths_outside_the_allowed_roots_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    inside = root / "ok.md"
    inside.write_text("# ok")
    outside = tmp_path / "secret.md"
    outside.write_text("# secret")
    link = root / "link.md"
    os.symlink(outside, link)

    assert resolve_allowed_path(str(inside), [root]) == inside.resolve()
    with pytest.raises(FileRejected, match="outside the folders"):
        resolve_allowed_path(str(root / ".." / "secret.md"), [root])
    with pytest.raises(FileRejected, match="outside the folders"):
        resolve_allowed_path(str(link), [root])
    with pytest.raises(FileRejected, match="absolute path"):
        resolve_allowed_path("docs/ok.md", [root])


async def test_bm25_finds_a_chunk_by_its_document_title(aurora: Aurora, scope: TenantScope) -> None:
    meta = DocumentMetadata(title="Quarterly Zanzibar review")
    result = await aurora.ingest.ingest_bytes(scope, GUIDE, filename="guide.md", metadata=meta)

    found = await aurora.retrieval.search(scope, SearchRequest(query="zanzibar", mode="sparse", mmr_lambda=None))

    assert result.status == "done"
    assert found.results and all("Zanzibar" not in c.text for c in found.results)
    assert found.results[0].document_id == result.document_id
