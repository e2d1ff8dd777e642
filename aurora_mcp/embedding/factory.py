"""Builds the configured dense embedder and the BM25 sparse encoder; heavy imports happen only for the chosen one."""

from __future__ import annotations

from aurora_mcp.config import EmbeddingProvider, EmbeddingSettings
from aurora_mcp.embedding.base import DenseEmbedder, SparseEncoder
from aurora_mcp.errors import ConfigurationError

# Names a user may give for the built-in model; anything else with the default provider is a forgotten provider.
_MINILM_ALIASES = frozenset({"all-minilm-l6-v2-int8", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})


def create_dense_embedder(settings: EmbeddingSettings) -> DenseEmbedder:
    """The dense embedder `settings.embedding_provider` names.

    Raises:
        ValueError: the provider is not one this build knows.
        ConfigurationError: AURORA_EMBEDDING_MODEL names another model while the provider is the built-in one.
        EmbeddingUnavailable: the chosen backend's package or model is missing.
    """
    provider = settings.embedding_provider
    if provider == EmbeddingProvider.MINILM_ONNX:
        model = settings.embedding_model
        if model and model.lower() not in _MINILM_ALIASES:
            raise ConfigurationError(
                f"AURORA_EMBEDDING_MODEL={model} needs AURORA_EMBEDDING_PROVIDER=openai or sentence-transformers; "
                "the default provider minilm-onnx only runs the built-in all-MiniLM-L6-v2"
            )
        from aurora_mcp.embedding.minilm_onnx import MiniLmOnnxEmbedder

        return MiniLmOnnxEmbedder(threads=settings.embedding_threads, batch_size=settings.embedding_batch_size)
    if provider == EmbeddingProvider.OPENAI:
        from aurora_mcp.embedding.openai_compat import OpenAICompatibleEmbedder

        return OpenAICompatibleEmbedder(
            base_url=settings.embedding_base_url,
            api_key=settings.embedding_api_key,
            model=_required_model(settings),
            dimensions=settings.embedding_dimensions,
            batch_size=settings.embedding_batch_size,
        )
    if provider == EmbeddingProvider.SENTENCE_TRANSFORMERS:
        from aurora_mcp.embedding.sentence_transformers_hub import SentenceTransformersEmbedder

        return SentenceTransformersEmbedder(
            model_name=_required_model(settings), batch_size=settings.embedding_batch_size
        )
    raise ValueError(f"unsupported embedding provider: {provider}")


def _required_model(settings: EmbeddingSettings) -> str:
    # EmbeddingSettings already validates this; settings built with model_construct skip validators.
    if not settings.embedding_model:
        raise ConfigurationError(
            f"AURORA_EMBEDDING_PROVIDER={settings.embedding_provider} needs AURORA_EMBEDDING_MODEL"
        )
    return settings.embedding_model


def create_sparse_encoder() -> SparseEncoder:
    """The BM25 encoder (no settings: its parameters are part of the index format)."""
    from aurora_mcp.embedding.bm25 import Bm25SparseEncoder

    return Bm25SparseEncoder()
