"""Connectivity: villages' broadband and 4G rollout, city fibre, schools, household and mobile adoption.

Interface read by other modules (state after the current quarter's step)
    ``covered_count``      (runs, 17) villages with fixed broadband per prefecture
    ``coverage_version``   int, changes whenever ``covered_count`` does
    ``villages_per_pref``  (17,) villages per prefecture
    ``village_share``      (runs, 17) share of villages with fixed broadband, in [0, 1]
    ``subscribers(y)``     urban and rural fixed-broadband subscribers (万户), each (runs, 17)
    ``rel_income``         (17,) prefecture GDP per capita relative to the province
    ``school_broadband_share``  (runs, 17) share of schools with broadband, in [0, 1],
                           updated every quarter (read by public services)
    ``covered_4g_count``   (runs, 17) villages with 4G per prefecture

Agents
    ~25,300 administrative villages (prefecture, poverty county, terrain,
    households, rollout cost) and one urban household pool per prefecture;
    schools per prefecture (``schools.py``), each prefecture's fibre share of
    subscribers and its mobile internet users (``fibre.py``, ``mobile.py``).
Rollout
    Telecom operators connect a village when its rollout cost per household,
    net of the central universal-service subsidy (from 2016), is below what a
    household is worth to them.  That worth is anchored so the 2010 frontier
    matches the initial coverage, then moves with expected take-up (the rural
    adoption share) and the price index; costs fall with learning.  Villages
    are ranked once by cost per household, so coverage is a prefix of that
    ranking.  Provincial infrastructure money (the lever) pays the remaining
    gap of the next villages in the ranking, cheapest first, until the
    quarter's budget or the construction capacity is used up.  What is left
    of the quarter's money goes, in this order, to the 4G tail
    (``mobile.py``), to connecting schools (``schools.py``) and to fibre
    retrofits in the three named cities (``fibre.py``).
Subscriptions
    Bass diffusion of broadband among urban households and among households of
    covered villages, peers being the prefecture's pool; the ceiling rises
    with income and falls with price.  Households in villages of one
    prefecture connected in the same quarter follow the same expected path,
    so adoption is held per (prefecture, connection cohort): exact for these
    rules, and it keeps the step cheap.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..parameters import scalar
from ..population import N_PREF, prefecture_arrays, village_structure
from ..prefectures import URBANISATION_PROVINCE_2015
from ..streams import per_run
from .fibre import CityFibre
from .mobile import Mobile
from .ranking import RUN_SCALARS, cohort_sums, quarter_step, year_record
from .schools import Schools

# Start: every pool at the same fraction of its ceiling, never above this share of it
# (a pool starting at its ceiling could not grow).  A guard, not an estimate: with the
# table's values the fraction is about 0.8.
MAX_START_FRACTION = 0.95
URBANISATION_BOUNDS = (5, 95)   # % guard for prefectures moved with the province's urbanisation
# the outputs in the order ``ranking.year_record`` writes them
RECORDED = ("broadband_subscribers_by_region", "broadband_subscribers", "villages_broadband_share_by_region",
            "villages_broadband_share", "poor_village_broadband_share", "rural_household_broadband_penetration",
            "fixed_broadband_household_penetration", "village_4g_coverage_by_region", "village_4g_coverage",
            "mobile_broadband_penetration", "school_broadband_coverage_by_region", "school_broadband_coverage",
            "fibre_subscriber_share_by_region", "fibre_subscriber_share", "allfibre_cities")


@lru_cache(maxsize=None)
def village_classes(spread: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per village structure (cached): each village's cost class (prefecture, mountain, poverty county),
    villages and poor villages per prefecture.

    Poor villages are the villages of poverty counties (the 4,821 registered poor
    villages are not in the data).
    """
    v = village_structure(spread)
    cls = v["pref"] * 4 + 2 * v["mountain"] + v["poverty"]
    found = cls, np.bincount(v["pref"], minlength=N_PREF), np.bincount(v["pref"], v["poverty"], minlength=N_PREF)
    for fixed in found:
        fixed.flags.writeable = False
    return found


def quarter_ends(annual: np.ndarray) -> np.ndarray:
    """``Macro.quarterly`` at the end of every step: (..., years) -> (..., steps), step s in year index 1 + s // 4."""
    prev = annual[..., :-1]
    ratio = annual[..., 1:] / prev
    # one power per quarter with a Python float exponent, as ``Macro.quarterly`` takes it
    return np.stack([prev * ratio ** ((q + 1) / 4) for q in range(4)], -1).reshape(*annual.shape[:-1], -1)


class Connectivity:
    """Village rollout and household subscriptions for a batch of runs."""

    lever = "infrastructure"
    levers = (lever,)         # the action areas whose money this module spends
    name = "connectivity"
    outputs = {"villages_broadband_share": False, "villages_broadband_share_by_region": True,
               "broadband_subscribers": False, "broadband_subscribers_by_region": True,
               "poor_village_broadband_share": False,
               "rural_household_broadband_penetration": False,
               "fixed_broadband_household_penetration": False,
               **Mobile.outputs, **Schools.outputs, **CityFibre.outputs}

    def __init__(self, model):
        self.m = model
        P = model.params
        R = model.runs
        pref = prefecture_arrays()
        self.rows = model.rows
        spread = scalar(P, "village_household_spread")
        v = village_structure(spread)
        cls, self.villages_per_pref, self.poor_per_pref = village_classes(spread)
        self.n = n = len(v["pref"])

        # households per prefecture (万户), shape (runs, years, 17): prefectures
        # keep their 2015 population shares and move with the province's urbanisation
        mac = model.macro
        urb_p = pref["urbanisation"][None, None, :] + (mac.urbanisation[:, :, None] - URBANISATION_PROVINCE_2015)
        urb_p = np.clip(urb_p, *URBANISATION_BOUNDS) / 100
        pop_p = (pref["population"] / pref["population"].sum())[None, None, :] * mac.population[None, :, None]
        total = pop_p / mac.household_size[None, :, None]
        self.urban_hh = total * urb_p
        self.rural_hh = total * (1 - urb_p)
        self.rel_income = pref["rel_income"]
        self.e_income, self.e_price = P["income_elasticity_ceiling"][:, None], P["price_elasticity_ceiling"][:, None]
        self.c_urban, self.c_rural = P["ceiling_urban"][:, None], P["ceiling_rural"][:, None]
        self.p_households, self.q_households = P["bass_p_households"][:, None], P["bass_q_households"][:, None]

        # village costs (万元): a per-run multiplier for each (prefecture, terrain,
        # poverty) class times a lognormal draw per village; ranked per household
        sig = scalar(P, "village_cost_sigma")
        i2015 = model.year_index(2015)
        terrain = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])          # (mountain, poverty) per class
        factor = (P["village_cost_base"][:, None]
                  * (1 + P["village_cost_mountain"][:, None] * terrain[:, 0])
                  * (1 + P["village_cost_poverty"][:, None] * terrain[:, 1]))           # (R, 4)
        table = factor[:, None, :] / self.rural_hh[:, i2015, :, None]                   # (R, 17, 4)
        gens = model.streams("connectivity")
        per_hh = per_run(gens, "standard_normal", (n,), np.float32)
        per_hh *= sig
        per_hh -= sig**2 / 2
        np.exp(per_hh, out=per_hh)
        per_hh *= np.take(table.reshape(R, -1), cls, axis=1)
        per_hh /= v["share"]                                        # 万元 per 万户 of 2015 households
        # rank villages by cost per household; only the part beyond the smallest
        # initial coverage needs an order (the head is covered from the start),
        # so ranked arrays hold the tail, positions counted from ``self.head``
        self.k = np.round(P["village_coverage_2010"] * n).astype(np.int64)
        self.head = head = int(self.k.min()) - 1
        rows = self.rows
        part = np.argpartition(per_hh, head, axis=1)[:, head:]
        tail = per_hh[rows, part]
        order = np.argsort(tail, axis=1)
        ranked = part[rows, order]                               # village index by rank (tail)
        self.per_hh = tail[rows, order]
        self.pref_sorted = v["pref"][ranked]
        self.poverty_sorted = v["poverty"][ranked]
        self.share_sorted = v["share"][ranked]
        for fixed in (self.per_hh, self.pref_sorted, self.poverty_sorted, self.share_sorted):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints

        # the anchored frontier: the costliest village covered at the start
        self.theta0 = self.per_hh[np.arange(R), self.k - 1 - head]
        self.capacity = P["rollout_capacity"].astype(np.int64)
        self.coverage_version = 0            # bumped whenever ``covered_count`` changes (readers cache on it)

        # cohorts: 0 = covered at the start, s + 1 = connected in step s;
        # cohort 0 is everything minus the villages not covered at the start
        S = model.n_steps
        self.cohort_share = np.zeros((R, N_PREF, S + 1))
        share, count, poor = cohort_sums(self.k, np.full(R, n, dtype=np.int64), head, self.pref_sorted,
                                         self.share_sorted, self.poverty_sorted, N_PREF)
        self.cohort_share[:, :, 0] = 1 - share
        self.covered_count = self.villages_per_pref - count       # villages with broadband
        self.covered_poor = self.poor_per_pref - poor              # of which in poverty counties
        self.k0, self.covered0 = self.k.copy(), self.covered_count.copy()     # the start, per run
        self.F = np.zeros((R, N_PREF, S + 1))                  # adoption fraction per cohort
        price = model.price_index(model.years)
        m_u, m_r = (c[:, 0] for c in self.ceilings(model.macro.income_index[:, :1], price[:1]))
        ratio = P["rural_urban_adoption_ratio"]
        cov_rural = self.cohort_share[:, :, 0] * self.rural_hh[:, 0, :]
        alpha = P["subscribers_2010"] / (m_u * (self.urban_hh[:, 0, :] + ratio[:, None] * cov_rural)).sum(1)
        alpha = np.minimum(alpha, MAX_START_FRACTION)
        self.f_urban = alpha[:, None] * m_u
        self.F[:, :, 0] = np.minimum(ratio[:, None] * self.f_urban, MAX_START_FRACTION * m_r)
        # sums over cohorts that change only when villages are connected (kept up to date by the step)
        self.rural0 = np.ascontiguousarray(self.rural_hh[:, 0, :])
        w = self.cohort_share * self.rural0[:, :, None]
        self.w_total = w.sum((1, 2))                             # 2010 rural households covered
        self.cover = self.cohort_share.sum(2)                    # share of households covered
        self.phi0 = (self.F * w).sum((1, 2)) / self.w_total      # take-up: subscribers per covered household

        # what depends only on time, for every step (end of quarter s: year index 1 + s // 4)
        t = model.years[0] + (np.arange(S) + 1) / 4
        years = 1 + np.arange(S) // 4
        self.central = P["central_subsidy_share"][:, None] * (t > P["central_subsidy_start"][:, None])
        self.decline = (1 - P["village_cost_decline"][:, None]) ** (t - model.years[0])
        self.rural_now = np.ascontiguousarray(quarter_ends(self.rural_hh.transpose(0, 2, 1)).transpose(0, 2, 1))
        self.m_u, self.m_r = self.ceilings(quarter_ends(model.macro.income_index), price[years])
        self.price = price[years]
        for fixed in (self.central, self.decline, self.rural_now, self.m_u, self.m_r, self.price):
            fixed.flags.writeable = False                  # shared by the engine's checkpoints
        # the parts draw after the village costs from the same generators (a second
        # ``streams("connectivity")`` restarted them: the fibre offsets repeated the village-cost numbers)
        self.mobile = Mobile(self, gens)
        self.schools = Schools(self, gens)
        self.fibre = CityFibre(self, gens)
        # the kernels' arrays, gathered once: the state is updated in place only, never rebound
        mob, sch, fib = self.mobile, self.schools, self.fibre
        scalars = dict(theta0=self.theta0, phi0=self.phi0, bass_p=self.p_households, bass_q=self.q_households,
                       mobile_p=mob.p, mobile_q=mob.q, mobile_top=mob.top, mobile_no4g=mob.no4g, school_keep=sch.keep,
                       school_cost=sch.cost, fibre_step=fib.step_logit, fibre_threshold=fib.logit_threshold,
                       fibre_cost=fib.cost)
        self.run_scalars = np.column_stack([np.ravel(scalars[name]) for name in RUN_SCALARS]).astype(float)
        self.run_scalars.flags.writeable = False
        self._step_args = (
            self.run_scalars, self.k, self.cohort_share, self.covered_count, self.covered_poor, self.cover,
            self.w_total, self.F, self.f_urban, self.n, self.head, self.per_hh, self.pref_sorted, self.share_sorted,
            self.poverty_sorted, self.capacity, self.price, self.decline, self.central, self.rural_now, self.rural0,
            self.m_u, self.m_r, self.urban_hh, self.rural_hh,
            mob.k, mob.tail_count, mob.users, self.k0, self.covered0, self.villages_per_pref, mob.k_op, mob.k_prof,
            mob.ramp_done, mob.capacity, mob.scale, mob.theta, mob.urban_share,
            sch.urban_on, sch.rural_on, sch.urban, sch.rural_per_village, sch.total, sch.share,
            fib.logit_x, fib.reached, fib.cities)
        self._record_args = (
            self.F, self.cohort_share, self.f_urban, self.urban_hh, self.rural_hh, self.covered_count,
            self.villages_per_pref, self.k, self.n, self.covered_poor, self.poor_per_pref, mob.k, self.k0,
            self.covered0, mob.tail_count, mob.users, mob.pop_weight, sch.share, sch.total, fib.logit_x, fib.reached)

    # -- helpers ---------------------------------------------------------------
    @property
    def village_share(self) -> np.ndarray:
        """Share of each prefecture's villages with fixed broadband, (runs, 17), in [0, 1]."""
        return self.covered_count / self.villages_per_pref

    def ceilings(self, income: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Urban and rural subscription ceilings (share of households), each (runs, k, 17), at income index
        ``income`` (runs, k) and price index ``price`` (k,)."""
        effect = ((income[:, :, None] * self.rel_income) ** self.e_income[:, :, None]
                  * price[None, :, None] ** self.e_price[:, :, None])
        return np.minimum(self.c_urban[:, :, None] * effect, 1.0), np.minimum(self.c_rural[:, :, None] * effect, 1.0)

    # -- dynamics --------------------------------------------------------------
    def step(self, s: int, y: int, quarter: int) -> None:
        """One quarter of every run in one kernel call (``ranking.quarter_step``)."""
        m = self.m
        budget = m.budget(self.lever, s)
        paid, changed = quarter_step(s, y, quarter, budget, m.dt, *self._step_args)
        if changed:
            self.coverage_version += 1
        if budget > 0:                      # without money nothing is paid
            m.record_spend(self.lever, paid)

    # -- outputs ---------------------------------------------------------------
    @property
    def school_broadband_share(self) -> np.ndarray:
        """Share of schools with broadband per prefecture, (runs, 17), in [0, 1].

        A read-only view of the array the step updates in place: copy it to keep a quarter's value.
        """
        share = self.schools.share.view()
        share.flags.writeable = False
        return share

    @property
    def covered_4g_count(self) -> np.ndarray:
        """Villages with 4G per prefecture, (runs, 17)."""
        return self.mobile.count()

    def subscribers(self, y: int) -> tuple[np.ndarray, np.ndarray]:
        """Urban and rural subscribers per prefecture (万户), (runs, 17)."""
        rural = (self.F * self.cohort_share).sum(2) * self.rural_hh[:, y, :]
        return self.f_urban * self.urban_hh[:, y, :], rural

    def record(self, y: int, out: dict) -> None:
        year_record(y, *self._record_args, *(out[name] for name in RECORDED))
