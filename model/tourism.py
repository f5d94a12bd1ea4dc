"""Tourism: smart scenic spots and tourism revenue (the area has no numeric target).

Agents
    Hubei's ~120 4A/5A scenic spots, each with a visitor weight (mean-1
    lognormal) and a smart state (e-ticketing, visitor-flow monitoring, Wi-Fi,
    smart guides: yes/no).
Without provincial money
    A spot becomes smart when its cumulative hazard passes its exponential
    clock: a low hazard before the national 旅游+互联网 plan (2015-09), a
    higher one after it (all 4A+ spots smart by 2020 was its goal).
What the money buys
    Smart-scenic-area systems for the largest spots not yet smart, at
    ``smart_spot_cost`` each, ready after ``smart_spot_lag`` quarters.
Revenue
    ``R_2015 x trend growth x (1 + u x visitor-weighted smart share)``, scaled
    per run so 2015 equals the observation: trend growth from 2016 (yearly
    shocks drawn once, the same in every scenario) times the smart-share
    effect relative to 2015; before 2015 the 2011-2015 average growth.  ``u``
    (smart_tourism_uplift) is an assumption: the literature finds a positive effect of smart-tourism pilots, not a size
    that transfers to Hubei.
"""
from __future__ import annotations

import numba
import numpy as np

from .designations import NEVER, fund_row
from .parameters import scalar
from .streams import per_run
from .sums import np_sum

NATIONAL_PLAN = 2015.75      # 国家旅游局《关于实施“旅游+互联网”行动计划的通知》, 2015-09


class Tourism:
    """Smart 4A+ scenic spots and the tourism revenue they lift."""

    lever = "smart_tourism"
    levers = (lever,)
    name = "tourism"
    outputs = {"tourism_revenue": False, "smart_scenic_spots_share": False}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        rng = m.streams("tourism")
        n = int(scalar(P, "scenic_spots"))
        sig = scalar(P, "scenic_spot_sigma")
        w = np.exp(sig * per_run(rng, "standard_normal", (n,)) - sig**2 / 2)
        self.weight = w / w.sum(1, keepdims=True)
        self.order = np.argsort(-self.weight, axis=1)                   # largest spots first
        self.clock = per_run(rng, "standard_exponential", (n,))
        self.shock = per_run(rng, "standard_normal", (len(m.years),))
        self.cum = np.broadcast_to(-np.log1p(-P["smart_spots_2010"])[:, None], (m.runs, n)).copy()
        self.smart = self.clock <= self.cum
        self.ready = np.full((m.runs, n), NEVER)
        self.smart_share = np.zeros((m.runs, len(m.years)))     # visitor-weighted, year end
        self.lag = int(scalar(P, "smart_spot_lag"))
        self.cost = np.ascontiguousarray(P["smart_spot_cost"], dtype=float)
        self.paid = np.zeros(m.runs)
        steps = np.arange(m.n_steps)
        t = m.years[1 + steps // 4] - 1 + (steps % 4 + 1) / 4           # quarter end
        self.h_step = np.where(t > NATIONAL_PLAN, P["smart_hazard_late"][:, None] * m.dt,
                               P["smart_hazard_early"][:, None] * m.dt)   # hazard of each quarter, (runs, steps)

    def step(self, s: int, y: int, quarter: int) -> None:
        budget = self.m.budget(self.lever, s)
        _quarter(s, self.h_step, self.smart, self.cum, self.clock, self.ready, self.order, self.cost, self.lag,
                 budget, self.paid)
        if budget > 0:
            self.m.record_spend(self.lever, self.paid)

    def record(self, y: int, out: dict) -> None:
        _record(y, self.weight, self.smart, self.smart_share, out["smart_scenic_spots_share"])

    def finish(self, out: dict) -> None:
        """Revenue path, anchored to the 2015 observation in every run."""
        m, P = self.m, self.m.params
        years = m.years
        i15 = m.year_index(2015)
        g = np.where(years[None, :] > 2015,
                     P["tourism_growth_trend"][:, None] + P["tourism_growth_sd"][:, None] * self.shock,
                     scalar(P, "tourism_growth_history"))
        log_path = np.cumsum(np.log1p(g), axis=1)
        log_path -= log_path[:, i15:i15 + 1]
        lift = 1 + P["smart_tourism_uplift"][:, None] * self.smart_share
        lift = np.where(years[None, :] > 2015, lift / lift[:, i15:i15 + 1], 1.0)   # the past is the past
        out["tourism_revenue"][:] = P["tourism_revenue_2015"][:, None] * np.exp(log_path) * lift


@numba.njit(cache=True, error_model="numpy")
def _quarter(s, h_step, smart, cum, clock, ready, order, cost, lag, budget, paid):
    """One quarter: clocks (funded spots may still go smart on their own first), finished systems, and
    money for the largest spots waiting (neither smart nor funded); ``paid`` per run where there was a budget."""
    runs, n = smart.shape
    queue, take, price = np.empty(n, np.bool_), np.empty(n, np.bool_), np.empty(n)
    for r in range(runs):
        for i in range(n):
            if not smart[r, i]:
                cum[r, i] += h_step[r, s]
                smart[r, i] = cum[r, i] >= clock[r, i]
            if ready[r, i] <= s:
                smart[r, i] = True
        if budget > 0:
            for j in range(n):
                queue[j] = not smart[r, order[r, j]] and ready[r, order[r, j]] == NEVER
            take[:] = False
            price[:] = cost[r]
            paid[r] = fund_row(queue, price, budget, np.inf, take)
            for j in range(n):
                if take[j]:
                    ready[r, order[r, j]] = s + lag


@numba.njit(cache=True, error_model="numpy")
def _record(y, weight, smart, smart_share, spots_share):
    """Year-end visitor-weighted smart share (numpy's sum, bit for bit) and share of spots (%) into column ``y``."""
    runs, n = smart.shape
    weighted = np.empty(n)
    for r in range(runs):
        count = 0
        for i in range(n):
            weighted[i] = weight[r, i] * smart[r, i]
            count += smart[r, i]
        smart_share[r, y] = np_sum(weighted)
        spots_share[r, y] = 100 * (count / n)
