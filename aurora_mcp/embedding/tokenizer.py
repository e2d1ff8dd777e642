"""Token counting with a `tokenizers` file, shared by the embedder (truncation) and the chunker (chunk sizes)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tokenizers import Tokenizer
from typing_extensions import override

from aurora_mcp.embedding.base import TokenCounter

MINILM_TOKENIZER_ASSET = "all-MiniLM-L6-v2.tokenizer.json"
# sentence-transformers trains and serves all-MiniLM-L6-v2 with a 256-token window (its max_seq_length).
MINILM_MAX_TOKENS = 256


def load_packaged_tokenizer(asset_name: str = MINILM_TOKENIZER_ASSET) -> Tokenizer:
    """Load a tokenizer file shipped in `aurora_mcp/embedding/assets` (never from a hub)."""
    path = resources.files("aurora_mcp.embedding").joinpath("assets", asset_name)
    return Tokenizer.from_str(path.read_text(encoding="utf-8"))


class FileTokenCounter(TokenCounter):
    """Counts content tokens (without [CLS]/[SEP]) so `max_tokens` leaves room for the special tokens."""

    def __init__(self, tokenizer: Tokenizer, *, max_tokens: int) -> None:
        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._max_tokens = max_tokens

    @classmethod
    def from_file(cls, path: Path, *, max_tokens: int) -> FileTokenCounter:
        return cls(Tokenizer.from_file(str(path)), max_tokens=max_tokens)

    @override
    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    @property
    @override
    def max_tokens(self) -> int:
        return self._max_tokens


def minilm_token_counter() -> FileTokenCounter:
    """The counter matching the default embedder: window 256 minus [CLS] and [SEP]."""
    return FileTokenCounter(load_packaged_tokenizer(), max_tokens=MINILM_MAX_TOKENS - 2)
