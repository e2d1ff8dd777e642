"""Fixtures for the operations tests: a populated deployment on real backends, and what to compare after restore."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from aurora_mcp.app import Aurora
from aurora_mcp.config import AppSettings, DatabaseSettings, IndexEngine, IndexSettings, StorageSettings
from aurora_mcp.index.base import IndexFilter
from aurora_mcp.ingest.service import DocumentMetadata
from aurora_mcp.retrieval.models import SearchRequest

HANDBOOK = b"""# Staff Handbook

## Vacation policy

Employees accrue two vacation days per month; requests go to the team lead two weeks ahead.

## Expense reports

Travel expenses are reimbursed within ten days when the report carries every receipt.
"""

BACKUPS = b"""# Backup and restore

## SQL dump

pg_dump writes an archive that recreates the database as it was when the dump began.

## Restoring

pg_restore reads the custom archive format back into an empty database.
"""

ROUTES = b"""# Routing des requetes

## Tables de routage

Le routeur consulte sa table de routage pour choisir le prochain saut de chaque paquet IP.
"""

DOCUMENTS = {"acme": [("handbook.md", HANDBOOK), ("backups.md", BACKUPS)], "globex": [("routes.md", ROUTES)]}
QUERIES = {
    "acme": ["how many vacation days per month", "restore a custom archive", "travel expense receipts"],
    "globex": ["table de routage du routeur"],
}


def ops_settings(
    home: Path,
    database_url: str | None,
    engine: IndexEngine = IndexEngine.EDGE,
    storage: StorageSettings | None = None,
) -> AppSettings:
    """Settings of a deployment under `home`: the given database (None → embedded), engine and object store."""
    return AppSettings(
        home=home,
        database=DatabaseSettings(database_url=database_url),
        index=IndexSettings(qdrant_engine=engine),
        storage=storage or StorageSettings(),
    )


@dataclass(frozen=True)
class DeploymentState:
    """Everything a restore must bring back, read through the façade."""

    documents: list[tuple[Any, ...]]
    artifacts: list[tuple[Any, ...]]
    points: dict[str, int]
    citations: dict[str, list[list[tuple[str, int]]]]


async def populate(app: Aurora) -> None:
    for slug, files in DOCUMENTS.items():
        scope = await app.scope(slug, "tests")
        for name, body in files:
            result = await app.ingest.ingest_bytes(scope, body, filename=name, metadata=DocumentMetadata())
            assert result.status == "done", result.reason


async def read_state(app: Aurora) -> DeploymentState:
    async with app.pool.acquire() as conn:
        documents = await _rows(
            conn, "SELECT id, tenant_id, checksum, filename, title, status FROM documents ORDER BY id"
        )
        artifacts = await _rows(conn, "SELECT id, document_id, kind, uri_s3, size_bytes FROM artifacts ORDER BY id")
    points: dict[str, int] = {}
    citations: dict[str, list[list[tuple[str, int]]]] = {}
    for slug, questions in QUERIES.items():
        scope = await app.scope(slug, "tests")
        points[slug] = await app.index.count(IndexFilter(tenant_id=scope.tenant_id))
        citations[slug] = []
        for question in questions:
            found = await app.retrieval.search(scope, SearchRequest(query=question, k=4))
            citations[slug].append([(c.document_id, c.chunk_index) for c in found.results])
    return DeploymentState(documents=documents, artifacts=artifacts, points=points, citations=citations)


async def _rows(conn: asyncpg.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await conn.fetch(sql)]
