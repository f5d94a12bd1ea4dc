"""Schools' broadband.

Agents
    The province's ``schools_total`` schools, shared among prefectures by
    population; in each prefecture the rural share of schools (= its rural
    share of households) lies in villages, spread evenly over them, the rest
    in towns.  Schools are counted per prefecture and kind (expected values),
    not drawn one by one: every school of a kind faces the same hazard.
Connection
    A town school, or a village school whose village has fixed broadband,
    connects at hazard ``school_connection_rate`` per year (education
    bureaus and operators: the "宽带网络校校通" programme).  From the
    infrastructure money left after the village fibre and 4G tails, the
    province pays ``school_connection_cost`` per school to connect reachable
    unconnected schools at once, shared among prefectures by their gap.
Interface
    ``share`` (runs, 17), the share of schools with broadband in [0, 1],
    updated in place every quarter (by ``ranking.quarter_step``);
    ``Connectivity.school_broadband_share`` is a read-only view of it.
"""
from __future__ import annotations

import numpy as np

from ..parameters import scalar


class Schools:
    """Schools with broadband per prefecture, for a batch of runs."""

    outputs = {"school_broadband_coverage": False, "school_broadband_coverage_by_region": True}

    def __init__(self, conn, gens):
        self.c = conn
        P, i2015 = conn.m.params, conn.m.year_index(2015)
        hh = conn.urban_hh[:, i2015, :] + conn.rural_hh[:, i2015, :]                 # (R, 17)
        total = scalar(P, "schools_total") * hh / hh.sum(1, keepdims=True)
        self.rural = total * conn.rural_hh[:, i2015, :] / hh          # schools in villages
        self.urban = total - self.rural
        self.total = total
        self.rate = P["school_connection_rate"][:, None]
        self.cost = P["school_connection_cost"]
        self.keep = np.exp(-self.rate * conn.m.dt)            # share of the gap left after a quarter
        start = P["school_broadband_2010"][:, None]
        self.urban_on = start * self.urban
        self.rural_on = np.minimum(start * self.rural, self.reachable())
        self.rural_per_village = self.rural / conn.villages_per_pref
        share = np.clip((self.urban_on + self.rural_on) / self.total, 0.0, 1.0)
        self.share = np.where(share > 1 - 1e-9, 1.0, share)      # all connected, up to rounding; kept by the step

    def reachable(self) -> np.ndarray:
        """Village schools whose village has broadband, (runs, 17)."""
        return self.rural * self.c.covered_count / self.c.villages_per_pref
