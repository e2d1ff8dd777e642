"""The caller's identity that every service call carries: tenant and calling application."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TenantScope:
    """Who is calling: every SQL statement and vector query made for this call is filtered by `tenant_id`."""

    tenant_id: str
    tenant_slug: str
    caller_app: str
