"""Observations the fit uses: the vendored Hubei rows plus an economist's file.

An extra file must follow the vendored schema; it is validated row by row by
``model.observations.read_observations`` (errors name file and line) and
must add at least one Hubei row of a fitted series, else it is refused too.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.observations import PROVINCE, ObservationError, hubei_observations, read_observations

HERE = Path(__file__).parent
FIT_KINDS = ("level", "count", "lower_bound")


def series_rules() -> pd.DataFrame:
    """``series.csv``: how a model output is compared with observations."""
    return pd.read_csv(HERE / "series.csv", keep_default_na=False)


def noise() -> dict[str, float]:
    """Observation noise (sd of log) by reliability grade (``noise.csv``)."""
    frame = pd.read_csv(HERE / "noise.csv")
    return dict(zip(frame.reliability, frame.log_sd.astype(float)))


def load_extra(path: str | Path) -> pd.DataFrame:
    """Read and validate an economist's observation file."""
    frame = read_observations(path)
    wanted = set(series_rules().indicator) | set(series_rules().denominator) - {""}
    useful = frame[(frame.region == PROVINCE) & frame.indicator.isin(wanted)]
    if useful.empty:
        raise ObservationError(f"{path}: no Hubei (湖北省) rows of a fitted series "
                               f"({', '.join(sorted(wanted))}); nothing to fit on")
    frame["source"] = frame.source + f" [file {Path(path).name}:" + frame.line.astype(str) + "]"
    return frame


def fit_observations(extra: pd.DataFrame | None = None, until: int = 2017,
                     frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per observation the likelihood uses.

    Columns ``output, year, value, kind, reliability, source``; conflicting
    sources stay separate rows; a ratio rule (``denominator``) divides by the
    most reliable denominator row of the same year and takes the worse reliability.
    """
    frame = hubei_observations() if frame is None else frame
    if extra is not None:
        frame = pd.concat([frame, extra], ignore_index=True)
    frame = frame[(frame.region == PROVINCE) & (frame.year <= until) & (frame.year >= 2011)]
    rows = []
    for rule in series_rules().itertuples():
        num = frame[(frame.indicator == rule.indicator) & frame.kind.isin(FIT_KINDS)]
        if rule.denominator:
            den = frame[(frame.indicator == rule.denominator) & frame.kind.isin(("level", "count"))]
            # one denominator per year (the most reliable row): several population sources must not
            # multiply the numerator's weight
            den = den.sort_values("reliability", kind="stable").drop_duplicates("year")
            for r in num.itertuples():
                for d in den[den.year == r.year].itertuples():
                    rows.append((rule.output, r.year + int(rule.year_shift), r.value / d.value * float(rule.scale),
                                 r.kind, max(r.reliability, d.reliability), r.source))
        else:
            for r in num.itertuples():
                rows.append((rule.output, r.year + int(rule.year_shift), r.value * float(rule.scale), r.kind,
                             r.reliability, r.source))
    out = pd.DataFrame(rows, columns=["output", "year", "value", "kind", "reliability", "source"])
    out = out[(out.value > 0) & np.isfinite(out.value)]
    return out.drop_duplicates().reset_index(drop=True)
