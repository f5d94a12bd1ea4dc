"""Cached ensembles and scoreboards for the app.

Every ensemble is cached on what defines it: the sliders' values and pinned parameters
(``current``), a scenario's TOML text (``named``), the baseline preset and the max-lever
scenario (``baseline``, ``reach``: computed once per run count and seed).  The seed is
shared, so all scenarios see the same random numbers (differences are not noise).
"""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st
import xarray as xr

import model
from model import scoreboard
from model.scenario import loads, presets
from ui import levers

DEFAULT_RUNS = 50            # interactive ensemble; never fewer by default
RUNS_RANGE = (10, 1000)      # accepted from the HUBEI_APP_RUNS environment variable
RUNS_CHOICES = (50, 100, 200, 500)
RUNS_ENV = "HUBEI_APP_RUNS"
Key = tuple[tuple[str, float], ...]


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


def key(values: dict[str, float]) -> Key:
    """A hashable, order-free cache key for slider or pin values."""
    return tuple(sorted((k, float(v)) for k, v in values.items()))


@st.cache_data(max_entries=64, show_spinner=False)
def current(lever_values: Key, pins: Key, runs: int, seed: int) -> xr.Dataset:
    """The ensemble for the sliders' values (area, 亿元 per year) and pinned parameters."""
    return model.simulate(levers.scenario(dict(lever_values), dict(pins)), runs=runs, seed=seed)


@st.cache_data(max_entries=32, show_spinner=False)
def named(toml: str, runs: int, seed: int) -> xr.Dataset:
    """The ensemble of a scenario given as TOML text (a preset, a saved or an uploaded one)."""
    return model.simulate(loads(toml, "scenario"), runs=runs, seed=seed)


@st.cache_data(max_entries=8, show_spinner=False)
def baseline(runs: int, seed: int) -> xr.Dataset:
    """The baseline preset's ensemble with the same seed (common random numbers)."""
    return model.simulate(presets()["baseline"], runs=runs, seed=seed)


@st.cache_data(max_entries=8, show_spinner=False)
def reach(runs: int, seed: int) -> xr.Dataset:
    """Every lever at its upper bound: decides which targets are out of reach at any funding."""
    return model.simulate(scoreboard.max_scenario(), runs=runs, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False)
def comparison(lever_values: Key, pins: Key, others: tuple[tuple[str, str], ...], runs: int,
               seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scoreboard.compare_many`` of baseline, the sliders and the chosen scenarios (label, TOML)."""
    data = {"current": current(lever_values, pins, runs, seed)}
    data |= {label: named(toml, runs, seed) for label, toml in others}
    return scoreboard.compare_many(baseline(runs, seed), data, reach(runs, seed),
                                   base_board=baseline_board(runs, seed), reach_board=reach_board(runs, seed))


@st.cache_data(max_entries=8, show_spinner=False)
def baseline_board(runs: int, seed: int) -> pd.DataFrame:
    """``scoreboard.scoreboard`` of the baseline ensemble, once per run count and seed."""
    return scoreboard.scoreboard(baseline(runs, seed))


@st.cache_data(max_entries=8, show_spinner=False)
def reach_board(runs: int, seed: int) -> pd.DataFrame:
    """``scoreboard.scoreboard`` of the max-lever ensemble, once per run count and seed."""
    return scoreboard.scoreboard(reach(runs, seed))
