"""Retrieval quality of the product on the PostgreSQL 15 manual: nDCG@10, MRR@10, recall@100 per search mode.

    python -m bench.quality [--n 1000 | --all] [--seed 0] [--reuse] [--questions-only]

Two judged sets over the same ~3,900 one-section documents: the back-of-book index terms (bench/quality_dataset.py)
and hand-written questions in English and French (bench/questions.py). Every document is ingested through the
product (Aurora façade, embedded default under bench/data/quality-home, or servers when AURORA_* say so), with the
section id as `external_id`; every search goes through `RetrievalService.search`.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from bench.fusion import fusion_study
from bench.harness import DATA_DIR, Report, open_aurora, reset_home, table
from bench.metrics import Scores
from bench.quality_dataset import Dataset, Query, build_dataset, doc_filename, load_dataset
from bench.questions import question_queries

DATASET_DIR = DATA_DIR / "quality"
HOME = DATA_DIR / "quality-home"
MANIFEST = "bench-manifest.json"
TENANT = "bench-quality"


@dataclass(frozen=True)
class Config:
    name: str
    mode: str = "hybrid"
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    mmr_lambda: float | None = None
    fetch_k: int = 40
    deep: bool = True  # also run k=100, fetch_k=200 for recall@100


def configs() -> list[Config]:
    """Single modes, the product defaults, then the sweeps the README asks for (RRF weights, λ, fetch_k)."""
    from aurora_mcp.retrieval.models import DEFAULT_FETCH_K, DEFAULT_MMR_LAMBDA
    from aurora_mcp.retrieval.service import DENSE_WEIGHT, SPARSE_WEIGHT

    dw, sw, lam, fk = DENSE_WEIGHT, SPARSE_WEIGHT, DEFAULT_MMR_LAMBDA, DEFAULT_FETCH_K
    out = [
        Config("dense only", "dense", fetch_k=fk),
        Config("BM25 only", "sparse", fetch_k=fk),
        Config(f"hybrid RRF {dw:g}:{sw:g} (default)", dense_weight=dw, sparse_weight=sw, fetch_k=fk),
        Config(f"hybrid + MMR λ={lam} (product default)", dense_weight=dw, sparse_weight=sw, mmr_lambda=lam,
               fetch_k=fk),
    ]
    for ratio in (1.0, 1.5, 2.0, 3.0):
        out.append(Config(f"RRF 1:{ratio:g}", dense_weight=1.0, sparse_weight=ratio, fetch_k=fk))
    for value in (0.5, 0.7, 0.9):
        out.append(Config(f"RRF {dw:g}:{sw:g} + MMR λ={value}", dense_weight=dw, sparse_weight=sw, mmr_lambda=value,
                          fetch_k=fk))
    for k in (20, 100):
        out.append(Config(f"RRF {dw:g}:{sw:g}, fetch_k={k}", dense_weight=dw, sparse_weight=sw, fetch_k=k, deep=False))
        out.append(Config(f"RRF {dw:g}:{sw:g} + MMR λ={lam}, fetch_k={k}", dense_weight=dw, sparse_weight=sw,
                          mmr_lambda=lam, fetch_k=k, deep=False))
    unique: dict[tuple, Config] = {}
    for c in out:  # the sweeps repeat the defaults: keep the first name
        unique.setdefault((c.mode, c.dense_weight, c.sparse_weight, c.mmr_lambda, c.fetch_k), c)
    return list(unique.values())


class CachedEmbedder:
    """Wraps the service's embedder so the same query is embedded once across the configurations (same vector)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cache: dict[str, list[float]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def embed_query(self, text: str, *, api_key: str | None = None) -> list[float]:
        if text not in self._cache:
            self._cache[text] = await self._inner.embed_query(text, api_key=api_key)
        return self._cache[text]


async def ingest_corpus(app: Any, scope: Any, dataset: Dataset, home: Path, concurrency: int, report: Report) -> dict:
    """Ingest every section document not yet in the manifest; return {section id: document id}."""
    from aurora_mcp.ingest.service import DocumentMetadata

    path = home / MANIFEST
    manifest: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    todo = [sid for sid in dataset.sections if sid not in manifest]
    if not todo:
        report.say(f"reusing {len(manifest)} ingested sections from {home}")
        return manifest
    failures: list[tuple[str, str]] = []
    stage_totals: collections.Counter[str] = collections.Counter()
    chunks = 0
    started = time.perf_counter()
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(sid: str) -> None:
        nonlocal chunks
        info = dataset.sections[sid]
        async with limiter:
            result = await app.ingest.ingest_path(
                scope,
                DATASET_DIR / "docs" / doc_filename(sid),
                filename=doc_filename(sid),
                metadata=DocumentMetadata(title=info["title"], external_id=sid, project="pg15-manual"),
            )
        if result.status == "failed" or result.document_id is None:
            failures.append((sid, result.reason or result.status))
            return
        manifest[sid] = result.document_id
        chunks += result.chunks
        for key, value in result.metrics.items():
            if key.startswith("seconds_") and isinstance(value, int | float):
                stage_totals[key] += value
        if len(manifest) % 250 == 0:
            path.write_text(json.dumps(manifest))
            print(f"  … {len(manifest)}/{len(dataset.sections)} sections, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)

    async with anyio.create_task_group() as tg:
        for sid in todo:
            tg.start_soon(one, sid)
    path.write_text(json.dumps(manifest))
    elapsed = time.perf_counter() - started
    report.say(f"ingested {len(todo) - len(failures)} sections ({chunks} chunks) in {elapsed:.0f} s "
               f"with {concurrency} in flight; {len(failures)} failed")
    report.say("stage seconds (summed over documents): " + ", ".join(
        f"{k.removeprefix('seconds_')} {v:.0f}" for k, v in stage_totals.most_common()))
    for sid, reason in failures[:10]:
        report.say(f"  failed {sid}: {reason}")
    report.raw["ingest"] = {"seconds": elapsed, "chunks": chunks, "failures": failures, "stages": stage_totals}
    return manifest


async def run_queries(app: Any, scope: Any, queries: list[Query], doc_to_section: dict[str, str],
                      cfgs: list[Config]) -> dict[str, dict[str, Any]]:
    """For each configuration: per-query top-10 and (deep) top-100 passages as (section id, chunk index, score)."""
    from aurora_mcp.retrieval.models import SearchRequest

    service = app.retrieval
    runs: dict[str, dict[str, Any]] = {}
    for cfg in cfgs:
        started = time.perf_counter()
        service.dense_weight, service.sparse_weight = cfg.dense_weight, cfg.sparse_weight
        top: dict[str, list] = {}
        deep: dict[str, list] = {}
        for q in queries:
            request = SearchRequest(query=q.text, k=10, fetch_k=cfg.fetch_k, mmr_lambda=cfg.mmr_lambda, mode=cfg.mode)
            top[q.qid] = _ranked(await service.search(scope, request), doc_to_section)
            if cfg.deep:
                # The API caps k at 50 (SearchRequest validation); recall@100 needs 100, so build it unvalidated.
                wide = request.model_copy(update={"k": 100, "fetch_k": 200})
                deep[q.qid] = _ranked(await service.search(scope, wide), doc_to_section)
        runs[cfg.name] = {"config": cfg.__dict__, "top": top, "deep": deep,
                          "seconds": time.perf_counter() - started}
        print(f"  {cfg.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return runs


def _ranked(response: Any, doc_to_section: dict[str, str]) -> list[tuple[str, int, float]]:
    return [
        (doc_to_section.get(c.document_id, f"?{c.document_id}"), c.chunk_index, c.score) for c in response.results
    ]


def score_runs(runs: dict[str, dict[str, Any]], queries: list[Query]) -> list[tuple[str, Scores]]:
    out = []
    for name, run in runs.items():
        s = Scores()
        for q in queries:
            s.add_top([p[0] for p in run["top"][q.qid]], q.grades)
            if run["deep"]:
                s.add_deep([p[0] for p in run["deep"][q.qid]], q.grades)
        out.append((name, s))
    return out


def quality_table(scored: list[tuple[str, Scores]]) -> str:
    rows = [
        (name, Scores.mean(s.ndcg10), Scores.mean(s.mrr10), Scores.mean(s.recall100), Scores.mean(s.recall100_answers))
        for name, s in scored
    ]
    return table(["mode", "nDCG@10", "MRR@10", "recall@100", "recall@100 (grade 2)"], rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="index-term queries sampled (seed --seed); default 1000")
    p.add_argument("--all", action="store_true", help="every index-term query (~3,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse", action="store_true", help="keep the ingested home from a previous run")
    p.add_argument("--home", type=Path, default=HOME)
    p.add_argument("--concurrency", type=int, default=2, help="documents in flight during ingestion")
    p.add_argument("--questions-only", action="store_true", help="skip the index-term set")
    p.add_argument("--rebuild-dataset", action="store_true")
    return p.parse_args(argv)


async def main(argv: list[str]) -> None:
    args = parse_args(argv)
    report = Report("quality", argv)
    dataset_file = DATASET_DIR / "dataset.json"
    if args.rebuild_dataset or not dataset_file.exists():
        dataset = build_dataset(DATASET_DIR)
    else:
        dataset = load_dataset(dataset_file)
    report.say(f"dataset: {dataset.stats}")
    if not args.reuse:
        reset_home(args.home)
    children: dict[str, list[str]] = collections.defaultdict(list)
    for sid, info in dataset.sections.items():
        if info.get("parent"):
            children[info["parent"]].append(sid)
    sets = {"questions (EN+FR, hand-judged)": question_queries(dataset.sections, children)}
    if not args.questions_only:
        sample = dataset.sample(None if args.all else args.n, args.seed)
        sets = {f"index terms ({len(sample)} of {len(dataset.queries)}, seed {args.seed})": sample, **sets}

    async with open_aurora(args.home) as app:
        scope = await app.scope(TENANT, caller_app="bench")
        manifest = await ingest_corpus(app, scope, dataset, args.home, args.concurrency, report)
        doc_to_section = {doc: sid for sid, doc in manifest.items()}
        app.retrieval._embedder = CachedEmbedder(app.retrieval._embedder)  # bench-only: same vectors, fewer runs
        cfgs = configs()
        for set_name, queries in sets.items():
            report.say(f"\n## {set_name}\n")
            runs = await run_queries(app, scope, queries, doc_to_section, cfgs)
            scored = score_runs(runs, queries)
            report.say(quality_table(scored))
            report.raw.setdefault("sets", {})[set_name] = {
                "scores": {n: s.__dict__ for n, s in scored},
                "runs": runs,
                "queries": [q.__dict__ for q in queries],
            }
            report.say("")
            report.say(fusion_study(runs, queries, cfgs))
    print(f"\nwritten {report.write()}", file=sys.stderr)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
