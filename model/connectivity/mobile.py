"""4G coverage of villages and mobile internet adoption (set-up here; the quarter in ``ranking._mobile``).

4G rollout
    Operators cover villages with 4G from ``g4_start`` (licences at the end of
    2013) in the order of the fibre cost ranking (remoteness and household
    density drive both; an assumption), reaching their commercial footprint,
    the cheapest ``village_4g_profitable_share`` of villages per household,
    linearly over ``village_4g_rollout_years``.  The footprint widens as costs
    fall and when the central 4G universal-service subsidy starts (2018).
    Once operators have covered their footprint, provincial money left after
    the fibre tail pays the gap of the next villages (4G cost = ``village_4g_cost_ratio``
    x fibre cost), cheapest first, within ``village_4g_capacity`` per quarter.
    Among the villages with fibre at the start (cheaper than any other, held
    unordered) 4G is spread over prefectures in proportion to their count.
Mobile internet users
    Bass diffusion per prefecture in users per 100 residents; the ceiling is
    ``mobile_ceiling`` for urban residents and for rural residents of 4G
    villages, ``mobile_ceiling_without_4g`` times that for the others.  The
    2010 state is set so that, with the 2010 ceiling held, the curve passes
    the observed 2015 value (NBS, anchored); 2016-2017 are checks.
"""
from __future__ import annotations

import numpy as np

from ..population import N_PREF


class Mobile:
    """4G village coverage and mobile internet users, for a batch of runs."""

    outputs = {"village_4g_coverage": False, "village_4g_coverage_by_region": True,
               "mobile_broadband_penetration": False}

    def __init__(self, conn, gens):
        self.c = conn
        m, P = conn.m, conn.m.params
        R, S = m.runs, m.n_steps
        self.capacity = P["village_4g_capacity"].astype(np.int64)
        # the operators' 4G frontier for every step, precomputed (it depends on time only)
        t = m.years[0] + (np.arange(S) + 1) / 4                                   # end of each quarter
        decline = conn.decline                                  # (R, S): 4G costs fall as fibre costs do
        central = P["central_4g_subsidy_share"][:, None] * (t > P["central_4g_subsidy_start"][:, None])
        pos0 = np.round(P["village_4g_profitable_share"] * conn.n).astype(np.int64) - 1 - conn.head
        theta0 = conn.per_hh[np.arange(R), np.clip(pos0, 0, conn.per_hh.shape[1] - 1)]
        self.theta = theta0[:, None] / decline / (1 - central)        # fibre-cost units per 万户
        self.scale = P["village_4g_cost_ratio"][:, None] * decline * (1 - central)     # the province's share of the gap
        self.k_prof = conn.head + np.stack([np.searchsorted(conn.per_hh[r], self.theta[r], side="right")
                                            for r in range(R)])
        ramp = np.clip((t[None, :] - P["g4_start"][:, None]) / P["village_4g_rollout_years"][:, None], 0, 1)
        self.ramp_done = ramp >= 1
        self.k_op = np.floor(ramp * self.k_prof).astype(np.int64)
        for fixed in (self.theta, self.scale, self.k_prof, self.ramp_done, self.k_op):
            fixed.flags.writeable = False                  # shared by the engine's checkpoints
        self.k = np.zeros(R, dtype=np.int64)                   # villages with 4G: ranked prefix
        self.tail_count = np.zeros((R, N_PREF))               # 4G villages beyond the start's coverage

        # mobile internet users per 100 residents, per prefecture
        self.p, self.q = P["bass_p_mobile"][:, None], P["bass_q_mobile"][:, None]
        self.top, self.no4g = P["mobile_ceiling"][:, None], P["mobile_ceiling_without_4g"][:, None]
        hh = conn.urban_hh + conn.rural_hh                                       # (R, years, 17)
        self.urban_share = conn.urban_hh / hh
        self.pop_weight = hh / hh.sum(2, keepdims=True)
        urb = self.urban_share[:, 0, :]
        ceiling = self.top * (urb + (1 - urb) * self.no4g)                     # 2010: no village with 4G
        # Bass closed form: the age at which the 2010 ceiling's curve reaches the 2015 value
        p, q = self.p[:, 0], self.q[:, 0]
        a = np.clip(P["mobile_users_2015"] / (ceiling * self.pop_weight[:, 0]).sum(1), 1e-6, 0.98)
        age = -np.log((1 - a) / (1 + a * q / p)) / (p + q)
        e = np.exp(-(p + q) * np.maximum(age - 5, 0))
        self.users = ((1 - e) / (1 + q / p * e))[:, None] * ceiling

    def count(self) -> np.ndarray:
        """Villages with 4G per prefecture, (runs, 17)."""
        c = self.c
        return c.covered0 * (np.minimum(self.k, c.k0) / c.k0)[:, None] + self.tail_count
