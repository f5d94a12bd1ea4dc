"""Hubei Internet+ scenario model: ``simulate`` is the one way in."""
from .engine import simulate

__all__ = ["simulate"]
