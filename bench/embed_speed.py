"""Embedding throughput: MiniLM int8 ONNX passages/s by batch size, and BM25 encoding speed; prints markdown tables."""

from __future__ import annotations

import argparse
import gzip
import html
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from aurora_mcp.embedding.bm25 import Bm25SparseEncoder
from aurora_mcp.embedding.minilm_onnx import MiniLmOnnxEmbedder
from aurora_mcp.embedding.tokenizer import minilm_token_counter

# Realistic passages come from the PostgreSQL manual: the HTML edition when installed, else its man pages
# (shipped with the server package), else any Python source docstrings as a last resort.
PG_HTML = Path("/usr/share/doc/postgresql-doc-15/html")
PG_MAN = Path("/usr/share/postgresql/15/man")


def _html_texts() -> Iterator[str]:
    for path in sorted(PG_HTML.glob("*.html")):
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8", errors="replace"))
        yield html.unescape(text)


def _man_texts() -> Iterator[str]:
    for path in sorted(PG_MAN.rglob("*.gz")):
        lines = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace").splitlines()
        prose = [line for line in lines if line and not line.startswith((".", "'", '\\"'))]
        text = " ".join(prose)
        text = re.sub(r"\\f[BIRP]|\\\*\(\w\w|\\\(\w\w|\\&|\\[ e]", " ", text).replace("\\-", "-")
        yield text


def _python_texts() -> Iterator[str]:
    for path in sorted(Path(os.__file__).parent.glob("*.py")):
        yield " ".join(re.findall(r'"""(.*?)"""', path.read_text(encoding="utf-8", errors="replace"), re.S))


def load_passages(count: int, tokens: int) -> tuple[list[str], str]:
    """`count` passages of about `tokens` MiniLM tokens each, cut at word boundaries from a local text source."""
    if PG_HTML.is_dir():
        source, texts = "PostgreSQL HTML manual", _html_texts()
    elif PG_MAN.is_dir():
        source, texts = "PostgreSQL 15 man pages", _man_texts()
    else:
        source, texts = "Python stdlib docstrings", _python_texts()
    counter = minilm_token_counter()
    passages: list[str] = []
    words_per_passage = int(tokens / 1.45)  # technical English runs ~1.45 wordpieces per word; corrected below
    for text in texts:
        words = text.split()
        for start in range(0, len(words) - words_per_passage, words_per_passage):
            passage = words[start : start + words_per_passage]
            while counter.count_tokens(" ".join(passage)) > tokens and len(passage) > 10:
                passage = passage[:-5]
            passages.append(" ".join(passage))
            if len(passages) == count:
                return passages, source
    raise SystemExit(f"only {len(passages)} passages of {tokens} tokens in {source}")


def median_rate(run: Callable[[], object], items: int, repeats: int) -> float:
    """Median items per second over `repeats` timed runs."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        rates.append(items / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=200, help="target MiniLM tokens per passage")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    passages, source = load_passages(args.passages, args.tokens)
    counter = minilm_token_counter()
    mean_tokens = statistics.mean(counter.count_tokens(p) for p in passages)
    print(f"{len(passages)} passages from {source}, mean {mean_tokens:.0f} tokens; {os.cpu_count()} cores visible\n")

    print(f"| MiniLM int8 ONNX, {args.threads} threads | passages/s (median of {args.repeats}) | ms/passage |")
    print("|---|---:|---:|")
    for batch_size in (8, 32, 64):
        embedder = MiniLmOnnxEmbedder(threads=args.threads, batch_size=batch_size)
        embedder.embed_sync(passages[:batch_size])  # warm-up: first run allocates and tunes kernels
        rate = median_rate(lambda e=embedder: e.embed_sync(passages), len(passages), args.repeats)
        print(f"| batch {batch_size} | {rate:.1f} | {1000 / rate:.1f} |")
    query_embedder = MiniLmOnnxEmbedder(threads=args.threads)
    queries = [p[:60] for p in passages[:50]]
    rate = median_rate(lambda: [query_embedder.embed_sync([q]) for q in queries], len(queries), args.repeats)
    print(f"| single short query | {rate:.1f} | {1000 / rate:.1f} |")

    print(f"\n| BM25 encoder | texts/s (median of {args.repeats}) | µs/text |")
    print("|---|---:|---:|")
    rate = median_rate(lambda: Bm25SparseEncoder().encode_documents(passages), len(passages), args.repeats)
    print(f"| passages, cold stem cache | {rate:.0f} | {1e6 / rate:.0f} |")
    warm = Bm25SparseEncoder()
    warm.encode_documents(passages)
    rate = median_rate(lambda: warm.encode_documents(passages), len(passages), args.repeats)
    print(f"| passages, warm stem cache | {rate:.0f} | {1e6 / rate:.0f} |")
    rate = median_rate(lambda: [warm.encode_query(q) for q in queries], len(queries), args.repeats)
    print(f"| short queries | {rate:.0f} | {1e6 / rate:.0f} |")


if __name__ == "__main__":
    main()
