"""The S3 object store (MinIO, AWS S3, SeaweedFS) over the blocking `minio` SDK, run in worker threads."""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError
from pydantic import SecretStr
from typing_extensions import override

from aurora_mcp.errors import AuroraError, ConfigurationError, InvalidInput, NotFound
from aurora_mcp.storage.base import BUCKETS, ObjectInfo, ObjectStore

T = TypeVar("T")

MIN_PART_SIZE = 5 * 1024 * 1024  # the S3 minimum for every part but the last
DEFAULT_PART_SIZE = 16 * 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 presigned URLs cannot live longer
_AUTH_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidSecurity"}
)


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """Accept `host:port` (what the SDK wants) or `http(s)://host:port` (what people paste); the scheme wins."""
    if "://" not in endpoint:
        return endpoint.rstrip("/"), secure
    parts = urlsplit(endpoint)
    malformed = parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
    if malformed or "@" in parts.netloc:  # credentials in the URL would end up in error messages
        raise ConfigurationError(f"invalid S3 endpoint {endpoint!r}: expected host:port or http(s)://host:port")
    return parts.netloc, parts.scheme == "https"


def _short_reason(exc: BaseException) -> str:
    """The useful end of a urllib3 error ("[Errno 111] Connection refused"), without object reprs."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if text.startswith("<") and ": " in text:
        text = text.split(": ", 1)[1]
    return text


class S3ObjectStore(ObjectStore):
    """Objects in three S3 buckets; the only module that talks to S3. Errors name the endpoint, never the secret."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str | SecretStr,
        *,
        secure: bool = False,
        region: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        """Build the client; no request is sent until `ensure_buckets` or `ping`.

        Args:
            endpoint: `host:port`, or `http(s)://host:port` (then the scheme decides `secure`).
            access_key: the access key id (shown in error messages; it is not a secret).
            secret_key: the secret key (never shown).
            secure: use https.
            region: the bucket region; None lets the SDK ask the server (one extra request per bucket).
            part_size: multipart part size for uploads; files up to this size go in one PUT.
            connect_timeout, read_timeout, retries: HTTP behaviour; short connect timeout and few retries so an
                unreachable endpoint fails start-up in seconds rather than the SDK's minutes.

        Raises:
            ConfigurationError: the endpoint is malformed or `part_size` is outside S3 limits.
        """
        if not MIN_PART_SIZE <= part_size <= 5 * 1024**3:
            raise ConfigurationError(f"S3 part_size must be between 5 MiB and 5 GiB, got {part_size}")
        host, secure = _split_endpoint(endpoint, secure)
        secret = secret_key.get_secret_value() if isinstance(secret_key, SecretStr) else secret_key
        self._url = f"{'https' if secure else 'http'}://{host}"
        self._access_key = access_key
        self._region = region
        self._part_size = part_size
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=16,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        try:
            self._client = Minio(
                host, access_key=access_key, secret_key=secret, secure=secure, region=region, http_client=self._http
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid S3 endpoint {endpoint!r}: {exc}") from exc

    @property
    def endpoint_url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"S3ObjectStore({self._url!r}, access_key={self._access_key!r})"

    # --- one place turns SDK and network failures into domain errors --------------------------------------------

    def _domain_error(self, exc: S3Error, bucket: str | None, key: str | None) -> AuroraError | None:
        if exc.code == "NoSuchKey" and bucket is not None and key is not None:
            return NotFound(f"object not found: {bucket}/{key}")
        if exc.code == "NoSuchBucket":
            return ConfigurationError(f"bucket {bucket} does not exist on S3 at {self._url} (ensure_buckets not run?)")
        if exc.code == "BucketAlreadyExists":
            return ConfigurationError(f"bucket {bucket} on S3 at {self._url} belongs to another account")
        if exc.code in _AUTH_CODES:
            return ConfigurationError(
                f"S3 at {self._url} refused access key {self._access_key!r} ({exc.code}): check the access and "
                "secret keys and the bucket permissions"
            )
        return None

    async def _call(self, fn: Callable[..., T], *args: object, bucket: str | None = None, key: str | None = None) -> T:
        try:
            return await anyio.to_thread.run_sync(partial(fn, *args))
        except S3Error as exc:
            mapped = self._domain_error(exc, bucket, key)
            if mapped is None:
                raise
            raise mapped from exc
        except urllib3.exceptions.HTTPError as exc:
            raise ConfigurationError(f"S3 endpoint {self._url} is unreachable: {_short_reason(exc)}") from exc
        except ServerError as exc:
            raise ConfigurationError(f"S3 endpoint {self._url} failed with HTTP {exc.status_code}") from exc
        except InvalidResponseError as exc:
            raise ConfigurationError(f"{self._url} does not answer like an S3 endpoint") from exc

    def _info(self, bucket: str, key: str, size: int) -> ObjectInfo:
        return ObjectInfo(bucket=bucket, key=key, size_bytes=size, uri=f"s3://{bucket}/{key}")

    @staticmethod
    def _content_type(key: str, content_type: str | None) -> str:
        # A guessed type lets a browser opening a presigned URL show a PDF instead of downloading a blob.
        return content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"

    # --- blocking bodies, run in worker threads ----------------------------------------------------------------

    def _ensure_bucket(self, bucket: str) -> None:
        # Checking first needs no create permission when an operator made the buckets beforehand.
        if self._client.bucket_exists(bucket):
            return
        try:
            self._client.make_bucket(bucket, location=self._region)
        except S3Error as exc:
            # Another replica created it between our check and our create: that is the outcome we wanted.
            if exc.code != "BucketAlreadyOwnedByYou":
                raise

    def _put_file(self, bucket: str, key: str, path: Path, content_type: str) -> int:
        with open(path, "rb") as data:
            size = os.fstat(data.fileno()).st_size
            self._client.put_object(bucket, key, data, size, content_type=content_type, part_size=self._part_size)
        return size

    def _read(self, bucket: str, key: str) -> bytes:
        response = self._client.get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def _delete_prefix(self, bucket: str, prefix: str) -> int:
        names = [
            obj.object_name
            for obj in self._client.list_objects(bucket, prefix=prefix, recursive=True)
            if obj.object_name and not obj.is_dir
        ]
        # remove_objects is lazy: nothing is deleted until its error iterator is consumed.
        errors = list(self._client.remove_objects(bucket, (DeleteObject(name) for name in names)))
        if errors:
            first = errors[0]
            raise AuroraError(
                f"could not delete {len(errors)} of {len(names)} objects under {bucket}/{prefix}: "
                f"{first.code} on {first.name}"
            )
        return len(names)

    def _list(self, bucket: str, prefix: str) -> list[ObjectInfo]:
        infos = [
            self._info(bucket, obj.object_name, obj.size or 0)
            for obj in self._client.list_objects(bucket, prefix=prefix, recursive=True)
            if obj.object_name and not obj.is_dir and not obj.object_name.endswith("/")
        ]
        # S3 sorts by UTF-8 bytes, which is code-point order; sort anyway so every backend agrees.
        return sorted(infos, key=lambda info: info.key)

    # --- the contract ------------------------------------------------------------------------------------------

    @override
    async def ensure_buckets(self) -> None:
        for bucket in BUCKETS:
            await self._call(self._ensure_bucket, bucket, bucket=bucket)

    @override
    async def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        await self._call(
            partial(self._client.put_object, content_type=self._content_type(key, content_type)),
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            bucket=bucket,
            key=key,
        )
        return self._info(bucket, key, len(data))

    @override
    async def put_file(self, bucket: str, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        content = self._content_type(key, content_type)
        size = await self._call(self._put_file, bucket, key, Path(path), content, bucket=bucket, key=key)
        return self._info(bucket, key, size)

    @override
    async def get_bytes(self, bucket: str, key: str) -> bytes:
        return await self._call(self._read, bucket, key, bucket=bucket, key=key)

    @override
    async def get_file(self, bucket: str, key: str, path: Path) -> None:
        # fget_object writes `<path>.<etag>.part.minio` and renames it, so `path` never holds half a download.
        await self._call(self._client.fget_object, bucket, key, str(path), bucket=bucket, key=key)

    @override
    async def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            found = await self._call(self._client.stat_object, bucket, key, bucket=bucket, key=key)
        except NotFound:
            return None
        return self._info(bucket, key, found.size or 0)

    @override
    async def delete(self, bucket: str, key: str) -> None:
        await self._call(self._client.remove_object, bucket, key, bucket=bucket, key=key)

    @override
    async def delete_prefix(self, bucket: str, prefix: str) -> int:
        if not prefix:
            # One missing tenant id must never wipe every tenant's objects.
            raise InvalidInput("delete_prefix needs a non-empty prefix")
        return await self._call(self._delete_prefix, bucket, prefix, bucket=bucket)

    @override
    async def list(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        return await self._call(self._list, bucket, prefix, bucket=bucket)

    @override
    async def presigned_get_url(self, bucket: str, key: str, *, expires_seconds: int = 3600) -> str:
        if not 1 <= expires_seconds <= MAX_PRESIGN_SECONDS:
            raise InvalidInput(f"expires_seconds must be between 1 and {MAX_PRESIGN_SECONDS}, got {expires_seconds}")
        expires = timedelta(seconds=expires_seconds)
        return await self._call(self._client.get_presigned_url, "GET", bucket, key, expires, bucket=bucket, key=key)

    @override
    async def ping(self) -> str:
        # HEAD on our own buckets rather than ListAllMyBuckets: scoped production keys often lack the latter.
        missing = [bucket for bucket in BUCKETS if not await self._call(self._client.bucket_exists, bucket)]
        state = f"missing buckets: {', '.join(missing)}" if missing else "buckets ready"
        return f"S3 {self._url} ({state})"

    @override
    async def close(self) -> None:
        self._http.clear()
