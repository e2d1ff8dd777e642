"""Maximal marginal relevance over a ranking the engine already fused, keeping that ranking as the relevance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from aurora_mcp.index.base import DENSE_VECTOR, HybridQuery, SearchMode

Point = TypeVar("Point")

# Hand-written on purpose: Qdrant's Mmr scores relevance by the dense vector alone, so on top of a hybrid (RRF) or
# BM25 ranking it throws that ranking away and returns dense-only order. bench/quality.py measured hybrid nDCG@10
# falling from 0.656 to 0.519 with the engine's MMR at λ=0.7 (≈ dense-only, 0.535). Here relevance is the
# candidate's own fused score and only the redundancy term uses dense cosine similarity, which is what tells
# near-duplicate chunks apart.


def mmr_order(relevance: Sequence[float], vectors: Sequence[Sequence[float]], *, k: int, lambda_: float) -> list[int]:
    """Indexes of the candidates in MMR order (at most `k`).

    Args:
        relevance: the candidates' scores from the earlier stage, best first or not (any scale).
        vectors: their unit-length dense vectors, same order.
        k: how many to pick.
        lambda_: 1 = the earlier ranking unchanged, 0 = only diversity.
    """
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(relevance, dtype=np.float64)
    # Divide by the best score so relevance and cosine similarity share one scale whatever the fusion's units
    # (RRF, BM25 and cosine scores are positive). Not min-max: that would give the last candidate zero relevance.
    top = rel.max()
    rel = rel / top if top > 0 else np.ones(n)
    emb = np.asarray(vectors, dtype=np.float32)
    similarity = emb @ emb.T
    chosen = [int(np.argmax(rel))]
    redundancy = similarity[chosen[0]].astype(np.float64)
    available = np.ones(n, dtype=bool)
    available[chosen[0]] = False
    while len(chosen) < min(k, n):
        score = lambda_ * rel - (1.0 - lambda_) * redundancy
        score[~available] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, similarity[best])
    return chosen


def reorder_candidates(query: HybridQuery, points: list[Point]) -> list[Point]:
    """The engine's candidates in MMR order when this query's MMR runs here (hybrid or sparse mode), else as is.

    Points are the engines' scored points fetched with their dense vector (`with_vector(s)=["dense"]`).
    """
    if query.mmr_lambda is None or query.mode is SearchMode.DENSE or not points:
        return points
    relevance = [float(getattr(p, "score", 0.0) or 0.0) for p in points]
    vectors = [_dense_of(p) for p in points]
    return [points[i] for i in mmr_order(relevance, vectors, k=query.k, lambda_=query.mmr_lambda)]


def _dense_of(point: Any) -> list[float]:
    vector = point.vector
    return list(vector[DENSE_VECTOR] if isinstance(vector, dict) else vector)
