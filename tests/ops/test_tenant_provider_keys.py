"""A tenant's own OpenAI key (stored encrypted) is what the embedder sends for that tenant; others use the global."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from aurora_mcp.app import Aurora
from aurora_mcp.config import (
    AppSettings,
    DatabaseSettings,
    EmbeddingProvider,
    EmbeddingSettings,
    IndexEngine,
    IndexSettings,
    SecretsSettings,
)
from aurora_mcp.db.repositories.api_keys import ApiKeyRepository
from aurora_mcp.ops.secrets import KeyService
from aurora_mcp.retrieval.models import SearchRequest
from tests.embedding.test_openai_compat import API_KEY, Endpoint, endpoint  # noqa: F401 - the fixture is reused

pytestmark = pytest.mark.anyio

TENANT_KEY = "sk-tenant-acme-0000000000"


async def test_the_tenants_own_key_is_used_for_its_ingestion_and_search_and_the_global_key_for_others(
    tmp_path: Path,
    database_url: str,
    endpoint: Endpoint,  # noqa: F811
) -> None:
    master = base64.b64encode(os.urandom(32)).decode()
    settings = AppSettings(
        home=tmp_path / "home",
        database=DatabaseSettings(database_url=database_url),
        index=IndexSettings(qdrant_engine=IndexEngine.EDGE),
        embedding=EmbeddingSettings(
            embedding_provider=EmbeddingProvider.OPENAI,
            embedding_model="test-embed",
            embedding_base_url=endpoint.url,
            embedding_api_key=SecretStr(API_KEY),
        ),
        secrets=SecretsSettings(master_key=SecretStr(master)),
    )
    async with Aurora(settings) as app:
        acme = await app.scope("acme")
        globex = await app.scope("globex")
        await KeyService(app.pool, settings.secrets).set_key("acme", "openai", "default", TENANT_KEY)

        endpoint.authorizations.clear()
        done = await app.ingest.ingest_bytes(acme, b"# Note\n\nVacuum reclaims space.\n", filename="note.md")
        await app.retrieval.search(acme, SearchRequest(query="vacuum"))
        acme_auth = set(endpoint.authorizations)

        endpoint.authorizations.clear()
        await app.ingest.ingest_bytes(globex, b"# Other\n\nRouting tables.\n", filename="other.md")
        globex_auth = set(endpoint.authorizations)

        listed = await ApiKeyRepository().list(app.pool, acme.tenant_id)

    assert done.status == "done", done.reason
    assert acme_auth == {f"Bearer {TENANT_KEY}"}
    assert globex_auth == {f"Bearer {API_KEY}"}
    assert listed[0].last_used_at is not None
