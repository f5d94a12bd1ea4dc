"""Results files of the policy analyses for their pages: the newest of a kind, read once per version."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
import xarray as xr

from model import results


def newest(pattern: str) -> Path | None:
    """The newest ``results/<pattern>`` (``HUBEI_RESULTS_DIR`` chooses another folder)."""
    return results.newest(pattern)


def load(path: Path) -> xr.Dataset:
    """A results file, read into memory once per version of the file."""
    return _load(str(path), path.stat().st_mtime_ns)


@st.cache_data(show_spinner=False, max_entries=8)
def _load(path: str, stamp: int) -> xr.Dataset:
    with xr.open_dataset(path) as ds:
        return ds.load()


def forget() -> None:
    """Drop what was read (after a page wrote a new file)."""
    _load.clear()
