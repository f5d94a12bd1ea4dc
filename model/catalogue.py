"""The catalogue: targets, action areas, levers and indicators, read from data files.

``targets.csv`` and ``actions.csv`` are vendored unchanged from the project
spec (29 targets, 16 action areas, linked by ``area``); ``levers.csv`` holds
slider bounds and which mechanism a lever drives; ``indicators.csv`` lists
what the model projects, with its calibration status; ``history.csv`` says
how each indicator's observed history is read from the vendored data.
"""
from __future__ import annotations

import operator
from functools import lru_cache

import numpy as np
import pandas as pd

from .observations import DATA_DIR, hubei_observations, series

COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
CALIBRATION_LABELS = {
    "calibrated": ("已校准", "calibrated"),
    "partial": ("部分依据数据", "partly informed by data"),
    "prior-only": ("仅依据先验", "prior only"),
    "uncalibrated": ("未校准", "uncalibrated"),
}


@lru_cache(maxsize=None)
def targets() -> pd.DataFrame:
    """The 29 targets, indexed by id."""
    frame = pd.read_csv(DATA_DIR / "targets.csv").set_index("id")
    bad = set(frame.comparator) - set(COMPARATORS)
    if bad:
        raise ValueError(f"targets.csv: unknown comparator(s) {bad}")
    return frame


@lru_cache(maxsize=None)
def areas() -> pd.DataFrame:
    """The 16 action areas joined with their lever bounds, indexed by area id."""
    actions = pd.read_csv(DATA_DIR / "actions.csv").set_index("id")
    levers = pd.read_csv(DATA_DIR / "levers.csv", keep_default_na=False).set_index("area")
    if set(actions.index) != set(levers.index):
        raise ValueError("levers.csv and actions.csv must list the same areas: "
                         f"{set(actions.index) ^ set(levers.index)}")
    frame = actions.join(levers)
    unknown = set(targets().area) - set(frame.index)
    if unknown:
        raise ValueError(f"targets.csv refers to unknown areas {unknown}")
    return frame


@lru_cache(maxsize=None)
def indicators() -> pd.DataFrame:
    """Indicators the model projects, indexed by id."""
    frame = pd.read_csv(DATA_DIR / "indicators.csv", dtype=str, keep_default_na=False).set_index("id")
    frame["decimals"] = frame.decimals.astype(int)
    frame["regional"] = frame.regional.map({"true": True, "false": False})
    unknown = set(frame.target[frame.target != ""]) - set(targets().index)
    if unknown or frame.regional.isna().any():
        raise ValueError(f"indicators.csv: unknown targets {unknown} or bad 'regional' values")
    if not set(frame.calibration) <= set(CALIBRATION_LABELS):
        raise ValueError("indicators.csv: calibration must be one of " + ", ".join(CALIBRATION_LABELS))
    return frame


def modelled_targets() -> list[str]:
    """Ids of targets the model currently projects."""
    return [t for t in indicators().target if t]


def wired_areas() -> list[str]:
    """Action areas whose lever drives a modelled mechanism."""
    frame = areas()
    return list(frame.index[frame.module != ""])


def met(values: np.ndarray, target_id: str) -> np.ndarray:
    """Boolean array: which values meet a target under its comparator."""
    row = targets().loc[target_id]
    return COMPARATORS[row.comparator](values, row.target_value)


@lru_cache(maxsize=None)
def _history_rules() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "history.csv", keep_default_na=False).set_index("indicator")


def history(indicator: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observed history of an indicator.

    Columns: year, value, kind ('level' or 'lower_bound'), reliability,
    source, source_title, note (the data file's note, as compiled) and
    note_zh / note_en (how the model reads the row, where a rule says so,
    otherwise the data note).  Conflicting observations are all kept; ratios
    use the denominator observation of the same year.  Empty if the
    indicator has no history.
    """
    cols = ["year", "value", "kind", "reliability", "source", "source_title", "note", "note_zh", "note_en"]
    rules = _history_rules()
    if indicator not in rules.index:
        return pd.DataFrame(columns=cols)
    rule = rules.loc[indicator]
    frame = hubei_observations() if frame is None else frame
    rows = series(rule.numerator, frame=frame).copy()
    if rule.denominator:
        den = series(rule.denominator, frame=frame).groupby("year").value.first()
        rows = rows[rows.year.isin(den.index)].copy()
        rows["value"] = rows.value / rows.year.map(den).to_numpy()
        rows["kind"] = "level"
    rows["value"] = rows.value * float(rule.scale)
    rows["year"] = rows.year + int(rule.year_shift)
    rows["note_zh"] = rule.note_zh or rows.note
    rows["note_en"] = rule.note_en or rows.note
    return rows[cols].reset_index(drop=True)
