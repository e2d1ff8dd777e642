"""The operations commands as an operator runs them: real processes, stdin for secrets, exit codes and output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from aurora_mcp.ops.secrets import MasterKey
from tests.ops.conftest import BACKUPS, HANDBOOK
from tests.server.conftest import aurora_env

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "aurora_mcp.cli.main"]
TIMEOUT_S = 300.0
SECRET = "sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI; stderr comes back with rich's line wrapping undone, so messages match as one line."""
    done = subprocess.run(
        [*CLI, *args],
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    done.stderr = " ".join(done.stderr.split())
    return done


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    values = aurora_env(database_url, tmp_path / "home", [tmp_path])
    values["AURORA_MASTER_KEY"] = MasterKey.generate()
    return values


def _citations(env: dict[str, str], question: str) -> list[tuple[str, int]]:
    found = run(env, "search", question, "--tenant", "acme", "--json")
    assert found.returncode == 0, found.stderr
    return [(c["document_id"], c["chunk_index"]) for c in json.loads(found.stdout)["results"]]


def test_keys_set_reads_the_secret_from_stdin_and_no_command_ever_prints_it(env: dict[str, str]) -> None:
    assert run(env, "tenant", "create", "acme").returncode == 0

    stored = run(env, "keys", "set", "--tenant", "acme", "--provider", "openai", stdin=SECRET + "\n")
    listed = run(env, "keys", "list", "--tenant", "acme")

    assert stored.returncode == 0, stored.stderr
    assert "stored the openai key 'default' of tenant acme" in stored.stderr
    assert listed.returncode == 0 and re.search(r"openai\s*│\s*default", listed.stdout)
    assert all(SECRET not in text for text in (stored.stdout, stored.stderr, listed.stdout, listed.stderr))
    missing = run(env, "keys", "set", "--tenant", "acme", "--provider", "openai")
    assert missing.returncode == 2 and "the secret is empty" in missing.stderr


@pytest.mark.anyio
async def test_rotate_master_generate_prints_the_new_key_once_and_re_encrypts_the_stored_keys(
    env: dict[str, str], database_url: str
) -> None:
    run(env, "tenant", "create", "acme")
    run(env, "keys", "set", "--tenant", "acme", "--provider", "openai", stdin=SECRET)

    rotated = run(env, "keys", "rotate-master", "--generate")

    assert rotated.returncode == 0, rotated.stderr
    new_key = rotated.stdout.strip()
    assert len(rotated.stdout.splitlines()) == 1 and "re-encrypted 1 key(s)" in rotated.stderr
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT tenant_id, provider, label, key_cipher FROM api_keys")
    finally:
        await conn.close()
    fields = {"tenant_id": row["tenant_id"], "provider": row["provider"], "label": row["label"]}
    assert MasterKey.from_text(new_key).decrypt(row["key_cipher"], **fields) == SECRET
    again = run(env, "keys", "rotate-master", stdin=MasterKey.generate())  # env still names the old key
    assert again.returncode == 2 and "AURORA_MASTER_KEY is not the key it was stored with" in again.stderr


def test_backup_list_and_restore_bring_back_the_same_search_results(
    env: dict[str, str], tmp_path: Path, raw_server_url: str
) -> None:
    (tmp_path / "handbook.md").write_bytes(HANDBOOK)
    (tmp_path / "backups.md").write_bytes(BACKUPS)
    assert run(env, "ingest", str(tmp_path / "handbook.md"), str(tmp_path / "backups.md")).returncode == 0
    before = _citations(env, "restore a custom archive")

    made = run(env, "backup")
    assert made.returncode == 0, made.stderr
    backup_id = made.stdout.strip()
    assert "2 documents" in made.stderr and "postgres.dump" in made.stderr
    listed = run(env, "backup", "list")
    assert backup_id in listed.stdout

    shutil.rmtree(tmp_path / "home" / "qdrant")
    wiped = {**env, "AURORA_DATABASE_URL": raw_server_url}
    restored = run(wiped, "restore", backup_id)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "differs" not in restored.stdout and re.search(r"documents\s*│\s*2\s*│\s*2", restored.stdout)
    assert _citations(wiped, "restore a custom archive") == before
    refused = run(wiped, "restore", backup_id)
    assert refused.returncode == 2 and "already holds 2 document(s)" in refused.stderr


def test_restore_of_a_malformed_or_unknown_backup_id_is_one_clear_line(env: dict[str, str]) -> None:
    malformed = run(env, "restore", "../../etc")
    unknown = run(env, "restore", "20200101T000000Z-abcdef")

    assert malformed.returncode == 2 and "invalid backup id" in malformed.stderr
    assert unknown.returncode == 2 and "backup 20200101T000000Z-abcdef not found" in unknown.stderr
    assert "Traceback" not in malformed.stderr + unknown.stderr


def test_tenant_delete_asks_for_yes_without_a_terminal_and_then_deletes(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "handbook.md").write_bytes(HANDBOOK)
    run(env, "ingest", str(tmp_path / "handbook.md"), "--tenant", "acme")

    refused = run(env, "tenant", "delete", "acme")
    deleted = run(env, "tenant", "delete", "acme", "--yes")

    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert deleted.returncode == 0, deleted.stderr
    assert re.search(r"deleted tenant acme \(.+\): 1 documents, [1-9]\d* points, [1-9]\d* objects", deleted.stdout)
    assert "acme" not in run(env, "tenant", "list").stdout
