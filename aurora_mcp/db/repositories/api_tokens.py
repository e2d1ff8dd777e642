"""API tokens: bearer tokens of HTTP callers, stored as SHA-256 digests and resolved to a tenant and caller app."""

from __future__ import annotations

import uuid
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import ApiToken, TokenIdentity
from aurora_mcp.errors import NotFound

Id = uuid.UUID | str

_COLUMNS = "id, tenant_id, caller_app, label, token_sha256, created_at, last_used_at, revoked_at"
_CREATE = f"""
INSERT INTO api_tokens (tenant_id, caller_app, label, token_sha256) VALUES ($1, $2, $3, $4)
RETURNING {_COLUMNS}
"""
# Resolution is the one lookup not scoped by a tenant: the token is what tells us the tenant.
_RESOLVE = """
UPDATE api_tokens t SET last_used_at = now()
FROM tenants tn
WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND tn.id = t.tenant_id
RETURNING t.tenant_id, tn.slug, t.caller_app
"""
_LIST = f"SELECT {_COLUMNS} FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id"
_REVOKE = f"""
UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
WHERE tenant_id = $1 AND id = $2
RETURNING {_COLUMNS}
"""


def _token(row: Any) -> ApiToken:
    return ApiToken.model_validate(dict(row))


class ApiTokenRepository:
    """Rows of `api_tokens`. Invariants: only digests are stored (the clear token is shown once by whoever made it);
    a revoked token never resolves again; listing and revoking are filtered by tenant_id."""

    async def create(
        self, conn: Executor, tenant_id: Id, caller_app: str, token_sha256: str, label: str | None = None
    ) -> ApiToken:
        """Register a token digest for the tenant's `caller_app`."""
        return _token(await conn.fetchrow(_CREATE, tenant_id, caller_app, label, token_sha256))

    async def resolve(self, conn: Executor, token_sha256: str) -> TokenIdentity | None:
        """(tenant_id, tenant_slug, caller_app) of a live token, stamping last_used_at; None if unknown or revoked."""
        row = await conn.fetchrow(_RESOLVE, token_sha256)
        if row is None:
            return None
        return TokenIdentity(tenant_id=row["tenant_id"], tenant_slug=row["slug"], caller_app=row["caller_app"])

    async def list(self, conn: Executor, tenant_id: Id) -> list[ApiToken]:
        """The tenant's tokens (revoked ones included, oldest first)."""
        return [_token(r) for r in await conn.fetch(_LIST, tenant_id)]

    async def revoke(self, conn: Executor, tenant_id: Id, token_id: Id) -> ApiToken:
        """Revoke a token (idempotent: the first revocation time is kept). Raises: NotFound naming the id."""
        row = await conn.fetchrow(_REVOKE, tenant_id, token_id)
        if row is None:
            raise NotFound(f"api token {token_id} not found")
        return _token(row)
