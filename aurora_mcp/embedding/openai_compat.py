"""Dense embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, TEI, vLLM, proxies)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from time import time

import anyio
import httpx
import numpy as np
from pydantic import SecretStr
from typing_extensions import override

from aurora_mcp.embedding.base import DenseEmbedder, TokenCounter
from aurora_mcp.errors import ConfigurationError, EmbeddingUnavailable

# Output sizes of OpenAI's own models, so the collection can be created before the first call.
KNOWN_DIMENSIONS = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536}
OPENAI_MAX_TOKENS = 8191  # input window of the three models above
DEFAULT_MAX_TOKENS = 512  # unknown models: a window most embedding models accept (bge, e5, gte, nomic)
_RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0  # a server asking for longer is treated as down, not waited for


class ApproximateTokenCounter(TokenCounter):
    """An estimate, not a tokenizer: ceil(characters / 4), OpenAI's rule of thumb for English prose.

    It undercounts code, numbers and non-Latin scripts (more tokens per character), so chunks sized with it may
    exceed `max_tokens` on such text; endpoints truncate or reject those. Install `tiktoken` for exact counts.
    """

    def __init__(self, *, max_tokens: int) -> None:
        self._max_tokens = max_tokens

    @override
    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / 4)

    @property
    @override
    def max_tokens(self) -> int:
        return self._max_tokens


class TiktokenCounter(TokenCounter):
    """Exact counts for OpenAI models with tiktoken (which fetches its BPE file once, then caches it)."""

    def __init__(self, encoding: object, *, max_tokens: int) -> None:
        self._encoding = encoding
        self._max_tokens = max_tokens

    @override
    def count_tokens(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))  # type: ignore[attr-defined]

    @property
    @override
    def max_tokens(self) -> int:
        return self._max_tokens


def make_token_counter(model: str, *, max_tokens: int) -> TokenCounter:
    """tiktoken's encoding for `model` (cl100k_base if unknown) when importable and loadable, else the estimate."""
    try:
        import tiktoken
    except ImportError:
        return ApproximateTokenCounter(max_tokens=max_tokens)
    try:
        try:
            encoding = tiktoken.encoding_for_model(model)
        except KeyError:
            encoding = tiktoken.get_encoding("cl100k_base")
    except Exception:  # offline first use: the BPE file cannot be fetched; an estimate beats failing to start
        return ApproximateTokenCounter(max_tokens=max_tokens)
    return TiktokenCounter(encoding, max_tokens=max_tokens)


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Server-requested wait: OpenAI's `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date."""
    if (ms := response.headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None


class OpenAICompatibleEmbedder(DenseEmbedder):
    """POSTs batches to `{base_url}/embeddings`, retrying rate limits and server errors with bounded backoff."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | str | None,
        model: str,
        dimensions: int | None = None,
        batch_size: int = 64,
        max_tokens: int | None = None,
        timeout: float = 60.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
    ) -> None:
        """Set up the HTTP client; no request is made until the first embedding (or `discover_dimension`).

        Args:
            base_url: e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama).
            api_key: sent as a bearer token; None for endpoints without auth.
            model: the endpoint's model name.
            dimensions: requested output size (text-embedding-3-*); also fixes the expected size.
            batch_size: texts per request.
            max_tokens: the model's input window; default 8191 for OpenAI models, else 512.
            timeout: seconds per request before it counts as a failed attempt.
            max_attempts: requests per batch before giving up on 429/5xx/timeouts.
            backoff_base, backoff_max: first and largest wait between attempts, in seconds (before jitter).
        """
        if batch_size < 1 or max_attempts < 1:
            raise ValueError("batch_size and max_attempts must be >= 1")
        self.model_name = model
        self._url = base_url.rstrip("/") + "/embeddings"
        secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._secret = secret or None
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout))
        self._requested_dimensions = dimensions
        self._dimension = dimensions or KNOWN_DIMENSIONS.get(model)
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        window = max_tokens or (OPENAI_MAX_TOKENS if model in KNOWN_DIMENSIONS else DEFAULT_MAX_TOKENS)
        self._counter = make_token_counter(model, max_tokens=window)

    @property
    def dimension(self) -> int:
        """The vector size; raises ConfigurationError until known (set `dimensions` or call `discover_dimension`)."""
        if self._dimension is None:
            raise ConfigurationError(
                f"the output size of embedding model {self.model_name!r} is not known yet: set "
                "AURORA_EMBEDDING_DIMENSIONS, or call `await embedder.discover_dimension()` before creating the index"
            )
        return self._dimension

    @override
    async def start(self) -> None:
        await self.discover_dimension()

    async def discover_dimension(self) -> int:
        """The vector size, asking the endpoint once (one tiny request) when it is not known in advance."""
        if self._dimension is None:
            await self._post_batch(["dimension probe"])
        return self.dimension

    @override
    async def embed_documents(self, texts: Sequence[str], *, api_key: str | None = None) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(await self._post_batch(list(texts[start : start + self._batch_size]), api_key=api_key))
        return vectors

    @override
    async def embed_query(self, text: str, *, api_key: str | None = None) -> list[float]:
        return (await self._post_batch([text], api_key=api_key))[0]

    @override
    def token_counter(self) -> TokenCounter:
        return self._counter

    @override
    async def close(self) -> None:
        await self._client.aclose()

    async def _post_batch(self, texts: list[str], *, api_key: str | None = None) -> list[list[float]]:
        # OpenAI rejects empty strings in `input`; a space embeds as "nothing" without failing the whole batch.
        payload: dict[str, object] = {
            "model": self.model_name,
            "input": [text or " " for text in texts],
            "encoding_format": "float",
        }
        if self._requested_dimensions is not None:
            payload["dimensions"] = self._requested_dimensions
        # A tenant's own key replaces the global one for this request only (the client is shared).
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        response = await self._post_with_retries(payload, headers)
        return self._parse(response, expected=len(texts))

    async def _post_with_retries(
        self, payload: dict[str, object], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        failure, attempts = "", 0
        for attempt in range(self._max_attempts):
            attempts, wait = attempt + 1, None
            try:
                response = await self._client.post(self._url, json=payload, headers=headers)
            except httpx.TimeoutException:
                failure = "timed out"
            except httpx.TransportError as exc:
                failure = f"could not be reached ({type(exc).__name__})"
            else:
                if response.status_code < 400:
                    return response
                self._raise_if_final(response)
                failure = f"answered HTTP {response.status_code}"
                wait = _retry_after_seconds(response)
                if wait is not None and wait > _MAX_RETRY_AFTER:
                    break
            if attempts < self._max_attempts:
                # Exponential backoff with jitter so many workers hit by the same 429 do not retry in lockstep;
                # a server's Retry-After is a floor, not a suggestion.
                delay = min(self._backoff_max, self._backoff_base * 2**attempt)
                delay = delay / 2 + random.uniform(0, delay / 2)
                await anyio.sleep(max(delay, wait or 0.0))
        raise EmbeddingUnavailable(
            f"the embedding endpoint {self._url} {failure} after {attempts} attempt(s); try again later"
        )

    def _raise_if_final(self, response: httpx.Response) -> None:
        """Errors retrying cannot fix: bad key, unknown model, malformed request."""
        status = response.status_code
        if status in (401, 403):
            # Never echo the body: OpenAI's 401 message repeats part of the key.
            raise EmbeddingUnavailable(
                f"the embedding endpoint refused the API key (HTTP {status}) — set AURORA_EMBEDDING_API_KEY"
            )
        if status in _RETRIED_STATUSES or status >= 500:
            return
        detail = response.text[:300]
        if self._secret:
            detail = detail.replace(self._secret, "***")
        hint = " — check AURORA_EMBEDDING_BASE_URL and AURORA_EMBEDDING_MODEL" if status == 404 else ""
        raise EmbeddingUnavailable(f"the embedding endpoint rejected the request (HTTP {status}): {detail}{hint}")

    def _parse(self, response: httpx.Response, *, expected: int) -> list[list[float]]:
        try:
            items = sorted(response.json()["data"], key=lambda item: item["index"])
            matrix = np.asarray([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingUnavailable(f"the embedding endpoint {self._url} returned an unexpected body") from exc
        if matrix.ndim != 2 or matrix.shape[0] != expected:
            raise EmbeddingUnavailable(
                f"the embedding endpoint returned {matrix.shape[0] if matrix.ndim else 0} vectors for {expected} texts"
            )
        if self._dimension is None:
            self._dimension = int(matrix.shape[1])
        elif matrix.shape[1] != self._dimension:
            raise EmbeddingUnavailable(
                f"the embedding endpoint returned {matrix.shape[1]}-d vectors, expected {self._dimension}-d "
                f"for model {self.model_name!r} — check AURORA_EMBEDDING_MODEL and AURORA_EMBEDDING_DIMENSIONS"
            )
        # OpenAI normalises, Ollama and some TEI models do not; cosine in Qdrant does not care, MMR and dot do.
        norms = np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)
        return (matrix / norms).tolist()
