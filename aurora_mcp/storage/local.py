"""A local folder that mirrors the S3 layout (`root/bucket/key`), for the zero-config embedded deployment."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from typing_extensions import override

from aurora_mcp.errors import ConfigurationError, InvalidInput, NotFound
from aurora_mcp.storage.base import BUCKETS, ObjectInfo, ObjectStore

# S3 bucket naming rules; they also keep a bucket name from being a path trick such as `..` or `a/b`.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Half-written files carry this prefix: listings skip them and no key may use it.
_TMP_PREFIX = ".aurora-tmp-"
_COPY_CHUNK = 1024 * 1024


def check_bucket(bucket: str) -> None:
    """Raise `InvalidInput` unless `bucket` is a valid S3 bucket name."""
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        raise InvalidInput(f"invalid bucket name: {bucket!r}")


def key_parts(key: str, *, prefix: bool = False) -> list[str]:
    """Split a key (or a listing prefix) into path segments, refusing anything that could leave its bucket folder.

    Raises:
        InvalidInput: empty, absolute, NUL, `.`/`..` or empty segments, or the reserved temp-file prefix.
    """
    if "\x00" in key:
        raise InvalidInput(f"invalid object key (NUL byte): {key!r}")
    if not key:
        if prefix:
            return []
        raise InvalidInput("invalid object key: empty")
    if key.startswith("/") or re.match(r"^[A-Za-z]:", key):
        raise InvalidInput(f"invalid object key (absolute): {key!r}")
    parts = key.split("/")
    if prefix and parts[-1] == "":
        parts = parts[:-1]  # "tenant/" lists the folder, like S3
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidInput(f"invalid object key (empty, '.' or '..' segment): {key!r}")
        if part.startswith(_TMP_PREFIX):
            raise InvalidInput(f"invalid object key (reserved name): {key!r}")
    return parts


class LocalObjectStore(ObjectStore):
    """Objects as files under `root/bucket/key`; every write lands whole or not at all (temp file + `os.replace`)."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        return self._root

    def _bucket_dir(self, bucket: str) -> Path:
        check_bucket(bucket)
        return self._root / bucket

    def _path(self, bucket: str, key: str) -> Path:
        bucket_dir = self._bucket_dir(bucket)
        path = bucket_dir.joinpath(*key_parts(key))
        # The syntax check above cannot see symlinks planted inside the root; resolving catches those too.
        if not path.resolve().is_relative_to(bucket_dir.resolve()):
            raise InvalidInput(f"invalid object key (leaves the bucket folder): {key!r}")
        return path

    def _info(self, bucket: str, key: str, size: int) -> ObjectInfo:
        return ObjectInfo(bucket=bucket, key=key, size_bytes=size, uri=f"s3://{bucket}/{key}")

    # --- blocking helpers, run in a worker thread -------------------------------------------------------------

    @staticmethod
    def _write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> int:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{_TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            with open(tmp, "wb") as out:
                write(out)
                out.flush()
                # Without fsync a power cut after the rename could still expose an empty or partial file.
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return size

    def _prune_empty_dirs(self, start: Path, stop: Path) -> None:
        """Remove now-empty folders from `start` up to (not including) `stop`, so deleted tenants leave no trace."""
        current = start
        while current != stop and current.is_relative_to(stop):
            try:
                current.rmdir()
            except OSError:  # not empty (or already gone): whatever is above it is not empty either
                return
            current = current.parent

    def _walk(self, bucket: str, prefix: str) -> list[tuple[str, Path]]:
        bucket_dir = self._bucket_dir(bucket)
        parts = key_parts(prefix, prefix=True)
        # Start at the deepest folder the prefix names fully, then filter by string prefix like S3 does
        # ("t1/doc" matches "t1/doc2/x").
        folder_parts = parts if prefix.endswith("/") else parts[:-1]
        start = bucket_dir.joinpath(*folder_parts)
        if not start.is_dir() or not start.resolve().is_relative_to(bucket_dir.resolve()):
            return []  # a symlink planted under the root must not let a listing or a delete reach outside it
        found: list[tuple[str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in filenames:
                if name.startswith(_TMP_PREFIX):
                    continue
                path = Path(dirpath, name)
                key = path.relative_to(bucket_dir).as_posix()
                if key.startswith(prefix):
                    found.append((key, path))
        found.sort(key=lambda item: item[0])
        return found

    # --- the contract ------------------------------------------------------------------------------------------

    @override
    async def ensure_buckets(self) -> None:
        def make() -> None:
            try:
                for bucket in BUCKETS:
                    (self._root / bucket).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(f"cannot create the object folder {self._root}: {exc.strerror}") from exc

        await anyio.to_thread.run_sync(make)

    @override
    async def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        target = self._path(bucket, key)
        size = await anyio.to_thread.run_sync(self._write_atomically, target, lambda out: out.write(data))
        return self._info(bucket, key, size)

    @override
    async def put_file(self, bucket: str, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        target = self._path(bucket, key)

        def copy_from_source(out: BinaryIO) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, out, _COPY_CHUNK)

        size = await anyio.to_thread.run_sync(self._write_atomically, target, copy_from_source)
        return self._info(bucket, key, size)

    @override
    async def get_bytes(self, bucket: str, key: str) -> bytes:
        source = self._path(bucket, key)
        try:
            return await anyio.to_thread.run_sync(source.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"object not found: {bucket}/{key}") from exc

    @override
    async def get_file(self, bucket: str, key: str, path: Path) -> None:
        source = self._path(bucket, key)

        def copy_to_destination(out: BinaryIO) -> None:
            with open(source, "rb") as src:
                shutil.copyfileobj(src, out, _COPY_CHUNK)

        try:
            # Same temp-and-rename as a put, so a reader of `path` never sees half a download.
            await anyio.to_thread.run_sync(self._write_atomically, Path(path), copy_to_destination)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            if not source.is_file():
                raise NotFound(f"object not found: {bucket}/{key}") from exc
            raise

    @override
    async def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        path = self._path(bucket, key)

        def size_or_none() -> int | None:
            try:
                return path.stat().st_size if path.is_file() else None
            except FileNotFoundError:
                return None

        size = await anyio.to_thread.run_sync(size_or_none)
        return None if size is None else self._info(bucket, key, size)

    @override
    async def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key)
        bucket_dir = self._root / bucket

        def remove() -> None:
            if path.is_file():
                path.unlink(missing_ok=True)
                self._prune_empty_dirs(path.parent, bucket_dir)

        await anyio.to_thread.run_sync(remove)

    @override
    async def delete_prefix(self, bucket: str, prefix: str) -> int:
        if not prefix:
            # One missing tenant id must never wipe every tenant's objects.
            raise InvalidInput("delete_prefix needs a non-empty prefix")
        bucket_dir = self._bucket_dir(bucket)

        def remove_all() -> int:
            removed = 0
            for _key, path in self._walk(bucket, prefix):
                with contextlib.suppress(FileNotFoundError):  # a concurrent delete got there first
                    path.unlink()
                    removed += 1
                self._prune_empty_dirs(path.parent, bucket_dir)
            return removed

        return await anyio.to_thread.run_sync(remove_all)

    @override
    async def list(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        def collect() -> list[ObjectInfo]:
            infos: list[ObjectInfo] = []
            for key, path in self._walk(bucket, prefix):
                with contextlib.suppress(FileNotFoundError):
                    infos.append(self._info(bucket, key, path.stat().st_size))
            return infos

        return await anyio.to_thread.run_sync(collect)

    @override
    async def presigned_get_url(self, bucket: str, key: str, *, expires_seconds: int = 3600) -> str:
        # A file:// URL cannot expire; the local folder is only ever read by the same user on the same machine.
        return self._path(bucket, key).absolute().as_uri()

    @override
    async def ping(self) -> str:
        def check() -> str:
            if not self._root.is_dir():
                raise ConfigurationError(f"object folder {self._root} does not exist (ensure_buckets not run?)")
            if not os.access(self._root, os.W_OK):
                raise ConfigurationError(f"object folder {self._root} is not writable")
            return f"local folder {self._root}"

        return await anyio.to_thread.run_sync(check)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self._root)!r})"


__all__ = ["LocalObjectStore", "check_bucket", "key_parts"]
