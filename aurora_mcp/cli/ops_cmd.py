"""Operations: `backup [list]`, `restore`, `keys set|list|rotate-master`, `tenant delete`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from rich.markup import escape
from rich.table import Table

from aurora_mcp.config import AppSettings
from aurora_mcp.errors import InvalidInput


def _subcommands(commands: Any, name: str, help_text: str) -> Any:
    """The sub-command group `name`, reusing the one another module registered (`tenant` lives in admin_cmd)."""
    parser = commands.choices.get(name)
    if parser is None:
        return commands.add_parser(name, help=help_text).add_subparsers(dest=f"{name}_command", required=True)
    # argparse offers no public way back to a parser's sub-commands; its action list is stable across versions.
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def add_parsers(commands: Any) -> None:
    """Register the operations commands; call it after admin_cmd.add_parsers (it extends `tenant`)."""
    backup = commands.add_parser("backup", help="back up the database and the index to the backups bucket")
    backup.add_argument("--keep", type=int, help="complete backups to keep afterwards (default AURORA_BACKUP_KEEP)")
    backup.set_defaults(handler=_backup)
    backup_sub = backup.add_subparsers(dest="backup_command", required=False, metavar="{list}")
    backup_sub.add_parser("list", help="list backups, newest first").set_defaults(handler=_backup_list)

    restore = commands.add_parser("restore", help="restore a backup into an empty deployment (stop aurora-mcp first)")
    restore.add_argument("backup_id", help="a backup id from `aurora-mcp backup list`")
    restore.add_argument("--force", action="store_true", help="replace a deployment that holds documents or points")
    restore.set_defaults(handler=_restore)

    keys = commands.add_parser("keys", help="tenants' provider API keys, encrypted under AURORA_MASTER_KEY")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    key_set = keys_sub.add_parser("set", help="store a tenant's provider key, read from standard input")
    key_set.add_argument("--tenant", required=True, help="tenant slug")
    key_set.add_argument("--provider", required=True, help="e.g. openai")
    key_set.add_argument("--label", default="default", help="several keys of one provider (default: default)")
    key_set.set_defaults(handler=_keys_set)
    key_list = keys_sub.add_parser("list", help="a tenant's keys: provider, label, created, last used (no secrets)")
    key_list.add_argument("--tenant", required=True)
    key_list.set_defaults(handler=_keys_list)
    rotate = keys_sub.add_parser("rotate-master", help="re-encrypt every key under a new master key")
    rotate.add_argument("--generate", action="store_true", help="make the new key and print it once on stdout")
    rotate.set_defaults(handler=_keys_rotate)

    tenant_sub = _subcommands(commands, "tenant", "tenants")
    delete = tenant_sub.add_parser("delete", help="delete a tenant: rows, objects and points")
    delete.add_argument("slug")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=_tenant_delete)


def _with_app(settings: AppSettings, body: Any) -> int:
    from aurora_mcp.app import Aurora
    from aurora_mcp.cli.main import run_async

    async def main() -> int:
        async with Aurora(settings) as app:
            return int(await body(app))

    return run_async(main)


def _with_database(settings: AppSettings, body: Any) -> int:
    """PostgreSQL only: key commands run beside a live server that holds the embedded index."""
    from aurora_mcp.cli.main import run_async
    from aurora_mcp.ops.deployment import open_database

    async def main() -> int:
        async with open_database(settings) as pool:
            return int(await body(pool))

    return run_async(main)


def _read_secret(prompt: str) -> str:
    """A secret from stdin: typed without echo on a terminal, else piped; never from argv (shell history, ps)."""
    if sys.stdin is None:
        raise InvalidInput("no standard input: pipe the secret in, e.g. `printenv OPENAI_API_KEY | aurora-mcp …`")
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.read()


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _backup(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import err
    from aurora_mcp.ops.backup import BackupService

    async def body(app: Any) -> int:
        manifest = await BackupService.for_app(app).backup(keep=args.keep)
        parts = ", ".join(f"{p.name} {_size(p.size_bytes)}" for p in manifest.parts)
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in manifest.seconds.items())
        err.print(
            f"backup {manifest.backup_id}: {manifest.database.documents} documents, {manifest.index.points} points "
            f"({manifest.index.engine}); {parts}; {timing}",
            markup=False,
        )
        print(manifest.backup_id, flush=True)  # alone on stdout: `ID=$(aurora-mcp backup)`
        return 0

    return _with_app(settings, body)


def _backup_list(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out, run_async
    from aurora_mcp.ops.backup import list_backups
    from aurora_mcp.storage.factory import create_object_store

    async def main() -> int:
        store = create_object_store(settings)
        try:
            backups = await list_backups(store)
        finally:
            await store.close()
        table = Table(title="Backups")
        for column in ("Id", "Created (UTC)", "Size", "Documents", "Points", "Engine"):
            table.add_column(column)
        for b in backups:
            created = b.created_at.strftime("%Y-%m-%d %H:%M:%S") if b.created_at else "[yellow]incomplete[/]"
            counts = ("" if b.documents is None else str(b.documents), "" if b.points is None else str(b.points))
            table.add_row(b.backup_id, created, _size(b.size_bytes), *counts, b.engine or "")
        out.print(table)
        return 0

    return run_async(main)


def _restore(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import EXIT_FAILED, out, run_async
    from aurora_mcp.ops.restore import restore

    async def main() -> int:
        report = await restore(settings, args.backup_id, force=args.force)
        table = Table(title=f"Restore of {report.backup_id}")
        for column in ("Check", "Backup", "Restored", ""):
            table.add_column(column)
        for check in report.checks:
            mark = "[green]ok[/]" if check.ok else "[red]differs[/]"
            table.add_row(escape(check.name), str(check.expected), str(check.actual), mark)
        out.print(table)
        for uri in report.missing_objects:
            out.print(f"missing object: {uri}", markup=False)
        out.print(", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items()), markup=False)
        return 0 if report.ok else EXIT_FAILED

    return run_async(main)


def _keys_set(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import err
    from aurora_mcp.ops.secrets import KeyService

    secret = _read_secret(f"{args.provider} key for tenant {args.tenant}: ")

    async def body(pool: Any) -> int:
        info = await KeyService(pool, settings.secrets).set_key(args.tenant, args.provider, args.label, secret)
        err.print(f"stored the {info.provider} key {info.label!r} of tenant {args.tenant} (encrypted)", markup=False)
        return 0

    return _with_database(settings, body)


def _keys_list(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.ops.secrets import KeyService

    async def body(pool: Any) -> int:
        table = Table(title=f"Provider keys of {args.tenant}")
        for column in ("Provider", "Label", "Created", "Last used"):
            table.add_column(column)
        for key in await KeyService(pool, settings.secrets).list_keys(args.tenant):
            table.add_row(escape(key.provider), escape(key.label or ""), _when(key.created_at), _when(key.last_used_at))
        out.print(table)
        return 0

    return _with_database(settings, body)


def _keys_rotate(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import err
    from aurora_mcp.ops.secrets import KeyService, MasterKey

    new_key = MasterKey.generate() if args.generate else _read_secret("new master key (base64 of 32 bytes): ")

    async def body(pool: Any) -> int:
        count = await KeyService(pool, settings.secrets).rotate_master(new_key)
        err.print(
            f"re-encrypted {count} key(s); set AURORA_MASTER_KEY to the new key for every aurora-mcp process now",
            markup=False,
        )
        if args.generate:
            print(new_key.strip(), flush=True)  # once, alone on stdout, after the rotation committed
        return 0

    return _with_database(settings, body)


def _tenant_delete(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out
    from aurora_mcp.ops.tenants import TenantAdmin

    if not args.yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise InvalidInput(f"deleting tenant {args.slug!r} cannot be undone: pass --yes to confirm")
        typed = input(f"delete tenant {args.slug!r} with all its documents, objects and points? type its slug: ")
        if typed.strip() != args.slug:
            raise InvalidInput("not confirmed: nothing was deleted")

    async def body(app: Any) -> int:
        done = await TenantAdmin.for_app(app).delete_tenant(args.slug)
        out.print(
            f"deleted tenant {done.slug} ({done.tenant_id}): {done.documents} documents, "
            f"{done.points_removed} points, {done.objects_removed} objects",
            markup=False,
        )
        return 0

    return _with_app(settings, body)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
