"""Administration: `db migrate|status`, `token create|list|revoke`, `tenant create|list`."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape
from rich.table import Table

from aurora_mcp.config import AppSettings


def add_parsers(commands: Any) -> None:
    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("migrate", help="apply pending schema migrations").set_defaults(handler=_db_migrate)
    db.add_parser("status", help="show applied and pending migrations").set_defaults(handler=_db_status)

    token = commands.add_parser("token", help="bearer tokens for the HTTP transports").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="create a token (printed once, on stdout)")
    create.add_argument("--tenant", required=True, help="tenant slug (created if missing)")
    create.add_argument("--app", required=True, dest="caller_app", help="calling application name")
    create.add_argument("--label", help="a note to recognise the token by")
    create.set_defaults(handler=_token_create)
    listing = token.add_parser("list", help="list a tenant's tokens (never the tokens themselves)")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(handler=_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", help="token id, from `token list`")
    revoke.add_argument("--tenant", required=True)
    revoke.set_defaults(handler=_token_revoke)

    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(dest="tenant_command", required=True)
    tenant_create = tenant.add_parser("create", help="create a tenant")
    tenant_create.add_argument("slug")
    tenant_create.add_argument("--name", help="display name (default: the slug)")
    tenant_create.set_defaults(handler=_tenant_create)
    tenant.add_parser("list", help="list tenants").set_defaults(handler=_tenant_list)


def _run(settings: AppSettings, body: Any, *, migrate: bool = True) -> int:
    """Open the façade (applying migrations unless told not to) and run `body(app)`."""
    from aurora_mcp.app import Aurora
    from aurora_mcp.cli.main import run_async

    async def main() -> int:
        async with Aurora(settings, apply_migrations=migrate) as app:
            return int(await body(app))

    return run_async(main)


def _db_migrate(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.db.migrate import migrate

    async def body(app: Any) -> int:
        applied = await migrate(app.pool)
        out.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
        return 0

    return _run(settings, body, migrate=False)


def _db_status(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.db.migrate import available, pending

    async def body(app: Any) -> int:
        waiting = set(await pending(app.pool))
        table = Table(title="Schema migrations")
        table.add_column("Version")
        table.add_column("State")
        for migration in available():
            state = "[yellow]pending[/]" if migration.version in waiting else "[green]applied[/]"
            table.add_row(migration.version, state)
        out.print(table)
        return 0

    return _run(settings, body, migrate=False)


def _token_create(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import err
    from aurora_mcp.server.tenancy import issue_token

    async def body(app: Any) -> int:
        issued = await issue_token(app, args.tenant, args.caller_app, args.label)
        err.print(
            escape(
                f"token {issued.token_id} for tenant {issued.tenant_slug!r}, app {issued.caller_app!r}; "
                "it is shown once — store it now:"
            )
        )
        # The token alone on stdout, so `TOKEN=$(aurora-mcp token create …)` works.
        print(issued.token, flush=True)
        return 0

    return _run(settings, body)


def _token_list(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.server.tenancy import list_tokens

    async def body(app: Any) -> int:
        tokens = await list_tokens(app, args.tenant)
        table = Table(title=f"Tokens of {args.tenant}")
        for column in ("Id", "App", "Label", "Created", "Last used", "Revoked"):
            table.add_column(column)
        for t in tokens:
            table.add_row(
                str(t.id),
                escape(t.caller_app),
                escape(t.label or ""),
                _when(t.created_at),
                _when(t.last_used_at),
                _when(t.revoked_at),
            )
        out.print(table)
        return 0

    return _run(settings, body)


def _token_revoke(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.server.tenancy import revoke_token

    async def body(app: Any) -> int:
        token = await revoke_token(app, args.tenant, args.token_id)
        out.print(f"revoked token {token.id} ({token.caller_app}) at {_when(token.revoked_at)}", markup=False)
        return 0

    return _run(settings, body)


def _tenant_create(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.db.repositories.tenants import TenantRepository
    from aurora_mcp.server.tenancy import validate_slug

    slug = validate_slug(args.slug)  # before opening anything: a typo should not cost a database start

    async def body(app: Any) -> int:
        tenant = await TenantRepository().get_or_create(app.pool, slug, args.name)
        out.print(f"tenant {tenant.slug} ({tenant.id})")
        return 0

    return _run(settings, body)


def _tenant_list(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.db.repositories.tenants import TenantRepository

    async def body(app: Any) -> int:
        table = Table(title="Tenants")
        for column in ("Slug", "Name", "Id", "Created"):
            table.add_column(column)
        for t in await TenantRepository().list(app.pool):
            table.add_row(t.slug, t.name, str(t.id), _when(t.created_at))
        out.print(table)
        return 0

    return _run(settings, body)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
