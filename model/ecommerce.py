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

from functools import lru_cache

import numba
import numpy as np

from .ecommerce_programmes import Programme, RuralCounties
from .parameters import scalar
from .population import N_PREF, firm_structure
from .streams import per_run
from .sums import pairwise_sum


@lru_cache(maxsize=4)
def _firms(n: int, sigma: float, e: float) -> dict[str, np.ndarray]:
    """``population.firm_structure`` plus what the ranking needs: hazard weights ``size**e``, where
    each prefecture starts, and prefecture (bits 59-63) | firm (bits 0-27) as uint64.  Read-only."""
    f = firm_structure(n, sigma)
    if n >= 1 << 28:
        raise ValueError("firms_total: at most 2**28 firms fit the ranking's 28 bits")
    extra = {"w": f["size"] ** e, "first": np.concatenate([[0], np.cumsum(f["per_pref"])[:-1]]),
             "pref_firm": f["pref"].astype(np.uint64) << np.uint64(59) | np.arange(n, dtype=np.uint64)}
    for fixed in extra.values():
        fixed.flags.writeable = False
    return {**f, **extra}


def rank_firms(survive: np.ndarray, f: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each run's firms sorted by key (17 x run + prefecture + 1 - ``survive``, ``survive`` being
    exp(-clock), runs x firms): the sorted keys (flat, run after run) and prefix sums of the firms'
    size and weight (runs x firms + 1).

    (prefecture, float32 ``survive`` descending, firm) packed in 64 bits and sorted is much faster
    than an argsort; ``_rank`` orders firms whose float32 ``survive`` ties by the key.
    """
    runs, n = survive.shape
    packed = f["pref_firm"] | (np.uint64(0x7FFFFFFF) - survive.astype(np.float32).view(np.uint32)) << np.uint64(28)
    packed.sort(axis=1)
    keys, cum_size, cum_w = np.empty(runs * n), np.empty((runs, n + 1)), np.empty((runs, n + 1))
    _rank(survive, packed, f["pref"], f["size"], f["w"], keys, cum_size, cum_w)
    return keys, cum_size, cum_w


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
        f = _firms(int(scalar(P, "firms_total")), scalar(P, "firm_size_sigma"), scalar(P, "firm_size_elasticity"))
        n = len(f["pref"])
        rng = m.streams("ecommerce")
        # firms: clocks in units of cumulative hazard, ranked within prefecture
        tau = per_run(rng, "standard_exponential", (n,), np.float32) / f["w"][None, :]
        # a firm's key: 17 x run + prefecture + 1 - exp(-clock), so run r's keys lie in [17 r, 17 r + 17)
        # and, ranked per run, the flat keys are sorted; prefix sums per run (so a run's numbers do
        # not depend on the batch it is in)
        self.keys, self.cum_size, self.cum_w = rank_firms(np.exp(-tau), f)
        for fixed in (self.keys, self.cum_size, self.cum_w):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints
        self.support_share = scalar(P, "ecommerce_support_share")
        self.point_start = scalar(P, "service_point_start")
        self.point_cost = scalar(P, "service_point_cost")
        first_of = f["first"]                                                     # within a run
        self.block = (np.arange(R) * n)[:, None] + first_of[None, :]              # flat ranking positions
        self.per_pref = f["per_pref"]
        # start: the share adopting in 2010 are the first in each prefecture's ranking
        first = self.block + np.round(P["ecommerce_firm_share_2010"][:, None] * self.per_pref).astype(int)
        self.G = -np.log1p(-(np.take(self.keys, np.maximum(first - 1, self.block)) % 1.0)) + 1e-12
        self.G = np.where(first > self.block, self.G, 0.0)
        self.adopted = self.block.copy()                   # position after the last adopter, per (run, prefecture)
        _advance(self.G, self.adopted, self.keys)
        # per-run constants of the step (it runs 40 times) and of the record
        self.w_total = self.cum_w[:, first_of + self.per_pref]                   # all firms' weight
        self.bass = np.stack([P[k] for k in ("bass_p_firms_ecommerce", "bass_q_firms_ecommerce",
                                             "bass_p_service_points", "bass_q_service_points")])
        self.subsidy = np.stack([P[k] for k in ("ecommerce_adoption_cost", "ecommerce_subsidy_cap",
                                                "investment_cost_elasticity")])
        t = m.years - 2015
        growth = 1 + np.stack([P["ecommerce_intensity_growth"], P["online_spending_growth"]])
        self.trend = np.stack([growth ** t[y] for y in range(len(t))], 2)                # (2, R, Y)
        self.spend_weights = np.stack([P["urban_rural_income_ratio"], P["offline_rural_factor"]])
        q = np.arange(m.n_steps)                                                  # platform-led points spread
        self.spreading = (m.years[1 + q // 4] - 1 + (q % 4 + 1) / 4 > self.point_start).tolist()

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

    def step(self, s: int, y: int, quarter: int) -> None:
        m = self.m
        budget = m.budget(self.lever, s)
        support = budget * self.support_share
        put_aside = budget * (self.county_share + self.demo_share)
        if budget > 0:
            self.counties.pot += budget * self.county_share
            for programme in self.programmes:
                programme.pot += budget * self.demo_share / len(self.programmes)
        buy = budget > support + put_aside          # money left for village service points
        spent = np.empty(m.runs)
        _step(self.G, self.adopted, self.keys, self.cum_w, self.block, self.per_pref, self.w_total,
              self.bass, self.subsidy, support, m.dt, self.point_share, self.spreading[s], buy,
              (budget - support - put_aside) / self.point_cost, self.point_cost, m.connectivity.covered_count, spent)
        if quarter == 3:
            year = int(m.years[y])
            # rural delivery reach weighted by ``coupling_logistics_ecommerce`` (0: delivery reaches
            # the villages broadband reaches) is the counties' delivery readiness
            self.counties.year_end(year, self._coverage(), m.logistics.rural_delivery_share, spent)
            for programme in self.programmes:
                programme.year_end(year, spent)
        m.record_spend(self.lever, spent)

    def record(self, y: int, out: dict) -> None:
        m = self.m
        urban, rural = m.connectivity.subscribers(y)
        c = self.counties
        _record(y, self.cum_size, self.adopted, self.block, self.trend, m.macro.gdp_index_2015,
                m.macro.income_index, urban, rural, self.spend_weights, self.point_share, m.connectivity.rel_income,
                m.connectivity.covered_count, self.raw, out["ecommerce_firm_share"], out["ecommerce_service_points"],
                self.bases.designated, self.firms.designated, self.clusters.designated, c.designated, c.pref,
                out["ecommerce_demo_bases"], out["ecommerce_demo_firms"], out["crossborder_clusters"],
                out["rural_ecommerce_demo_counties"], out["rural_ecommerce_demo_counties_by_region"])

    def finish(self, out: dict) -> None:
        """Scale the volume so 2015 equals the observation (per run)."""
        P = self.m.params
        i = self.m.year_index(2015)
        b2b_share = P["b2b_share_2015"]
        scale_b2b = P["ecommerce_volume_2015"] * b2b_share / self.raw[:, i, 0]
        scale_b2c = P["ecommerce_volume_2015"] * (1 - b2b_share) / self.raw[:, i, 1]
        out["ecommerce_volume"][:] = self.raw[:, :, 0] * scale_b2b[:, None] + self.raw[:, :, 1] * scale_b2c[:, None]


# -- kernels ------------------------------------------------------------------
@numba.njit(cache=True, error_model="numpy")
def _rank(survive, packed, pref, size, w, keys, cum_size, cum_w):
    """Each run's firms in the order of its sorted ``packed`` ranking (firm in the low 28 bits), firms
    with equal upper bits ordered by key: their keys (flat, run after run) and prefix sums of size
    and weight."""
    runs, n = survive.shape
    order = np.empty(n, np.int64)
    low, high = np.uint64((1 << 28) - 1), np.uint64(28)
    for r in range(runs):
        a = 0
        for j in range(n):
            order[j] = packed[r, j] & low
            if j + 1 == n or packed[r, j + 1] >> high != packed[r, j] >> high:
                if j > a:                                  # a tie of the upper bits: order by key
                    tied = order[a:j + 1].copy()
                    order[a:j + 1] = tied[np.argsort(1 - survive[r, tied], kind="mergesort")]
                a = j + 1
        total_size = total_w = 0.0
        cum_size[r, 0] = cum_w[r, 0] = 0.0
        for j in range(n):
            i = order[j]
            keys[r * n + j] = (r * N_PREF + pref[i]) + (1 - survive[r, i])
            total_size += size[i]
            total_w += w[i]
            cum_size[r, j + 1] = total_size
            cum_w[r, j + 1] = total_w


@numba.njit(cache=True, error_model="numpy")
def _advance(G, adopted, keys):
    """Move each (run, prefecture)'s adopter boundary past the firms whose key its hazard ``G`` has reached."""
    runs, prefs = G.shape
    for r in range(runs):
        for p in range(prefs):
            reached = (r * prefs + p) + (1 - np.exp(-G[r, p]))
            a = adopted[r, p]
            while a < keys.shape[0] and keys[a] <= reached:
                a += 1
            adopted[r, p] = a


@numba.njit(cache=True, error_model="numpy")
def _step(G, adopted, keys, cum_w, block, per_pref, w_total, bass, subsidy, support, dt,
          sp, spreading, buy, wanted, point_cost, covered, spent):
    """One quarter for every run: firms' hazard (raised by ``support`` money) and adopters, then
    service points (platform spread if ``spreading``, ``wanted`` bought if ``buy``); money paid to ``spent``."""
    runs, prefs = G.shape
    n = cum_w.shape[1] - 1
    g = np.empty((runs, prefs))
    sub = np.zeros(runs)
    before = np.zeros(runs, np.int64)
    tmp = np.empty(prefs)
    for r in range(runs):
        for p in range(prefs):
            g[r, p] = bass[0, r] + bass[1, r] * ((adopted[r, p] - block[r, p]) / per_pref[p])
            before[r] += adopted[r, p]
        boost = dt
        if support > 0:
            for p in range(prefs):
                tmp[p] = g[r, p] * (w_total[r, p] - cum_w[r, adopted[r, p] - r * n])
            expected = pairwise_sum(tmp, 0, prefs) * dt * subsidy[0, r]
            sub[r] = min(subsidy[1, r], support / max(expected, 1e-9))
            boost = (1 - sub[r]) ** -subsidy[2, r] * dt
        for p in range(prefs):
            G[r, p] += g[r, p] * boost
    _advance(G, adopted, keys)
    for r in range(runs):
        spent[r] = 0.0
        if support > 0:
            new = -before[r]
            for p in range(prefs):
                new += adopted[r, p]
            spent[r] = min(sub[r] * subsidy[0, r] * new, support)
        if spreading:
            for p in range(prefs):
                sp[r, p] += (bass[2, r] + bass[3, r] * sp[r, p]) * (1 - sp[r, p]) * dt
        if buy:
            for p in range(prefs):
                tmp[p] = covered[r, p] * (1 - sp[r, p])
            without = pairwise_sum(tmp, 0, prefs)
            placed = min(wanted, without)
            for p in range(prefs):
                sp[r, p] += placed * tmp[p] / max(without, 1e-12) / max(covered[r, p], 1.0)
            spent[r] += placed * point_cost
        for p in range(prefs):
            sp[r, p] = min(max(sp[r, p], 0.0), 1.0)


@numba.njit(cache=True, error_model="numpy")
def _record(y, cum_size, adopted, block, trend, gdp, income, urban, rural, spend_weights, sp, rel_income,
            covered, raw, firm_share, points, bases, firms, clusters, counties, county_pref,
            bases_out, firms_out, clusters_out, counties_out, counties_by_region):
    """Year ``y``'s unscaled B2B and B2C volume (into ``raw``), adopting firms' share, service points
    and the designations so far (counties also per prefecture)."""
    runs, prefs = sp.shape
    n = cum_size.shape[1] - 1
    tmp = np.empty(prefs)
    for r in range(runs):
        count = 0
        for p in range(prefs):
            tmp[p] = cum_size[r, adopted[r, p] - r * n] - cum_size[r, block[r, p] - r * n]
            count += adopted[r, p] - block[r, p]
        raw[r, y, 0] = pairwise_sum(tmp, 0, prefs) * gdp[r, y] * trend[0, r, y]
        lam = spend_weights[1, r]
        for p in range(prefs):
            tmp[p] = (urban[r, p] * spend_weights[0, r] + rural[r, p] * (lam + (1 - lam) * sp[r, p])) * rel_income[p]
        raw[r, y, 1] = pairwise_sum(tmp, 0, prefs) * income[r, y] * trend[1, r, y]
        firm_share[r, y] = 100 * count / n
        for p in range(prefs):
            tmp[p] = sp[r, p] * covered[r, p]
        points[r, y] = pairwise_sum(tmp, 0, prefs)
        bases_out[r, y] = bases[r].sum()
        firms_out[r, y] = firms[r].sum()
        clusters_out[r, y] = clusters[r].sum()
        counties_out[r, y] = counties[r].sum()
        counties_by_region[r, y] = 0.0
        for j in range(county_pref.shape[0]):
            if counties[r, j]:
                counties_by_region[r, y, county_pref[j]] += 1
