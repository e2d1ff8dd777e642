"""The Aurora façade: one object per process that opens every backend once and hands out the services."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from types import TracebackType

import asyncpg

from aurora_mcp.config import AppSettings, EmbeddingProvider
from aurora_mcp.conversation.service import ConversationService
from aurora_mcp.db.migrate import check_schema, migrate
from aurora_mcp.db.pool import open_pool
from aurora_mcp.db.repositories.tenants import TenantRepository
from aurora_mcp.documents import DocumentService
from aurora_mcp.embedding.base import DenseEmbedder, SparseEncoder
from aurora_mcp.embedding.factory import create_dense_embedder, create_sparse_encoder
from aurora_mcp.index.base import VectorIndex
from aurora_mcp.index.factory import create_vector_index
from aurora_mcp.ingest.chunking import SectionChunker
from aurora_mcp.ingest.parsing import DoclingParser
from aurora_mcp.ingest.queue import IngestQueue
from aurora_mcp.ingest.service import IngestService
from aurora_mcp.ops.secrets import KeyService
from aurora_mcp.retrieval.query_log import QueryLogWriter
from aurora_mcp.retrieval.service import RetrievalService
from aurora_mcp.scope import ProviderKeyResolver, TenantScope, no_provider_key
from aurora_mcp.storage.base import ObjectStore
from aurora_mcp.storage.factory import create_object_store

logger = logging.getLogger(__name__)


class Aurora:
    """Opens PostgreSQL (embedded or by URL), the vector index, the object store and the embedders, in that order.

    Used as `async with Aurora(settings) as app:` by the MCP server, the CLI, workers and tests alike, so every
    entry point shares the same behaviour. If start-up fails half-way, what was opened is closed again.
    """

    def __init__(
        self,
        settings: AppSettings,
        *,
        embedder: DenseEmbedder | None = None,
        sparse_encoder: SparseEncoder | None = None,
        apply_migrations: bool = True,
    ) -> None:
        self.settings = settings
        self._embedder_override = embedder
        self._sparse_override = sparse_encoder
        self._apply_migrations = apply_migrations
        self._stack = AsyncExitStack()
        self._pool: asyncpg.Pool | None = None
        self._index: VectorIndex | None = None
        self._store: ObjectStore | None = None
        self._embedder: DenseEmbedder | None = None
        self.ingest: IngestService
        self.queue: IngestQueue
        self.retrieval: RetrievalService
        self.conversation: ConversationService
        self.documents: DocumentService

    async def __aenter__(self) -> Aurora:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _open(self) -> None:
        settings = self.settings
        settings.home.mkdir(parents=True, exist_ok=True)
        dsn = await self._database_dsn()
        pool = await open_pool(dsn, min_size=settings.database.db_pool_min, max_size=settings.database.db_pool_max)
        self._stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            if self._apply_migrations:
                applied = await migrate(conn)
                if applied:
                    logger.info("applied migrations: %s", ", ".join(applied))
            await check_schema(conn)
        self._pool = pool

        self._embedder = self._embedder_override or create_dense_embedder(settings.embedding)
        self._stack.push_async_callback(self._embedder.close)
        await self._embedder.start()
        sparse = self._sparse_override or create_sparse_encoder()

        index = create_vector_index(settings)
        self._stack.push_async_callback(index.close)
        await index.ensure_collection(self._embedder.dimension)
        self._index = index

        store = create_object_store(settings)
        self._stack.push_async_callback(store.close)
        await store.ensure_buckets()
        self._store = store

        query_log = QueryLogWriter(pool)
        await self._stack.enter_async_context(query_log)

        provider_key = self._provider_key_resolver(pool)
        parser = DoclingParser(pdf_pipeline=settings.ingest.pdf_pipeline)
        chunker = SectionChunker(self._embedder.token_counter(), max_tokens=settings.ingest.chunk_max_tokens)
        self.documents = DocumentService(pool=pool, index=index, store=store)
        self.ingest = IngestService(
            settings=settings.ingest,
            pool=pool,
            store=store,
            index=index,
            parser=parser,
            chunker=chunker,
            embedder=self._embedder,
            sparse=sparse,
            documents=self.documents,
            provider_key=provider_key,
        )
        self.queue = IngestQueue(settings=settings.ingest, pool=pool, store=store, index=index, ingest=self.ingest)
        self.retrieval = RetrievalService(
            pool=pool,
            index=index,
            embedder=self._embedder,
            sparse=sparse,
            query_log=query_log,
            provider_key=provider_key,
        )
        self.conversation = ConversationService(
            pool=pool, documents=self.documents, retrieval=self.retrieval, query_log=query_log
        )

    def _provider_key_resolver(self, pool: asyncpg.Pool) -> ProviderKeyResolver:
        """A tenant's own OpenAI key (`aurora-mcp keys set`) when the embedder is OpenAI-compatible."""
        if self.settings.embedding.embedding_provider is not EmbeddingProvider.OPENAI:
            return no_provider_key
        keys = KeyService(pool, self.settings.secrets)

        async def tenant_key(scope: TenantScope) -> str | None:
            return await keys.resolve_key(scope.tenant_id, "openai")

        return tenant_key

    async def _database_dsn(self) -> str:
        url = self.settings.database.database_url
        if url is not None:
            return url.get_secret_value()
        # Lazy: the embedded wheel is only touched when no server is configured.
        from aurora_mcp.db.embedded import EmbeddedPostgres

        embedded = EmbeddedPostgres(self.settings.postgres_dir)
        dsn = await embedded.start()
        self._stack.push_async_callback(embedded.stop)
        return dsn

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Aurora is not open: use `async with Aurora(settings) as app`")
        return self._pool

    @property
    def index(self) -> VectorIndex:
        if self._index is None:
            raise RuntimeError("Aurora is not open")
        return self._index

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            raise RuntimeError("Aurora is not open")
        return self._store

    @property
    def embedder(self) -> DenseEmbedder:
        if self._embedder is None:
            raise RuntimeError("Aurora is not open")
        return self._embedder

    async def scope(self, tenant_slug: str, caller_app: str | None = None) -> TenantScope:
        """The scope of a tenant by slug, created on first use (stdio and the CLI run as a configured slug)."""
        tenant = await TenantRepository().get_or_create(self.pool, tenant_slug)
        return TenantScope(
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            caller_app=caller_app or self.settings.server.caller_app,
        )
