"""Admission checks on a file before any row is written: size, type, checksum, and the allowed-roots rule."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import anyio
from pydantic import BaseModel

from aurora_mcp.errors import FileRejected
from aurora_mcp.ingest.formats import format_for, sniff

_READ_BLOCK = 1024 * 1024


class FileFacts(BaseModel):
    sha256: str
    byte_size: int
    ext: str
    mime_type: str
    safe_name: str  # last path component, used as the object name of the raw upload


async def inspect_file(path: Path, *, filename: str, max_bytes: int) -> FileFacts:
    """Size, type and sha256 of a local file.

    Raises:
        FileRejected: missing, empty or over `max_bytes`; or content that does not match its extension.
        UnsupportedFormat: an extension docling cannot parse here.
    """
    try:
        size = (await anyio.Path(path).stat()).st_size
    except FileNotFoundError:
        raise FileRejected(f"{filename}: file not found") from None
    if size == 0:
        raise FileRejected(f"{filename}: the file is empty")
    if size > max_bytes:
        raise FileRejected(
            f"{filename}: {size / 1048576:.1f} MiB is over the {max_bytes / 1048576:.0f} MiB limit "
            "(raise AURORA_MAX_FILE_MB to accept it)"
        )
    fmt = format_for(filename)
    await anyio.to_thread.run_sync(sniff, path, fmt)
    digest = await anyio.to_thread.run_sync(_sha256, path)
    ext = fmt.kind.value
    safe_name = Path(filename.replace("\\", "/")).name or f"upload.{ext}"
    return FileFacts(sha256=digest, byte_size=size, ext=ext, mime_type=fmt.mime_type, safe_name=safe_name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_READ_BLOCK):
            h.update(block)
    return h.hexdigest()


def resolve_allowed_path(raw: str, roots: list[Path]) -> Path:
    """The real path of `raw` if it lies inside one of `roots` (after resolving `..` and symlinks).

    Raises:
        FileRejected: outside every root, not a regular file, or missing.
    """
    candidate = Path(os.path.expanduser(raw))
    if not candidate.is_absolute():
        raise FileRejected(f"{raw}: give an absolute path (relative paths are ambiguous for a server)")
    try:
        real = candidate.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise FileRejected(f"{raw}: no such file") from None
    real_roots = [r.expanduser().resolve() for r in roots]
    if not any(real == root or real.is_relative_to(root) for root in real_roots):
        allowed = ", ".join(str(r) for r in real_roots) or "(none)"
        raise FileRejected(
            f"{raw}: outside the folders this server may read ({allowed}); set AURORA_ALLOWED_ROOTS "
            "or send the file as content"
        )
    if not real.is_file():
        raise FileRejected(f"{raw}: not a regular file")
    return real
