"""Deleting a tenant removes its rows, objects and points, and nothing of any other tenant."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from aurora_mcp.app import Aurora
from aurora_mcp.config import SecretsSettings
from aurora_mcp.errors import TenantNotFound
from aurora_mcp.index.base import IndexFilter
from aurora_mcp.ops.secrets import KeyService, MasterKey
from aurora_mcp.ops.tenants import TenantAdmin
from aurora_mcp.retrieval.models import SearchRequest
from aurora_mcp.storage.base import BUCKETS
from tests.ops.conftest import populate

pytestmark = pytest.mark.anyio

_ROWS = """
SELECT (SELECT count(*) FROM documents WHERE tenant_id = $1) AS documents,
       (SELECT count(*) FROM artifacts a JOIN documents d ON d.id = a.document_id WHERE d.tenant_id = $1) AS artifacts,
       (SELECT count(*) FROM ingestion_jobs WHERE tenant_id = $1) AS jobs,
       (SELECT count(*) FROM queries_log WHERE tenant_id = $1) AS queries,
       (SELECT count(*) FROM api_keys WHERE tenant_id = $1) AS keys
"""


async def _footprint(app: Aurora, tenant_id: str) -> tuple[dict[str, int], int, dict[str, list[str]]]:
    rows = dict(await app.pool.fetchrow(_ROWS, tenant_id))
    points = await app.index.count(IndexFilter(tenant_id=tenant_id))
    objects = {bucket: [o.key for o in await app.store.list(bucket, f"{tenant_id}/")] for bucket in BUCKETS}
    return rows, points, objects


async def test_deleting_a_tenant_removes_its_rows_objects_and_points_and_leaves_the_other_tenant_whole(
    aurora: Aurora,
) -> None:
    await populate(aurora)
    keys = KeyService(aurora.pool, SecretsSettings(master_key=SecretStr(MasterKey.generate())))
    for slug in ("acme", "globex"):
        await keys.set_key(slug, "openai", "default", f"sk-{slug}")
    acme, globex = await aurora.scope("acme", "tests"), await aurora.scope("globex", "tests")
    await aurora.retrieval.search(acme, SearchRequest(query="vacation days"))
    found_before = await aurora.retrieval.search(globex, SearchRequest(query="table de routage"))
    await aurora.retrieval._query_log.flush()  # the log is written in the background; count it now
    acme_before = await _footprint(aurora, acme.tenant_id)
    globex_before = await _footprint(aurora, globex.tenant_id)
    assert acme_before[0] | {"artifacts": 0} == {"documents": 2, "artifacts": 0, "jobs": 2, "queries": 1, "keys": 1}
    assert acme_before[0]["artifacts"] > 0 and acme_before[1] > 0 and acme_before[2]["aurorarag-uploads"]
    assert globex_before[0]["documents"] == 1 and globex_before[1] > 0

    deleted = await TenantAdmin.for_app(aurora).delete_tenant("acme")

    assert (deleted.documents, deleted.points_removed) == (2, acme_before[1])
    assert deleted.objects_removed == sum(len(keys) for keys in acme_before[2].values())
    rows, points, objects = await _footprint(aurora, acme.tenant_id)
    assert set(rows.values()) == {0} and points == 0 and not any(objects.values())
    assert await _footprint(aurora, globex.tenant_id) == globex_before
    found_after = await aurora.retrieval.search(globex, SearchRequest(query="table de routage"))
    assert [c.document_id for c in found_after.results] == [c.document_id for c in found_before.results]
    with pytest.raises(TenantNotFound):
        await TenantAdmin.for_app(aurora).delete_tenant("acme")
