"""Index snapshot files: archives of the embedded engines' folders and transfers of a Qdrant server's snapshots."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from aurora_mcp.errors import ConfigurationError, EngineBusy

_BLOCK = 1024 * 1024
# Holes are kept at this granularity: the engine's many small payload-index files hold a few KiB in 2-4 MiB.
_SPARSE_BLOCK = 64 * 1024
_ZERO_BLOCK = bytes(_SPARSE_BLOCK)
_LOCAL_META = "meta.json"
_LOCAL_STORAGE = "storage.sqlite"
_TRANSFER_TIMEOUT = httpx.Timeout(30.0, read=600.0, write=600.0)


def pack_dir(source: Path, target: Path) -> None:
    """Write the contents of `source` as a gzip'd tar at `target`.

    Edge preallocates its WAL and mmap files as sparse 32 MiB files that are mostly zeros: gzip shrinks them to
    almost nothing (a 100-point shard: 165 MiB apparent, 180 KiB packed).
    """
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(source, arcname=".")


def _write_sparse(stream: Any, path: Path, size: int) -> None:
    # Skipping all-zero blocks (seek instead of write) keeps the restored files as sparse as the originals.
    with open(path, "wb") as out:
        while block := stream.read(_SPARSE_BLOCK):
            if block == _ZERO_BLOCK[: len(block)]:
                out.seek(len(block), os.SEEK_CUR)
            else:
                out.write(block)
        out.truncate(size)


def unpack_dir(archive: Path, dest: Path) -> None:
    """Extract an archive written by `pack_dir` into the new folder `dest`.

    Raises:
        ConfigurationError: the archive holds links, devices or paths leaving `dest` (it is not one of ours).
    """
    dest.mkdir(parents=True)
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            try:
                # The stdlib's "data" filter rejects absolute paths, `..` and links that leave dest.
                member = tarfile.data_filter(member, str(dest))
            except tarfile.FilterError as exc:
                raise ConfigurationError(f"index snapshot {archive.name} holds an unsafe entry: {exc}") from exc
            path = dest / member.name
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                path.parent.mkdir(parents=True, exist_ok=True)
                stream = tar.extractfile(member)
                if stream is None:
                    raise ConfigurationError(f"index snapshot {archive.name}: unreadable entry {member.name}")
                _write_sparse(stream, path, member.size)
            else:
                raise ConfigurationError(f"index snapshot {archive.name}: unexpected entry type for {member.name}")


def replace_dir(current: Path, new: Path) -> None:
    """Put the folder `new` in place of `current` (which may be absent), then drop the old one."""
    old = current.with_name(f".{current.name}.old-{uuid.uuid4().hex[:8]}")
    if current.exists():
        current.rename(old)
    new.rename(current)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def folder_lock(lock_file: Path, what: str) -> Iterator[None]:
    """Hold the engine's own flock while its files are swapped, so no process has them open meanwhile.

    Raises:
        EngineBusy: another process holds the engine (a running `aurora-mcp serve` or worker).
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EngineBusy(
                f"the {what} is in use by another process: stop aurora-mcp (serve, worker) on this data dir, then "
                "retry the restore"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- qdrant-client local mode: meta.json (collection configs) + collection/<name>/storage.sqlite (points) ---------


def local_snapshot(folder: Path, collection: str, target: Path) -> int:
    """Archive one collection of a local-mode folder; returns its point count.

    Reads through SQLite's backup API on a connection of its own, so it copies the last committed state even while
    the client keeps writing.
    """
    meta = json.loads((folder / _LOCAL_META).read_text())
    if collection not in meta.get("collections", {}):
        raise ConfigurationError(f"local Qdrant folder {folder} has no collection {collection!r}")
    with tempfile.TemporaryDirectory(prefix="aurora-local-snap-") as tmp:
        staging = Path(tmp)
        own = {
            "collections": {collection: meta["collections"][collection]},
            "aliases": {},
            "text_indexes": {k: v for k, v in meta.get("text_indexes", {}).items() if k == collection},
        }
        (staging / _LOCAL_META).write_text(json.dumps(own))
        source = sqlite3.connect(f"file:{folder / 'collection' / collection / _LOCAL_STORAGE}?mode=ro", uri=True)
        copy = sqlite3.connect(staging / _LOCAL_STORAGE)
        try:
            source.backup(copy)
            points = int(copy.execute("SELECT count(*) FROM points").fetchone()[0])
        finally:
            copy.close()
            source.close()
        pack_dir(staging, target)
    return points


def local_restore(folder: Path, collection: str, source: Path) -> None:
    """Replace one collection of a local-mode folder with an archive from `local_snapshot`; other ones are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder / ".lock", f"local Qdrant folder {folder}"):
        staging = folder / f".restore-{uuid.uuid4().hex[:8]}"
        try:
            unpack_dir(source, staging)
            snap = json.loads((staging / _LOCAL_META).read_text())
            if len(snap.get("collections", {})) != 1:
                raise ConfigurationError(f"{source.name} is not a snapshot of one local-mode collection")
            # The snapshot's one collection lands under the configured name, whatever it was called at backup time.
            (original, config), *_ = snap["collections"].items()
            meta_path = folder / _LOCAL_META
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {"collections": {}, "aliases": {}}
            meta["collections"][collection] = config
            indexes = meta.setdefault("text_indexes", {})
            indexes.pop(collection, None)
            if original in snap.get("text_indexes", {}):
                indexes[collection] = snap["text_indexes"][original]
            points_dir = staging / "points"
            points_dir.mkdir()
            (staging / _LOCAL_STORAGE).rename(points_dir / _LOCAL_STORAGE)
            (folder / "collection").mkdir(exist_ok=True)
            replace_dir(folder / "collection" / collection, points_dir)
            tmp_meta = meta_path.with_name(f"{_LOCAL_META}.tmp")
            tmp_meta.write_text(json.dumps(meta))
            os.replace(tmp_meta, meta_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# --- a Qdrant server: the snapshot API ------------------------------------------------------------------------


def _headers(api_key: str | None) -> dict[str, str]:
    return {"api-key": api_key} if api_key else {}


async def server_download(url: str, api_key: str | None, collection: str, name: str, target: Path) -> None:
    """Stream the server snapshot `name` of `collection` to the local file `target`."""
    endpoint = f"{url.rstrip('/')}/collections/{collection}/snapshots/{name}"
    async with (
        httpx.AsyncClient(timeout=_TRANSFER_TIMEOUT, headers=_headers(api_key)) as http,
        http.stream("GET", endpoint) as response,
    ):
        if response.status_code >= 400:
            raise ConfigurationError(f"Qdrant at {url} refused the snapshot download (HTTP {response.status_code})")
        with open(target, "wb") as out:
            async for chunk in response.aiter_bytes(_BLOCK):
                out.write(chunk)


async def server_upload(url: str, api_key: str | None, collection: str, source: Path) -> None:
    """Recover `collection` on the server from a local snapshot file, replacing what it holds."""
    # priority=snapshot: the snapshot's data wins over whatever the collection holds (a restore, not a merge).
    endpoint = f"{url.rstrip('/')}/collections/{collection}/snapshots/upload?priority=snapshot&wait=true"
    async with httpx.AsyncClient(timeout=_TRANSFER_TIMEOUT, headers=_headers(api_key)) as http:
        with open(source, "rb") as data:
            response = await http.post(endpoint, files={"snapshot": (source.name, data, "application/octet-stream")})
    if response.status_code >= 400:
        detail = response.text[:300]
        raise ConfigurationError(f"Qdrant at {url} refused the snapshot (HTTP {response.status_code}): {detail}")
