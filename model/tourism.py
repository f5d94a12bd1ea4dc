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
    effect relative to 2015; before 2015 the 2011-2015 average growth.  ``u`` (smart_tourism_uplift) is an assumption: the
    literature finds a positive effect of smart-tourism pilots, not a size
    that transfers to Hubei.
"""
from __future__ import annotations

import numpy as np

from .designations import NEVER, fund_in_order
from .parameters import scalar
from .streams import per_run

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
        self.lag = int(scalar(P, "smart_spot_lag"))
        self.clock = per_run(rng, "standard_exponential", (n,))
        self.shock = per_run(rng, "standard_normal", (len(m.years),))
        self.cum = np.broadcast_to(-np.log1p(-P["smart_spots_2010"])[:, None], (m.runs, n)).copy()
        self.smart = self.clock <= self.cum
        self.ready = np.full((m.runs, n), NEVER)
        self.smart_share = np.zeros((m.runs, len(m.years)))     # visitor-weighted, year end
        self.rows = m.rows
        self.h_step = {late: P["smart_hazard_late" if late else "smart_hazard_early"][:, None] * m.dt
                       for late in (False, True)}                # hazard of one quarter

    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        t = m.years[y] - 1 + (quarter + 1) / 4
        free = ~self.smart                     # funded spots may still go smart on their own first
        self.cum += self.h_step[bool(t > NATIONAL_PLAN)] * free
        self.smart |= free & (self.cum >= self.clock)
        self.smart |= self.ready <= s
        budget = m.budget(self.lever, s)
        if budget > 0:
            waiting = ~self.smart & (self.ready == NEVER)
            order = self.order
            take, paid = fund_in_order(waiting[self.rows, order], P["smart_spot_cost"][:, None], budget)
            self.ready[self.rows, order] = np.where(take, s + self.lag, self.ready[self.rows, order])
            m.record_spend(self.lever, paid)

    def record(self, y: int, out: dict) -> None:
        self.smart_share[:, y] = (self.weight * self.smart).sum(1)
        out["smart_scenic_spots_share"][:, y] = 100 * self.smart.mean(1)

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
