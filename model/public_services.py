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
"""
from __future__ import annotations

import numpy as np

from .designations import NEVER, fund_in_order
from .parameters import scalar
from .population import N_PREF, largest_remainder, prefecture_arrays
from .prefectures import prefectures
from .streams import per_run

PROVINCIAL_UNITS = 4        # the last four prefecture-level units (仙桃, 潜江, 天门, 神农架): one platform each


def schools_per_prefecture(total: int) -> np.ndarray:
    """Schools per prefecture: the total shared by 2015 population (largest remainder)."""
    pop = prefecture_arrays()["population"]
    return largest_remainder(total * pop / pop.sum(), total)


def health_units() -> tuple[np.ndarray, np.ndarray]:
    """Health platforms: their prefecture and whether each is a prefecture-level platform."""
    counties = prefectures().counties.to_numpy().astype(int)
    pref, top = [], []
    for p in range(N_PREF):
        own = p >= N_PREF - PROVINCIAL_UNITS
        pref += [p] * (1 if own else 1 + counties[p])
        top += [True] + ([] if own else [False] * counties[p])
    return np.array(pref), np.array(top)


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
        self.rows = m.rows
        # schools
        self.n_schools = schools_per_prefecture(int(scalar(P, "schools_total")))
        spread = scalar(P, "school_region_spread")
        mult = np.exp(spread * per_run(rng, "standard_normal", (N_PREF,)) - spread**2 / 2)
        self.h_school = P["school_resources_hazard"][:, None] * mult
        b12, b15 = scalar(P, "school_broadband_2012"), scalar(P, "school_broadband_2015")
        self.bb_slope = (_logit(b15) - _logit(b12)) / 3
        self.bb_logit12 = _logit(b12)
        self.coupling = P["coupling_connectivity_public_services"][:, None]
        self.lag = int(scalar(P, "school_resources_lag"))
        self.capacity = scalar(P, "school_resources_capacity")
        self.pipeline = np.zeros((R, N_PREF, self.lag))
        self.uncoupled = bool(np.all(self.coupling == 0))
        # per-quarter constants of the step (the step runs 40 times)
        self.reach = -np.expm1(-self.h_school * m.dt)
        self.keep = (1 - self.reach)[:, :, None]
        self.bb = self._broadband(m.years[0])
        self.res = P["school_resources_2010"][:, None] * self.bb * self.n_schools

        # health platforms: clocks in units of cumulative hazard; prefecture ones start part-way
        self.unit_pref, self.unit_top = health_units()
        U = len(self.unit_pref)
        first = np.r_[0, np.cumsum(np.bincount(self.unit_pref, minlength=N_PREF))[:-1]]
        self.parent = first[self.unit_pref]                          # index of the prefecture platform
        self.unit_first, self.units_per_pref = first, np.bincount(self.unit_pref, minlength=N_PREF)
        self.h_clock = per_run(rng, "standard_exponential", (U,))
        h0 = -np.log1p(-P["health_platforms_2010"])[:, None] * self.unit_top
        self.h_cum = np.broadcast_to(h0, (R, U)).copy()
        self.h_on = self.h_clock <= self.h_cum
        self.h_ready = np.full((R, U), NEVER)
        priority = per_run(rng, "random", (U,))
        self.h_order = np.argsort(priority + (~self.unit_top), axis=1)   # prefecture platforms first
        self.h_lag, self.h_capacity = int(scalar(P, "health_build_lag")), scalar(P, "health_capacity")
        self.h_cost = np.where(self.unit_top, P["health_cost_prefecture"][:, None], P["health_cost_county"][:, None])
        self.h_step = np.where(self.unit_top, P["health_hazard_prefecture"][:, None],
                               P["health_hazard_county"][:, None]) * m.dt

        # approval items
        n_items = int(scalar(P, "approval_items"))
        sig = scalar(P, "approval_complexity_sigma")
        self.complexity = np.exp(sig * per_run(rng, "standard_normal", (n_items,)) - sig**2 / 2)
        self.a_clock = per_run(rng, "standard_exponential", (n_items,)) * self.complexity
        a0 = -np.log1p(-P["approval_online_2010"])[:, None]
        self.a_cum = np.broadcast_to(a0, (R, n_items)).copy()
        self.a_on = self.a_clock <= self.a_cum
        self.a_ready = np.full((R, n_items), NEVER)
        self.a_cost = P["approval_cost"][:, None] * self.complexity
        self.a_order = np.argsort(self.a_cost, axis=1)                  # cheapest first
        self.a_lag, self.a_capacity = int(scalar(P, "approval_lag")), scalar(P, "approval_capacity")
        self.a_step = {late: P["approval_hazard_late" if late else "approval_hazard_early"][:, None] * m.dt
                       for late in (False, True)}

    # -- schools ---------------------------------------------------------------
    def _broadband(self, t: float) -> np.ndarray:
        """Share of each prefecture's schools with broadband, (runs, 17)."""
        own = 1 / (1 + np.exp(-(self.bb_logit12 + self.bb_slope * (t - 2012))))
        c = self.coupling
        if self.uncoupled:
            return np.full((self.m.runs, N_PREF), own)
        upstream = np.clip(self.m.connectivity.school_broadband_share, 0, 1)
        return c * upstream + (1 - c) * own

    def _step_schools(self, s: int, t: float) -> None:
        m, P = self.m, self.m.params
        self.bb = self._broadband(t)
        connected = self.bb * self.n_schools
        slot = s % self.lag
        self.res += self.pipeline[:, :, slot]                          # ordered ``lag`` quarters ago
        self.pipeline[:, :, slot] = 0
        # the trend reaches every connected school without resources, ordered ones too
        # (their order then arrives for nothing: the contract is already signed)
        self.res += np.maximum(connected - self.res, 0) * self.reach
        self.pipeline *= self.keep
        budget = m.budget("education", s)
        spent = np.zeros(m.runs)
        if budget > 0:
            gap = np.maximum(connected - self.res - self.pipeline.sum(2), 0)
            total = gap.sum(1)
            cost = P["school_resources_cost"]
            ordered = np.minimum(np.minimum(budget / cost, self.capacity), total)
            self.pipeline[:, :, slot] = ordered[:, None] * gap / np.maximum(total, 1e-12)[:, None]
            spent = ordered * cost
        np.minimum(self.res, connected, out=self.res)
        m.record_spend("education", spent)

    # -- discrete projects: health platforms and approval items ----------------------
    def _fund(self, s: int, area: str, budget: float, waiting: np.ndarray, order: np.ndarray,
              cost: np.ndarray, ready: np.ndarray, lag: int, capacity: float) -> None:
        """Fund waiting agents in their fixed priority ``order`` within a budget and capacity (> 0)."""
        take, paid = fund_in_order(waiting[self.rows, order], cost[self.rows, order], budget, capacity)
        ready[self.rows, order] = np.where(take, s + lag, ready[self.rows, order])
        self.m.record_spend(area, paid)

    def _step_health(self, s: int, t: float, quarter: int) -> None:
        eligible = ~self.h_on & (self.h_on[:, self.parent] | self.unit_top)
        self.h_cum += self.h_step * eligible
        self.h_on |= eligible & (self.h_cum >= self.h_clock)
        self.h_on |= self.h_ready <= s
        # platforms are lumpy (a prefecture one costs more than a quarter's money): yearly rounds
        budget = 4 * self.m.budget("health_elderly_care", s) if quarter == 0 else 0.0
        if budget <= 0:
            return
        parent_started = self.h_on[:, self.parent] | (self.h_ready[:, self.parent] != NEVER) | self.unit_top
        waiting = ~self.h_on & (self.h_ready == NEVER) & parent_started
        self._fund(s, "health_elderly_care", budget, waiting, self.h_order, self.h_cost, self.h_ready,
                   self.h_lag, self.h_capacity)

    def _step_approvals(self, s: int, t: float) -> None:
        eligible = ~self.a_on
        self.a_cum += self.a_step[bool(t > 2016)] * eligible
        self.a_on |= eligible & (self.a_cum >= self.a_clock)
        self.a_on |= self.a_ready <= s
        budget = self.m.budget("social_governance", s)
        if budget <= 0:
            return
        waiting = ~self.a_on & (self.a_ready == NEVER)
        self._fund(s, "social_governance", budget, waiting, self.a_order,
                   self.a_cost, self.a_ready,
                   self.a_lag, self.a_capacity)

    # -- protocol --------------------------------------------------------------------
    def step(self, s: int, y: int, quarter: int) -> None:
        t = self.m.years[y] - 1 + (quarter + 1) / 4
        self._step_schools(s, t)
        self._step_health(s, t, quarter)
        self._step_approvals(s, t)

    def record(self, y: int, out: dict) -> None:
        covered = np.minimum(np.floor(self.res + 0.5), self.n_schools)        # whole schools
        out["school_digital_resources_coverage_by_region"][:, y] = 100 * covered / self.n_schools
        out["school_digital_resources_coverage"][:, y] = 100 * covered.sum(1) / self.n_schools.sum()
        out["school_broadband_share_used"][:, y] = 100 * (self.bb * self.n_schools).sum(1) / self.n_schools.sum()
        on = np.add.reduceat(self.h_on, self.unit_first, axis=1)             # exact, whatever the batch
        out["health_platform_interconnection_by_region"][:, y] = 100 * on / self.units_per_pref
        out["health_platform_interconnection"][:, y] = 100 * on.sum(1) / self.units_per_pref.sum()
        out["online_approval_coverage"][:, y] = 100 * self.a_on.mean(1)
