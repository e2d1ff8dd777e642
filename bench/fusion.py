"""Why fusion wins or loses: per-query comparison with the single modes, and fusion replayed offline.

The replay takes the product's own dense and BM25 rankings (top-100 passages per query, from the deep runs) and fuses
them again under other rules — Qdrant's weighted RRF at other constants, weights and prefetch sizes, and score-based
fusions (min-max convex combination, Qdrant's DBSF) — so settings the product does not expose can be compared
without re-running it. The replay at the product's own settings is checked against the product's measured hybrid.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from bench.harness import table
from bench.metrics import dedupe, mrr, ndcg

Passage = tuple  # (section id, chunk index, score)
Fuser = Callable[[list[Passage], list[Passage]], list[Passage]]
QDRANT_RRF_K = 2


def rrf(dense_w: float, sparse_w: float, k: float = QDRANT_RRF_K, n: int = 40) -> Fuser:
    """Qdrant's weighted RRF (qdrant_client.hybrid.fusion): 1 / ((pos + 1) / w + k − 1), pos 0-based."""

    def fuse(dense: list[Passage], sparse: list[Passage]) -> list[Passage]:
        scores: dict[tuple, float] = {}
        for ranking, w in ((dense[:n], dense_w), (sparse[:n], sparse_w)):
            for pos, p in enumerate(ranking):
                key = (p[0], p[1])
                scores[key] = scores.get(key, 0.0) + 1.0 / ((pos + 1.0) / w + k - 1.0)
        return [(*key, s) for key, s in sorted(scores.items(), key=lambda kv: -kv[1])]

    return fuse


def _normalised(ranking: list[Passage], how: str) -> dict[tuple, float]:
    scores = [p[2] for p in ranking]
    if not scores:
        return {}
    if how == "minmax":
        lo, hi = min(scores), max(scores)
        span = (hi - lo) or 1.0
        return {(p[0], p[1]): (p[2] - lo) / span for p in ranking}
    mean = statistics.fmean(scores)  # DBSF: mean ± 3σ mapped to [0, 1]
    sd = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    lo, hi = mean - 3 * sd, mean + 3 * sd
    span = (hi - lo) or 1.0
    return {(p[0], p[1]): (p[2] - lo) / span for p in ranking}


def convex(alpha_dense: float, how: str = "minmax", n: int = 40) -> Fuser:
    """Score fusion: α·norm(dense) + (1 − α)·norm(BM25), each list normalised over its own top-n."""

    def fuse(dense: list[Passage], sparse: list[Passage]) -> list[Passage]:
        d, s = _normalised(dense[:n], how), _normalised(sparse[:n], how)
        keys = set(d) | set(s)
        fused = {key: alpha_dense * d.get(key, 0.0) + (1 - alpha_dense) * s.get(key, 0.0) for key in keys}
        return [(*key, v) for key, v in sorted(fused.items(), key=lambda kv: -kv[1])]

    return fuse


def _docs(ranking: Sequence[Passage], k: int = 10) -> list[str]:
    return dedupe([p[0] for p in ranking[:k]])


def replay(runs: dict[str, dict[str, Any]], queries: list, dense_name: str, sparse_name: str, fuser: Fuser) -> tuple:
    nd, rr = [], []
    for q in queries:
        fused = fuser(runs[dense_name]["deep"][q.qid], runs[sparse_name]["deep"][q.qid])
        docs = _docs(fused)
        nd.append(ndcg(docs, q.grades))
        rr.append(mrr(docs, q.grades))
    return statistics.fmean(nd), statistics.fmean(rr)


def _per_query(run: dict[str, Any], queries: list) -> dict[str, float]:
    return {q.qid: ndcg(_docs(run["top"][q.qid]), q.grades) for q in queries}


def _first_answer_rank(ranking: Sequence[Passage], grades: dict[str, int], limit: int) -> int | None:
    for i, doc in enumerate(dedupe([p[0] for p in ranking[:limit]])):
        if grades.get(doc, 0) == 2:
            return i + 1
    return None


def fusion_study(runs: dict[str, dict[str, Any]], queries: list, cfgs: list) -> str:
    """Markdown: win/loss of the default hybrid against each single mode, the anatomy of its losses, the replay."""
    dense_name, sparse_name, hybrid_name = cfgs[0].name, cfgs[1].name, cfgs[2].name
    default = cfgs[2]
    out: list[str] = ["### Where fusion helps and hurts (per query, nDCG@10)", ""]
    per = {name: _per_query(runs[name], queries) for name in (dense_name, sparse_name, hybrid_name)}
    rows = []
    for single in (sparse_name, dense_name):
        wins = sum(per[hybrid_name][q.qid] > per[single][q.qid] + 1e-9 for q in queries)
        losses = sum(per[hybrid_name][q.qid] < per[single][q.qid] - 1e-9 for q in queries)
        rows.append((f"hybrid vs {single}", wins, losses, len(queries) - wins - losses))
    oracle = statistics.fmean(max(per[dense_name][q.qid], per[sparse_name][q.qid]) for q in queries)
    out.append(table(["comparison", "hybrid better", "hybrid worse", "tie"], rows))
    out.append(f"\nper-query oracle (best of dense and BM25 for each query): nDCG@10 {oracle:.3f}\n")

    # Losses to BM25: where was BM25's first answer in the dense ranking, and what pushed it down?
    buckets: Counter[str] = Counter()
    for q in queries:
        if per[hybrid_name][q.qid] >= per[sparse_name][q.qid] - 1e-9:
            continue
        sparse_rank = _first_answer_rank(runs[sparse_name]["top"][q.qid], q.grades, 10)
        dense_rank = _first_answer_rank(runs[dense_name]["deep"][q.qid], q.grades, 100)
        if sparse_rank is None:
            buckets["BM25 had no answer in its top 10 (only neighbours)"] += 1
        elif dense_rank is None:
            buckets[f"answer at BM25 rank {'1' if sparse_rank == 1 else '2-10'}, absent from dense top 100"] += 1
        elif dense_rank > default.fetch_k:
            buckets[f"answer at BM25 rank {'1' if sparse_rank == 1 else '2-10'}, dense rank > fetch_k"] += 1
        else:
            buckets[f"answer at BM25 rank {'1' if sparse_rank == 1 else '2-10'}, dense rank ≤ fetch_k"] += 1
    out.append("Anatomy of the queries where the default hybrid ranks worse than BM25 alone:\n")
    out.append(table(["case", "queries"], buckets.most_common()))

    # Replay: other fusion rules on the same two rankings, starting with the product's own (to check the replay).
    from aurora_mcp.index.filters import RRF_K

    grid: list[tuple[str, Fuser]] = [(f"replay of product default (RRF k={RRF_K}, {default.dense_weight:g}:"
                                      f"{default.sparse_weight:g}, n={default.fetch_k})",
                                      rrf(default.dense_weight, default.sparse_weight, RRF_K, default.fetch_k))]
    for k in (2, 10, 60):
        for sw in (1.0, 1.5, 2.0, 3.0, 5.0):
            grid.append((f"RRF k={k}, 1:{sw:g}, n=40", rrf(1.0, sw, k, 40)))
    for n in (10, 20, 100):
        grid.append((f"RRF k=2, 1:3, n={n}", rrf(1.0, 3.0, 2, n)))
        grid.append((f"RRF k=60, 1:3, n={n}", rrf(1.0, 3.0, 60, n)))
    for how in ("minmax", "dbsf"):
        for alpha in (0.2, 0.3, 0.4, 0.5):
            grid.append((f"{how} α_dense={alpha}, n=40", convex(alpha, how, 40)))
    rows = [(name, *replay(runs, queries, dense_name, sparse_name, fuser)) for name, fuser in grid]
    measured = statistics.fmean(per[hybrid_name].values())
    out.append(f"\n### Fusion replayed offline on the product's dense and BM25 rankings (measured hybrid: "
               f"nDCG@10 {measured:.3f})\n")
    out.append(table(["fusion rule", "nDCG@10", "MRR@10"], rows))
    return "\n".join(out)
