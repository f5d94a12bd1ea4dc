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

import numpy as np

from ..parameters import scalar
from ..population import N_PREF, prefecture_arrays, village_structure
from ..prefectures import URBANISATION_PROVINCE_2015
from ..streams import per_run
from .fibre import CityFibre
from .mobile import Mobile
from .ranking import cohort_sums, operators_reach, tail_gaps
from .schools import Schools

# Start: every pool at the same fraction of its ceiling, never above this share of it
# (a pool starting at its ceiling could not grow).  A guard, not an estimate: with the
# table's values the fraction is about 0.8.
MAX_START_FRACTION = 0.95
URBANISATION_BOUNDS = (5, 95)   # % guard for prefectures moved with the province's urbanisation


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
        v = village_structure(scalar(P, "village_household_spread"))
        self.n = n = len(v["pref"])
        self.villages_per_pref = np.bincount(v["pref"], minlength=N_PREF)

        # households per prefecture (万户), shape (runs, years, 17): prefectures
        # keep their 2015 population shares and move with the province's urbanisation
        mac = model.macro
        urb_p = pref["urbanisation"][None, None, :] + (mac.urbanisation[:, :, None] - URBANISATION_PROVINCE_2015)
        urb_p = np.clip(urb_p, *URBANISATION_BOUNDS) / 100
        pop_p = (pref["population"] / pref["population"].sum())[None, None, :] * mac.population[None, :, None]
        total = pop_p / mac.household_size[None, :, None]
        self.urban_hh = total * urb_p
        self.rural_hh = total * (1 - urb_p)
        self.rural_quarterly = self.rural_hh.transpose(0, 2, 1)          # (R, 17, years)
        self.rel_income = pref["rel_income"]
        self.e_income, self.e_price = P["income_elasticity_ceiling"][:, None], P["price_elasticity_ceiling"][:, None]
        self.c_urban, self.c_rural = P["ceiling_urban"][:, None], P["ceiling_rural"][:, None]
        self.p_households, self.q_households = P["bass_p_households"][:, None], P["bass_q_households"][:, None]

        # village costs (万元): a per-run multiplier for each (prefecture, terrain,
        # poverty) class times a lognormal draw per village; ranked per household
        sig = scalar(P, "village_cost_sigma")
        cls = v["pref"] * 4 + 2 * v["mountain"] + v["poverty"]
        i2015 = model.year_index(2015)
        terrain = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])          # (mountain, poverty) per class
        factor = (P["village_cost_base"][:, None]
                  * (1 + P["village_cost_mountain"][:, None] * terrain[:, 0])
                  * (1 + P["village_cost_poverty"][:, None] * terrain[:, 1]))           # (R, 4)
        table = factor[:, None, :] / self.rural_hh[:, i2015, :, None]                   # (R, 17, 4)
        per_hh = per_run(model.streams("connectivity"), "standard_normal", (n,), np.float32)
        per_hh *= sig
        per_hh -= sig**2 / 2
        np.exp(per_hh, out=per_hh)
        per_hh *= table.reshape(R, -1)[:, cls]
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
        # poor villages: villages of poverty counties (the 4,821 registered poor villages are not in the data)
        self.poor_per_pref = np.bincount(v["pref"], v["poverty"], minlength=N_PREF)
        self.share_sorted = v["share"][ranked]
        for fixed in (self.per_hh, self.pref_sorted, self.poverty_sorted, self.share_sorted):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints

        # the anchored frontier: the costliest village covered at the start
        self.theta0 = self.per_hh[np.arange(R), self.k - 1 - head]
        self.capacity = P["rollout_capacity"].astype(np.int64)
        self.span = np.arange(int(self.capacity.max()) + 1)[None, :]     # villages one quarter can reach
        self._cover = None                   # cached sums over cohorts (``_cohort_totals``)
        self.coverage_version = 0            # bumped whenever ``covered_count`` changes (readers cache on it)

        # cohorts: 0 = covered at the start, s + 1 = connected in step s;
        # cohort 0 is everything minus the villages not covered at the start
        S = model.n_steps
        self.cohort_share = np.zeros((R, N_PREF, S + 1))
        self.covered_count = np.zeros((R, N_PREF))             # villages with broadband
        self.covered_poor = np.zeros((R, N_PREF))              # of which in poverty counties
        self._add_cohort(0, self.k, np.full(R, n, dtype=np.int64))
        self.cohort_share[:, :, 0] = 1 - self.cohort_share[:, :, 0]
        self.covered_count = self.villages_per_pref - self.covered_count
        self.covered_poor = self.poor_per_pref - self.covered_poor
        self.k0, self.covered0 = self.k.copy(), self.covered_count.copy()     # the start, per run
        self.F = np.zeros((R, N_PREF, S + 1))                  # adoption fraction per cohort
        m_u, m_r = self.ceilings(0)
        ratio = P["rural_urban_adoption_ratio"]
        cov_rural = self.cohort_share[:, :, 0] * self.rural_hh[:, 0, :]
        alpha = P["subscribers_2010"] / (m_u * (self.urban_hh[:, 0, :] + ratio[:, None] * cov_rural)).sum(1)
        alpha = np.minimum(alpha, MAX_START_FRACTION)
        self.f_urban = alpha[:, None] * m_u
        self.F[:, :, 0] = np.minimum(ratio[:, None] * self.f_urban, MAX_START_FRACTION * m_r)
        self.phi0 = self.rural_take_up()
        gens = model.streams("connectivity")     # drawn after the village costs: those stay as they were
        self.mobile = Mobile(self, gens)
        self.schools = Schools(self, gens)
        self.fibre = CityFibre(self, gens)

    # -- helpers ---------------------------------------------------------------
    def _add_cohort(self, c: int, k_old: np.ndarray, k_new: np.ndarray) -> None:
        """Add villages at ranked positions [k_old, k_new) to cohort c."""
        if not (k_new > k_old).any():
            return
        share, count, poor = cohort_sums(k_old, k_new, self.head, self.pref_sorted, self.share_sorted,
                                          self.poverty_sorted, N_PREF)
        self.cohort_share[:, :, c] += share
        self.covered_count += count
        self.covered_poor += poor
        self._cover = None                      # cached sums over cohorts are stale
        self.coverage_version += 1

    def fund_tail(self, start, offsets, limit, scale, theta, money, y: int, quarter: int, eligible=None):
        """The province pays the gap of the ranked villages from ``start`` on, cheapest first.

        Villages ``start + offsets`` below ``limit`` (and of ``eligible`` runs)
        are funded in rank order while the running gap ``scale x households x
        (cost per household - theta)`` fits ``money``; returns (villages funded,
        万元 spent) per run.
        """
        rural_now = self.m.macro.quarterly(self.rural_quarterly, y, quarter)   # (R, 17)
        ok = np.ones(len(start), np.bool_) if eligible is None else np.asarray(eligible, np.bool_)
        money = np.broadcast_to(np.ravel(np.asarray(money, float)), (len(start),))
        return tail_gaps(np.asarray(start, np.int64), np.ravel(offsets).astype(np.int64),
                         np.asarray(limit, np.int64), *(np.broadcast_to(np.asarray(v, float), (len(start),))
                                                       for v in (scale, theta)),
                         np.ascontiguousarray(money), ok, self.n, self.head, self.share_sorted, self.pref_sorted,
                         rural_now, self.per_hh)

    @property
    def village_share(self) -> np.ndarray:
        """Share of each prefecture's villages with fixed broadband, (runs, 17), in [0, 1]."""
        return self.covered_count / self.villages_per_pref

    def ceilings(self, y: int, quarter: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Urban and rural subscription ceilings (share of households), (runs, 17)."""
        mac = self.m.macro
        inc = mac.income_index[:, y] if quarter is None else mac.quarterly(mac.income_index, y, quarter)
        price = self.m.price_index(self.m.years[y])
        effect = (inc[:, None] * self.rel_income) ** self.e_income * price ** self.e_price
        return np.minimum(self.c_urban * effect, 1.0), np.minimum(self.c_rural * effect, 1.0)

    def _cohort_totals(self) -> None:
        """Sums over cohorts that change only when villages are connected (cached)."""
        if self._cover is None:
            self._w = self.cohort_share * self.rural_quarterly[:, :, :1]
            self._w_total = self._w.sum((1, 2))
            self._cover = self.cohort_share.sum(2)

    def rural_take_up(self) -> np.ndarray:
        """Subscribers per covered rural household, province-wide, (runs,)."""
        self._cohort_totals()
        return (self.F * self._w).sum((1, 2)) / self._w_total

    # -- dynamics --------------------------------------------------------------
    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        R = m.runs
        t = m.years[y] - 1 + (quarter + 1) / 4
        central = P["central_subsidy_share"] * (t > P["central_subsidy_start"])
        decline = (1 - P["village_cost_decline"]) ** (t - m.years[0])
        worth = (m.price_index(m.years[y]) * self.rural_take_up() / self.phi0)
        theta = self.theta0 * worth / decline / (1 - central)

        # operators: every ranked village below the frontier, within capacity
        # (ranks are sorted, so counting the next ``capacity`` villages below the frontier
        # gives min(max(reach, k), k + capacity) without a search per run)
        k_old = self.k
        k_op = operators_reach(k_old, self.head, self.per_hh, theta, self.capacity)
        # province: pays the gap of the next villages, cheapest first
        budget = m.budget(self.lever, s)          # 万元 this quarter
        spent = np.zeros(R)
        if budget > 0:
            funded, spent = self.fund_tail(k_op, self.span, k_old + self.capacity, decline * (1 - central),
                                           theta, budget, y, quarter)
            k_new = k_op + funded
        else:
            k_new = k_op
        self._add_cohort(s + 1, k_old, k_new)
        self.k = k_new
        # what is left of the quarter's money: 4G tail, schools, city fibre, in that order
        left = np.maximum(budget - spent, 0.0) if budget > 0 else None
        for part in (self.mobile, self.schools, self.fibre):
            used = part.step(s, y, quarter, left)
            if used is not None:
                spent = spent + used
                left = np.maximum(left - used, 0.0)
        m.record_spend(self.lever, spent)

        # subscriptions: Bass per pool, peers within the prefecture's pool
        m_u, m_r = self.ceilings(y, quarter)
        p, q = self.p_households, self.q_households
        dt = m.dt
        self.f_urban += (p + q * self.f_urban / m_u) * (m_u - self.f_urban) * dt
        self._cohort_totals()
        cover = self._cover
        peer = (self.F * self.cohort_share).sum(2) / np.maximum(cover * m_r, 1e-12)
        self.F += ((p + q * peer)[:, :, None] * (m_r[:, :, None] - self.F)) * dt
        self.F[:, :, s + 2:] = 0.0

    # -- outputs ---------------------------------------------------------------
    @property
    def school_broadband_share(self) -> np.ndarray:
        """Share of schools with broadband per prefecture, (runs, 17), in [0, 1]."""
        return self.schools.share

    @property
    def covered_4g_count(self) -> np.ndarray:
        """Villages with 4G per prefecture, (runs, 17)."""
        return self.mobile.count()

    def subscribers(self, y: int) -> tuple[np.ndarray, np.ndarray]:
        """Urban and rural subscribers per prefecture (万户), (runs, 17)."""
        rural = (self.F * self.cohort_share).sum(2) * self.rural_hh[:, y, :]
        return self.f_urban * self.urban_hh[:, y, :], rural

    def record(self, y: int, out: dict) -> None:
        urban, rural = self.subscribers(y)
        out["broadband_subscribers_by_region"][:, y] = urban + rural
        out["broadband_subscribers"][:, y] = (urban + rural).sum(1)
        out["villages_broadband_share_by_region"][:, y] = 100 * self.covered_count / self.villages_per_pref
        out["villages_broadband_share"][:, y] = 100 * self.k / self.n
        out["poor_village_broadband_share"][:, y] = 100 * self.covered_poor.sum(1) / self.poor_per_pref.sum()
        hh_u, hh_r = self.urban_hh[:, y, :].sum(1), self.rural_hh[:, y, :].sum(1)
        out["rural_household_broadband_penetration"][:, y] = 100 * rural.sum(1) / hh_r
        out["fixed_broadband_household_penetration"][:, y] = 100 * (urban + rural).sum(1) / (hh_u + hh_r)
        for part in (self.mobile, self.schools, self.fibre):
            part.record(y, out)
