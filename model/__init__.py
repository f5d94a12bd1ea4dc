"""Hubei Internet+ scenario model: ``simulate`` is the one way in."""
from .numba_cache import drop_stale, kernels_cached

drop_stale()        # before any kernel is loaded

from .engine import simulate  # noqa: E402

__all__ = ["kernels_cached", "simulate"]
