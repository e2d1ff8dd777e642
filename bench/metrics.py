"""Graded ranking metrics over distinct documents: nDCG@k (gain 2^g − 1), MRR@k and recall@k."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def dedupe(ranked: Sequence[str]) -> list[str]:
    """Documents in first-seen order: a passage list becomes a document ranking (later chunks add nothing)."""
    seen: set[str] = set()
    out = []
    for doc in ranked:
        if doc not in seen:
            seen.add(doc)
            out.append(doc)
    return out


def ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: Sequence[str], grades: dict[str, int], k: int = 10, *, min_grade: int = 2) -> float:
    """Reciprocal rank of the first document of grade ≥ `min_grade` (default: an answer section, not a neighbour)."""
    for i, d in enumerate(ranked[:k]):
        if grades.get(d, 0) >= min_grade:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: Sequence[str], grades: dict[str, int], k: int = 100, *, min_grade: int = 1) -> float:
    wanted = {d for d, g in grades.items() if g >= min_grade}
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


@dataclass
class Scores:
    """Per-query values of one configuration, averaged on demand."""

    ndcg10: list[float] = field(default_factory=list)
    mrr10: list[float] = field(default_factory=list)
    recall100: list[float] = field(default_factory=list)
    recall100_answers: list[float] = field(default_factory=list)

    def add_top(self, ranked: Sequence[str], grades: dict[str, int]) -> None:
        docs = dedupe(ranked)
        self.ndcg10.append(ndcg(docs, grades, 10))
        self.mrr10.append(mrr(docs, grades, 10))

    def add_deep(self, ranked: Sequence[str], grades: dict[str, int]) -> None:
        docs = dedupe(ranked)
        self.recall100.append(recall(docs, grades, 100))
        self.recall100_answers.append(recall(docs, grades, 100, min_grade=2))

    @staticmethod
    def mean(values: Sequence[float]) -> float | None:
        return sum(values) / len(values) if values else None
