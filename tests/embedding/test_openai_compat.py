"""The OpenAI-compatible embedder against a real local HTTP server (http.server in a thread), not a mocked client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import blake2b
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from aurora_mcp.embedding.openai_compat import ApproximateTokenCounter, OpenAICompatibleEmbedder
from aurora_mcp.errors import ConfigurationError, EmbeddingUnavailable

pytestmark = pytest.mark.anyio

API_KEY = "sk-test-0123456789abcdef"
NATIVE_DIMENSION = 8


def raw_vector(text: str, dimension: int) -> list[float]:
    """What the fake endpoint returns: deterministic, deliberately not unit length."""
    digest = blake2b(text.encode(), digest_size=dimension).digest()
    return [float(b) + 1.0 for b in digest]


@dataclass
class Endpoint:
    """Behaviour switches and a log of what the server received."""

    url: str = ""
    failures: list[int] = field(default_factory=list)  # statuses to answer before succeeding, consumed in order
    always: int | None = None  # answer this status forever
    retry_after_ms: int | None = None
    delay_first: float = 0.0  # sleep before answering the first request (client timeout test)
    dimension_override: int | None = None
    requests: list[dict] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)


def make_handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            pass

        def send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            endpoint.requests.append(payload)
            endpoint.authorizations.append(self.headers.get("Authorization"))
            if self.path != "/v1/embeddings":
                self.send(404, {"error": {"message": f"no route {self.path}"}})
                return
            if len(endpoint.requests) == 1 and endpoint.delay_first:
                time.sleep(endpoint.delay_first)
            status = endpoint.failures.pop(0) if endpoint.failures else endpoint.always
            if status == 401:
                # Like OpenAI: the body quotes the key, which the client must never repeat.
                self.send(401, {"error": {"message": f"Incorrect API key provided: {API_KEY}"}})
                return
            if status is not None:
                headers = {"retry-after-ms": str(endpoint.retry_after_ms)} if endpoint.retry_after_ms else {}
                self.send(status, {"error": {"message": "busy"}}, headers)
                return
            size = endpoint.dimension_override or payload.get("dimensions") or NATIVE_DIMENSION
            data = [
                {"object": "embedding", "index": i, "embedding": raw_vector(text, size)}
                for i, text in enumerate(payload["input"])
            ]
            self.send(200, {"object": "list", "data": data[::-1], "model": payload["model"]})  # out of order on purpose

    return Handler


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def make_embedder(endpoint: Endpoint, **options: object) -> OpenAICompatibleEmbedder:
    defaults: dict[str, object] = {"batch_size": 2, "max_attempts": 3, "backoff_base": 0.01, "timeout": 5.0}
    return OpenAICompatibleEmbedder(
        base_url=endpoint.url, api_key=API_KEY, model="test-embed", **{**defaults, **options}
    )


def unit(vector: list[float]) -> np.ndarray:
    array = np.asarray(vector)
    return array / np.linalg.norm(array)


async def test_texts_are_sent_in_batches_and_come_back_in_order_as_unit_vectors(endpoint: Endpoint) -> None:
    embedder = make_embedder(endpoint)
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    vectors = await embedder.embed_documents(texts)
    await embedder.close()
    assert [len(r["input"]) for r in endpoint.requests] == [2, 2, 1]
    assert endpoint.authorizations == [f"Bearer {API_KEY}"] * 3
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(vector, unit(raw_vector(text, NATIVE_DIMENSION)), atol=1e-6)
    assert embedder.dimension == NATIVE_DIMENSION


async def test_the_dimension_is_unknown_until_discovered_from_the_endpoint(endpoint: Endpoint) -> None:
    embedder = make_embedder(endpoint)
    with pytest.raises(ConfigurationError, match="AURORA_EMBEDDING_DIMENSIONS"):
        _ = embedder.dimension
    assert await embedder.discover_dimension() == NATIVE_DIMENSION
    await embedder.close()


async def test_requested_dimensions_are_sent_and_fix_the_size_up_front(endpoint: Endpoint) -> None:
    embedder = make_embedder(endpoint, dimensions=4)
    assert embedder.dimension == 4
    vector = await embedder.embed_query("alpha")
    await embedder.close()
    assert endpoint.requests[0]["dimensions"] == 4
    assert len(vector) == 4


def test_openai_models_have_known_dimensions_without_a_request() -> None:
    embedder = OpenAICompatibleEmbedder(base_url="http://127.0.0.1:9", api_key=None, model="text-embedding-3-large")
    assert embedder.dimension == 3072
    assert embedder.token_counter().max_tokens == 8191


async def test_a_vector_of_another_size_is_an_error_not_a_silent_corruption(endpoint: Endpoint) -> None:
    embedder = make_embedder(endpoint, dimensions=4)
    endpoint.dimension_override = 6
    with pytest.raises(EmbeddingUnavailable, match="6-d vectors, expected 4-d"):
        await embedder.embed_query("alpha")
    await embedder.close()


async def test_rate_limits_are_retried_after_the_requested_wait_then_succeed(endpoint: Endpoint) -> None:
    endpoint.failures = [429, 429]
    endpoint.retry_after_ms = 150
    embedder = make_embedder(endpoint)
    started = time.monotonic()
    vector = await embedder.embed_query("alpha")
    elapsed = time.monotonic() - started
    await embedder.close()
    assert len(endpoint.requests) == 3
    assert elapsed >= 0.3  # two waits of at least retry-after-ms, although the backoff alone is ~10 ms
    np.testing.assert_allclose(vector, unit(raw_vector("alpha", NATIVE_DIMENSION)), atol=1e-6)


async def test_a_timeout_is_retried(endpoint: Endpoint) -> None:
    endpoint.delay_first = 1.0
    embedder = make_embedder(endpoint, timeout=0.3)
    vector = await embedder.embed_query("alpha")
    await embedder.close()
    assert len(endpoint.requests) == 2
    assert len(vector) == NATIVE_DIMENSION


async def test_a_refused_key_is_a_clear_error_that_does_not_leak_the_key(endpoint: Endpoint) -> None:
    endpoint.always = 401
    embedder = make_embedder(endpoint)
    with pytest.raises(EmbeddingUnavailable) as caught:
        await embedder.embed_query("alpha")
    await embedder.close()
    message = str(caught.value)
    assert "refused the API key (HTTP 401)" in message
    assert "AURORA_EMBEDDING_API_KEY" in message
    assert API_KEY not in message and "sk-" not in message
    assert len(endpoint.requests) == 1  # retrying cannot fix a bad key


async def test_server_errors_are_retried_a_bounded_number_of_times_then_reported(endpoint: Endpoint) -> None:
    endpoint.always = 500
    embedder = make_embedder(endpoint, max_attempts=3)
    with pytest.raises(EmbeddingUnavailable, match=r"answered HTTP 500 after 3 attempt\(s\)"):
        await embedder.embed_documents(["alpha", "beta"])
    await embedder.close()
    assert len(endpoint.requests) == 3


async def test_a_wrong_base_url_is_reported_without_retrying(endpoint: Endpoint) -> None:
    embedder = OpenAICompatibleEmbedder(base_url=endpoint.url + "/nope", api_key=API_KEY, model="test-embed")
    with pytest.raises(EmbeddingUnavailable, match=r"HTTP 404.*AURORA_EMBEDDING_BASE_URL"):
        await embedder.embed_query("alpha")
    await embedder.close()
    assert len(endpoint.requests) == 1


async def test_an_unreachable_endpoint_is_reported_after_bounded_attempts() -> None:
    embedder = OpenAICompatibleEmbedder(
        base_url="http://127.0.0.1:9/v1", api_key=None, model="test-embed", max_attempts=2, backoff_base=0.01
    )
    with pytest.raises(EmbeddingUnavailable, match=r"could not be reached .* after 2 attempt\(s\)"):
        await embedder.embed_query("alpha")
    await embedder.close()


async def test_empty_input_sends_nothing_and_empty_strings_are_accepted(endpoint: Endpoint) -> None:
    embedder = make_embedder(endpoint)
    assert await embedder.embed_documents([]) == []
    assert endpoint.requests == []
    vectors = await embedder.embed_documents(["", "alpha"])
    await embedder.close()
    assert endpoint.requests[0]["input"] == [" ", "alpha"]
    assert len(vectors) == 2


def test_the_approximate_token_counter_counts_four_characters_per_token() -> None:
    counter = ApproximateTokenCounter(max_tokens=512)
    assert counter.count_tokens("abcd" * 10) == 10
    assert counter.count_tokens("abcde") == 2
    assert counter.max_tokens == 512
