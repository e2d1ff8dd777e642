"""The MCP surface through a real in-process client: tools, errors, follow-ups, resources, deletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult, TextResourceContents

from aurora_mcp.config import AppSettings
from aurora_mcp.server.app import build_server
from tests.server.samples import HANDBOOK_MD

pytestmark = pytest.mark.anyio

READ_TOOLS = {
    "search_documents",
    "list_documents",
    "get_document",
    "read_section",
    "get_ingestion_job",
    "get_outline",
    "set_outline",
    "resolve_followup",
    "get_thread",
}
WRITE_TOOLS = {"ingest_file", "delete_document"}


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def call(client: Client, name: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(name, args, **kwargs)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def error_of(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name} should have failed: {text_of(result)}"
    return text_of(result)


async def ingest_handbook(client: Client) -> dict[str, Any]:
    return await call(
        client,
        "ingest_file",
        {"content": HANDBOOK_MD, "filename": "handbook.md", "encoding": "text", "project": "people", "tags": ["hr"]},
    )


async def test_every_tool_is_listed_with_a_description_annotations_and_an_output_schema(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.annotations is not None and tool.annotations.open_world_hint is False, tool.name
        for name, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
    assert tools["search_documents"].annotations.read_only_hint is True
    assert tools["delete_document"].annotations.destructive_hint is True
    assert tools["ingest_file"].annotations.read_only_hint is False
    assert tools["get_document"].annotations.idempotent_hint is True


async def test_a_read_only_server_does_not_offer_the_write_tools(settings: AppSettings) -> None:
    settings.server.read_only = True
    async with Client(build_server(settings)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS


async def test_ingesting_markdown_content_reports_progress_and_search_cites_it(settings: AppSettings) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with Client(build_server(settings)) as client:
        args = {"content": HANDBOOK_MD, "filename": "handbook.md", "encoding": "text", "tags": ["hr"]}
        done = await call(client, "ingest_file", args, progress_callback=on_progress)
        assert done["status"] == "done"
        assert done["chunks"] >= 1 and done["sections"] >= 3
        assert len(progress) >= 3 and progress[-1][0] == progress[-1][1]
        assert all(message for _, _, message in progress)

        again = await call(client, "ingest_file", args)
        assert again["status"] == "skipped" and again["document_id"] == done["document_id"]

        result = await client.call_tool("search_documents", {"query": "how many vacation days per month", "k": 3})
        found = result.structured_content
        assert found is not None and found["results"]
        top = found["results"][0]
        assert top["document_id"] == done["document_id"]
        assert "vacation" in top["text"].lower()
        assert top["section_title"] == "Vacation policy"
        assert text_of(result).splitlines()[1].startswith("[1] ")

        filtered = await call(client, "search_documents", {"query": "vacation", "filters": {"tags_any": "finance"}})
        assert filtered["retrieval_retry_count"] >= 0  # relaxed or empty, never an error


async def test_mistakes_a_caller_can_fix_come_back_as_tool_errors_that_say_what_to_change(
    settings: AppSettings, tmp_path: Path
) -> None:
    outside = Path("/etc/hostname") if Path("/etc/hostname").exists() else Path("/etc/passwd")
    async with Client(build_server(settings)) as client:
        assert "query is empty" in await error_of(client, "search_documents", {"query": "   "})
        unknown = await error_of(client, "search_documents", {"query": "x", "filters": {"colour": "red"}})
        assert "filters.colour" in unknown and "unknown field" in unknown
        assert "outside the folders" in await error_of(client, "ingest_file", {"path": str(outside)})
        relative = await error_of(client, "ingest_file", {"path": "notes.md"})
        assert "absolute path" in relative
        unsupported = await error_of(
            client, "ingest_file", {"content": "MZ\x90\x00", "filename": "tool.exe", "encoding": "text"}
        )
        assert "tool.exe" in unsupported and "failed" in unsupported
        bad_b64 = await error_of(client, "ingest_file", {"content": "not base64 at all!", "filename": "a.pdf"})
        assert "encoding='text'" in bad_b64
        assert "UUID" in await error_of(client, "get_document", {"document_id": "not-a-uuid"})
        missing = await error_of(client, "get_document", {"document_id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
        assert "not found" in missing.lower() or "unknown" in missing.lower()
        both = await error_of(client, "ingest_file", {"path": str(tmp_path / "x.md"), "content": "x"})
        assert "either path" in both


async def test_a_failed_ingestion_is_an_error_for_the_caller_and_a_failed_job_for_the_record(
    settings: AppSettings,
) -> None:
    async with Client(build_server(settings)) as client:
        message = await error_of(client, "ingest_file", {"content": "", "filename": "empty.md", "encoding": "text"})
        assert "empty" in message
        job_id = message.rsplit("(job ", 1)[1].rstrip(")")
        job = await call(client, "get_ingestion_job", {"job_id": job_id})
        assert job["status"] == "failed" and "empty" in job["error"]


async def test_outline_sections_and_a_followup_on_s2_resolve_within_the_same_document(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        doc = await ingest_handbook(client)
        outline = await call(client, "get_outline", {"document_id": doc["document_id"], "thread_id": "t-1"})
        ids = [item["id"] for item in outline["sections"]]
        assert "S2" in ids or "S1.2" in ids, ids
        assert outline["stored_in_thread"] is True

        followup = await call(
            client, "resolve_followup", {"thread_id": "t-1", "message": "tell me more about S2", "search": True}
        )
        assert followup["resolved"] is True, followup
        assert followup["document_ids"] == [doc["document_id"]]
        assert followup["standalone_query"]
        assert followup["search"]["results"]
        assert {r["document_id"] for r in followup["search"]["results"]} == {doc["document_id"]}

        section = await call(
            client, "read_section", {"document_id": doc["document_id"], "section_id": followup["section_id"]}
        )
        assert section["text"] and section["chunks"]

        mine = await call(client, "set_outline", {"thread_id": "t-1", "items": ["A. Costs", "B. Risks"]})
        assert mine["source"] == "deliverable"
        thread = await call(client, "get_thread", {"thread_id": "t-1"})
        assert thread["outline"]["source"] == "deliverable"


async def test_resources_read_back_the_list_detail_markdown_outline_and_thread(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        doc = await ingest_handbook(client)
        doc_id = doc["document_id"]
        await call(client, "get_outline", {"document_id": doc_id, "thread_id": "t-r"})

        async def read(uri: str) -> TextResourceContents:
            contents = (await client.read_resource(uri)).contents
            assert len(contents) == 1 and isinstance(contents[0], TextResourceContents)
            return contents[0]

        listing = json.loads((await read("aurora://documents")).text)
        assert [d["document_id"] for d in listing["documents"]] == [doc_id]
        detail = json.loads((await read(f"aurora://documents/{doc_id}")).text)
        assert detail["status"] == "indexed" and detail["chunk_count"] >= 1
        markdown = await read(f"aurora://documents/{doc_id}/markdown")
        assert markdown.mime_type == "text/markdown" and "Expense reports" in markdown.text
        outline = json.loads((await read(f"aurora://documents/{doc_id}/outline")).text)
        assert any(s["title"] == "Security rules" for s in outline["sections"])
        thread = json.loads((await read("aurora://threads/t-r")).text)
        assert thread["thread_id"] == "t-r" and thread["outline"] is not None
        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        assert "aurora://documents" in resources


async def test_deleting_a_document_removes_it_from_search_and_listing(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        doc = await ingest_handbook(client)
        before = await call(client, "search_documents", {"query": "badges security desk"})
        assert any(r["document_id"] == doc["document_id"] for r in before["results"])

        deleted = await call(client, "delete_document", {"document_id": doc["document_id"]})
        assert deleted["deleted"] is True and deleted["points_removed"] >= 1

        after = await call(client, "search_documents", {"query": "badges security desk"})
        assert all(r["document_id"] != doc["document_id"] for r in after["results"])
        assert (await call(client, "list_documents", {}))["total"] == 0
        assert "not found" in (await error_of(client, "get_document", {"document_id": doc["document_id"]})).lower()


async def test_the_prompts_teach_citations_and_followups(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert {"answer_with_citations", "handle_followup"} <= names
        prompt = await client.get_prompt("answer_with_citations", {"question": "What is the vacation policy?"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert "search_documents" in text and "[n]" in text and "What is the vacation policy?" in text
        followup = await client.get_prompt("handle_followup", {"message": "le 2e point"})
        assert "resolve_followup" in followup.messages[0].content.text  # type: ignore[union-attr]


async def test_wait_false_queues_the_file_and_returns_a_job_to_poll(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        args = {"content": HANDBOOK_MD, "filename": "handbook.md", "encoding": "text", "wait": False}
        queued = await call(client, "ingest_file", args)
        assert queued["status"] == "queued" and queued["document_id"] is None
        job = await call(client, "get_ingestion_job", {"job_id": queued["job_id"]})
        assert job["status"] == "queued" and job["filename"] == "handbook.md"
        refused = await error_of(client, "ingest_file", {**args, "filename": "tool.exe"})
        assert "unsupported file type" in refused  # refused now, not left for a worker to fail on


async def test_threads_are_namespaced_by_caller_app(settings: AppSettings) -> None:
    async with Client(build_server(settings)) as client:
        await call(client, "set_outline", {"thread_id": "t", "items": ["A. One", "B. Two"], "caller_app": "writer"})
        theirs = await call(client, "get_thread", {"thread_id": "t", "caller_app": "reader"})
        mine = await call(client, "get_thread", {"thread_id": "t", "caller_app": "writer"})
    assert theirs["outline"] is None
    assert [s["title"] for s in mine["outline"]["sections"]] == ["One", "Two"]
