"""Tenants: the root of isolation, looked up by slug or id."""

from __future__ import annotations

import uuid

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import Tenant
from aurora_mcp.errors import TenantNotFound

_INSERT = "INSERT INTO tenants (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING"
_BY_SLUG = "SELECT id, slug, name, created_at FROM tenants WHERE slug = $1"
_BY_ID = "SELECT id, slug, name, created_at FROM tenants WHERE id = $1"
_LIST = "SELECT id, slug, name, created_at FROM tenants ORDER BY slug"
_DELETE = "DELETE FROM tenants WHERE id = $1 RETURNING id"


class TenantRepository:
    """Rows of `tenants`. Invariant: a slug names one tenant forever; deleting a tenant cascades to all its rows."""

    async def get_or_create(self, conn: Executor, slug: str, name: str | None = None) -> Tenant:
        """The tenant with this slug, created (named `name` or the slug) when missing; safe under concurrency."""
        # ON CONFLICT DO NOTHING then SELECT: two processes creating the same slug both end with the one row.
        await conn.execute(_INSERT, slug, name or slug)
        return await self.get_by_slug(conn, slug)

    async def get_by_slug(self, conn: Executor, slug: str) -> Tenant:
        """Raises: TenantNotFound naming the slug."""
        row = await conn.fetchrow(_BY_SLUG, slug)
        if row is None:
            raise TenantNotFound(f"tenant {slug!r} does not exist")
        return Tenant.model_validate(dict(row))

    async def get(self, conn: Executor, tenant_id: uuid.UUID | str) -> Tenant:
        """Raises: TenantNotFound naming the id."""
        row = await conn.fetchrow(_BY_ID, tenant_id)
        if row is None:
            raise TenantNotFound(f"tenant {tenant_id} does not exist")
        return Tenant.model_validate(dict(row))

    async def list(self, conn: Executor) -> list[Tenant]:
        """Every tenant, by slug (an admin view: the only statement not about one tenant)."""
        return [Tenant.model_validate(dict(r)) for r in await conn.fetch(_LIST)]

    async def delete(self, conn: Executor, tenant_id: uuid.UUID | str) -> None:
        """Delete a tenant and, by cascade, its documents, artifacts, jobs, queries, threads and tokens.

        Raises: TenantNotFound naming the id.
        """
        if await conn.fetchval(_DELETE, tenant_id) is None:
            raise TenantNotFound(f"tenant {tenant_id} does not exist")
