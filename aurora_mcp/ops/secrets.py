"""Tenants' provider keys encrypted with AES-256-GCM under `AURORA_MASTER_KEY`, bound to their row, rotatable."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import uuid

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aurora_mcp.config import SecretsSettings
from aurora_mcp.db.records import ApiKeyInfo
from aurora_mcp.db.repositories.api_keys import ApiKeyRepository
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.errors import InvalidInput, SecretUnavailable

logger = logging.getLogger(__name__)

CIPHER_VERSION = "v1"
_NONCE_BYTES = 12  # the GCM standard nonce; random per encryption, so one key may encrypt 2^32 secrets safely
_KEY_BYTES = 32
_MAX_SECRET_CHARS = 8192
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")


def _associated_data(tenant_id: uuid.UUID | str, provider: str, label: str | None) -> bytes:
    # Authenticated with the ciphertext, so a ciphertext copied into another row (tenant, provider or label)
    # fails to decrypt instead of handing one tenant another's key. \x1f cannot occur in the three fields.
    return f"{tenant_id}\x1f{provider}\x1f{label or ''}".encode()


class MasterKey:
    """The 32-byte AES-256-GCM key; ciphertexts look like `v1:<base64url(nonce ‖ ciphertext ‖ tag)>`."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) != _KEY_BYTES:
            raise SecretUnavailable(f"the master key must be {_KEY_BYTES} bytes, got {len(raw)}")
        self._aead = AESGCM(raw)

    @classmethod
    def from_text(cls, text: str, *, name: str = "the master key") -> MasterKey:
        """Decode base64 (standard or URL-safe alphabet) of 32 bytes.

        Raises:
            SecretUnavailable: not base64, or not 32 bytes; names `name`, never echoes the value.
        """
        cleaned = text.strip()
        try:
            raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise SecretUnavailable(
                f"{name} is not valid base64 (expected base64 of {_KEY_BYTES} random bytes)"
            ) from None
        if len(raw) != _KEY_BYTES:
            raise SecretUnavailable(f"{name} decodes to {len(raw)} bytes; it must be base64 of {_KEY_BYTES} bytes")
        return cls(raw)

    @classmethod
    def from_settings(cls, settings: SecretsSettings) -> MasterKey:
        """Raises: SecretUnavailable when AURORA_MASTER_KEY is unset or malformed."""
        if settings.master_key is None:
            raise SecretUnavailable(
                "AURORA_MASTER_KEY is not set: provider keys are stored encrypted under it; create one with "
                "`aurora-mcp keys rotate-master --generate` and set it in the environment of every aurora-mcp process"
            )
        return cls.from_text(settings.master_key.get_secret_value(), name="AURORA_MASTER_KEY")

    @staticmethod
    def generate() -> str:
        """A new random master key, base64-encoded (what AURORA_MASTER_KEY holds)."""
        return base64.b64encode(os.urandom(_KEY_BYTES)).decode()

    def encrypt(self, secret: str, *, tenant_id: uuid.UUID | str, provider: str, label: str | None) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _associated_data(tenant_id, provider, label))
        return f"{CIPHER_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, cipher: str, *, tenant_id: uuid.UUID | str, provider: str, label: str | None) -> str:
        """The clear secret.

        Raises:
            SecretUnavailable: unknown format, a master key other than the one it was sealed with, or a ciphertext
                that belongs to another row; the message names the row, never the secret.
        """
        where = f"the {provider} key {label or '(no label)'!r} of tenant {tenant_id}"
        version, _, body = cipher.partition(":")
        if version != CIPHER_VERSION:
            raise SecretUnavailable(f"{where} is stored in an unknown format ({version!r}); it cannot be decrypted")
        try:
            blob = base64.urlsafe_b64decode(body.encode())
            nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
            plain = self._aead.decrypt(nonce, sealed, _associated_data(tenant_id, provider, label))
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretUnavailable(
                f"cannot decrypt {where}: AURORA_MASTER_KEY is not the key it was stored with, or the row was "
                "altered (set the right master key, or store the key again with `aurora-mcp keys set`)"
            ) from None
        return plain.decode()


def _check_names(provider: str, label: str) -> None:
    if not _NAME.match(provider):
        raise InvalidInput(f"invalid provider {provider!r}: lowercase letters, digits, '_', '.', '-'")
    if not _LABEL.match(label):
        raise InvalidInput(f"invalid label {label!r}: letters, digits and _ . : @ - (at most 64)")


class KeyService:
    """Sets, lists, resolves and re-encrypts tenants' provider keys; the only code that sees them in clear."""

    def __init__(self, pool: asyncpg.Pool, settings: SecretsSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._keys = ApiKeyRepository()
        self._tenants = TenantRepository()

    def _master(self) -> MasterKey:
        return MasterKey.from_settings(self._settings)

    async def set_key(self, tenant_slug: str, provider: str, label: str, secret: str) -> ApiKeyInfo:
        """Encrypt and store (or replace) a tenant's key.

        Raises:
            TenantNotFound: no such tenant (keys are not a way to create tenants by typo).
            InvalidInput: bad provider or label, or an empty or oversized secret.
            SecretUnavailable: no usable master key.
        """
        _check_names(provider, label)
        secret = secret.strip()
        if not secret:
            raise InvalidInput("the secret is empty: pipe it on standard input")
        if len(secret) > _MAX_SECRET_CHARS:
            raise InvalidInput(f"the secret is longer than {_MAX_SECRET_CHARS} characters")
        master = self._master()
        tenant = await self._tenants.get_by_slug(self._pool, tenant_slug)
        cipher = master.encrypt(secret, tenant_id=tenant.id, provider=provider, label=label)
        info = await self._keys.set(self._pool, tenant.id, provider, label, cipher)
        logger.info("stored %s key %r for tenant %s", provider, label, tenant.slug)
        return info

    async def list_keys(self, tenant_slug: str) -> list[ApiKeyInfo]:
        """Provider, label, created and last-used times of a tenant's keys; never the secrets."""
        tenant = await self._tenants.get_by_slug(self._pool, tenant_slug)
        return await self._keys.list(self._pool, tenant.id)

    async def resolve_key(self, tenant_id: uuid.UUID | str, provider: str, label: str | None = None) -> str | None:
        """The tenant's clear key for `provider` (stamping last_used_at), or None to fall back to the global key.

        Raises:
            SecretUnavailable: a key is stored but the master key cannot decrypt it (never silently ignored).
        """
        stored = await self._keys.get_cipher(self._pool, tenant_id, provider, label)
        if stored is None:
            return None
        secret = self._master().decrypt(
            stored.key_cipher, tenant_id=stored.tenant_id, provider=stored.provider, label=stored.label
        )
        await self._keys.touch_last_used(self._pool, tenant_id, stored.id)
        return secret

    async def rotate_master(self, new_key: str) -> int:
        """Re-encrypt every stored key under `new_key` in one transaction; returns how many.

        All rows are decrypted with the current AURORA_MASTER_KEY before any is rewritten, so a key that cannot be
        decrypted aborts the rotation with nothing changed. Afterwards, set AURORA_MASTER_KEY to `new_key`
        everywhere: the old key no longer decrypts anything.

        Raises:
            SecretUnavailable: `new_key` malformed, no current master key while keys exist, or a row undecryptable.
        """
        new = MasterKey.from_text(new_key, name="the new master key")
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await self._keys.all_for_rotation(conn)
            if not rows:
                return 0
            old = self._master()
            ciphers = {
                row.id: new.encrypt(
                    old.decrypt(row.key_cipher, tenant_id=row.tenant_id, provider=row.provider, label=row.label),
                    tenant_id=row.tenant_id,
                    provider=row.provider,
                    label=row.label,
                )
                for row in rows
            }
            await self._keys.replace_ciphers(conn, ciphers)
        logger.info("re-encrypted %d provider key(s) under a new master key", len(ciphers))
        return len(ciphers)
