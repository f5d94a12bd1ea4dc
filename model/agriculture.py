"""Modern agriculture: the 12316 platform's county coverage and IoT in facility agriculture.

Agents
    The 103 county-level units, held as (runs, 103) arrays with a prefecture
    index (county counts per prefecture from ``hubei_prefectures.csv``).  Each
    county has a 12316 connection state (yes/no) and the share of its scaled
    facility-agriculture area that uses IoT.
12316 platform
    Without provincial money, unconnected counties join at a yearly hazard
    (central 12316 / 信息进村入户 programmes, own funds) scaled by their
    prefecture's readiness, ``(village broadband share) ** elasticity``.
    Each county has an exponential clock drawn once: it connects when its
    cumulative hazard passes the clock.  Provincial money (the lever) first
    pays the provincial and 17 prefecture platforms (once), then connects
    further counties at ``agri_12316_county_cost`` each, those nearest to
    connecting on their own first, at most ``agri_12316_capacity`` a quarter.
    Money left in a quarter stays in the year's pool; the pool lapses at the
    year end.
IoT in facility agriculture
    Bass diffusion per county (expected value) towards a ceiling, peers being
    the prefecture's facility area; the innovation rate varies between
    counties (a lognormal factor drawn once).  A share of the lever money
    (and all of it once every county is connected) subsidises the IoT
    investment: ``s`` = money / expected investment of the quarter (capped),
    which raises the hazard by ``(1 - s) ** -investment_cost_elasticity``.
    Facility area per county: the province's facility area shared by the
    prefecture's 2015 rural population, equally among its counties.
Coupling
    ``coupling_connectivity_agriculture`` scales the readiness exponent for
    both processes (0: broadband no constraint, readiness 1).
"""
from __future__ import annotations

import numba
import numpy as np
from scipy.special import ndtri

from .designations import _award
from .parameters import scalar
from .population import N_PREF, county_prefecture, prefecture_arrays
from .streams import per_run
from .sums import np_sum, reduceat_sums

# columns of ``Agriculture.coef``: per-run parameters of the quarterly kernel
ROLLOUT, READINESS, CEILING, IOT_MONEY, COUNTY_COST, IOT_COST, SUBSIDY_CAP, ELASTICITY = range(8)


@numba.njit(cache=True, error_model="numpy")
def _quarter(budget, new_year, refresh, all_connected, village_share, ready, coef, capacity, pref, starts,
             tau, H, connected, platform_due, pool, iot, area, p_eff, q_eff, spent):
    """One quarter of 12316 rollout and IoT diffusion for every run.

    ``refresh``: recompute the prefectures' readiness from ``village_share``.
    12316: hazards accumulate, clocks passed connect; the lever money (its
    12316 share, pooled over the year, reset at ``new_year``) pays the
    platforms, then up to ``capacity`` counties nearest to connecting on
    their own (``designations._award``); a run with every county connected
    (``all_connected``, kept up to date here) spends all its money on IoT.
    IoT: a Bass step per county with the quarter's subsidy boost.
    ``spent``: money paid per run.
    """
    runs, n = tau.shape
    new = np.zeros(1, np.int64)
    places = np.zeros(1, np.int64)
    score = np.empty((1, n))
    everyone = np.ones((1, 1), np.bool_)
    peer = np.empty(starts.shape[0])
    x = np.empty(n)
    base = np.empty(n)
    for r in range(runs):
        c = coef[r]
        if refresh:
            for p in range(village_share.shape[1]):
                ready[r, p] = min(max(village_share[r, p], 1e-6), 1.0) ** c[READINESS]
        if new_year:
            pool[r] = 0.0
        paid, iot_money = 0.0, budget
        if not all_connected[r]:
            is_open = False
            for j in range(n):
                H[r, j] += c[ROLLOUT] * ready[r, pref[j]]
                connected[r, j] |= H[r, j] >= tau[r, j]
                is_open |= not connected[r, j]
            iot_money = 0.0
            if budget > 0:
                share = 1 - c[IOT_MONEY] if is_open else 0.0
                pool[r] += budget * share
                paid = min(platform_due[r], pool[r])
                platform_due[r] -= paid
                pool[r] -= paid
                if is_open and platform_due[r] <= 0:
                    places[0] = int(min(np.floor(pool[r] / c[COUNTY_COST]), capacity))
                    if places[0] > 0:       # the counties nearest to connecting on their own come first
                        for j in range(n):
                            score[0, j] = H[r, j] - tau[r, j]
                        new[0] = 0
                        _award(score, connected[r:r + 1], places, everyone, new)
                        pool[r] -= new[0] * c[COUNTY_COST]
                        paid = paid + new[0] * c[COUNTY_COST]
                iot_money = budget * (1 - share)
            done = True                       # after this quarter's awards
            for j in range(n):
                done &= connected[r, j]
            all_connected[r] = done
        # IoT: Bass per county with the prefecture's facility area as peers
        f = iot[r]
        for j in range(n):
            x[j] = f[j] * area[j]
        reduceat_sums(x, starts, peer)
        for j in range(n):
            p = pref[j]
            base[j] = (p_eff[r, j] + q_eff[r, p] * peer[p]) * ready[r, p] * max(c[CEILING] - f[j], 0)
        if budget > 0:
            for j in range(n):
                x[j] = base[j] * area[j]
            expected = np_sum(x) * c[IOT_COST]
            sub = min(c[SUBSIDY_CAP], iot_money / max(expected, 1e-9))
            boost = (1 - sub) ** -c[ELASTICITY]
            for j in range(n):
                new_f = min(f[j] + base[j] * boost, max(c[CEILING], f[j]))
                x[j] = (new_f - f[j]) * area[j]
                f[j] = new_f
            paid += min(sub * c[IOT_COST] * np_sum(x), iot_money)
        else:
            for j in range(n):
                f[j] = min(f[j] + base[j], max(c[CEILING], f[j]))
        spent[r] = paid


@numba.njit(cache=True, error_model="numpy")
def _shares(connected, iot, area, starts, per_pref, area_pref, area_total, coverage, coverage_region,
            iot_share, iot_share_region):
    """The recorded shares (%): counties connected and IoT area, per prefecture and province."""
    runs, n = connected.shape
    x = np.empty(n)
    sums = np.empty(starts.shape[0])
    for r in range(runs):
        k = 0
        for j in range(n):
            x[j] = connected[r, j]
            k += connected[r, j]
        reduceat_sums(x, starts, sums)
        for p in range(sums.shape[0]):
            coverage_region[r, p] = 100 * sums[p] / per_pref[p]
        coverage[r] = 100 * (k / n)
        for j in range(n):
            x[j] = iot[r, j] * area[j]
        reduceat_sums(x, starts, sums)
        for p in range(sums.shape[0]):
            iot_share_region[r, p] = 100 * sums[p] / area_pref[p]
        iot_share[r] = 100 * np_sum(sums) / area_total


class Agriculture:
    """12316 coverage and facility-agriculture IoT for a batch of runs."""

    lever = "modern_agriculture"
    levers = (lever,)
    name = "agriculture"
    outputs = {"agri_12316_county_coverage": False, "agri_12316_county_coverage_by_region": True,
               "facility_ag_iot_share": False, "facility_ag_iot_share_by_region": True}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        R = m.runs
        self.pref = pref = county_prefecture()
        n = len(pref)
        self.per_pref = np.bincount(pref, minlength=N_PREF)
        rng = m.streams("agriculture")
        draws = per_run(rng, "random", (2, n))                  # same amount whatever the funding
        # 12316: clocks in cumulative hazard; the first counties by clock start connected
        self.tau = -np.log1p(-draws[:, 0])
        k0 = np.round(P["agri_12316_coverage_2010"] * n).astype(int)
        rank = np.argsort(np.argsort(self.tau, axis=1), axis=1)
        self.connected = rank < k0[:, None]
        self.H = np.zeros((R, n))
        self.platform_due = np.full(R, scalar(P, "agri_12316_platform_cost"))
        self.pool = np.zeros(R)
        # IoT: county facility area (万亩), innovation factor per county
        pa = prefecture_arrays()
        rural = pa["population"] * (1 - pa["urbanisation"] / 100)          # 2015, 万人
        area_pref = scalar(P, "facility_area") * rural / rural.sum()
        self.area = area_pref[pref] / self.per_pref[pref]
        self.area_pref = area_pref
        sig = scalar(P, "agri_iot_county_spread")
        self.p_factor = np.exp(sig * ndtri(np.clip(draws[:, 1], 1e-9, 1 - 1e-9)) - sig**2 / 2)
        self.iot = np.broadcast_to(P["agri_iot_share_2010"][:, None] / 100, (R, n)).copy()
        # per-run constants of the step, precomputed (the step runs 40 times)
        dt = m.dt
        self.starts = np.concatenate([[0], np.cumsum(self.per_pref)[:-1]])   # counties sorted by prefecture
        self.p_eff = P["bass_p_agri_iot"][:, None] * self.p_factor * dt
        mmax = P["agri_iot_ceiling"] / 100
        self.q_eff = P["bass_q_agri_iot"][:, None] / mmax[:, None] / area_pref * dt        # per 万亩 of peers
        self.coef = np.stack([P["agri_12316_rollout_rate"] * dt,
                              P["coupling_connectivity_agriculture"] * P["agri_readiness_elasticity"],
                              mmax, P["agri_iot_money_share"], P["agri_12316_county_cost"],
                              P["agri_iot_cost_per_mu"] * 1e4,              # 万元 per 万亩
                              P["agri_iot_subsidy_cap"], P["investment_cost_elasticity"]], 1)
        self.capacity = scalar(P, "agri_12316_capacity")
        self.all_connected = np.zeros(R, np.bool_)       # per run: a run's path never depends on its batch
        self.ready = np.zeros((R, N_PREF))      # readiness per prefecture, (village broadband share) ** exponent
        self._version = None                    # connectivity's coverage version ``ready`` was computed at
        self._village_share = np.ones((R, N_PREF))     # connectivity's village shares at that version
        self.spent = np.zeros(R)                # money paid in the quarter
        # the recorded shares (%), refreshed by ``record``
        self._coverage, self._coverage_region = np.zeros(R), np.zeros((R, N_PREF))
        self._iot_share, self._iot_share_region = np.zeros(R), np.zeros((R, N_PREF))
        self._area_total = self.area_pref.sum()

    def step(self, s: int, y: int, quarter: int) -> None:
        m = self.m
        conn = m.connectivity
        refresh = self._version != conn.coverage_version          # readiness moves only with village broadband
        if refresh:
            self._version = conn.coverage_version
            self._village_share = conn.village_share
        budget = m.budget(self.lever, s)
        _quarter(budget, quarter == 0, refresh, self.all_connected, self._village_share, self.ready, self.coef,
                 self.capacity, self.pref, self.starts, self.tau, self.H, self.connected, self.platform_due, self.pool,
                 self.iot, self.area, self.p_eff, self.q_eff, self.spent)
        if budget > 0:
            m.record_spend(self.lever, self.spent)

    def record(self, y: int, out: dict) -> None:
        _shares(self.connected, self.iot, self.area, self.starts, self.per_pref, self.area_pref, self._area_total,
                self._coverage, self._coverage_region, self._iot_share, self._iot_share_region)
        out["agri_12316_county_coverage_by_region"][:, y] = self._coverage_region
        out["agri_12316_county_coverage"][:, y] = self._coverage
        out["facility_ag_iot_share_by_region"][:, y] = self._iot_share_region
        out["facility_ag_iot_share"][:, y] = self._iot_share
