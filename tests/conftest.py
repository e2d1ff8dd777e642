"""Shared test configuration: real-server fixtures as plugins, anyio on asyncio, and no silent skips in CI."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.s3", "tests.fixtures.app"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Under CI a skipped integration test would hide a missing install step (STYLE rule 13): fail the run instead.
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; a skip in CI is a failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
