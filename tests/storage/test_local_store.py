"""What only the local folder store must guarantee: keys never leave the root, writes are all-or-nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aurora_mcp.config import AppSettings, StorageSettings
from aurora_mcp.errors import ConfigurationError, InvalidInput
from aurora_mcp.storage.base import BUCKETS, UPLOADS_BUCKET
from aurora_mcp.storage.factory import create_object_store
from aurora_mcp.storage.local import LocalObjectStore

pytestmark = pytest.mark.anyio

ESCAPING_KEYS = [
    "../x",
    "t1/../../x",
    "t1/doc/../../../etc/passwd",
    "/etc/passwd",
    "C:/Windows/win.ini",
    "t1/\x00/x",
    "",
    "./x",
    "t1//x",
    "t1/doc/",
    "t1/doc/.aurora-tmp-0123",
]


@pytest.mark.parametrize("key", ESCAPING_KEYS)
async def test_keys_that_could_escape_the_root_are_rejected(local_store: LocalObjectStore, key: str) -> None:
    with pytest.raises(InvalidInput, match="invalid object key"):
        await local_store.put_bytes(UPLOADS_BUCKET, key, b"x")
    with pytest.raises(InvalidInput):
        await local_store.get_bytes(UPLOADS_BUCKET, key)
    with pytest.raises(InvalidInput):
        await local_store.delete(UPLOADS_BUCKET, key)
    assert not (local_store.root.parent / "x").exists()


@pytest.mark.parametrize("bucket", ["..", ".", "a/b", "", "UPPER", "../aurorarag-uploads"])
async def test_bucket_names_that_are_not_s3_names_are_rejected(local_store: LocalObjectStore, bucket: str) -> None:
    with pytest.raises(InvalidInput, match="invalid bucket name"):
        await local_store.put_bytes(bucket, "t1/d1/x", b"x")


async def test_prefixes_that_could_escape_the_root_are_rejected(local_store: LocalObjectStore) -> None:
    with pytest.raises(InvalidInput):
        await local_store.list(UPLOADS_BUCKET, "../")
    with pytest.raises(InvalidInput):
        await local_store.delete_prefix(UPLOADS_BUCKET, "t1/../..")


async def test_a_symlink_planted_in_the_root_cannot_lead_outside(local_store: LocalObjectStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not yours")
    (local_store.root / UPLOADS_BUCKET / "t1").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidInput, match="leaves the bucket folder"):
        await local_store.get_bytes(UPLOADS_BUCKET, "t1/secret.txt")
    with pytest.raises(InvalidInput, match="leaves the bucket folder"):
        await local_store.put_bytes(UPLOADS_BUCKET, "t1/new.txt", b"x")
    assert await local_store.delete_prefix(UPLOADS_BUCKET, "t1/") == 0
    assert (outside / "secret.txt").read_bytes() == b"not yours"


async def test_a_failed_write_keeps_the_previous_object_and_leaves_no_temp_file(
    local_store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await local_store.put_bytes(UPLOADS_BUCKET, "t1/d1/a.txt", b"complete")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    # The failure strikes after the new bytes were written to the temp file, before the rename.
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await local_store.put_bytes(UPLOADS_BUCKET, "t1/d1/a.txt", b"half")
    monkeypatch.undo()

    assert await local_store.get_bytes(UPLOADS_BUCKET, "t1/d1/a.txt") == b"complete"
    assert os.listdir(local_store.root / UPLOADS_BUCKET / "t1" / "d1") == ["a.txt"]


async def test_deletes_remove_the_folders_they_empty(local_store: LocalObjectStore) -> None:
    await local_store.put_bytes(UPLOADS_BUCKET, "t1/d1/pages/p1.png", b"1")
    await local_store.put_bytes(UPLOADS_BUCKET, "t1/d2/raw.pdf", b"2")
    await local_store.put_bytes(UPLOADS_BUCKET, "t2/d1/raw.pdf", b"3")

    assert await local_store.delete_prefix(UPLOADS_BUCKET, "t1/d1/") == 1
    await local_store.delete(UPLOADS_BUCKET, "t1/d2/raw.pdf")

    assert sorted(os.listdir(local_store.root / UPLOADS_BUCKET)) == ["t2"]
    assert (local_store.root / UPLOADS_BUCKET).is_dir()  # the bucket itself stays


async def test_the_presigned_url_is_a_file_url_to_the_object(local_store: LocalObjectStore) -> None:
    await local_store.put_bytes(UPLOADS_BUCKET, "t1/d1/report final.pdf", b"x")
    url = await local_store.presigned_get_url(UPLOADS_BUCKET, "t1/d1/report final.pdf")
    assert url == (local_store.root / UPLOADS_BUCKET / "t1" / "d1" / "report final.pdf").absolute().as_uri()
    assert "report%20final.pdf" in url


async def test_ping_fails_before_the_folder_exists(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "nowhere")
    with pytest.raises(ConfigurationError, match="does not exist"):
        await store.ping()
    await store.ensure_buckets()
    assert sorted(os.listdir(tmp_path / "nowhere")) == sorted(BUCKETS)


def test_the_factory_picks_the_local_folder_when_no_endpoint_is_set(tmp_path: Path) -> None:
    settings = AppSettings(home=tmp_path, storage=StorageSettings(s3_endpoint=None))
    store = create_object_store(settings)
    assert isinstance(store, LocalObjectStore)
    assert store.root == tmp_path / "objects"
