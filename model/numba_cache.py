"""numba's on-disk cache of the modules' kernels: dropped when a shared helper changes.

numba keys a kernel's cached machine code on the kernel's own file only, so when
a numba helper that kernels in other files call changes, those callers would
keep running code built against the old helper.  ``drop_stale`` (run when the
package is imported) deletes the cached kernels whenever the shared helper
files differ from the last import's.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).parent
SHARED_KERNEL_FILES = ("sums.py", "designations.py")     # helpers that kernels in other files call


def drop_stale(package: Path = PACKAGE) -> None:
    """Delete every cached kernel if a shared helper file changed since the last check."""
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


def kernels_cached(package: Path = PACKAGE) -> bool:
    """Whether the compiled kernels are on disk: the first run in a fresh checkout compiles them (about a minute)."""
    return any((package / "connectivity" / "__pycache__").glob("ranking.quarter_step-*.nbi"))
