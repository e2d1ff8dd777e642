"""The caller's identity that every service call carries: tenant and calling application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TenantScope:
    """Who is calling: every SQL statement and vector query made for this call is filtered by `tenant_id`."""

    tenant_id: str
    tenant_slug: str
    caller_app: str


# A tenant's own key for the embedding provider, or None to use the global one (local models never need one).
ProviderKeyResolver = Callable[[TenantScope], Awaitable[str | None]]


async def no_provider_key(scope: TenantScope) -> str | None:
    return None
