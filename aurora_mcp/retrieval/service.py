"""Hybrid search: embed the query, ask the index (RRF + MMR), drop dead documents, cite, log, update the thread."""

from __future__ import annotations

import time
import uuid

import asyncpg

from aurora_mcp.db.records import QueryLogEntry
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.embedding.base import DenseEmbedder, SparseEncoder
from aurora_mcp.index.base import HybridQuery, IndexHit, SearchMode, VectorIndex
from aurora_mcp.retrieval.models import (
    Citation,
    DocumentGroup,
    FollowupContext,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)
from aurora_mcp.retrieval.query_log import QueryLogWriter
from aurora_mcp.scope import ProviderKeyResolver, TenantScope, no_provider_key

# Equal RRF weights: at k = 60 extra weight on BM25 helped index terms by < 0.005 and cost questions 0.01-0.04
# (bench/quality.py, bench/fusion.py).
DENSE_WEIGHT = 1.0
SPARSE_WEIGHT = 1.0


class RetrievalService:
    """Answers searches for one tenant at a time; the tenant filter is added here and nowhere else can remove it."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        index: VectorIndex,
        embedder: DenseEmbedder,
        sparse: SparseEncoder,
        query_log: QueryLogWriter,
        dense_weight: float = DENSE_WEIGHT,
        sparse_weight: float = SPARSE_WEIGHT,
        provider_key: ProviderKeyResolver = no_provider_key,
    ) -> None:
        self._pool = pool
        self._index = index
        self._embedder = embedder
        self._sparse = sparse
        self._query_log = query_log
        self._provider_key = provider_key
        self._documents = DocumentRepository()
        self._threads = ThreadStateRepository()
        self.dense_weight = dense_weight
        self.sparse_weight = sparse_weight

    async def search(
        self, scope: TenantScope, request: SearchRequest, *, followup: FollowupContext | None = None
    ) -> SearchResponse:
        """Search, retrying relaxed forms when the first pass finds nothing; always writes one query log row."""
        started = time.perf_counter()
        followup = followup or FollowupContext()
        tried: list[str] = []
        hits: list[IndexHit] = []
        final_query = request.query
        for query_text, filters in self._attempts(request, followup):
            tried.append(query_text if filters is request.filters else f"{query_text} [without optional filters]")
            hits = await self._search_once(scope, request, query_text, filters)
            final_query = query_text
            if hits:
                break
        citations = [_citation(rank, hit) for rank, hit in enumerate(hits, start=1)]
        latency_ms = int((time.perf_counter() - started) * 1000)
        query_id = str(uuid.uuid4())
        self._query_log.submit(
            QueryLogEntry(
                id=query_id,
                tenant_id=scope.tenant_id,
                question=request.query,
                k=request.k,
                fetch_k=request.fetch_k,
                mmr_lambda=request.mmr_lambda,
                filters=request.filters.model_dump(mode="json", exclude_none=True),
                latency_ms=latency_ms,
                model=self._embedder.model_name,
                citations=[
                    {
                        "document_id": c.document_id,
                        "chunk_index": c.chunk_index,
                        "section_id": c.section_id,
                        "score": c.score,
                    }
                    for c in citations
                ],
                thread_id=request.thread_id,
                caller_app=scope.caller_app,
                retrieval_query_final=final_query,
                retrieval_queries_tried=tried,
                retrieval_retry_count=len(tried) - 1,
                condense_used=followup.condense_used,
                condense_model=followup.condense_model,
                followup_resolved=followup.resolved if followup.ref_type or followup.resolved else None,
                followup_section_id=followup.section_id,
                followup_section_title=followup.section_title,
                followup_ref_type=followup.ref_type,
            )
        )
        if request.thread_id:
            await self._remember_in_thread(scope, request.thread_id, citations, query_id)
        return SearchResponse(
            query_id=query_id,
            query=request.query,
            retrieval_query_final=final_query,
            retrieval_queries_tried=tried,
            retrieval_retry_count=len(tried) - 1,
            latency_ms=latency_ms,
            results=citations,
            groups=_group(citations) if request.group_by_document else None,
        )

    def _attempts(self, request: SearchRequest, followup: FollowupContext) -> list[tuple[str, SearchFilters]]:
        """The query as asked, then the follow-up's fallbacks, then the same without optional filters.

        `document_ids` is not optional: it is the caller's explicit scope (and a follow-up's target documents).
        """
        attempts = [(request.query, request.filters)]
        for alt in followup.fallback_queries:
            if alt and alt != request.query:
                attempts.append((alt, request.filters))
        relaxed = SearchFilters(document_ids=request.filters.document_ids)
        if relaxed != request.filters:
            attempts.append((request.query, relaxed))
        return attempts

    async def _search_once(
        self, scope: TenantScope, request: SearchRequest, query_text: str, filters: SearchFilters
    ) -> list[IndexHit]:
        dense = await self._embedder.embed_query(query_text, api_key=await self._provider_key(scope))
        sparse = self._sparse.encode_query(query_text)
        # Only stopwords or symbols: BM25 has nothing to say, so an empty prefetch must not dilute the fusion.
        empty_sparse = not sparse.indices and request.mode is SearchMode.HYBRID
        mode = SearchMode.DENSE if empty_sparse else request.mode
        hits = await self._index.query(
            HybridQuery(
                dense=dense,
                sparse=sparse,
                filter=filters.to_index_filter(scope.tenant_id),
                k=request.k,
                fetch_k=request.fetch_k,
                mmr_lambda=request.mmr_lambda,
                mode=mode,
                dense_weight=self.dense_weight,
                sparse_weight=self.sparse_weight,
            )
        )
        if not hits:
            return hits
        # Points of a deleted or replaced document may outlive its row for a moment: only live rows count.
        doc_ids = sorted({str(h.payload.get("document_id")) for h in hits})
        live = await self._documents.live_ids(self._pool, scope.tenant_id, doc_ids)
        return [h for h in hits if str(h.payload.get("document_id")) in live]

    async def _remember_in_thread(
        self, scope: TenantScope, thread_id: str, citations: list[Citation], query_id: str
    ) -> None:
        doc_ids: list[str] = []
        titles: list[str] = []
        for c in citations:
            if c.document_id not in doc_ids:
                doc_ids.append(c.document_id)
                titles.append(c.title or c.filename or c.document_id)
        await self._threads.upsert(
            self._pool,
            scope.tenant_id,
            scope.caller_app,
            thread_id,
            last_doc_ids=doc_ids,
            last_titles=titles,
            last_answer_query_id=query_id,
        )


def _citation(rank: int, hit: IndexHit) -> Citation:
    p = hit.payload
    return Citation(
        rank=rank,
        document_id=str(p.get("document_id")),
        title=p.get("title"),
        filename=p.get("filename"),
        section_id=p.get("section_id"),
        section_title=p.get("section_title"),
        heading_path=list(p.get("heading_path") or []),
        pages=list(p.get("pages") or []),
        chunk_index=int(p.get("chunk_index", 0)),
        score=round(float(hit.score), 6),
        text=str(p.get("text", "")),
    )


def _group(citations: list[Citation]) -> list[DocumentGroup]:
    groups: dict[str, DocumentGroup] = {}
    for c in citations:
        group = groups.setdefault(
            c.document_id, DocumentGroup(document_id=c.document_id, title=c.title, filename=c.filename, citations=[])
        )
        group.citations.append(c)
    return list(groups.values())
