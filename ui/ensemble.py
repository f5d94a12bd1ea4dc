"""Cached ensembles and scoreboards for the app: the current sliders and the baseline preset."""
from __future__ import annotations

import os

import streamlit as st
import xarray as xr

import model
from model import scoreboard
from ui import levers

DEFAULT_RUNS = 50            # interactive ensemble; never fewer by default
RUNS_RANGE = (10, 1000)      # accepted from the HUBEI_APP_RUNS environment variable
RUNS_CHOICES = (50, 100, 200, 500)
RUNS_ENV = "HUBEI_APP_RUNS"


def default_runs() -> tuple[int, str | None]:
    """The default run count and the bad ``HUBEI_APP_RUNS`` value, if one was given."""
    raw = os.environ.get(RUNS_ENV, "").strip()
    if not raw:
        return DEFAULT_RUNS, None
    try:
        runs = int(raw)
    except ValueError:
        return DEFAULT_RUNS, raw
    low, high = RUNS_RANGE
    return (runs, None) if low <= runs <= high else (DEFAULT_RUNS, raw)


def run_choices(default: int) -> list[int]:
    """Run counts offered in the sidebar, including the default."""
    return sorted({default, *RUNS_CHOICES})


@st.cache_data(max_entries=64, show_spinner=False)
def current(lever_values: tuple[tuple[str, float], ...], runs: int, seed: int) -> xr.Dataset:
    """The ensemble for the sliders' values (area, 亿元 per year), cached on those values."""
    return model.simulate(levers.scenario(dict(lever_values)), runs=runs, seed=seed)


@st.cache_data(max_entries=8, show_spinner=False)
def baseline(runs: int, seed: int) -> xr.Dataset:
    """The baseline preset's ensemble with the same seed (common random numbers)."""
    return model.simulate("baseline", runs=runs, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False)
def current_board(lever_values: tuple[tuple[str, float], ...], runs: int, seed: int):
    """``model.scoreboard.scoreboard`` of the current ensemble."""
    return scoreboard.scoreboard(current(lever_values, runs, seed))


@st.cache_data(max_entries=8, show_spinner=False)
def baseline_board(runs: int, seed: int):
    """``model.scoreboard.scoreboard`` of the baseline ensemble."""
    return scoreboard.scoreboard(baseline(runs, seed))
