"""Tenant deletion everywhere at once: rows (by cascade), objects under `{tenant_id}/`, and index points."""

from __future__ import annotations

import logging

import asyncpg
from pydantic import BaseModel

from aurora_mcp.app import Aurora
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.index.base import IndexFilter, VectorIndex
from aurora_mcp.storage.base import BUCKETS, ObjectStore

logger = logging.getLogger(__name__)


class TenantDeletion(BaseModel):
    """What deleting a tenant removed."""

    tenant_id: str
    slug: str
    documents: int
    points_removed: int
    objects_removed: int


class TenantAdmin:
    """Deletes tenants. Invariant: only rows, objects and points of the named tenant are touched — objects by the
    `{tenant_id}/` key prefix of every bucket, points by the tenant filter, rows by the foreign-key cascade."""

    def __init__(self, *, pool: asyncpg.Pool, index: VectorIndex, store: ObjectStore) -> None:
        self._pool = pool
        self._index = index
        self._store = store
        self._tenants = TenantRepository()
        self._documents = DocumentRepository()

    @classmethod
    def for_app(cls, app: Aurora) -> TenantAdmin:
        return cls(pool=app.pool, index=app.index, store=app.store)

    async def delete_tenant(self, slug: str) -> TenantDeletion:
        """Delete the tenant `slug`: its rows, then its points, then its objects.

        Rows go first because search keeps only hits whose document row is live: from that moment nothing of the
        tenant can be found, even if removing its points or objects then fails.

        Raises:
            TenantNotFound: no tenant has this slug.
        """
        tenant = await self._tenants.get_by_slug(self._pool, slug)
        tenant_id = str(tenant.id)
        _, documents = await self._documents.list(self._pool, tenant_id, limit=1)
        points = await self._index.count(IndexFilter(tenant_id=tenant_id))
        # The cascade takes documents, artifacts, jobs, queries, threads, tokens and provider keys with it.
        await self._tenants.delete(self._pool, tenant_id)
        await self._index.delete_tenant(tenant_id)
        objects = 0
        for bucket in BUCKETS:
            # The trailing slash keeps a tenant id that prefixes another (impossible for UUIDs, cheap to rule out).
            objects += await self._store.delete_prefix(bucket, f"{tenant_id}/")
        logger.info(
            "deleted tenant %s (%s): %d documents, %d points, %d objects", slug, tenant_id, documents, points, objects
        )
        return TenantDeletion(
            tenant_id=tenant_id, slug=tenant.slug, documents=documents, points_removed=points, objects_removed=objects
        )
