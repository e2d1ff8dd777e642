"""Pick the object store from settings: S3 when an endpoint is set, else the local folder under the data dir."""

from __future__ import annotations

from aurora_mcp.config import AppSettings
from aurora_mcp.errors import ConfigurationError
from aurora_mcp.storage.base import ObjectStore
from aurora_mcp.storage.local import LocalObjectStore


def create_object_store(settings: AppSettings) -> ObjectStore:
    """Build (not open) the configured object store; call `ensure_buckets` to create its buckets.

    Args:
        settings: `settings.storage.s3_endpoint` set → S3/MinIO, unset → `LocalObjectStore(settings.objects_dir)`.

    Returns:
        The object store; nothing has touched the network or the disk yet.

    Raises:
        ConfigurationError: the endpoint is set without keys, is malformed, or the `minio` SDK is missing.
    """
    storage = settings.storage
    if not storage.s3_endpoint:
        return LocalObjectStore(settings.objects_dir)
    if not storage.s3_access_key or storage.s3_secret_key is None:
        # StorageSettings already validates this; settings built with model_construct skip validators.
        raise ConfigurationError("AURORA_S3_ENDPOINT needs AURORA_S3_ACCESS_KEY and AURORA_S3_SECRET_KEY")
    try:
        # Deferred so the embedded deployment never imports the SDK.
        from aurora_mcp.storage.s3 import S3ObjectStore
    except ImportError as exc:
        raise ConfigurationError(
            f"AURORA_S3_ENDPOINT is set but the S3 client is missing ({exc.name}): pip install 'minio>=7.2'"
        ) from exc
    return S3ObjectStore(
        storage.s3_endpoint,
        storage.s3_access_key,
        storage.s3_secret_key,
        secure=storage.s3_secure,
        region=storage.s3_region,
    )
