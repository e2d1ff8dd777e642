"""Heading-aware, token-bounded chunking of a DoclingDocument with docling-core's HybridChunker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import semchunk
from docling_core.transforms.chunker.hierarchical_chunker import ChunkingDocSerializer, ChunkingSerializerProvider
from docling_core.transforms.chunker.hybrid_chunker import HybridChunker
from docling_core.transforms.serializer.markdown import MarkdownParams, MarkdownTableSerializer
from docling_core.types.doc import DoclingDocument, ImageRefMode, SectionHeaderItem, TitleItem
from typing_extensions import override

from aurora_mcp.embedding.base import TokenCounter
from aurora_mcp.ingest.models import Chunk, Section
from aurora_mcp.ingest.tokenizer_adapter import CounterTokenizer

if TYPE_CHECKING:
    from docling_core.transforms.chunker.doc_chunk import DocChunk
    from docling_core.transforms.serializer.base import BaseDocSerializer


class _MarkdownTablesProvider(ChunkingSerializerProvider):
    """Chunk tables as markdown pipe tables (readable when shown, header repeated on split) instead of triplets.

    Compact tables: padding and long `|-----|` rules would cost the embedder a token per dash.
    """

    @override
    def get_serializer(self, doc: DoclingDocument) -> BaseDocSerializer:
        params = MarkdownParams(
            image_mode=ImageRefMode.PLACEHOLDER,
            image_placeholder="",
            escape_underscores=False,
            escape_html=False,
            compact_tables=True,
        )
        return ChunkingDocSerializer(doc=doc, table_serializer=MarkdownTableSerializer(), params=params)


class _WholeItemsHybridChunker(HybridChunker):
    """HybridChunker that keeps a structural chunk whole when it already fits.

    docling-core re-serializes every multi-item chunk item by item, which turns an inline paragraph
    ("the type `numeric` can…") into separate lines and code fences; splitting is only needed when it overflows.
    """

    @override
    def _split_by_doc_items(self, doc_chunk: DocChunk, doc_serializer: BaseDocSerializer) -> list[DocChunk]:
        if len(doc_chunk.meta.doc_items) > 1 and self._count_chunk_tokens(doc_chunk=doc_chunk) <= self.max_tokens:
            return [doc_chunk]
        return super()._split_by_doc_items(doc_chunk, doc_serializer)


class SectionChunker:
    """Cuts documents into chunks whose `embed_text` (headings + text) fits the embedder's window.

    Each chunk keeps its heading path, the numbered section it belongs to and its pages.
    """

    def __init__(self, token_counter: TokenCounter, *, max_tokens: int | None = None) -> None:
        """Args:
        token_counter: the embedder's tokenizer; chunk sizes are counted with it.
        max_tokens: a smaller budget than the embedder's window (never larger: it is capped).
        """
        self._counter = token_counter
        self._tokenizer = CounterTokenizer.for_counter(token_counter, max_tokens=max_tokens)
        self._chunker = _WholeItemsHybridChunker(
            tokenizer=self._tokenizer, merge_peers=True, serializer_provider=_MarkdownTablesProvider()
        )

    @property
    def max_tokens(self) -> int:
        return self._tokenizer.max_tokens

    def chunk(self, docling_json: str, sections: list[Section]) -> list[Chunk]:
        """Chunk a parsed document.

        Args:
            docling_json: `ParsedDocument.docling_json`.
            sections: `ParsedDocument.sections`, to tag each chunk with its numbered section.

        Returns:
            Chunks in reading order, `chunk_index` from 0; every `embed_text` fits `max_tokens`.
        """
        doc = DoclingDocument.model_validate_json(docling_json)
        owner = _section_owners(doc, sections)
        chunks: list[Chunk] = []
        for doc_chunk in self._chunker.chunk(dl_doc=doc):
            headings = list(doc_chunk.meta.headings or [])
            section = next((owner[it.self_ref] for it in doc_chunk.meta.doc_items if it.self_ref in owner), None)
            pages = sorted({prov.page_no for it in doc_chunk.meta.doc_items for prov in getattr(it, "prov", [])})
            for text, embed_text in self._fit(doc_chunk, headings):
                chunks.append(
                    Chunk(
                        chunk_index=len(chunks),
                        text=text,
                        embed_text=embed_text,
                        heading_path=headings,
                        section_id=section.section_id if section else None,
                        section_title=section.title if section else None,
                        pages=pages,
                    )
                )
        return chunks

    def _fit(self, doc_chunk: DocChunk, headings: list[str]) -> list[tuple[str, str]]:
        """(text, embed_text) pairs within budget; HybridChunker nearly always fits, this is the guarantee."""
        embed_text = self._chunker.contextualize(chunk=doc_chunk)
        if self._counter.count_tokens(embed_text) <= self.max_tokens:
            return [(doc_chunk.text, embed_text)]
        prefix = "\n".join(headings)
        budget = self.max_tokens - self._counter.count_tokens(prefix) - 1
        if not prefix or budget < self.max_tokens // 4:
            prefix, budget = "", self.max_tokens  # headings too long to repeat: embed the text alone
        while budget > 0:
            pieces = semchunk.chunkerify(self._counter.count_tokens, chunk_size=budget)(doc_chunk.text)
            pairs = [(p, f"{prefix}\n{p}" if prefix else p) for p in pieces if p.strip()]
            overflow = max((self._counter.count_tokens(e) - self.max_tokens for _, e in pairs), default=0)
            if overflow <= 0:
                return pairs
            budget -= overflow
        raise ValueError(f"cannot fit text into {self.max_tokens} tokens")


def _section_owners(doc: DoclingDocument, sections: list[Section]) -> dict[str, Section]:
    """Map each item's self_ref to the section it falls under: by heading ref, else by heading order and title
    (so two sections with the same title still map to their own occurrence)."""
    by_ref = {s.item_ref: s for s in sections if s.item_ref}
    queue = [s for s in sections if not s.item_ref]
    owner: dict[str, Section] = {}
    current: Section | None = None
    for item, _ in doc.iterate_items():
        if isinstance(item, TitleItem | SectionHeaderItem):
            if item.self_ref in by_ref:
                current = by_ref[item.self_ref]
            elif queue and " ".join(item.text.split()) == queue[0].title:
                current = queue.pop(0)
            continue
        if current is not None:
            owner[item.self_ref] = current
    return owner
