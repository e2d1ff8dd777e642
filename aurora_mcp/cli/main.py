"""The `aurora-mcp` command line: parses arguments, loads settings, runs a command, turns errors into one line."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from aurora_mcp import __version__
from aurora_mcp.config import AppSettings
from aurora_mcp.errors import AuroraError

# Everything human-facing but the command's result goes to stderr: `serve` over stdio owns stdout.
err = Console(stderr=True, highlight=False)
# Wide when piped, so tables in logs and tests keep one row per line.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but something it reports failed (an ingestion, a doctor check)
EXIT_ERROR = 2  # the command could not run: bad settings, unreachable backend, bad argument

Handler = Callable[[AppSettings, argparse.Namespace], int]


def run_async(fn: Callable[..., Awaitable[int]], *args: Any) -> int:
    """Run an async command body (commands are sync at the edge so argparse stays simple)."""
    return anyio.run(fn, *args)


def build_parser() -> argparse.ArgumentParser:
    from aurora_mcp.cli import admin_cmd, doctor_cmd, ingest_cmd, ops_cmd, serve_cmd

    parser = argparse.ArgumentParser(
        prog="aurora-mcp",
        description="Aurora Nexus MCP: a multi-tenant document knowledge base served over the Model Context Protocol.",
    )
    parser.add_argument("--version", action="version", version=f"aurora-mcp {__version__}")
    parser.add_argument("--home", type=Path, help="data directory for embedded engines and objects (AURORA_HOME)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more and show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_cmd.add_parsers(commands)
    ingest_cmd.add_parsers(commands)
    admin_cmd.add_parsers(commands)
    doctor_cmd.add_parsers(commands)
    ops_cmd.add_parsers(commands)  # after admin_cmd: it adds `tenant delete`
    return parser


def load_settings(home: Path | None) -> AppSettings:
    """Settings from the environment (`AURORA_*`, `.env`); `--home` wins over AURORA_HOME."""
    return AppSettings(home=home.expanduser()) if home is not None else AppSettings()


def configure_logging(level: str) -> None:
    """Log lines to stderr only, whatever the command; stdout is for results (and MCP frames)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _domain_error(exc: BaseException) -> AuroraError | None:
    """The AuroraError behind `exc`, looking inside task-group exception groups."""
    if isinstance(exc, AuroraError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _domain_error(inner)
            if found is not None:
                return found
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose: bool = args.verbose
    try:
        settings = load_settings(args.home)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error:[/red] invalid settings: {escape(problems)}")
        return EXIT_ERROR
    default_level = settings.server.log_level.upper() if args.command == "serve" else "WARNING"
    configure_logging("DEBUG" if verbose else default_level)
    handler: Handler = args.handler
    try:
        return handler(settings, args)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]")
        return 130
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        domain = _domain_error(exc)
        if verbose:
            traceback.print_exception(exc, file=sys.stderr)
        if domain is not None:
            err.print(f"[red]error:[/red] {escape(str(domain))}")
            return EXIT_ERROR
        if isinstance(exc, ValidationError):
            from aurora_mcp.server.errors import describe_validation

            err.print(f"[red]error:[/red] {escape(describe_validation(exc))}")
            return EXIT_ERROR
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))}"
            + ("" if verbose else " (run with --verbose for the traceback)")
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
