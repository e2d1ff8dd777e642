"""The error mapping of the surface: domain errors keep their message, anything else is opaque with a request id."""

from __future__ import annotations

import logging

import pytest
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from aurora_mcp.errors import DocumentNotFound, FileRejected
from aurora_mcp.retrieval.models import SearchRequest
from aurora_mcp.server.errors import resource_errors, tool_errors

pytestmark = pytest.mark.anyio


@tool_errors("demo")
async def rejects_file() -> None:
    raise FileRejected("report.pdf: the file is empty")


@tool_errors("demo")
async def crashes() -> None:
    raise KeyError("postgres://admin:hunter2@db/internal")


@tool_errors("demo")
async def validates(query: str) -> SearchRequest:
    return SearchRequest.model_validate({"query": query, "k": 500, "filters": {"colour": "red"}})


@resource_errors("aurora://documents/{document_id}")
async def missing_document(document_id: str) -> str:
    raise DocumentNotFound(f"document {document_id} not found")


@resource_errors("aurora://documents/{document_id}")
async def crashing_resource(document_id: str) -> str:
    raise RuntimeError("segment file /var/lib/qdrant/x is corrupt")


async def test_a_domain_error_becomes_a_tool_error_with_its_own_message() -> None:
    with pytest.raises(ToolError, match=r"report\.pdf: the file is empty"):
        await rejects_file()


async def test_an_unexpected_exception_is_logged_with_a_request_id_and_reported_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="aurora_mcp.server"), pytest.raises(ToolError) as caught:
        await crashes()
    message = str(caught.value)
    assert message.startswith("internal error (request id ") and "see server logs" in message
    assert "hunter2" not in message and "KeyError" not in message
    request_id = message.split("request id ")[1].split(")")[0]
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


async def test_a_validation_error_of_our_request_models_lists_each_bad_field() -> None:
    with pytest.raises(ToolError) as caught:
        await validates("vacation")
    message = str(caught.value)
    assert message.startswith("invalid arguments: ")
    assert "k: " in message and "filters.colour: unknown field" in message


async def test_resources_report_a_missing_document_as_not_found_and_a_crash_opaquely() -> None:
    with pytest.raises(ResourceNotFoundError, match="not found"):
        await missing_document("0f8fad5b-d9cb-469f-a165-70867728950e")
    with pytest.raises(ResourceError) as caught:
        await crashing_resource("x")
    assert "corrupt" not in str(caught.value) and "request id" in str(caught.value)


def test_the_decorators_keep_the_signature_the_sdk_builds_schemas_from() -> None:
    import inspect

    assert list(inspect.signature(validates).parameters) == ["query"]
    assert list(inspect.signature(missing_document).parameters) == ["document_id"]
