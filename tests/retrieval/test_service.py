"""RetrievalService on real backends: filters, tenancy, deletions, MMR, retries and the query log."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aurora_mcp.app import Aurora
from aurora_mcp.db.repositories.query_log import QueryLogRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.ingest.service import DocumentMetadata, IngestResult
from aurora_mcp.retrieval.models import SearchFilters, SearchRequest
from aurora_mcp.scope import TenantScope

pytestmark = pytest.mark.anyio

BACKUP = b"""# Backup and restore

## SQL dump

pg_dump writes an SQL script that recreates the database as it was when the dump began.

## Restoring

psql reads the dump back; pg_restore handles the custom archive format.
"""

ROUTES = """# Routing des requetes

## Tables de routage

Le routeur consulte sa table de routage pour choisir le prochain saut de chaque paquet IP.
"""


async def _ingest(app: Aurora, scope: TenantScope, body: bytes, name: str, **meta: object) -> IngestResult:
    result = await app.ingest.ingest_bytes(scope, body, filename=name, metadata=DocumentMetadata(**meta))
    assert result.status == "done", result.reason
    return result


async def test_search_returns_cited_passages_from_the_right_section(aurora: Aurora, scope: TenantScope) -> None:
    doc = await _ingest(aurora, scope, BACKUP, "backup.md")

    found = await aurora.retrieval.search(scope, SearchRequest(query="restore a custom archive with pg_restore", k=3))

    top = found.results[0]
    assert top.document_id == doc.document_id and top.rank == 1
    assert top.section_title == "Restoring" and top.section_id == "S2"
    assert top.heading_path[-1] == "Restoring" and "pg_restore" in top.text
    assert top.filename == "backup.md" and top.title == "Backup and restore"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"project": "db"}, {"backup.md"}),
        ({"project": ["net", "db"]}, {"backup.md", "routes.md"}),
        ({"tags_any": ["ops"]}, {"backup.md", "routes.md"}),
        ({"tags_all": ["ops", "postgres"]}, {"backup.md"}),
        ({"lang": "fr"}, {"routes.md"}),
        ({"file_ext": ".md"}, {"backup.md", "routes.md"}),
        ({"file_ext": "pdf"}, set()),
        ({"sensitivity": "internal"}, {"routes.md"}),
        ({"source_app": "crm"}, {"backup.md"}),
        ({"workspace": "paris"}, {"routes.md"}),
    ],
)
async def test_every_metadata_filter_is_respected(
    aurora: Aurora, scope: TenantScope, filters: dict[str, object], expected: set[str]
) -> None:
    await _ingest(aurora, scope, BACKUP, "backup.md", project="db", tags=["ops", "postgres"], source_app="crm")
    await _ingest(
        aurora,
        scope,
        ROUTES.encode(),
        "routes.md",
        project="net",
        tags=["ops"],
        sensitivity="internal",
        workspace="paris",
    )
    request = SearchRequest(query="database dump and routing tables", k=10, filters=SearchFilters(**filters))

    found = await aurora.retrieval.search(scope, request)

    if expected:
        assert {c.filename for c in found.results} == expected
        assert found.retrieval_retry_count == 0
    else:
        # Nothing matched: the relaxed retry may answer, and the response says the filters were dropped.
        assert found.retrieval_retry_count == 1
        assert found.retrieval_queries_tried[-1].endswith("[without optional filters]")


async def test_a_filter_matching_nothing_retries_without_optional_filters_and_says_so(
    aurora: Aurora, scope: TenantScope
) -> None:
    await _ingest(aurora, scope, BACKUP, "backup.md", project="db")

    found = await aurora.retrieval.search(
        scope, SearchRequest(query="pg_dump", filters=SearchFilters(project=["nothing-here"]))
    )

    assert found.retrieval_retry_count == 1 and found.results
    assert found.retrieval_queries_tried == ["pg_dump", "pg_dump [without optional filters]"]


async def test_a_document_ids_filter_scopes_the_search(aurora: Aurora, scope: TenantScope) -> None:
    backup = await _ingest(aurora, scope, BACKUP, "backup.md")
    await _ingest(aurora, scope, ROUTES.encode(), "routes.md")

    found = await aurora.retrieval.search(
        scope, SearchRequest(query="routing table", filters=SearchFilters(document_ids=[backup.document_id]))
    )

    assert {c.document_id for c in found.results} <= {backup.document_id}


@pytest.mark.parametrize("bad", [{"projet": "db"}, {"tags_any": 3}, {"created_after": "yesterday"}])
def test_an_unknown_filter_field_or_a_wrong_type_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SearchRequest(query="x", filters=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_is_refused_with_a_clear_message(query: str) -> None:
    with pytest.raises(ValidationError, match="query is empty"):
        SearchRequest(query=query)


async def test_a_very_long_query_is_truncated_not_a_crash(aurora: Aurora, scope: TenantScope) -> None:
    await _ingest(aurora, scope, BACKUP, "backup.md")

    found = await aurora.retrieval.search(scope, SearchRequest(query="pg_dump backup " * 3000))

    assert found.results and len(found.query) <= 2000


async def test_another_tenant_never_sees_these_chunks_whatever_filter_it_passes(
    aurora: Aurora, scope: TenantScope, other_scope: TenantScope
) -> None:
    mine = await _ingest(aurora, scope, BACKUP, "backup.md", project="db", tags=["ops"])

    for filters in (
        SearchFilters(),
        SearchFilters(document_ids=[mine.document_id]),
        SearchFilters(project=["db"], tags_any=["ops"]),
    ):
        found = await aurora.retrieval.search(other_scope, SearchRequest(query="pg_dump restore", filters=filters))
        assert found.results == []


async def test_a_deleted_document_is_never_returned(aurora: Aurora, scope: TenantScope) -> None:
    doc = await _ingest(aurora, scope, BACKUP, "backup.md")
    await aurora.documents.delete(scope, doc.document_id)

    found = await aurora.retrieval.search(scope, SearchRequest(query="pg_dump restore"))

    assert found.results == []


async def test_mmr_keeps_near_duplicates_from_filling_the_top_k(aurora: Aurora, scope: TenantScope) -> None:
    for i in range(5):
        body = f"# Vacuum note {i}\n\nVACUUM reclaims disk space held by dead rows in a table (copy {i}).\n"
        await _ingest(aurora, scope, body.encode(), f"dup-{i}.md")
    await _ingest(aurora, scope, b"# Autovacuum\n\nThe autovacuum daemon automates VACUUM and ANALYZE.\n", "auto.md")
    await _ingest(aurora, scope, b"# Disk usage\n\nMonitor disk space with pg_total_relation_size.\n", "disk.md")

    plain = await aurora.retrieval.search(scope, SearchRequest(query="vacuum disk space", k=4, mmr_lambda=None))
    diverse = await aurora.retrieval.search(scope, SearchRequest(query="vacuum disk space", k=4, mmr_lambda=0.3))

    def duplicates(found: object) -> int:
        return sum(1 for c in found.results if c.filename.startswith("dup-"))  # type: ignore[attr-defined]

    assert duplicates(plain) == 4
    assert duplicates(diverse) < duplicates(plain)


async def test_every_search_writes_one_complete_query_log_row_and_updates_the_thread(
    aurora: Aurora, scope: TenantScope
) -> None:
    doc = await _ingest(aurora, scope, BACKUP, "backup.md")

    found = await aurora.retrieval.search(
        scope, SearchRequest(query="pg_dump", k=2, fetch_k=10, mmr_lambda=0.5, thread_id="thread-1")
    )
    await aurora.retrieval._query_log.flush()

    row = await QueryLogRepository().get(aurora.pool, scope.tenant_id, found.query_id)
    assert row.question == "pg_dump" and row.k == 2 and row.fetch_k == 10 and row.mmr_lambda == pytest.approx(0.5)
    assert row.thread_id == "thread-1" and row.caller_app == "tests" and row.model == aurora.embedder.model_name
    assert row.latency_ms is not None and row.retrieval_query_final == "pg_dump"
    assert row.retrieval_queries_tried == ["pg_dump"] and row.retrieval_retry_count == 0
    assert [c["document_id"] for c in row.citations or []] == [c.document_id for c in found.results]
    state = await ThreadStateRepository().get(aurora.pool, scope.tenant_id, "tests", "thread-1")
    assert state is not None and state.last_doc_ids == [doc.document_id]
    assert str(state.last_answer_query_id) == found.query_id


async def test_results_can_be_grouped_per_document(aurora: Aurora, scope: TenantScope) -> None:
    await _ingest(aurora, scope, BACKUP, "backup.md")
    await _ingest(aurora, scope, ROUTES.encode(), "routes.md")

    found = await aurora.retrieval.search(scope, SearchRequest(query="dump routing", group_by_document=True))

    assert found.groups is not None
    assert sum(len(g.citations) for g in found.groups) == len(found.results)
