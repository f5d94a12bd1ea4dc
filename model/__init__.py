"""Hubei Internet+ scenario model: ``simulate`` is the one way in."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

# numba helpers that kernels in other files call.  numba keys a kernel's cached
# machine code on the kernel's own file only, so a change here would leave
# callers running the old code: the cached kernels are dropped when these change.
SHARED_KERNEL_FILES = ("sums.py", "designations.py")


def _drop_stale_kernels(package: Path = Path(__file__).parent) -> None:
    digest = hashlib.sha256(b"".join((package / f).read_bytes() for f in SHARED_KERNEL_FILES)).hexdigest()
    stamp = package / "__pycache__" / "shared-kernels.sha256"
    folders = [package] + ([Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else [])
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return
        for folder in folders:
            for cached in (*folder.rglob("*.nbi"), *folder.rglob("*.nbc")):
                cached.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:     # a read-only install: numba falls back to a user cache, which this cannot vouch for
        pass


def kernels_cached(package: Path = Path(__file__).parent) -> bool:
    """Whether the compiled kernels are on disk: the first run in a fresh checkout compiles them (about a minute)."""
    return any((package / "connectivity" / "__pycache__").glob("ranking.quarter_step-*.nbi"))


_drop_stale_kernels()

from .engine import simulate  # noqa: E402

__all__ = ["kernels_cached", "simulate"]
