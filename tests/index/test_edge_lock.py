"""The embedded edge index belongs to one process at a time, and its points outlive the process that wrote them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from aurora_mcp.errors import EngineBusy
from aurora_mcp.index.base import ChunkPoint, HybridQuery, IndexFilter, SparseVector, point_id
from aurora_mcp.index.edge import EdgeVectorIndex

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
TENANT = "tenant-lock"
# A second process that opens the same shard, reports what it sees, and optionally writes then dies without close.
CHILD = """
import os, sys, uuid, anyio
from pathlib import Path
from aurora_mcp.errors import EngineBusy
from aurora_mcp.index.base import ChunkPoint, IndexFilter, SparseVector, point_id
from aurora_mcp.index.edge import EdgeVectorIndex

async def main(path, action):
    index = EdgeVectorIndex(Path(path), "docs")
    try:
        await index.ensure_collection(4)
    except EngineBusy as exc:
        print("BUSY", exc)
        return
    print("OPEN", await index.count(IndexFilter(tenant_id="tenant-lock")), flush=True)
    if action == "write-and-crash":
        doc = str(uuid.uuid4())
        await index.upsert([ChunkPoint(id=point_id(doc, 0), dense=[0, 0, 1, 0], sparse=SparseVector(indices=[9],
            values=[1.0]), payload={"tenant_id": "tenant-lock", "document_id": doc, "chunk_index": 0})])
        os._exit(0)  # no close(), no flush(): the engine's WAL must carry the write, the kernel drops the lock
    await index.close()

anyio.run(main, sys.argv[1], sys.argv[2])
"""


def child(path: Path, action: str = "read") -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), action], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def points(n: int) -> list[ChunkPoint]:
    doc = str(uuid.uuid4())
    return [
        ChunkPoint(
            id=point_id(doc, i),
            dense=[1.0, float(i), 0.0, 0.0],
            sparse=SparseVector(indices=[i], values=[1.0]),
            payload={"tenant_id": TENANT, "document_id": doc, "chunk_index": i},
        )
        for i in range(n)
    ]


async def test_a_second_process_on_the_same_folder_gets_engine_busy(tmp_path: Path) -> None:
    index = EdgeVectorIndex(tmp_path, "docs")
    await index.ensure_collection(4)
    try:
        out = child(tmp_path)
        assert out.startswith("BUSY"), out
        assert f"pid {os.getpid()}" in out and "AURORA_QDRANT_URL" in out
    finally:
        await index.close()
    assert child(tmp_path) == "OPEN 0"  # close() released the lock


async def test_a_second_index_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    first = EdgeVectorIndex(tmp_path, "docs")
    await first.ensure_collection(4)
    second = EdgeVectorIndex(tmp_path, "docs")
    with pytest.raises(EngineBusy):
        await second.ensure_collection(4)
    await first.close()
    await second.ensure_collection(4)
    await second.close()


async def test_reopening_after_close_keeps_the_points(tmp_path: Path) -> None:
    index = EdgeVectorIndex(tmp_path, "docs")
    await index.ensure_collection(4)
    await index.upsert(points(3))
    await index.close()
    await index.close()  # idempotent
    assert child(tmp_path) == "OPEN 3"

    reopened = EdgeVectorIndex(tmp_path, "docs")
    await reopened.ensure_collection(4)
    hits = await reopened.query(
        HybridQuery(
            dense=[1, 0, 0, 0], sparse=SparseVector(indices=[2], values=[1.0]), filter=IndexFilter(tenant_id=TENANT)
        )
    )
    assert [h.payload["chunk_index"] for h in hits] == [2, 0, 1]  # RRF: chunk 2 leads BM25, chunk 0 leads dense
    await reopened.close()


async def test_a_write_survives_a_process_killed_before_close(tmp_path: Path) -> None:
    index = EdgeVectorIndex(tmp_path, "docs")
    await index.ensure_collection(4)
    await index.upsert(points(2))
    await index.close()
    assert child(tmp_path, "write-and-crash") == "OPEN 2"
    reopened = EdgeVectorIndex(tmp_path, "docs")
    await reopened.ensure_collection(4)  # the dead process's lock is gone with it
    assert await reopened.count(IndexFilter(tenant_id=TENANT)) == 3
    await reopened.close()
