"""The embedding contracts: a dense embedder (with the tokenizer the chunker must share) and a sparse BM25 encoder."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from aurora_mcp.index.base import SparseVector


class TokenCounter(ABC):
    """Counts tokens the way the embedder will, so chunks fit the model's window."""

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @property
    @abstractmethod
    def max_tokens(self) -> int: ...


class DenseEmbedder(ABC):
    """Turns passages and queries into unit-length vectors of `dimension` floats."""

    model_name: str
    dimension: int

    @abstractmethod
    async def embed_documents(self, texts: Sequence[str], *, api_key: str | None = None) -> list[list[float]]:
        """Vectors for passages, in order; long texts are truncated to the model's window, never an error.

        `api_key` is a tenant's own provider key for remote models (local models ignore it).
        """

    @abstractmethod
    async def embed_query(self, text: str, *, api_key: str | None = None) -> list[float]:
        """Vector for one query (models with query prefixes apply them here)."""

    @abstractmethod
    def token_counter(self) -> TokenCounter:
        """The tokenizer the chunker uses to size chunks for this model."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Finish start-up before `dimension` is read (a remote model may have to be asked for its size)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release sessions or HTTP clients."""


class SparseEncoder(ABC):
    """Turns text into term-frequency sparse vectors; Qdrant's IDF modifier supplies the IDF part of BM25."""

    @abstractmethod
    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]: ...

    @abstractmethod
    def encode_query(self, text: str) -> SparseVector: ...
