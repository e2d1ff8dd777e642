"""Provider keys on real PostgreSQL: encrypted at rest, bound to their row, listed without secrets, rotatable."""

from __future__ import annotations

import base64

import asyncpg
import pytest
from pydantic import SecretStr

from aurora_mcp.config import SecretsSettings
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.errors import ConfigurationError, InvalidInput, SecretUnavailable, TenantNotFound
from aurora_mcp.ops.secrets import KeyService, MasterKey

pytestmark = pytest.mark.anyio

SECRET = "sk-proj-Zq8tH3v0pXw7sEcReTvAlUe-0123456789"


def _service(pool: asyncpg.Pool, key: str | None) -> KeyService:
    return KeyService(pool, SecretsSettings(master_key=SecretStr(key) if key else None))


@pytest.fixture
async def tenants(db_pool: asyncpg.Pool) -> dict[str, str]:
    repo = TenantRepository()
    return {slug: str((await repo.get_or_create(db_pool, slug)).id) for slug in ("acme", "globex")}


async def _cipher(pool: asyncpg.Pool, tenant_id: str, label: str = "default") -> str:
    return await pool.fetchval(
        "SELECT key_cipher FROM api_keys WHERE tenant_id = $1 AND provider = 'openai' AND label = $2", tenant_id, label
    )


async def test_a_stored_key_is_ciphertext_that_neither_equals_nor_contains_the_secret(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    keys = _service(db_pool, MasterKey.generate())
    await keys.set_key("acme", "openai", "default", SECRET + "\n")

    cipher = await _cipher(db_pool, tenants["acme"])
    assert cipher.startswith("v1:") and cipher != SECRET
    assert SECRET not in cipher and SECRET[8:24] not in cipher
    assert base64.urlsafe_b64encode(SECRET.encode()).decode()[:16] not in cipher
    assert await keys.resolve_key(tenants["acme"], "openai") == SECRET


async def test_listing_keys_shows_provider_label_and_times_but_never_the_secret(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    keys = _service(db_pool, MasterKey.generate())
    await keys.set_key("acme", "openai", "default", SECRET)
    await keys.set_key("acme", "openai", "batch", "sk-other")

    listed = await keys.list_keys("acme")

    expected = [("openai", "batch", None), ("openai", "default", None)]
    assert [(k.provider, k.label, k.last_used_at) for k in listed] == expected
    assert all(SECRET not in repr(k) and "v1:" not in repr(k) for k in listed)
    assert await keys.list_keys("globex") == []


async def test_resolving_a_key_prefers_the_default_label_stamps_last_use_and_falls_back_to_none(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    keys = _service(db_pool, MasterKey.generate())
    await keys.set_key("acme", "openai", "default", SECRET)
    await keys.set_key("acme", "openai", "zzz-newer", "sk-newer")

    assert await keys.resolve_key(tenants["acme"], "openai") == SECRET
    assert await keys.resolve_key(tenants["acme"], "openai", "zzz-newer") == "sk-newer"
    assert await keys.resolve_key(tenants["globex"], "openai") is None
    assert await keys.resolve_key(tenants["acme"], "anthropic") is None
    used = {k.label: k.last_used_at for k in await keys.list_keys("acme")}
    assert used["default"] is not None and used["zzz-newer"] is not None


async def test_a_wrong_master_key_is_a_clear_configuration_error_not_garbage(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    await _service(db_pool, MasterKey.generate()).set_key("acme", "openai", "default", SECRET)

    with pytest.raises(ConfigurationError, match="AURORA_MASTER_KEY is not the key it was stored with"):
        await _service(db_pool, MasterKey.generate()).resolve_key(tenants["acme"], "openai")
    with pytest.raises(SecretUnavailable, match="AURORA_MASTER_KEY is not set"):
        await _service(db_pool, None).resolve_key(tenants["acme"], "openai")
    with pytest.raises(SecretUnavailable, match="not valid base64"):
        await _service(db_pool, "not a key!").set_key("acme", "openai", "default", SECRET)
    with pytest.raises(SecretUnavailable, match="decodes to 16 bytes"):
        await _service(db_pool, base64.b64encode(bytes(16)).decode()).set_key("acme", "openai", "default", SECRET)


async def test_a_ciphertext_moved_to_another_row_does_not_decrypt(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    keys = _service(db_pool, MasterKey.generate())
    await keys.set_key("acme", "openai", "default", SECRET)
    await keys.set_key("globex", "openai", "default", "sk-globex")
    await keys.set_key("globex", "openai", "other", "sk-globex-other")

    # Another tenant's row, then another label of the same tenant: associated data binds each ciphertext to its row.
    await db_pool.execute(
        "UPDATE api_keys SET key_cipher = $1 WHERE tenant_id = $2 AND label = 'default'",
        await _cipher(db_pool, tenants["acme"]),
        tenants["globex"],
    )
    with pytest.raises(SecretUnavailable, match=f"tenant {tenants['globex']}"):
        await keys.resolve_key(tenants["globex"], "openai")
    await db_pool.execute(
        "UPDATE api_keys SET key_cipher = $1 WHERE tenant_id = $2 AND label = 'default'",
        await _cipher(db_pool, tenants["globex"], "other"),
        tenants["globex"],
    )
    with pytest.raises(SecretUnavailable):
        await keys.resolve_key(tenants["globex"], "openai")
    assert await keys.resolve_key(tenants["globex"], "openai", "other") == "sk-globex-other"


async def test_rotating_the_master_key_re_encrypts_every_row_and_the_old_key_no_longer_decrypts(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    old_key, new_key = MasterKey.generate(), MasterKey.generate()
    old = _service(db_pool, old_key)
    await old.set_key("acme", "openai", "default", SECRET)
    await old.set_key("globex", "openai", "default", "sk-globex")
    before = {t: await _cipher(db_pool, tenant_id) for t, tenant_id in tenants.items()}

    assert await old.rotate_master(new_key) == 2

    after = {t: await _cipher(db_pool, tenant_id) for t, tenant_id in tenants.items()}
    assert all(before[t] != after[t] for t in tenants)
    new = _service(db_pool, new_key)
    assert await new.resolve_key(tenants["acme"], "openai") == SECRET
    assert await new.resolve_key(tenants["globex"], "openai") == "sk-globex"
    with pytest.raises(SecretUnavailable):
        await _service(db_pool, old_key).resolve_key(tenants["acme"], "openai")


async def test_a_rotation_that_cannot_decrypt_one_row_changes_nothing(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    first, second = MasterKey.generate(), MasterKey.generate()
    await _service(db_pool, first).set_key("acme", "openai", "default", SECRET)
    await _service(db_pool, second).set_key("globex", "openai", "default", "sk-globex")
    before = await db_pool.fetch("SELECT id, key_cipher FROM api_keys ORDER BY id")

    with pytest.raises(SecretUnavailable):
        await _service(db_pool, first).rotate_master(MasterKey.generate())

    assert await db_pool.fetch("SELECT id, key_cipher FROM api_keys ORDER BY id") == before


async def test_setting_a_key_checks_tenant_provider_label_and_secret(
    db_pool: asyncpg.Pool, tenants: dict[str, str]
) -> None:
    keys = _service(db_pool, MasterKey.generate())
    with pytest.raises(TenantNotFound):
        await keys.set_key("nobody", "openai", "default", SECRET)
    with pytest.raises(InvalidInput, match="provider"):
        await keys.set_key("acme", "Open AI", "default", SECRET)
    with pytest.raises(InvalidInput, match="label"):
        await keys.set_key("acme", "openai", "../x", SECRET)
    with pytest.raises(InvalidInput, match="empty"):
        await keys.set_key("acme", "openai", "default", " \n")
    assert await keys.list_keys("acme") == []
