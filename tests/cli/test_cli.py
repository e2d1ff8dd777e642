"""The `aurora-mcp` command line as a user runs it: real processes, real backends, exit codes and output."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import aurora_env
from tests.server.samples import HANDBOOK_MD

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "aurora_mcp.cli.main"]
TIMEOUT_S = 300.0


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return aurora_env(database_url, tmp_path / "home", [tmp_path])


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL
    )


def write_folder(root: Path) -> Path:
    folder = root / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "handbook.md").write_text(HANDBOOK_MD, encoding="utf-8")
    kettle = "The office kettle is descaled every Friday at noon.\n"
    (folder / "sub" / "kettle.txt").write_text(kettle, encoding="utf-8")
    (folder / "sub" / "tool.exe").write_bytes(b"MZ\x90\x00binary")
    (folder / ".hidden.md").write_text("# Hidden\n\nnever ingested\n", encoding="utf-8")
    return folder


def test_ingesting_a_folder_prints_a_summary_table_and_a_broken_file_makes_the_exit_code_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = write_folder(tmp_path)
    done = run(env, "ingest", str(folder), "--project", "ops", "--tags", "hr,office")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ingestion summary" in done.stdout
    assert "3 file(s): 2 done, 1 skipped, 0 failed" in done.stdout
    assert "unsupported file type" in done.stdout and "hidden" not in done.stdout
    assert "Traceback" not in done.stderr

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"this is not a pdf at all")
    again = run(env, "ingest", str(folder / "handbook.md"), str(broken), str(tmp_path / "missing.md"))
    assert again.returncode == 1
    assert "1 skipped, 2 failed" in again.stdout
    assert "no such file or folder" in again.stdout

    found = run(env, "search", "vacation", "days", "per", "month", "--k", "2")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("[1] ") and "Vacation policy" in found.stdout
    as_json = json.loads(run(env, "search", "descaled kettle", "--json").stdout)
    assert as_json["results"][0]["filename"] == "kettle.txt"


def test_a_token_is_printed_once_alone_on_stdout_and_listed_and_revoked_by_id(env: dict[str, str]) -> None:
    created = run(env, "token", "create", "--tenant", "alpha", "--app", "desk", "--label", "laptop")
    assert created.returncode == 0, created.stderr
    assert created.stdout.count("\n") == 1 and created.stdout.startswith("aur_")
    token = created.stdout.strip()
    assert len(token) >= 40 and "shown once" in created.stderr

    listed = run(env, "token", "list", "--tenant", "alpha")
    assert listed.returncode == 0 and "laptop" in listed.stdout and "desk" in listed.stdout
    assert token not in listed.stdout
    token_id = next(word for line in listed.stdout.splitlines() for word in line.split("│") if word.count("-") == 4)
    revoked = run(env, "token", "revoke", "--tenant", "alpha", token_id.strip())
    assert revoked.returncode == 0 and "revoked" in revoked.stdout

    tenants = run(env, "tenant", "list")
    assert "alpha" in tenants.stdout
    bad = run(env, "tenant", "create", "Not A Slug")
    assert bad.returncode == 2 and "invalid" in bad.stderr and "Traceback" not in bad.stderr


def test_doctor_prints_every_backend_and_exits_0_when_all_answer(env: dict[str, str], tmp_path: Path) -> None:
    done = run(env, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    for part in ("PostgreSQL", "Vector index", "Object store", "Embedder"):
        assert part in done.stdout
    assert "FAILED" not in done.stdout and "edge" in done.stdout and "384-d" in done.stdout

    other = tmp_path / "elsewhere"
    moved = run(env, "--home", str(other), "doctor")
    assert moved.returncode == 0 and str(other) in moved.stdout  # --home wins over AURORA_HOME


def test_an_unreachable_database_is_one_red_line_and_exit_2_and_doctor_exits_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    broken = {**env, "AURORA_DATABASE_URL": f"postgresql://aurora:s3cret@127.0.0.1:{port}/aurora"}
    failed = run(broken, "search", "anything")
    assert failed.returncode == 2
    assert "error:" in failed.stderr and f"127.0.0.1:{port}" in failed.stderr
    assert "Traceback" not in failed.stderr and "s3cret" not in failed.stderr
    verbose = run(broken, "--verbose", "search", "anything")
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr

    doctor = run(broken, "doctor")
    assert doctor.returncode == 1 and "FAILED" in doctor.stdout

    served = run(broken, "serve")  # stdio: fails before reading a frame, with the same one line
    assert served.returncode == 2 and served.stdout == "" and f"127.0.0.1:{port}" in served.stderr


def test_queued_files_wait_for_a_worker_that_ingests_them(env: dict[str, str], tmp_path: Path) -> None:
    notes = tmp_path / "queued.md"
    notes.write_text("# Queue\n\nThe parcel robot delivers mail on Tuesdays.\n", encoding="utf-8")
    queued = run(env, "ingest", "--queue", str(notes))
    assert queued.returncode == 0 and "queued" in queued.stdout
    assert run(env, "search", "parcel robot", "--json").stdout.count('"document_id"') == 0
    worker = run(env, "worker", "--once")
    assert worker.returncode == 0 and "ran 1 job" in worker.stderr
    found = json.loads(run(env, "search", "parcel robot delivers mail", "--json").stdout)
    assert found["results"] and found["results"][0]["filename"] == "queued.md"


def test_db_status_lists_pending_migrations_and_db_migrate_applies_them_once(
    raw_server_url: str, tmp_path: Path
) -> None:
    env = aurora_env(raw_server_url, tmp_path / "home", [tmp_path])
    before = run(env, "db", "status")
    assert before.returncode == 0, before.stderr
    assert "00_baseline" in before.stdout and "pending" in before.stdout and "applied" not in before.stdout
    migrated = run(env, "db", "migrate")
    assert migrated.returncode == 0 and "applied: 00_baseline" in migrated.stdout
    assert "up to date" in run(env, "db", "migrate").stdout
    after = run(env, "db", "status")
    assert "pending" not in after.stdout and "applied" in after.stdout
