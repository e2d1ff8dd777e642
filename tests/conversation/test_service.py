"""ConversationService on real backends: outlines into thread_state, follow-ups resolved, searched and logged."""

from __future__ import annotations

import json

import pytest

from aurora_mcp.app import Aurora
from aurora_mcp.db.repositories.query_log import QueryLogRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.errors import DocumentNotFound, InvalidInput
from aurora_mcp.scope import TenantScope

pytestmark = pytest.mark.anyio

REPORT = b"""# Annual report

## Budget

The budget grew by twelve percent, driven by cloud hosting costs.

## Risks

Supplier concentration is the main risk; a second supplier is being qualified.

## Timeline

The migration finishes in the third quarter.
"""


async def _doc(app: Aurora, scope: TenantScope) -> str:
    result = await app.ingest.ingest_bytes(scope, REPORT, filename="report.md")
    assert result.status == "done", result.reason
    return str(result.document_id)


async def test_get_outline_numbers_sections_and_stores_only_ids_and_titles_in_the_thread(
    aurora: Aurora, scope: TenantScope
) -> None:
    doc_id = await _doc(aurora, scope)

    outline = await aurora.conversation.get_outline(scope, document_id=doc_id, thread_id="t1")

    assert [(s.id, s.title) for s in outline.sections] == [("S1", "Budget"), ("S2", "Risks"), ("S3", "Timeline")]
    assert outline.stored_in_thread and outline.title == "Annual report"
    state = await ThreadStateRepository().get(aurora.pool, scope.tenant_id, "tests", "t1")
    assert state is not None and state.last_doc_ids == [doc_id]
    stored = json.dumps(state.last_outline)
    assert "Risks" in stored and "supplier" not in stored.lower() and "twelve" not in stored


async def test_tell_me_more_about_s2_resolves_and_searches_within_the_document(
    aurora: Aurora, scope: TenantScope
) -> None:
    doc_id = await _doc(aurora, scope)
    await aurora.conversation.get_outline(scope, document_id=doc_id, thread_id="t1")

    answer = await aurora.conversation.resolve_followup(
        scope, thread_id="t1", message="tell me more about S2", search=True
    )

    assert answer.resolved and answer.section_id == "S2" and answer.section_title == "Risks"
    assert answer.ref_type == "section_id" and answer.document_ids == [doc_id]
    assert "Risks" in (answer.standalone_query or "")
    assert answer.search is not None and answer.search.results[0].section_title == "Risks"
    assert [c.rank for c in answer.search.results] == list(range(1, len(answer.search.results) + 1))
    await aurora.retrieval._query_log.flush()
    row = await QueryLogRepository().get(aurora.pool, scope.tenant_id, answer.search.query_id)
    assert row.followup_resolved is True and row.followup_section_id == "S2" and row.followup_ref_type == "section_id"
    assert row.condense_used is True and row.condense_model == "deterministic" and row.thread_id == "t1"


async def test_a_french_ordinal_resolves_against_an_assistant_deliverable(aurora: Aurora, scope: TenantScope) -> None:
    await aurora.conversation.set_deliverable_outline(
        scope, thread_id="t2", items=["A. Contexte", "B. Risques fournisseurs", "C. Calendrier"]
    )

    answer = await aurora.conversation.resolve_followup(scope, thread_id="t2", message="développe le 2e point")

    assert answer.resolved and answer.section_title == "Risques fournisseurs" and answer.ref_type == "ordinal"
    await aurora.retrieval._query_log.flush()
    rows = await QueryLogRepository().list_recent(aurora.pool, scope.tenant_id, thread_id="t2")
    assert rows[0].followup_section_title == "Risques fournisseurs" and rows[0].followup_resolved is True


async def test_an_out_of_range_reference_is_not_resolved_and_lists_the_sections(
    aurora: Aurora, scope: TenantScope
) -> None:
    doc_id = await _doc(aurora, scope)
    await aurora.conversation.get_outline(scope, document_id=doc_id, thread_id="t3")

    answer = await aurora.conversation.resolve_followup(scope, thread_id="t3", message="and S9?")

    assert not answer.resolved and answer.reason
    assert [s.id for s in answer.sections] == ["S1", "S2", "S3"]


async def test_a_thread_without_outline_cannot_resolve_and_says_why(aurora: Aurora, scope: TenantScope) -> None:
    answer = await aurora.conversation.resolve_followup(scope, thread_id="fresh", message="point B")

    assert not answer.resolved and "no outline" in (answer.reason or "")
    with pytest.raises(InvalidInput, match="no outline yet"):
        await aurora.conversation.get_outline(scope, thread_id="fresh")


async def test_threads_and_outlines_are_private_to_their_tenant(
    aurora: Aurora, scope: TenantScope, other_scope: TenantScope
) -> None:
    doc_id = await _doc(aurora, scope)
    await aurora.conversation.get_outline(scope, document_id=doc_id, thread_id="shared-name")

    with pytest.raises(DocumentNotFound):
        await aurora.conversation.get_outline(other_scope, document_id=doc_id)
    view = await aurora.conversation.thread(other_scope, "shared-name")
    assert view.outline is None and view.last_doc_ids == []
    with pytest.raises(DocumentNotFound):
        await aurora.conversation.set_deliverable_outline(
            other_scope, thread_id="x", items=["A. a"], document_ids=[doc_id]
        )
