"""docling-core tokenizer backed by Aurora's TokenCounter, so chunking never fetches a tokenizer from a hub."""

from __future__ import annotations

from collections.abc import Callable

from docling_core.transforms.chunker.tokenizer.base import BaseTokenizer
from pydantic import ConfigDict, Field
from typing_extensions import override

from aurora_mcp.embedding.base import TokenCounter


class CounterTokenizer(BaseTokenizer):
    """Sizes chunks with the embedder's own tokenizer; `max_tokens` defaults to the embedder's window."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    counter: TokenCounter
    max_tokens: int = Field(ge=1)

    @classmethod
    def for_counter(cls, counter: TokenCounter, *, max_tokens: int | None = None) -> CounterTokenizer:
        """An adapter capped at `max_tokens`, never above what the embedder accepts.

        Raises:
            ValueError: `max_tokens` is below 1.
        """
        limit = counter.max_tokens if max_tokens is None else min(max_tokens, counter.max_tokens)
        return cls(counter=counter, max_tokens=limit)

    @override
    def count_tokens(self, text: str) -> int:
        return self.counter.count_tokens(text)

    @override
    def get_max_tokens(self) -> int:
        return self.max_tokens

    @override
    def get_tokenizer(self) -> Callable[[str], int]:
        # semchunk (HybridChunker's text splitter) accepts a plain token-counting callable.
        return self.counter.count_tokens
