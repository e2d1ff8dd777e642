"""Provider API keys of tenants (`api_keys`): ciphertexts only, written and read per tenant, listed without them."""

from __future__ import annotations

import uuid
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import ApiKeyCipher, ApiKeyInfo

Id = uuid.UUID | str

_INFO = "id, tenant_id, provider, label, created_at, last_used_at"
_CIPHER = "id, tenant_id, provider, label, key_cipher"
# Replacing a key makes it a new secret: it gets a new created_at and has not been used yet.
_SET = f"""
INSERT INTO api_keys (tenant_id, provider, label, key_cipher) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, provider, label)
DO UPDATE SET key_cipher = EXCLUDED.key_cipher, created_at = now(), last_used_at = NULL
RETURNING {_INFO}
"""
_LIST = f"SELECT {_INFO} FROM api_keys WHERE tenant_id = $1 ORDER BY provider, label NULLS FIRST, created_at"
# Without a label: the `default` one if any, else the newest.
_GET_CIPHER = f"""
SELECT {_CIPHER} FROM api_keys
WHERE tenant_id = $1 AND provider = $2 AND ($3::text IS NULL OR label = $3)
ORDER BY (label IS NOT DISTINCT FROM 'default') DESC, created_at DESC, id
LIMIT 1
"""
_TOUCH = "UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2"
# Rotation is the one statement across tenants: every row is re-encrypted under the new master key.
_ALL_FOR_ROTATION = f"SELECT {_CIPHER} FROM api_keys ORDER BY id FOR UPDATE"
_REPLACE_CIPHERS = """
UPDATE api_keys k SET key_cipher = v.cipher
FROM unnest($1::uuid[], $2::text[]) AS v(id, cipher)
WHERE k.id = v.id
"""


def _cipher(row: Any) -> ApiKeyCipher:
    return ApiKeyCipher(row["id"], row["tenant_id"], row["provider"], row["label"], row["key_cipher"])


class ApiKeyRepository:
    """Rows of `api_keys`. Invariants: `key_cipher` holds only what the application encrypted (never a clear key);
    listing never selects it; every statement but rotation is filtered by tenant_id; one key per
    (tenant, provider, label)."""

    async def set(self, conn: Executor, tenant_id: Id, provider: str, label: str, key_cipher: str) -> ApiKeyInfo:
        """Store (or replace) the tenant's key for (provider, label)."""
        return ApiKeyInfo.model_validate(dict(await conn.fetchrow(_SET, tenant_id, provider, label, key_cipher)))

    async def list(self, conn: Executor, tenant_id: Id) -> list[ApiKeyInfo]:
        """The tenant's keys, by provider and label, without their ciphertexts."""
        return [ApiKeyInfo.model_validate(dict(r)) for r in await conn.fetch(_LIST, tenant_id)]

    async def get_cipher(
        self, conn: Executor, tenant_id: Id, provider: str, label: str | None = None
    ) -> ApiKeyCipher | None:
        """The tenant's key for `provider` (the given label, else `default`, else the newest), or None."""
        row = await conn.fetchrow(_GET_CIPHER, tenant_id, provider, label)
        return None if row is None else _cipher(row)

    async def touch_last_used(self, conn: Executor, tenant_id: Id, key_id: Id) -> None:
        await conn.execute(_TOUCH, tenant_id, key_id)

    async def all_for_rotation(self, conn: Executor) -> list[ApiKeyCipher]:
        """Every tenant's keys, locked FOR UPDATE: call it inside the transaction that rewrites them."""
        return [_cipher(r) for r in await conn.fetch(_ALL_FOR_ROTATION)]

    async def replace_ciphers(self, conn: Executor, ciphers: dict[uuid.UUID, str]) -> None:
        """Overwrite the ciphertexts of the given rows in one statement."""
        ids = list(ciphers)
        await conn.execute(_REPLACE_CIPHERS, ids, [ciphers[i] for i in ids])
