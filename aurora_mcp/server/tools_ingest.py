"""Ingestion tools: add a file by server path or by content (write tool), and follow a queued job."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from aurora_mcp.errors import FileRejected, InvalidInput
from aurora_mcp.ingest.files import resolve_allowed_path
from aurora_mcp.ingest.service import DocumentMetadata, IngestResult, JobView
from aurora_mcp.server.common import scope_of, structured
from aurora_mcp.server.errors import tool_errors

INGEST_DESCRIPTION = """\
Add a document to the knowledge base so that search_documents can find it (PDF, DOCX, PPTX, XLSX, HTML,
Markdown, text…).

Use it when the user gives you a file to remember or asks to index one. Either give `path` (an absolute path on
the machine running this server, inside its allowed folders) or send the file itself as `content` with its
`filename` (keep the extension: it decides the parser) and `encoding` ("base64" for binary files, "text" for
plain text or Markdown). Add project / workspace / tags when the user mentions them: searches can filter on
them. The same content twice is skipped, not duplicated. With wait=false the file is queued and you get a
job_id to check with get_ingestion_job.
"""


class IngestOutcome(IngestResult):
    """What ingest_file returns: the finished job (done or skipped), or the queued job's id when wait=false."""

    status: Literal["done", "skipped", "queued"]  # type: ignore[assignment]  # failed becomes a tool error


def default_roots() -> list[Path]:
    """Folders readable by path when AURORA_ALLOWED_ROOTS is empty: where the server runs and the user's home.

    Never the filesystem root: desktop clients often start servers from `/`, which would open every file.
    """
    return [p for p in (Path.cwd(), Path.home()) if p != Path(p.anchor)]


@tool_errors("ingest_file")
async def ingest_file(
    ctx: Context,
    path: Annotated[
        str | None, Field(description="Absolute path of a file on the server machine (inside its allowed folders).")
    ] = None,
    content: Annotated[
        str | None, Field(description="The file itself, instead of path: base64 (binary) or plain text.")
    ] = None,
    filename: Annotated[
        str | None, Field(description="File name with extension, required with content (e.g. 'notes.md').")
    ] = None,
    encoding: Annotated[
        Literal["base64", "text"], Field(description="How content is encoded: base64 or text (UTF-8).")
    ] = "base64",
    title: Annotated[str | None, Field(description="Title to show in citations (default: found in the file).")] = None,
    project: Annotated[str | None, Field(description="Project the document belongs to (filterable).")] = None,
    workspace: Annotated[str | None, Field(description="Workspace the document belongs to (filterable).")] = None,
    tags: Annotated[list[str] | None, Field(description="Tags to filter on later, e.g. ['hr', 'policy'].")] = None,
    sensitivity: Annotated[str | None, Field(description="Sensitivity label, e.g. public, internal.")] = None,
    source_app: Annotated[str | None, Field(description="Application the file comes from.")] = None,
    external_id: Annotated[
        str | None, Field(description="Stable id in the source system: new content under it replaces the old.")
    ] = None,
    wait: Annotated[
        bool, Field(description="true: ingest now and return the result; false: queue it and return a job_id.")
    ] = True,
) -> Annotated[CallToolResult, IngestOutcome]:
    if (path is None) == (content is None):
        raise InvalidInput("give either path (a file on the server) or content with filename, not both or neither")
    state, scope = await scope_of(ctx)
    metadata = DocumentMetadata(
        title=title,
        project=project,
        workspace=workspace,
        tags=tags or [],
        sensitivity=sensitivity,
        source_app=source_app,
        external_id=external_id,
    )
    ingest = state.app.ingest
    max_bytes = state.settings.ingest.max_file_bytes
    if path is not None:
        real = resolve_allowed_path(path, state.settings.ingest.allowed_roots or default_roots())
        name = filename or real.name
        if not wait:
            job_id = await state.app.queue.enqueue_path(scope, real, filename=name, metadata=metadata)
            return _queued(job_id, name)
        result = await ingest.ingest_path(scope, real, filename=name, metadata=metadata, progress=ctx.report_progress)
    else:
        if not filename or not filename.strip():
            raise InvalidInput("content needs filename with its extension (e.g. 'report.pdf'): it picks the parser")
        data = _decode(content or "", encoding, max_bytes, filename)
        if not wait:
            with tempfile.TemporaryDirectory(prefix="aurora-mcp-") as tmp:
                staged = Path(tmp) / f"upload{Path(filename).suffix.lower()}"
                await anyio.Path(staged).write_bytes(data)
                job_id = await state.app.queue.enqueue_path(scope, staged, filename=filename, metadata=metadata)
            return _queued(job_id, filename)
        result = await ingest.ingest_bytes(
            scope, data, filename=filename, metadata=metadata, progress=ctx.report_progress
        )
    if result.status == "failed":
        # The job row and the document already carry the reason; the caller gets it as an error to act on.
        raise ToolError(f"ingestion of {result.filename} failed: {result.reason} (job {result.job_id})")
    outcome = IngestOutcome.model_validate(result.model_dump())
    return structured(outcome, _render(outcome))


@tool_errors("get_ingestion_job")
async def get_ingestion_job(
    ctx: Context,
    job_id: Annotated[str, Field(description="Job id returned by ingest_file (a UUID).")],
) -> Annotated[CallToolResult, JobView]:
    """Check an ingestion job: queued, running, done, skipped or failed (with the reason), and its metrics.

    Use it after ingest_file with wait=false, or when the user asks whether a file has been indexed yet.
    """
    state, scope = await scope_of(ctx)
    job = await state.app.ingest.get_job(scope, job_id)
    text = f"job {job.job_id}: {job.status}"
    if job.filename:
        text += f" ({job.filename})"
    if job.document_id:
        text += f", document_id={job.document_id}"
    if job.error:
        text += f"\nerror: {job.error}"
    return structured(job, text)


def _decode(content: str, encoding: str, max_bytes: int, filename: str) -> bytes:
    if encoding == "text":
        data = content.encode("utf-8")
    else:
        packed = "".join(content.split())  # line-wrapped base64 is common; whitespace is not data
        if len(packed) * 3 // 4 > max_bytes + 3:
            raise FileRejected(f"{filename}: content is over the {max_bytes / 1048576:.0f} MiB limit")
        try:
            data = base64.b64decode(packed, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                f"{filename}: content is not valid base64; send encoding='text' for plain text or Markdown"
            ) from None
    if len(data) > max_bytes:
        raise FileRejected(f"{filename}: content is over the {max_bytes / 1048576:.0f} MiB limit")
    return data


def _queued(job_id: str, filename: str) -> CallToolResult:
    outcome = IngestOutcome(job_id=job_id, document_id=None, status="queued", filename=filename)
    text = f"Queued {filename} as job {job_id}; a worker (aurora-mcp worker) ingests it. Check get_ingestion_job."
    return structured(outcome, text)


def _render(outcome: IngestOutcome) -> str:
    name = outcome.title or outcome.filename
    if outcome.status == "skipped":
        return f"Skipped {name}: {outcome.reason}. document_id={outcome.document_id}"
    pages = f"{outcome.pages} page(s), " if outcome.pages else ""
    text = (
        f"Indexed {name}: {pages}{outcome.sections} section(s), {outcome.chunks} chunk(s). "
        f"document_id={outcome.document_id} job_id={outcome.job_id}"
    )
    if outcome.replaced_document_ids:
        text += f"\nReplaced the previous version(s): {', '.join(outcome.replaced_document_ids)}"
    return text


def register(server: MCPServer[Any], *, read_only: bool) -> None:
    server.add_tool(
        get_ingestion_job,
        annotations=ToolAnnotations(
            title="Ingestion job status",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    if not read_only:
        server.add_tool(
            ingest_file,
            description=INGEST_DESCRIPTION,
            annotations=ToolAnnotations(
                title="Ingest a file",
                read_only_hint=False,
                destructive_hint=False,  # adds documents; replaces only the same external_id's old version
                idempotent_hint=True,  # the same content again is skipped
                open_world_hint=False,
            ),
        )
