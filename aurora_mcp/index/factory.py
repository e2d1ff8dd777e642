"""Pick the vector index from settings: the embedded edge engine by default, qdrant-client local mode or a server."""

from __future__ import annotations

from collections.abc import Callable

from aurora_mcp.config import AppSettings, IndexEngine
from aurora_mcp.errors import ConfigurationError
from aurora_mcp.index.base import VectorIndex


def _edge(settings: AppSettings) -> VectorIndex:
    # Deferred so a server deployment never loads the engine's native library.
    from aurora_mcp.index.edge import EdgeVectorIndex

    return EdgeVectorIndex(settings.qdrant_dir / "edge", settings.index.collection)


def _local(settings: AppSettings) -> VectorIndex:
    from aurora_mcp.index.qdrant_client_index import QdrantClientIndex

    return QdrantClientIndex(settings.index.collection, path=settings.qdrant_dir / "local")


def _server(settings: AppSettings) -> VectorIndex:
    from aurora_mcp.index.qdrant_client_index import QdrantClientIndex

    index = settings.index
    if not index.qdrant_url:
        # IndexSettings validates this; settings built with model_construct skip validators.
        raise ConfigurationError("AURORA_QDRANT_ENGINE=server needs AURORA_QDRANT_URL")
    api_key = index.qdrant_api_key.get_secret_value() if index.qdrant_api_key else None
    return QdrantClientIndex(index.collection, url=index.qdrant_url, api_key=api_key)


_BUILDERS: dict[IndexEngine, Callable[[AppSettings], VectorIndex]] = {
    IndexEngine.EDGE: _edge,
    IndexEngine.LOCAL: _local,
    IndexEngine.SERVER: _server,
}


def create_vector_index(settings: AppSettings) -> VectorIndex:
    """Build (not open) the configured vector index; `ensure_collection` opens it.

    Args:
        settings: `settings.index.engine` picks the engine; embedded engines live under `settings.qdrant_dir`
            (`edge/` and `local/`, so switching engines never reads the other's files).

    Returns:
        The index; nothing has touched the disk or the network yet.

    Raises:
        ValueError: the engine is not one this build knows.
        ConfigurationError: the server engine is chosen without a URL, or the collection name is not a valid
            folder name (edge).
    """
    builder = _BUILDERS.get(settings.index.engine)
    if builder is None:
        raise ValueError(f"unsupported index engine: {settings.index.engine}")
    return builder(settings)
