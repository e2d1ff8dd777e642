"""One contract for every object store: the local folder and S3 (a real SeaweedFS) must behave the same."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import anyio
import httpx
import pytest

from aurora_mcp.errors import InvalidInput, NotFound
from aurora_mcp.storage.base import ARTIFACTS_BUCKET, BACKUPS_BUCKET, UPLOADS_BUCKET, ObjectStore, object_key

pytestmark = pytest.mark.anyio

ODD_NAMES = [
    "中文.pdf",
    "rapport final (v2).docx",
    'l\'été "cité".txt',
    "100% + plus & more #1?.md",
    "emoji 📄 ünïcödé.xlsx",
]


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def tenant() -> str:
    # S3 buckets live for the whole session: a fresh tenant per test keeps tests apart without cleanup.
    return f"t-{uuid.uuid4().hex[:12]}"


async def download(url: str) -> bytes:
    if url.startswith("file://"):
        return Path(url2pathname(urlsplit(url).path)).read_bytes()
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    response.raise_for_status()
    return response.content


async def test_bytes_put_are_read_back_with_their_size_and_an_s3_uri(store: ObjectStore, tenant: str) -> None:
    key = object_key(tenant, "doc1", "source.txt")
    info = await store.put_bytes(UPLOADS_BUCKET, key, b"hello aurora")
    assert (info.bucket, info.key, info.size_bytes) == (UPLOADS_BUCKET, key, 12)
    assert info.uri == f"s3://{UPLOADS_BUCKET}/{key}"
    assert await store.get_bytes(UPLOADS_BUCKET, key) == b"hello aurora"


async def test_a_second_put_replaces_the_object(store: ObjectStore, tenant: str) -> None:
    key = object_key(tenant, "doc1", "doc.json")
    await store.put_bytes(ARTIFACTS_BUCKET, key, b"first version, longer")
    await store.put_bytes(ARTIFACTS_BUCKET, key, b"second", content_type="application/json")
    assert await store.get_bytes(ARTIFACTS_BUCKET, key) == b"second"
    assert (await store.stat(ARTIFACTS_BUCKET, key)).size_bytes == 6


async def test_empty_objects_are_stored(store: ObjectStore, tenant: str) -> None:
    key = object_key(tenant, "doc1", "empty.md")
    assert (await store.put_bytes(ARTIFACTS_BUCKET, key, b"")).size_bytes == 0
    assert await store.get_bytes(ARTIFACTS_BUCKET, key) == b""


async def test_a_file_of_several_megabytes_streams_in_and_out_unchanged(
    store: ObjectStore, tenant: str, tmp_path: Path
) -> None:
    # 12 MiB with a 5 MiB part size (s3_store) takes the multipart path: three parts, the last one short.
    source = tmp_path / "big.pdf"
    source.write_bytes(os.urandom(12 * 1024 * 1024 + 123))
    key = object_key(tenant, "doc1", "big.pdf")
    info = await store.put_file(UPLOADS_BUCKET, key, source)
    assert info.size_bytes == source.stat().st_size
    target = tmp_path / "out" / "copy.pdf"
    await store.get_file(UPLOADS_BUCKET, key, target)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.pdf"]  # no temp file left behind


async def test_stat_reports_a_present_object_and_none_for_an_absent_one(store: ObjectStore, tenant: str) -> None:
    key = object_key(tenant, "doc1", "page-1.png")
    await store.put_bytes(ARTIFACTS_BUCKET, key, b"\x89PNG....")
    info = await store.stat(ARTIFACTS_BUCKET, key)
    assert info is not None
    assert (info.key, info.size_bytes, info.uri) == (key, 8, f"s3://{ARTIFACTS_BUCKET}/{key}")
    assert await store.stat(ARTIFACTS_BUCKET, object_key(tenant, "doc1", "page-2.png")) is None
    assert await store.stat(ARTIFACTS_BUCKET, f"{tenant}/doc1") is None  # a "folder" is not an object


async def test_reading_an_absent_object_raises_not_found_naming_bucket_and_key(
    store: ObjectStore, tenant: str, tmp_path: Path
) -> None:
    key = object_key(tenant, "doc1", "missing.pdf")
    with pytest.raises(NotFound, match=f"{UPLOADS_BUCKET}/{key}"):
        await store.get_bytes(UPLOADS_BUCKET, key)
    with pytest.raises(NotFound, match=f"{UPLOADS_BUCKET}/{key}"):
        await store.get_file(UPLOADS_BUCKET, key, tmp_path / "missing.pdf")
    assert not (tmp_path / "missing.pdf").exists()


async def test_deleting_an_absent_object_is_not_an_error(store: ObjectStore, tenant: str) -> None:
    await store.delete(UPLOADS_BUCKET, object_key(tenant, "nowhere", "nothing.pdf"))


async def test_delete_removes_only_that_object(store: ObjectStore, tenant: str) -> None:
    gone, kept = object_key(tenant, "doc1", "a.txt"), object_key(tenant, "doc1", "b.txt")
    await store.put_bytes(UPLOADS_BUCKET, gone, b"a")
    await store.put_bytes(UPLOADS_BUCKET, kept, b"b")
    await store.delete(UPLOADS_BUCKET, gone)
    assert await store.stat(UPLOADS_BUCKET, gone) is None
    assert [info.key for info in await store.list(UPLOADS_BUCKET, f"{tenant}/")] == [kept]


async def test_delete_prefix_removes_exactly_that_prefix(store: ObjectStore, tenant: str) -> None:
    other_tenant = f"{tenant}-other"
    doomed = [object_key(tenant, "doc1", "raw.pdf"), object_key(tenant, "doc1", "pages/p1.png")]
    # "doc10" shares the string prefix "doc1" but not the folder "doc1/": it must survive.
    survivors = [object_key(tenant, "doc10", "raw.pdf"), object_key(other_tenant, "doc1", "raw.pdf")]
    for key in doomed + survivors:
        await store.put_bytes(ARTIFACTS_BUCKET, key, key.encode())
    await store.put_bytes(BACKUPS_BUCKET, object_key(tenant, "doc1", "raw.pdf"), b"another bucket")

    assert await store.delete_prefix(ARTIFACTS_BUCKET, f"{tenant}/doc1/") == 2

    assert [info.key for info in await store.list(ARTIFACTS_BUCKET, f"{tenant}/doc1/")] == []
    remaining = [info.key for info in await store.list(ARTIFACTS_BUCKET, tenant)]
    assert remaining == sorted(survivors)
    assert await store.stat(BACKUPS_BUCKET, object_key(tenant, "doc1", "raw.pdf")) is not None
    assert await store.delete_prefix(ARTIFACTS_BUCKET, f"{tenant}/doc1/") == 0


async def test_delete_prefix_refuses_an_empty_prefix_so_no_bug_wipes_every_tenant(store: ObjectStore) -> None:
    with pytest.raises(InvalidInput):
        await store.delete_prefix(UPLOADS_BUCKET, "")


async def test_list_returns_every_object_under_the_prefix_sorted_by_key(store: ObjectStore, tenant: str) -> None:
    keys = [
        object_key(tenant, "doc2", "z.md"),
        object_key(tenant, "doc1", "tables/t2.csv"),
        object_key(tenant, "doc1", "b.md"),
        object_key(tenant, "doc1", "tables/t1.csv"),
        object_key(tenant, "doc1", "a.md"),
    ]
    for size, key in enumerate(keys, start=1):
        await store.put_bytes(ARTIFACTS_BUCKET, key, b"x" * size)

    listed = await store.list(ARTIFACTS_BUCKET, f"{tenant}/")
    assert [info.key for info in listed] == sorted(keys)
    assert {info.key: info.size_bytes for info in listed} == {key: n for n, key in enumerate(keys, start=1)}
    assert all(info.uri == f"s3://{ARTIFACTS_BUCKET}/{info.key}" for info in listed)
    assert [info.key for info in await store.list(ARTIFACTS_BUCKET, f"{tenant}/doc1/tables/")] == sorted(keys[1::2])
    assert [info.key for info in await store.list(ARTIFACTS_BUCKET, f"{tenant}/doc1/a")] == [keys[4]]
    assert await store.list(ARTIFACTS_BUCKET, f"{tenant}/doc9/") == []


async def test_a_presigned_url_downloads_the_bytes(store: ObjectStore, tenant: str) -> None:
    key = object_key(tenant, "doc1", "report.pdf")
    await store.put_bytes(UPLOADS_BUCKET, key, b"%PDF-1.7 pretend")
    url = await store.presigned_get_url(UPLOADS_BUCKET, key, expires_seconds=300)
    assert await download(url) == b"%PDF-1.7 pretend"


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_unicode_and_punctuated_names_round_trip(store: ObjectStore, tenant: str, name: str) -> None:
    key = object_key(tenant, "doc1", name)
    data = name.encode()
    assert (await store.put_bytes(UPLOADS_BUCKET, key, data)).uri == f"s3://{UPLOADS_BUCKET}/{key}"
    assert await store.get_bytes(UPLOADS_BUCKET, key) == data
    assert [info.key for info in await store.list(UPLOADS_BUCKET, f"{tenant}/")] == [key]
    assert await download(await store.presigned_get_url(UPLOADS_BUCKET, key)) == data
    await store.delete(UPLOADS_BUCKET, key)
    assert await store.stat(UPLOADS_BUCKET, key) is None


async def test_concurrent_writes_all_land(store: ObjectStore, tenant: str) -> None:
    async def put(n: int) -> None:
        await store.put_bytes(ARTIFACTS_BUCKET, object_key(tenant, "doc1", f"chunk-{n:03}.json"), str(n).encode())

    async with anyio.create_task_group() as group:
        for n in range(24):
            group.start_soon(put, n)
    listed = await store.list(ARTIFACTS_BUCKET, f"{tenant}/doc1/")
    assert [info.key.rsplit("/", 1)[1] for info in listed] == [f"chunk-{n:03}.json" for n in range(24)]


async def test_ensure_buckets_can_run_again(store: ObjectStore) -> None:
    await store.ensure_buckets()
    await store.ensure_buckets()


async def test_ping_describes_the_backend(store: ObjectStore) -> None:
    description = await store.ping()
    assert description.startswith(("local folder ", "S3 http://"))
    assert "missing" not in description
