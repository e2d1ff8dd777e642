"""Opt-in hub embedder: any sentence-transformers model by name, downloaded on first use (needs internet + `hub`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio.to_thread
from typing_extensions import override

from aurora_mcp.embedding.base import DenseEmbedder, TokenCounter
from aurora_mcp.errors import EmbeddingUnavailable

INSTALL_HINT = "pip install 'aurora-mcp[hub]'"

# Models trained with instruction prefixes lose recall without them; (query prefix, passage prefix) by name fragment.
_PREFIXES: dict[str, tuple[str, str]] = {
    "e5-": ("query: ", "passage: "),
    "bge-small-en": ("Represent this sentence for searching relevant passages: ", ""),
    "bge-base-en": ("Represent this sentence for searching relevant passages: ", ""),
    "bge-large-en": ("Represent this sentence for searching relevant passages: ", ""),
}


def _prefixes(model_name: str) -> tuple[str, str]:
    lowered = model_name.lower()
    for fragment, prefixes in _PREFIXES.items():
        if fragment in lowered:
            return prefixes
    return "", ""


class _HubTokenCounter(TokenCounter):
    """Counts with the model's own Hugging Face tokenizer, leaving room for its special tokens."""

    def __init__(self, tokenizer: Any, *, max_tokens: int) -> None:
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens

    @override
    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    @property
    @override
    def max_tokens(self) -> int:
        return self._max_tokens


class SentenceTransformersEmbedder(DenseEmbedder):
    """A sentence-transformers model on CPU (or `device`), e.g. intfloat/multilingual-e5-small for French + English.

    Raises:
        EmbeddingUnavailable: sentence-transformers is not installed (with the install hint), or the model cannot be
            downloaded or loaded.
    """

    def __init__(self, *, model_name: str, batch_size: int = 32, device: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingUnavailable(
                f"AURORA_EMBEDDING_PROVIDER=sentence-transformers needs the sentence-transformers package: "
                f"{INSTALL_HINT} (or unset AURORA_EMBEDDING_PROVIDER to use the built-in model)"
            ) from exc
        try:
            self._model = SentenceTransformer(model_name, device=device)
        except Exception as exc:  # hub, network and file errors come from several libraries with no common base
            raise EmbeddingUnavailable(f"cannot load embedding model {model_name!r} from the hub: {exc}") from exc
        self.model_name = model_name
        self.dimension = int(self._model.get_sentence_embedding_dimension())
        self._batch_size = batch_size
        self._query_prefix, self._passage_prefix = _prefixes(model_name)
        # The window holds [CLS], [SEP] and the passage prefix as well as the chunk the chunker sizes.
        prefix_tokens = len(self._model.tokenizer.encode(self._passage_prefix, add_special_tokens=False))
        window = int(self._model.max_seq_length) - 2 - prefix_tokens
        self._counter = _HubTokenCounter(self._model.tokenizer, max_tokens=window)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return vectors.tolist()

    @override
    async def embed_documents(self, texts: Sequence[str], *, api_key: str | None = None) -> list[list[float]]:
        if not texts:
            return []
        return await anyio.to_thread.run_sync(self._encode, [self._passage_prefix + t for t in texts])

    @override
    async def embed_query(self, text: str, *, api_key: str | None = None) -> list[float]:
        return (await anyio.to_thread.run_sync(self._encode, [self._query_prefix + text]))[0]

    @override
    def token_counter(self) -> TokenCounter:
        return self._counter
