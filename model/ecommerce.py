"""E-commerce: firms' adoption, rural service points and the transaction volume.

Agents
    The manufacturing firms (adoption of e-commerce: a yes/no state) and the
    villages (an e-commerce service point: yes/no).
Firm adoption
    Bass hazard ``(p + q * share of the prefecture's firms adopting) * size**e``,
    raised by provincial support ``(1 - s) ** -elasticity`` where ``s`` is what
    the quarter's support money pays of the expected set-up costs (capped).
    Exponential clocks per firm: a firm adopts once its prefecture's
    cumulative hazard passes its clock divided by its size weight, so firms are
    ranked once and adopters are a prefix of that ranking per prefecture.
Service points
    From 2014, platform- and central-programme-led points spread over covered
    villages (Bass in expected value: the share of a prefecture's covered
    villages with a point); provincial money buys further points at
    ``service_point_cost`` each, shared among prefectures in proportion to
    their covered villages still without one.
Volume
    B2B: adopting firms' revenue (size x nominal GDP index) times an online
    intensity trend.  B2C: subscribed households times income (urban above
    rural), times an online-spending trend; rural households without a
    service point spend ``offline_rural_factor`` as much online.  Both are
    scaled per run so 2015 equals the observed 11,000亿元 with the B2B share
    of ``b2b_share_2015``; years after 2015 are projections, not fits.
Designations (``model/ecommerce_programmes.py``)
    National demonstration bases and firms, cross-border clusters and rural
    demonstration counties, in year-end rounds.  The e-commerce lever is split:
    ``ecommerce_support_share`` for firms' adoption, ``rural_county_support_share``
    for provincial demonstration counties, ``demo_cultivation_share`` for
    cultivating candidates (a third each for bases, firms, clusters), the rest
    for village service points.
"""
from __future__ import annotations

import numpy as np

from .ecommerce_programmes import Programme, RuralCounties
from .parameters import scalar
from .population import N_PREF, firm_structure
from .streams import per_run


class ECommerce:
    """Firm adoption, village service points and e-commerce volume for a batch of runs."""

    lever = "ecommerce"
    levers = (lever,)         # the action areas whose money this module spends
    name = "ecommerce"
    outputs = {"ecommerce_volume": False, "ecommerce_firm_share": False, "ecommerce_service_points": False,
               "ecommerce_demo_bases": False, "ecommerce_demo_firms": False, "crossborder_clusters": False,
               "rural_ecommerce_demo_counties": False, "rural_ecommerce_demo_counties_by_region": True}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        R = m.runs
        f = firm_structure(int(scalar(P, "firms_total")), scalar(P, "firm_size_sigma"))
        n = len(f["pref"])
        w = f["size"] ** scalar(P, "firm_size_elasticity")
        rng = m.streams("ecommerce")
        # firms: clocks in units of cumulative hazard, ranked within prefecture
        tau = per_run(rng, "standard_exponential", (n,), np.float32) / w[None, :]
        key = (np.arange(R)[:, None] * N_PREF + f["pref"][None, :]) + (1 - np.exp(-tau))
        order = np.argsort(key.ravel())
        self.keys = key.ravel()[order]
        # prefix sums per run (so a run's numbers do not depend on the batch it is in)
        firm = (order % n).reshape(R, n)
        zero = np.zeros((R, 1))
        self.cum_size = np.concatenate([zero, np.cumsum(f["size"][firm], axis=1)], 1)
        self.cum_w = np.concatenate([zero, np.cumsum(w[firm], axis=1)], 1)
        for fixed in (self.keys, self.cum_size, self.cum_w):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints
        self.start = (np.arange(R) * n)[:, None]
        self.rows = m.rows
        self.support_share = scalar(P, "ecommerce_support_share")
        self.point_start = scalar(P, "service_point_start")
        self.point_cost = scalar(P, "service_point_cost")
        self.block = self.start + np.concatenate([[0], np.cumsum(f["per_pref"])[:-1]])[None, :]
        self.per_pref = f["per_pref"]
        self.groups = np.arange(R)[:, None] * N_PREF + np.arange(N_PREF)[None, :]     # (run, prefecture) keys
        # start: the share adopting in 2010 are the first in each prefecture's ranking
        first = self.block + np.round(P["ecommerce_firm_share_2010"][:, None] * self.per_pref).astype(int)
        self.G = -np.log1p(-(np.take(self.keys, np.maximum(first - 1, self.block)) % 1.0)) + 1e-12
        self.G = np.where(first > self.block, self.G, 0.0)
        self.adopted = self._adopters()
        # per-run constants of the step (it runs 40 times)
        self.w_total = self._cum(self.cum_w, self.block + self.per_pref[None, :])       # all firms' weight
        self.p_firms, self.q_firms = P["bass_p_firms_ecommerce"][:, None], P["bass_q_firms_ecommerce"][:, None]
        self.p_points, self.q_points = P["bass_p_service_points"][:, None], P["bass_q_service_points"][:, None]

        # villages: share of covered villages with a service point, per prefecture
        self.point_share = np.zeros((R, N_PREF))
        self.raw = np.zeros((R, len(m.years), 2))      # unscaled B2B and B2C volume

        # designations (drawn after the firms' clocks: earlier draws unchanged)
        self.county_share = scalar(P, "rural_county_support_share")
        self.demo_share = scalar(P, "demo_cultivation_share")
        self.counties = RuralCounties(m, rng)
        share = P["demo_bases_hubei_share"]
        self.bases = Programme(m, rng, "demo_bases", {2019: 13 * share, 2020: 15 * share},
                               int(scalar(P, "demo_bases_2015")))
        accepted = scalar(P, "demo_firms_nominations") * P["demo_firms_acceptance"]
        self.firms = Programme(m, rng, "demo_firms", {2017: accepted, 2019: accepted},
                               int(scalar(P, "demo_firms_2015")))
        start = int(scalar(P, "crossborder_start"))
        self.clusters = Programme(m, rng, "crossborder", {y: P["crossborder_rate"] for y in
                                                          range(start, int(m.years[-1]) + 1)})
        self.programmes = (self.bases, self.firms, self.clusters)

    def _coverage(self) -> np.ndarray:
        """Share of each prefecture's villages with broadband (runs, 17), in [0, 1]."""
        return self.m.connectivity.village_share

    def _delivery_readiness(self) -> np.ndarray:
        """Rural parcel-delivery reach per prefecture (runs, 17), in [0, 1].

        ``model.logistics.rural_delivery_share`` weighted by
        ``coupling_logistics_ecommerce``; the stand-alone assumption (coupling
        0) is that delivery reaches the villages broadband reaches.
        """
        coverage = self._coverage()
        c = self.m.params["coupling_logistics_ecommerce"][:, None]
        return c * self.m.logistics.rural_delivery_share + (1 - c) * coverage

    def _cum(self, cum: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Prefix sum up to flat ranking positions ``pos`` (runs, k), per run."""
        return cum[self.rows, pos - self.start]

    def _adopters(self) -> np.ndarray:
        """Position (in the ranking) after the last adopter, per (run, prefecture)."""
        query = self.groups + (1 - np.exp(-self.G))
        return np.searchsorted(self.keys, query.ravel(), side="right").reshape(self.m.runs, N_PREF)

    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        dt = m.dt
        budget = m.budget(self.lever, s)
        support = budget * self.support_share
        put_aside = budget * (self.county_share + self.demo_share)
        if budget > 0:
            self.counties.pot += budget * self.county_share
            for programme in self.programmes:
                programme.pot += budget * self.demo_share / len(self.programmes)
        # firms
        share_adopted = (self.adopted - self.block) / self.per_pref[None, :]
        g = self.p_firms + self.q_firms * share_adopted
        if support > 0:
            waiting = self.w_total - self._cum(self.cum_w, self.adopted)
            expected = (g * waiting).sum(1) * dt * P["ecommerce_adoption_cost"]
            sub = np.minimum(P["ecommerce_subsidy_cap"], support / np.maximum(expected, 1e-9))
            self.G += g * ((1 - sub) ** -P["investment_cost_elasticity"] * dt)[:, None]
            before = self.adopted
            self.adopted = self._adopters()
            new = (self.adopted - before).sum(1)
            spent = np.minimum(sub * P["ecommerce_adoption_cost"] * new, support)
        else:                       # no subsidy: the boost is exactly 1 and nothing is paid
            self.G += g * dt
            self.adopted = self._adopters()
            spent = np.zeros(m.runs)
        # service points: platform-led spread from the start year, then provincial purchases
        sp = self.point_share
        if m.years[y] - 1 + (quarter + 1) / 4 > self.point_start:
            sp += (self.p_points + self.q_points * sp) * (1 - sp) * dt
        if budget > support + put_aside:
            covered = m.connectivity.covered_count
            without = covered * (1 - sp)
            wanted = (budget - support - put_aside) / self.point_cost          # points per run
            placed = np.minimum(wanted, without.sum(1))
            sp += placed[:, None] * without / np.maximum(without.sum(1, keepdims=True), 1e-12) \
                / np.maximum(covered, 1)
            spent = spent + placed * self.point_cost
        np.clip(sp, 0, 1, out=sp)
        if quarter == 3:
            year = int(m.years[y])
            spent = spent + self.counties.year_end(year, self._coverage(), self._delivery_readiness())
            for programme in self.programmes:
                spent = spent + programme.year_end(year)
        m.record_spend(self.lever, spent)

    def record(self, y: int, out: dict) -> None:
        m, P = self.m, self.m.params
        t = m.years[y] - 2015
        mac = m.macro
        adopted_size = (self._cum(self.cum_size, self.adopted) - self._cum(self.cum_size, self.block)).sum(1)
        b2b = adopted_size * mac.gdp_index_2015[:, y] * (1 + P["ecommerce_intensity_growth"]) ** t
        urban, rural = m.connectivity.subscribers(y)
        lam = P["offline_rural_factor"][:, None]
        spend = (urban * P["urban_rural_income_ratio"][:, None] + rural * (lam + (1 - lam) * self.point_share))
        b2c = ((spend * m.connectivity.rel_income[None, :]).sum(1) * mac.income_index[:, y]
               * (1 + P["online_spending_growth"]) ** t)
        self.raw[:, y] = np.stack([b2b, b2c], 1)
        out["ecommerce_firm_share"][:, y] = 100 * (self.adopted - self.block).sum(1) / self.per_pref.sum()
        out["ecommerce_service_points"][:, y] = (self.point_share * m.connectivity.covered_count).sum(1)
        out["ecommerce_demo_bases"][:, y] = self.bases.designated.sum(1)
        out["ecommerce_demo_firms"][:, y] = self.firms.designated.sum(1)
        out["crossborder_clusters"][:, y] = self.clusters.designated.sum(1)
        out["rural_ecommerce_demo_counties_by_region"][:, y] = self.counties.by_region()
        out["rural_ecommerce_demo_counties"][:, y] = self.counties.designated.sum(1)

    def finish(self, out: dict) -> None:
        """Scale the volume so 2015 equals the observation (per run)."""
        P = self.m.params
        i = self.m.year_index(2015)
        b2b_share = P["b2b_share_2015"]
        scale_b2b = P["ecommerce_volume_2015"] * b2b_share / self.raw[:, i, 0]
        scale_b2c = P["ecommerce_volume_2015"] * (1 - b2b_share) / self.raw[:, i, 1]
        out["ecommerce_volume"][:] = self.raw[:, :, 0] * scale_b2b[:, None] + self.raw[:, :, 1] * scale_b2c[:, None]
