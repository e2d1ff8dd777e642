"""How a request gets its TenantScope: stdio runs as the configured tenant, HTTP as its bearer token's tenant."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.context import ServerRequestContext
from typing_extensions import override

from aurora_mcp.config import AppSettings
from aurora_mcp.db.records import ApiToken
from aurora_mcp.db.repositories.api_tokens import ApiTokenRepository
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.errors import InvalidInput, Unauthorized
from aurora_mcp.ids import parse_uuid
from aurora_mcp.scope import TenantScope

if TYPE_CHECKING:
    from aurora_mcp.app import Aurora

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "aur_"
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_CLAIM_TENANT_ID = "aurora_tenant_id"
_CLAIM_TENANT_SLUG = "aurora_tenant_slug"
_CLAIM_CALLER_APP = "aurora_caller_app"


def validate_slug(slug: str) -> str:
    """A tenant slug as typed by an administrator: lowercase letters, digits, `-` and `_`, up to 63 characters.

    Raises:
        InvalidInput: naming the slug and the rule.
    """
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(f"tenant slug {slug!r} is invalid: use 1-63 lowercase letters, digits, '-' or '_'")
    return slug


def generate_token() -> str:
    """A new bearer token: `aur_` + 32 random bytes, URL-safe; shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The only form of a token the database holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    tenant_slug: str
    caller_app: str
    label: str | None


async def issue_token(app: Aurora, tenant_slug: str, caller_app: str, label: str | None = None) -> IssuedToken:
    """Create a token for (tenant, caller_app); the tenant is created on first use like stdio's."""
    if not caller_app.strip():
        raise InvalidInput("caller_app must not be empty: name the application that will use the token")
    tenant = await TenantRepository().get_or_create(app.pool, validate_slug(tenant_slug))
    token = generate_token()
    row = await ApiTokenRepository().create(
        app.pool, tenant_id=str(tenant.id), caller_app=caller_app, token_sha256=hash_token(token), label=label
    )
    return IssuedToken(token=token, token_id=str(row.id), tenant_slug=tenant.slug, caller_app=caller_app, label=label)


async def list_tokens(app: Aurora, tenant_slug: str) -> list[ApiToken]:
    """A tenant's tokens (digests only), revoked ones included."""
    tenant = await TenantRepository().get_by_slug(app.pool, tenant_slug)
    return await ApiTokenRepository().list(app.pool, str(tenant.id))


async def revoke_token(app: Aurora, tenant_slug: str, token_id: str) -> ApiToken:
    """Revoke one of a tenant's tokens; another tenant's token id reads as not found."""
    tenant = await TenantRepository().get_by_slug(app.pool, tenant_slug)
    return await ApiTokenRepository().revoke(app.pool, str(tenant.id), parse_uuid(token_id, field="token_id"))


async def resolve_token(app: Aurora, token: str) -> TenantScope | None:
    """The scope a token grants, or None for an unknown, revoked or malformed token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = await ApiTokenRepository().resolve(app.pool, hash_token(token))
    if found is None:
        return None
    tenant_id, tenant_slug, caller_app = found
    return TenantScope(tenant_id=str(tenant_id), tenant_slug=tenant_slug, caller_app=caller_app)


class AuroraTokenVerifier(TokenVerifier):
    """The SDK's bearer hook: a token maps to (tenant, caller_app), carried in the AccessToken's claims."""

    def __init__(self, get_app: Callable[[], Aurora | None]) -> None:
        self._get_app = get_app

    @override
    async def verify_token(self, token: str) -> AccessToken | None:
        app = self._get_app()
        if app is None:  # not started yet or shutting down: refuse rather than guess a tenant
            return None
        try:
            scope = await resolve_token(app, token)
        except Exception:  # a database hiccup must read as 401, never as a tenant-less pass
            logger.exception("bearer token lookup failed")
            return None
        if scope is None:
            return None
        return AccessToken(
            token=hash_token(token),  # the raw token stays out of memory dumps and logs
            client_id=f"{scope.tenant_slug}/{scope.caller_app}",
            scopes=[],
            subject=scope.tenant_id,
            claims={
                _CLAIM_TENANT_ID: scope.tenant_id,
                _CLAIM_TENANT_SLUG: scope.tenant_slug,
                _CLAIM_CALLER_APP: scope.caller_app,
            },
        )


def _access_token(request: ServerRequestContext[Any, Any]) -> AccessToken | None:
    # The HTTP request travels with each message (streamable HTTP and SSE POSTs alike); its `user` was set by
    # the SDK's bearer middleware. The contextvar is the fallback for transports that run in the request task.
    http = request.request
    user = getattr(http, "scope", {}).get("user") if http is not None else None
    if isinstance(user, AuthenticatedUser):
        return user.access_token
    return get_access_token()


class TenantResolver:
    """Gives each request its scope; the tenant never comes from tool arguments, only `caller_app` may."""

    def __init__(self, app: Aurora, settings: AppSettings) -> None:
        self._app = app
        self._settings = settings
        self._default: TenantScope | None = None

    async def default_scope(self) -> TenantScope:
        """The configured tenant (created on first use) and caller_app: stdio, in-process clients, the CLI."""
        if self._default is None:
            self._default = await self._app.scope(self._settings.server.tenant, self._settings.server.caller_app)
        return self._default

    async def scope_for(self, request: ServerRequestContext[Any, Any], caller_app: str | None = None) -> TenantScope:
        """The scope of this request, with `caller_app` overridden when the caller names one.

        Raises:
            Unauthorized: an HTTP request without a verified token (the auth layer should have answered 401).
        """
        token = _access_token(request)
        claims = (token.claims or {}) if token is not None else {}
        if token is not None and claims.get(_CLAIM_TENANT_ID):
            scope = TenantScope(
                tenant_id=str(claims[_CLAIM_TENANT_ID]),
                tenant_slug=str(claims.get(_CLAIM_TENANT_SLUG, "")),
                caller_app=str(claims.get(_CLAIM_CALLER_APP) or self._settings.server.caller_app),
            )
        elif request.request is not None:
            # Over HTTP the configured default tenant is never a fallback: that would hand it to anyone.
            raise Unauthorized("this request carries no valid bearer token (Authorization: Bearer aur_…)")
        else:
            scope = await self.default_scope()
        if caller_app and caller_app.strip():
            scope = replace(scope, caller_app=caller_app.strip())
        return scope
