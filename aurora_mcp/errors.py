"""Domain exceptions; the MCP surface and the CLI turn them into actionable messages."""

from __future__ import annotations


class AuroraError(Exception):
    """Base class: every error a caller can act on; the message is safe to show (no secrets, no internals)."""


class ConfigurationError(AuroraError):
    """Raised when settings are inconsistent or a backend cannot be reached at start-up."""


class DatabaseUnavailable(ConfigurationError):
    """Raised when PostgreSQL cannot be reached; the message names host and port, never the password."""


class SchemaTooNew(ConfigurationError):
    """Raised when the database holds a migration this code does not know (a newer release wrote it)."""


class EngineBusy(ConfigurationError):
    """Raised when another process already holds the embedded engines of the same data dir."""


class DimensionMismatch(ConfigurationError):
    """Raised when the collection's dense vector size differs from the embedder's dimension."""


class NotFound(AuroraError):
    """Raised when a row does not exist for this tenant (other tenants' rows are indistinguishable from absent)."""


class DocumentNotFound(NotFound):
    """Raised when a document id is unknown to the caller's tenant."""


class JobNotFound(NotFound):
    """Raised when an ingestion job id is unknown to the caller's tenant."""


class TenantNotFound(NotFound):
    """Raised when a tenant slug or id does not exist."""


class InvalidInput(AuroraError):
    """Raised when a caller's argument is malformed: empty query, unknown filter field, bad id."""


class UnsupportedFormat(InvalidInput):
    """Raised when a file's type is not one docling can parse here."""


class FileRejected(InvalidInput):
    """Raised when a file is empty, too large, corrupt or encrypted, or a path lies outside the allowed roots."""


class IngestionFailed(AuroraError):
    """Raised when a stage of ingestion failed; the job and the document carry the same error text."""


class EmbeddingUnavailable(AuroraError):
    """Raised when the embedding backend refuses (auth), keeps failing (rate limits, 5xx) or is missing."""


class Unauthorized(AuroraError):
    """Raised when a bearer token is missing or unknown."""


class BackupNotFound(NotFound):
    """Raised when a backup id has no manifest in the backups bucket (unknown, pruned, or never completed)."""


class BackupCorrupt(AuroraError):
    """Raised when a backup part is missing or its sha256 differs from the manifest; nothing has been changed."""


class DeploymentNotEmpty(AuroraError):
    """Raised when a restore targets a deployment that holds documents or points and `force` was not given."""


class SecretUnavailable(ConfigurationError):
    """Raised when a stored provider key cannot be encrypted or decrypted: no master key, or not the right one."""
