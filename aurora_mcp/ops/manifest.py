"""The backup manifest (`manifest.json`): what a backup holds, and the sha256 that proves each part intact."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from pathlib import Path

from pydantic import BaseModel, Field

from aurora_mcp.errors import InvalidInput

MANIFEST_NAME = "manifest.json"
BACKUPS_PREFIX = "backups/"
DUMP_PART = "postgres.dump"
INDEX_PART = "index.snapshot"
FORMAT_VERSION = 1
# {UTC timestamp}-{short id}: sorts by time, and two backups in the same second still get distinct names.
_BACKUP_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
_HASH_CHUNK = 1024 * 1024


class BackupPart(BaseModel):
    """One file of a backup, stored at `key` in the backups bucket."""

    name: str
    key: str
    size_bytes: int
    sha256: str


class DatabaseFacts(BaseModel):
    """The dumped database, as seen by the very snapshot pg_dump dumped."""

    server_version: str
    server_major: int
    dump_tool_major: int
    schema_level: str = Field(description="the last applied schema migration")
    schema_migrations: list[str]
    tenants: int
    documents: int
    artifacts: int


class IndexFacts(BaseModel):
    """The snapshotted Qdrant collection."""

    engine: str
    collection: str
    points: int
    dense_dimension: int


class BackupManifest(BaseModel):
    """Written last: a backup without a manifest is incomplete (in progress, or failed before the end)."""

    format: int = FORMAT_VERSION
    backup_id: str
    aurora_version: str
    created_at: dt.datetime
    embedding_model: str | None = None
    database: DatabaseFacts
    index: IndexFacts
    object_store: str = Field(description="local | s3: where uploads and artifacts live (not copied)")
    objects: dict[str, int] = Field(description="objects per bucket at backup time, for restore to verify")
    parts: list[BackupPart]
    seconds: dict[str, float] = Field(default_factory=dict, description="time per step")

    @property
    def size_bytes(self) -> int:
        return sum(p.size_bytes for p in self.parts)

    def part(self, name: str) -> BackupPart:
        for part in self.parts:
            if part.name == name:
                return part
        raise InvalidInput(f"backup {self.backup_id} has no part {name!r}")


class BackupSummary(BaseModel):
    """A line of `aurora-mcp backup list`."""

    backup_id: str
    complete: bool
    created_at: dt.datetime | None = None
    size_bytes: int
    documents: int | None = None
    points: int | None = None
    engine: str | None = None


def new_backup_id(now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def backup_prefix(backup_id: str) -> str:
    """`backups/{id}/`; the id is checked first, so a typed id can never name another prefix.

    Raises:
        InvalidInput: the id is not of the form `YYYYMMDDTHHMMSSZ-xxxxxx`.
    """
    if not _BACKUP_ID.match(backup_id):
        raise InvalidInput(f"invalid backup id {backup_id!r}: expected e.g. 20260101T120000Z-1a2b3c (`backup list`)")
    return f"{BACKUPS_PREFIX}{backup_id}/"


def backup_id_of(key: str) -> str | None:
    """The backup id of an object key under `backups/`, or None for keys that are not ours."""
    parts = key.removeprefix(BACKUPS_PREFIX).split("/", 1)
    return parts[0] if key.startswith(BACKUPS_PREFIX) and len(parts) == 2 and _BACKUP_ID.match(parts[0]) else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
