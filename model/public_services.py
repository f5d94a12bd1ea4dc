"""Public services: schools' digital resources, health platforms, online approvals.

Three populations of agents, one per action area, each with what the area's
money buys, a lag and a limit; each also moves without provincial money (the
national programmes ran anyway).

Schools (education lever)
    ~9,236 primary and secondary schools, shared among the 17 prefectures by
    population, held as counts per prefecture (expected values: exact in
    expectation, cheap).  Digital resources reach a school only once it has
    broadband: the share connected is ``model.connectivity.school_broadband_share``
    weighted by ``coupling_connectivity_public_services`` against a
    stand-alone logistic path (55% in 2012, 91% in 2015).  Connected schools
    without resources get them at a yearly hazard (三通两平台 and the
    national resource programmes).  Money buys resource packages (classroom
    kits, platform accounts, training) for connected schools still without,
    shared among prefectures by that gap, delivered after a procurement lag,
    within an installation capacity.
Health platforms (health_elderly_care lever)
    One platform per prefecture-level unit and one per county (district):
    13 prefecture + 99 county platforms + the 4 provincially administered
    units.  A county platform can only be interconnected after its
    prefecture's.  Without money a platform connects when its cumulative
    hazard passes its exponential clock; money builds platforms (prefecture
    ones first, then counties, in a fixed random order) in yearly rounds (the
    year's money at once: a platform costs more than a quarter's), finished
    after a build lag, within a project capacity per round.
Approval items (social_governance lever)
    249 provincial approval item types with a lognormal complexity.  Without
    money an item goes online at a hazard (higher from 2016, the national
    互联网+政务服务 push) divided by its complexity; money re-engineers the
    cheapest remaining items (cost x complexity), online after a lag.
Randomness: clocks, orders and prefecture multipliers are drawn once in
``__init__``, the same amount in every scenario.
A quarter of all three populations is one numba kernel over runs (``_quarter``);
what depends on time alone is computed in ``__init__``.
"""
from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from .designations import NEVER, fund_row
from .parameters import scalar
from .population import N_PREF, largest_remainder, prefecture_arrays
from .prefectures import prefectures
from .streams import per_run
from .sums import np_sum

PROVINCIAL_UNITS = 4        # the last four prefecture-level units (仙桃, 潜江, 天门, 神农架): one platform each


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False
    return arrays


@lru_cache(maxsize=None)
def schools_per_prefecture(total: int) -> np.ndarray:
    """Schools per prefecture: the total shared by 2015 population (largest remainder; read-only)."""
    pop = prefecture_arrays()["population"]
    return _frozen(largest_remainder(total * pop / pop.sum(), total))[0]


@lru_cache(maxsize=None)
def health_units() -> tuple[np.ndarray, np.ndarray]:
    """Health platforms: their prefecture and whether each is a prefecture-level platform (read-only)."""
    counties = prefectures().counties.to_numpy().astype(int)
    pref, top = [], []
    for p in range(N_PREF):
        own = p >= N_PREF - PROVINCIAL_UNITS
        pref += [p] * (1 if own else 1 + counties[p])
        top += [True] + ([] if own else [False] * counties[p])
    return _frozen(np.array(pref), np.array(top))


@lru_cache(maxsize=None)
def _platform_index() -> tuple[np.ndarray, np.ndarray]:
    """Platforms per prefecture, and per platform the index of its prefecture's platform (read-only)."""
    pref = health_units()[0]
    per_pref = np.bincount(pref, minlength=N_PREF)
    first = np.r_[0, np.cumsum(per_pref)[:-1]]
    return _frozen(per_pref, first[pref])


def _logit(x: float) -> float:
    return float(np.log(x / (1 - x)))


class PublicServices:
    """Schools' digital resources, health-platform interconnection, online approvals."""

    name = "public_services"
    levers = ("education", "health_elderly_care", "social_governance")
    outputs = {"school_digital_resources_coverage": False, "school_digital_resources_coverage_by_region": True,
               "health_platform_interconnection": False, "health_platform_interconnection_by_region": True,
               "online_approval_coverage": False, "school_broadband_share_used": False}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        R = m.runs
        rng = m.streams("public_services")
        rows = m.rows
        # quarter-end time of each step: what depends on time alone is computed here, once
        steps = np.arange(m.n_steps)
        t = m.years[1 + steps // 4] - 1 + (steps % 4 + 1) / 4
        # schools
        # the kernels' arrays stay writable (their own copies of the cached structure, a few kB, so
        # the engine's kept states copy rather than share them): numba types a read-only argument
        # on a slower path, and the step runs 40 times
        self.n_schools = schools_per_prefecture(int(scalar(P, "schools_total"))).copy()
        spread = scalar(P, "school_region_spread")
        mult = np.exp(spread * per_run(rng, "standard_normal", (N_PREF,)) - spread**2 / 2)
        h_school = P["school_resources_hazard"][:, None] * mult
        b12, b15 = scalar(P, "school_broadband_2012"), scalar(P, "school_broadband_2015")
        self.bb_slope = (_logit(b15) - _logit(b12)) / 3
        self.bb_logit12 = _logit(b12)
        self.bb_own = self._own_broadband(t)                          # stand-alone path, per step
        self.coupling = np.ascontiguousarray(P["coupling_connectivity_public_services"], dtype=float)
        self.uncoupled = bool(np.all(self.coupling == 0))
        self.lag = int(scalar(P, "school_resources_lag"))
        self.capacity = scalar(P, "school_resources_capacity")
        self.cost = np.ascontiguousarray(P["school_resources_cost"], dtype=float)
        self.pipeline = np.zeros((R, N_PREF, self.lag))
        self.reach = -np.expm1(-h_school * m.dt)                      # share of the gap reached in a quarter
        self.bb = self._broadband(self._own_broadband(m.years[0]))
        self.res = P["school_resources_2010"][:, None] * self.bb * self.n_schools

        # health platforms: clocks in units of cumulative hazard; prefecture ones start part-way
        self.unit_pref, self.unit_top = (a.copy() for a in health_units())
        U = len(self.unit_pref)
        self.units_per_pref, self.parent = (a.copy() for a in _platform_index())    # parent: the prefecture platform
        self.h_clock = per_run(rng, "standard_exponential", (U,))
        h0 = -np.log1p(-P["health_platforms_2010"])[:, None] * self.unit_top
        self.h_cum = np.broadcast_to(h0, (R, U)).copy()
        self.h_on = self.h_clock <= self.h_cum
        self.h_ready = np.full((R, U), NEVER)
        priority = per_run(rng, "random", (U,))
        self.h_order = np.argsort(priority + (~self.unit_top), axis=1)   # prefecture platforms first
        self.h_lag, self.h_capacity = int(scalar(P, "health_build_lag")), scalar(P, "health_capacity")
        h_cost = np.where(self.unit_top, P["health_cost_prefecture"][:, None], P["health_cost_county"][:, None])
        self.h_cost_ordered = h_cost[rows, self.h_order]
        self.h_step = np.where(self.unit_top, P["health_hazard_prefecture"][:, None],
                               P["health_hazard_county"][:, None]) * m.dt

        # approval items
        n_items = int(scalar(P, "approval_items"))
        sig = scalar(P, "approval_complexity_sigma")
        complexity = np.exp(sig * per_run(rng, "standard_normal", (n_items,)) - sig**2 / 2)
        self.a_clock = per_run(rng, "standard_exponential", (n_items,)) * complexity
        a0 = -np.log1p(-P["approval_online_2010"])[:, None]
        self.a_cum = np.broadcast_to(a0, (R, n_items)).copy()
        self.a_on = self.a_clock <= self.a_cum
        self.a_ready = np.full((R, n_items), NEVER)
        a_cost = P["approval_cost"][:, None] * complexity
        self.a_order = np.argsort(a_cost, axis=1)                       # cheapest first
        self.a_cost_ordered = a_cost[rows, self.a_order]
        self.a_lag, self.a_capacity = int(scalar(P, "approval_lag")), scalar(P, "approval_capacity")
        self.a_step = np.where(t > 2016, P["approval_hazard_late"][:, None] * m.dt,
                               P["approval_hazard_early"][:, None] * m.dt)      # (runs, steps)
        self.paid = np.zeros((len(self.levers), R))

    # -- schools' broadband ----------------------------------------------------------
    def _own_broadband(self, t):
        """The stand-alone logistic share of schools with broadband at time(s) ``t``."""
        return 1 / (1 + np.exp(-(self.bb_logit12 + self.bb_slope * (t - 2012))))

    def _broadband(self, own: float) -> np.ndarray:
        """Share of each prefecture's schools with broadband, (runs, 17)."""
        c = self.coupling[:, None]
        if self.uncoupled:
            return np.full((self.m.runs, N_PREF), own)
        upstream = np.clip(self.m.connectivity.school_broadband_share, 0, 1)
        return c * upstream + (1 - c) * own

    # -- protocol --------------------------------------------------------------------
    def step(self, s: int, y: int, quarter: int) -> None:
        m = self.m
        budgets = (m.budget("education", s),
                   # platforms are lumpy (a prefecture one costs more than a quarter's money): yearly rounds
                   4 * m.budget("health_elderly_care", s) if quarter == 0 else 0.0,
                   m.budget("social_governance", s))
        upstream = self.bb if self.uncoupled else m.connectivity.school_broadband_share
        _quarter(s, self.bb_own, upstream, self.coupling, self.uncoupled, self.n_schools, self.reach,
                 self.res, self.pipeline, self.bb, self.cost, self.capacity,
                 self.h_on, self.h_cum, self.h_clock, self.h_step, self.h_ready, self.parent, self.unit_top,
                 self.h_order, self.h_cost_ordered, self.h_lag, self.h_capacity,
                 self.a_on, self.a_cum, self.a_clock, self.a_step, self.a_ready,
                 self.a_order, self.a_cost_ordered, self.a_lag, self.a_capacity,
                 budgets[0], budgets[1], budgets[2], self.paid)
        for area, budget, paid in zip(self.levers, budgets, self.paid):
            if budget > 0:
                m.record_spend(area, paid)

    def record(self, y: int, out: dict) -> None:
        _record(y, self.res, self.n_schools, self.bb, self.h_on, self.unit_pref, self.units_per_pref, self.a_on,
                out["school_digital_resources_coverage_by_region"], out["school_digital_resources_coverage"],
                out["school_broadband_share_used"], out["health_platform_interconnection_by_region"],
                out["health_platform_interconnection"], out["online_approval_coverage"])


# -- kernels: one call per quarter (state arrays updated in place), one per record ----------
@numba.njit(cache=True, error_model="numpy")
def _fund(waiting, order, cost, budget, capacity, ready, at):
    """Fund one run's ``waiting`` agents in priority ``order`` (``cost`` in that order): ready at step ``at``."""
    n = order.shape[0]
    queue, take = np.empty(n, np.bool_), np.zeros(n, np.bool_)
    for j in range(n):
        queue[j] = waiting[order[j]]
    paid = fund_row(queue, cost, budget, capacity, take)
    for j in range(n):
        if take[j]:
            ready[order[j]] = at
    return paid


@numba.njit(cache=True, error_model="numpy")
def _schools(s, own, upstream, coupling, uncoupled, n_schools, reach, res, pipeline, bb, cost, capacity,
             budget, paid):
    """Schools' quarter: orders ``lag`` quarters old arrive, the trend reaches connected schools, money orders."""
    runs, n, lag = pipeline.shape
    slot = s % lag
    connected, gap = np.empty(n), np.empty(n)
    for r in range(runs):
        for p in range(n):
            if uncoupled:
                share = own
            else:
                u = upstream[r, p]
                u = 0.0 if u < 0.0 else (1.0 if u > 1.0 else u)
                share = coupling[r] * u + (1 - coupling[r]) * own
            bb[r, p] = share
            connected[p] = share * n_schools[p]
            x = res[r, p] + pipeline[r, p, slot]             # ordered ``lag`` quarters ago
            pipeline[r, p, slot] = 0.0
            # the trend reaches every connected school without resources, ordered ones too
            # (their order then arrives for nothing: the contract is already signed)
            res[r, p] = x + max(connected[p] - x, 0.0) * reach[r, p]
            keep = 1 - reach[r, p]
            for k in range(lag):
                pipeline[r, p, k] *= keep
        if budget > 0:
            for p in range(n):
                gap[p] = max(connected[p] - res[r, p] - np_sum(pipeline[r, p]), 0.0)
            total = np_sum(gap)
            ordered = min(min(budget / cost[r], capacity), total)
            for p in range(n):
                pipeline[r, p, slot] = ordered * gap[p] / max(total, 1e-12)
            paid[r] = ordered * cost[r]
        for p in range(n):
            res[r, p] = min(res[r, p], connected[p])


@numba.njit(cache=True, error_model="numpy")
def _health(s, on, cum, clock, step, ready, parent, top, order, cost, lag, capacity, budget, paid):
    """Health platforms' quarter: clocks (a county's only once its prefecture's is on), finished builds, funding."""
    runs, n = on.shape
    eligible, waiting = np.empty(n, np.bool_), np.empty(n, np.bool_)
    for r in range(runs):
        for u in range(n):
            eligible[u] = not on[r, u] and (on[r, parent[u]] or top[u])
        for u in range(n):
            if eligible[u]:
                cum[r, u] += step[r, u]
                on[r, u] = cum[r, u] >= clock[r, u]
            if ready[r, u] <= s:
                on[r, u] = True
        if budget > 0:
            for u in range(n):
                p = parent[u]
                waiting[u] = not on[r, u] and ready[r, u] == NEVER and (on[r, p] or ready[r, p] != NEVER or top[u])
            paid[r] = _fund(waiting, order[r], cost[r], budget, capacity, ready[r], s + lag)


@numba.njit(cache=True, error_model="numpy")
def _approvals(s, on, cum, clock, step, ready, order, cost, lag, capacity, budget, paid):
    """Approval items' quarter: clocks, finished re-engineering, funding the cheapest remaining items."""
    runs, n = on.shape
    waiting = np.empty(n, np.bool_)
    for r in range(runs):
        for i in range(n):
            if not on[r, i]:
                cum[r, i] += step[r, s]
                on[r, i] = cum[r, i] >= clock[r, i]
            if ready[r, i] <= s:
                on[r, i] = True
        if budget > 0:
            for i in range(n):
                waiting[i] = not on[r, i] and ready[r, i] == NEVER
            paid[r] = _fund(waiting, order[r], cost[r], budget, capacity, ready[r], s + lag)


@numba.njit(cache=True, error_model="numpy")
def _quarter(s, own, upstream, coupling, uncoupled, n_schools, reach, res, pipeline, bb, cost, capacity,
             h_on, h_cum, h_clock, h_step, h_ready, parent, top, h_order, h_cost, h_lag, h_capacity,
             a_on, a_cum, a_clock, a_step, a_ready, a_order, a_cost, a_lag, a_capacity,
             edu_budget, health_budget, gov_budget, paid):
    """One quarter of the three populations (``own``: the stand-alone broadband share per step); ``paid``
    (levers x runs) gets the money paid where there was a budget."""
    _schools(s, own[s], upstream, coupling, uncoupled, n_schools, reach, res, pipeline, bb, cost, capacity,
             edu_budget, paid[0])
    _health(s, h_on, h_cum, h_clock, h_step, h_ready, parent, top, h_order, h_cost, h_lag, h_capacity,
            health_budget, paid[1])
    _approvals(s, a_on, a_cum, a_clock, a_step, a_ready, a_order, a_cost, a_lag, a_capacity, gov_budget, paid[2])


@numba.njit(cache=True, error_model="numpy")
def _record(y, res, n_schools, bb, h_on, unit_pref, units_per_pref, a_on,
            school_by_region, school, used, health_by_region, health, approvals):
    """Year-end shares (%) into the output arrays' column ``y``; whole schools, platforms and items."""
    runs, n = res.shape
    weighted = np.empty(n)
    on = np.zeros(n, np.int64)
    for r in range(runs):
        covered = 0.0
        for p in range(n):
            c = min(np.floor(res[r, p] + 0.5), n_schools[p])
            school_by_region[r, y, p] = 100 * c / n_schools[p]
            covered += c
            weighted[p] = bb[r, p] * n_schools[p]
        school[r, y] = 100 * covered / n_schools.sum()
        used[r, y] = 100 * np_sum(weighted) / n_schools.sum()
        on[:] = 0
        for u in range(h_on.shape[1]):
            on[unit_pref[u]] += h_on[r, u]
        for p in range(n):
            health_by_region[r, y, p] = 100 * on[p] / units_per_pref[p]
        health[r, y] = 100 * on.sum() / units_per_pref.sum()
        approvals[r, y] = 100 * (a_on[r].sum() / a_on.shape[1])
