"""mmr_order: the earlier ranking is the relevance, dense similarity only penalises redundancy."""

from __future__ import annotations

import math

from aurora_mcp.index.mmr import mmr_order


def _unit(*xs: float) -> list[float]:
    norm = math.sqrt(sum(x * x for x in xs))
    return [x / norm for x in xs]


def test_lambda_one_keeps_the_earlier_ranking_whatever_the_vectors() -> None:
    relevance = [0.9, 0.5, 0.7, 0.1]
    vectors = [_unit(1, 0), _unit(1, 0.01), _unit(0, 1), _unit(1, 1)]
    assert mmr_order(relevance, vectors, k=4, lambda_=1.0) == [0, 2, 1, 3]


def test_a_near_duplicate_of_the_best_gives_way_to_a_distinct_candidate() -> None:
    relevance = [1.0, 0.95, 0.6]
    vectors = [_unit(1, 0), _unit(1, 0.001), _unit(0.2, 1)]
    assert mmr_order(relevance, vectors, k=2, lambda_=0.5) == [0, 2]
    assert mmr_order(relevance, vectors, k=2, lambda_=0.95) == [0, 1]


def test_it_returns_at_most_k_and_nothing_for_no_candidates() -> None:
    assert mmr_order([], [], k=3, lambda_=0.5) == []
    assert mmr_order([0.3, 0.2], [_unit(1, 0), _unit(0, 1)], k=5, lambda_=0.5) == [0, 1]
    assert mmr_order([0.2, 0.2], [_unit(1, 0), _unit(0, 1)], k=1, lambda_=0.5) == [0]
