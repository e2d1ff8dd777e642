"""What only the S3 store must guarantee: start-up failures are clear, name the endpoint and never the secret."""

from __future__ import annotations

import socket
import time

import pytest

from aurora_mcp.config import AppSettings, StorageSettings
from aurora_mcp.errors import ConfigurationError
from aurora_mcp.storage.base import UPLOADS_BUCKET
from aurora_mcp.storage.factory import create_object_store
from aurora_mcp.storage.s3 import S3ObjectStore
from tests.fixtures.s3 import S3Server

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_wrong_secret_is_reported_naming_the_endpoint_and_not_the_secret(s3_server: S3Server) -> None:
    wrong_secret = "wrong-secret-" + s3_server.secret_key[:8]
    store = S3ObjectStore(s3_server.endpoint, s3_server.access_key, wrong_secret)
    for start in (store.ensure_buckets, store.ping):
        with pytest.raises(ConfigurationError) as caught:
            await start()
        message = str(caught.value)
        assert s3_server.url in message
        assert "SignatureDoesNotMatch" in message
        assert wrong_secret not in message and s3_server.secret_key not in message
        assert wrong_secret not in repr(store)
    await store.close()


async def test_an_unknown_access_key_is_reported_as_a_configuration_error(s3_server: S3Server) -> None:
    store = S3ObjectStore(s3_server.endpoint, "AKNOBODY", s3_server.secret_key)
    with pytest.raises(ConfigurationError, match="refused access key 'AKNOBODY'"):
        await store.ping()


async def test_an_unreachable_endpoint_raises_configuration_error_quickly() -> None:
    endpoint = f"127.0.0.1:{closed_port()}"
    store = S3ObjectStore(endpoint, "AK", "a-secret-value")
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match=f"S3 endpoint http://{endpoint} is unreachable") as caught:
        await store.ensure_buckets()
    assert time.monotonic() - started < 10
    assert "a-secret-value" not in str(caught.value)


async def test_a_malformed_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="invalid S3 endpoint"):
        S3ObjectStore("ftp://example.com/path", "AK", "secret")


async def test_an_endpoint_written_as_a_url_is_accepted(s3_server: S3Server) -> None:
    store = S3ObjectStore(s3_server.url, s3_server.access_key, s3_server.secret_key)
    assert store.endpoint_url == s3_server.url
    await store.ensure_buckets()
    assert await store.ping() == f"S3 {s3_server.url} (buckets ready)"


async def test_the_factory_picks_s3_when_an_endpoint_is_set(s3_server: S3Server, tmp_path) -> None:
    storage = StorageSettings(
        s3_endpoint=s3_server.endpoint, s3_access_key=s3_server.access_key, s3_secret_key=s3_server.secret_key
    )
    store = create_object_store(AppSettings(home=tmp_path, storage=storage))
    assert isinstance(store, S3ObjectStore)
    await store.ensure_buckets()
    info = await store.put_bytes(UPLOADS_BUCKET, "factory/doc/x.txt", b"via factory")
    assert info.uri == f"s3://{UPLOADS_BUCKET}/factory/doc/x.txt"
    await store.close()
