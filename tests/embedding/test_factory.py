"""The embedder factory: the provider setting picks the backend, lazily, with clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aurora_mcp.config import EmbeddingProvider, EmbeddingSettings
from aurora_mcp.embedding.bm25 import Bm25SparseEncoder
from aurora_mcp.embedding.factory import create_dense_embedder, create_sparse_encoder
from aurora_mcp.embedding.minilm_onnx import MiniLmOnnxEmbedder
from aurora_mcp.embedding.openai_compat import OpenAICompatibleEmbedder
from aurora_mcp.errors import ConfigurationError, EmbeddingUnavailable


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read AURORA_* and .env; a developer's own values must not steer these tests.
    for name in [
        "AURORA_EMBEDDING_PROVIDER",
        "AURORA_EMBEDDING_MODEL",
        "AURORA_EMBEDDING_BASE_URL",
        "AURORA_EMBEDDING_API_KEY",
        "AURORA_EMBEDDING_DIMENSIONS",
        "AURORA_EMBEDDING_BATCH_SIZE",
        "AURORA_EMBEDDING_THREADS",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_the_default_settings_give_the_packaged_minilm_model() -> None:
    embedder = create_dense_embedder(EmbeddingSettings())
    assert isinstance(embedder, MiniLmOnnxEmbedder)
    assert (embedder.model_name, embedder.dimension) == ("all-MiniLM-L6-v2-int8", 384)


def test_the_openai_provider_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURORA_EMBEDDING_PROVIDER", "openai")
    monkeypatch.setenv("AURORA_EMBEDDING_MODEL", "text-embedding-3-large")
    monkeypatch.setenv("AURORA_EMBEDDING_API_KEY", "sk-from-env")
    embedder = create_dense_embedder(EmbeddingSettings())
    assert isinstance(embedder, OpenAICompatibleEmbedder)
    assert (embedder.model_name, embedder.dimension) == ("text-embedding-3-large", 3072)


def test_the_hub_provider_without_sentence_transformers_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail even if installed
    settings = EmbeddingSettings(
        embedding_provider=EmbeddingProvider.SENTENCE_TRANSFORMERS, embedding_model="intfloat/multilingual-e5-small"
    )
    with pytest.raises(EmbeddingUnavailable, match=r"pip install 'aurora-mcp\[hub\]'"):
        create_dense_embedder(settings)


def test_an_unknown_provider_is_a_value_error_naming_it() -> None:
    settings = EmbeddingSettings.model_construct(embedding_provider="word2vec")
    with pytest.raises(ValueError, match="unsupported embedding provider: word2vec"):
        create_dense_embedder(settings)


def test_a_model_name_with_the_default_provider_asks_for_the_provider() -> None:
    settings = EmbeddingSettings(embedding_model="intfloat/multilingual-e5-small")
    with pytest.raises(ConfigurationError, match="AURORA_EMBEDDING_PROVIDER"):
        create_dense_embedder(settings)


def test_the_sparse_encoder_is_bm25() -> None:
    assert isinstance(create_sparse_encoder(), Bm25SparseEncoder)
