"""What every benchmark shares: opening the product, machine facts, markdown tables and result files."""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"


def machine() -> str:
    cores = os.cpu_count() or 0
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cores} cores{mem}, {platform.processor() or platform.machine()}, Python {platform.python_version()}"


def server_mode() -> bool:
    """True when the environment points at servers (database URL); then `home` only holds what is still local."""
    return bool(os.environ.get("AURORA_DATABASE_URL"))


def reset_home(home: Path) -> None:
    if server_mode():
        raise SystemExit("refusing to wipe a server-mode deployment: run with --reuse, or unset AURORA_DATABASE_URL")
    if home.exists():
        shutil.rmtree(home)


@asynccontextmanager
async def open_aurora(home: Path, *, engine: str | None = None) -> AsyncIterator[Any]:
    """The product façade on the embedded default under `home` (or on servers when AURORA_* says so).

    `engine` overrides AURORA_QDRANT_ENGINE (edge | local) for side-by-side runs on the same data.
    """
    from aurora_mcp.app import Aurora
    from aurora_mcp.config import AppSettings, IndexSettings

    settings = AppSettings(home=home)
    if engine is not None:
        settings.index = IndexSettings(qdrant_engine=engine)
    async with Aurora(settings) as app:
        yield app


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; floats get 3 decimals, None prints as "–"."""

    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:.3f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    """Collects the printed markdown and raw numbers; writes both under bench/results/ at the end."""

    def __init__(self, name: str, argv: Sequence[str]) -> None:
        self.name = name
        self.started = datetime.now(UTC)
        self.lines: list[str] = [
            f"# {name} — {self.started:%Y-%m-%d %H:%M} UTC",
            "",
            f"machine: {machine()}; command: `python -m bench.{name} {' '.join(argv)}`".rstrip(),
            "",
        ]
        self.raw: dict[str, Any] = {}
        self._t0 = time.perf_counter()

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def write(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = f"{self.started:%Y%m%d-%H%M%S}"
        self.say(f"\n_total bench time {time.perf_counter() - self._t0:.0f} s_")
        md = RESULTS_DIR / f"{self.name}-{stamp}.md"
        md.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        (RESULTS_DIR / f"{self.name}-{stamp}.json").write_text(json.dumps(self.raw, indent=1, default=str))
        return md


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
