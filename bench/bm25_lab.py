"""What would lift the sparse side: BM25 variants replayed in memory on the product's own chunks, then fused.

    python -m bench.bm25_lab [--results bench/results/quality-….json] [--dense-title]   (after bench.quality)

Reads the chunks the product indexed (payload text and heading path, scrolled from bench/data/quality-home), encodes
them with the product's own BM25 tokenizer (`Bm25SparseEncoder`, so stemming and term ids are identical) and scores
with Qdrant's IDF formula, so the first row reproduces the product's BM25. Other rows change one thing: the document
title in the indexed text, exact average length, k1 / b, whole sections instead of chunks. Each variant is then fused
(Qdrant RRF, offline) with the product's measured dense ranking from the quality results file. `--dense-title`
re-embeds every chunk as title + headings + text (minutes) and fuses that with the titled BM25.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from bench.fusion import rrf
from bench.harness import RESULTS_DIR, Report, open_aurora, table
from bench.metrics import dedupe, mrr, ndcg
from bench.quality import HOME, MANIFEST, TENANT
from bench.quality_dataset import Query

Chunk = dict[str, Any]


async def product_chunks(home: Path) -> list[Chunk]:
    """Every indexed chunk of the quality corpus with its section id, title, heading path and text."""
    manifest: dict[str, str] = json.loads((home / MANIFEST).read_text())
    out: list[Chunk] = []
    async with open_aurora(home) as app:
        scope = await app.scope(TENANT, caller_app="bench")
        for sid, doc_id in manifest.items():
            for hit in await app.index.scroll_document(scope.tenant_id, doc_id):
                p = hit.payload
                out.append({"sid": sid, "chunk": int(p["chunk_index"]), "title": p.get("title") or "",
                            "headings": list(p.get("heading_path") or []), "text": p.get("text") or ""})
    return out


class Bm25Index:
    """BM25 over the product's term ids: value = tf(k1+1)/(tf + k1(1 − b + b·len/avgdl)), IDF as Qdrant computes it."""

    def __init__(self, docs: list[tuple[tuple, str]], *, k1: float = 1.2, b: float = 0.75, avgdl: float | None = 110.0):
        from aurora_mcp.embedding.bm25 import Bm25SparseEncoder

        self._enc = Bm25SparseEncoder()
        counted = [(key, *self._enc._term_counts(text)) for key, text in docs]
        mean = sum(n for _, _, n in counted) / max(1, len(counted))
        avg = avgdl or mean
        self.postings: dict[int, list[tuple[tuple, float]]] = defaultdict(list)
        for key, counts, length in counted:
            norm = k1 * (1 - b + b * length / avg)
            for term, tf in counts.items():
                self.postings[term].append((key, tf * (k1 + 1) / (tf + norm)))
        n = len(counted)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def search(self, query: str, k: int = 100) -> list[tuple]:
        scores: Counter[tuple] = Counter()
        for term in self._enc.encode_query(query).indices:
            idf = self.idf.get(term, 0.0)
            for key, value in self.postings.get(term, ()):
                scores[key] += idf * value
        return [(*key, s) for key, s in scores.most_common(k)]


def variants(chunks: list[Chunk]) -> list[tuple[str, Callable[[], Bm25Index]]]:
    def embed_text(c: Chunk) -> str:  # what the product encodes: HybridChunker.contextualize = headings + text
        return "\n".join([*c["headings"], c["text"]])

    def titled(c: Chunk) -> str:
        return f"{c['title']}\n{embed_text(c)}"

    by_chunk = [((c["sid"], c["chunk"]), embed_text(c)) for c in chunks]
    by_chunk_title = [((c["sid"], c["chunk"]), titled(c)) for c in chunks]
    sections: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        sections[c["sid"]].append(c)
    whole = [((sid, 0), "\n".join([cs[0]["title"], *(x["text"] for x in sorted(cs, key=lambda x: x["chunk"]))]))
             for sid, cs in sections.items()]
    return [
        ("product BM25 (headings + text, avgdl 110, k1 1.2, b 0.75)", lambda: Bm25Index(by_chunk)),
        ("exact avgdl", lambda: Bm25Index(by_chunk, avgdl=None)),
        ("b = 0.5", lambda: Bm25Index(by_chunk, b=0.5)),
        ("b = 0.3", lambda: Bm25Index(by_chunk, b=0.3)),
        ("k1 = 0.9, b = 0.4", lambda: Bm25Index(by_chunk, k1=0.9, b=0.4)),
        ("+ document title in the indexed text", lambda: Bm25Index(by_chunk_title)),
        ("+ title, b = 0.5", lambda: Bm25Index(by_chunk_title, b=0.5)),
        ("+ title, b = 0.3", lambda: Bm25Index(by_chunk_title, b=0.3)),
        ("whole sections (title + all text), exact avgdl", lambda: Bm25Index(whole, avgdl=None)),
    ]


def dense_with_titles(chunks: list[Chunk]) -> Callable[[list[Query], list[Chunk]], str]:
    """Embed title + headings + text of every chunk once; returns a scorer that fuses it with titled BM25."""
    import numpy as np

    from aurora_mcp.embedding.minilm_onnx import MiniLmOnnxEmbedder

    embedder = MiniLmOnnxEmbedder()
    texts = ["\n".join([c["title"], *c["headings"], c["text"]]) for c in chunks]
    matrix = embedder.embed_sync(texts)
    keys = [(c["sid"], c["chunk"]) for c in chunks]
    by_chunk_title = [((c["sid"], c["chunk"]), t) for c, t in zip(chunks, texts, strict=True)]
    bm25 = Bm25Index(by_chunk_title)

    def run(queries: list[Query], _: list[Chunk]) -> str:
        qv = embedder.embed_sync([q.text for q in queries])
        sims = qv @ matrix.T
        dense, sparse = {}, {}
        for i, q in enumerate(queries):
            top = np.argsort(-sims[i])[:100]
            dense[q.qid] = [(*keys[j], float(sims[i, j])) for j in top]
            sparse[q.qid] = bm25.search(q.text)
        rows = [("dense, title in embed_text", *evaluate(dense, queries)),
                ("BM25, title in indexed text", *evaluate(sparse, queries))]
        fusers = (("RRF k=2 1:1.5 n=40 (product)", rrf(1.0, 1.5, 2, 40)), ("RRF k=2 1:1 n=40", rrf(1, 1, 2, 40)),
                  ("RRF k=60 1:1 n=40", rrf(1.0, 1.0, 60, 40)), ("RRF k=60 1:1 n=100", rrf(1, 1, 60, 100)))
        for label, fuser in fusers:
            fused = {q.qid: fuser(dense[q.qid], sparse[q.qid]) for q in queries}
            rows.append((f"hybrid {label}, both titled", *evaluate(fused, queries)))
        return table(["titled chunks (dense re-embedded)", "nDCG@10", "MRR@10"], rows)

    return run


def evaluate(ranked: dict[str, list[tuple]], queries: list[Query]) -> tuple[float, float]:
    nd = [ndcg(dedupe([p[0] for p in ranked[q.qid][:10]]), q.grades) for q in queries]
    rr = [mrr(dedupe([p[0] for p in ranked[q.qid][:10]]), q.grades) for q in queries]
    return sum(nd) / len(nd), sum(rr) / len(rr)


def latest_results() -> Path:
    files = sorted(RESULTS_DIR.glob("quality-*.json"))
    if not files:
        raise SystemExit("run `python -m bench.quality` first: the lab fuses with its measured dense rankings")
    return files[-1]


async def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.bm25_lab", description=__doc__.split("\n\n")[0])
    p.add_argument("--results", type=Path, default=None)
    p.add_argument("--home", type=Path, default=HOME)
    p.add_argument("--dense-title", action="store_true",
                   help="also re-embed every chunk as title + headings + text (MiniLM, minutes) and fuse that")
    args = p.parse_args(argv)
    report = Report("bm25_lab", argv)
    raw = json.loads((args.results or latest_results()).read_text())
    chunks = await product_chunks(args.home)
    report.say(f"{len(chunks)} chunks of {len({c['sid'] for c in chunks})} sections\n")
    titled_dense = dense_with_titles(chunks) if args.dense_title else None
    for set_name, data in raw["sets"].items():
        queries = [Query(**q) for q in data["queries"]]
        runs = data["runs"]
        dense_name = next(n for n, r in runs.items() if r["config"]["mode"] == "dense")
        dense = runs[dense_name]["deep"]
        report.say(f"## {set_name}\n")
        rows = []
        for name, build in variants(chunks):
            index = build()
            ranked = {q.qid: index.search(q.text) for q in queries}
            nd, rr = evaluate(ranked, queries)
            fused: dict[str, list[tuple]] = {}
            best = (0.0, "")
            for label, fuser in (("k=2 1:1.5", rrf(1.0, 1.5, 2, 40)), ("k=2 1:1", rrf(1.0, 1.0, 2, 40)),
                                 ("k=60 1:1", rrf(1.0, 1.0, 60, 40)), ("k=60 1:1, n=100", rrf(1.0, 1.0, 60, 100))):
                fused = {q.qid: fuser([tuple(x) for x in dense[q.qid]], ranked[q.qid]) for q in queries}
                score = evaluate(fused, queries)[0]
                if label == "k=2 1:1.5":
                    default = score
                if score > best[0]:
                    best = (score, label)
            rows.append((name, nd, rr, default, best[0], best[1]))
            print(f"  {set_name[:20]} {name}: {nd:.3f}", file=sys.stderr, flush=True)
        report.say(table(["BM25 variant", "BM25 nDCG@10", "BM25 MRR@10", "hybrid (RRF k=2, 1:1.5)",
                          "best hybrid", "best RRF"], rows))
        report.say("")
        if titled_dense is not None:
            report.say(titled_dense(queries, chunks))
            report.say("")
    print(f"\nwritten {report.write()}", file=sys.stderr)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
