"""Ask the knowledge base over MCP: spawn `aurora-mcp serve` (stdio), search, outline, follow up; print a transcript."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


def _show(title: str, payload: Any) -> None:
    print(f"\n── {title}")
    print(payload if isinstance(payload, str) else json.dumps(payload, indent=2, ensure_ascii=False)[:3000])


def _text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def ask(question: str, followup: str, thread_id: str) -> int:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "aurora_mcp.cli.main", "serve", "--transport", "stdio"],
        env=dict(os.environ),
    )
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        _show("tools/list", [tool.name for tool in tools.tools])

        _show("tools/call search_documents", {"query": question, "k": 3, "thread_id": thread_id})
        found = await session.call_tool("search_documents", {"query": question, "k": 3, "thread_id": thread_id})
        _show("answer (text)", _text(found))
        if found.is_error or not (found.structured_content or {}).get("results"):
            print("\nno cited result: ingest documents first (aurora-mcp ingest PATH)", file=sys.stderr)
            return 1
        top = found.structured_content["results"][0]

        _show("tools/call get_outline", {"document_id": top["document_id"], "thread_id": thread_id})
        outline = await session.call_tool("get_outline", {"document_id": top["document_id"], "thread_id": thread_id})
        _show("answer (text)", _text(outline))

        _show("tools/call resolve_followup", {"thread_id": thread_id, "message": followup, "search": True})
        resolved = await session.call_tool(
            "resolve_followup", {"thread_id": thread_id, "message": followup, "search": True, "k": 2}
        )
        _show("answer (text)", _text(resolved))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("question", nargs="?", default="How do I reclaim disk space used by deleted rows?")
    parser.add_argument("--followup", default="tell me more about S2")
    parser.add_argument("--thread", default="demo-thread")
    args = parser.parse_args()
    raise SystemExit(anyio.run(ask, args.question, args.followup, args.thread))


if __name__ == "__main__":
    main()
