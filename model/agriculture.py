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

import numpy as np
from scipy.special import ndtri

from .designations import award
from .parameters import scalar
from .population import N_PREF, county_prefecture, prefecture_arrays
from .streams import per_run


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
        self.rate = P["agri_12316_rollout_rate"][:, None] * dt
        self.e_ready = (P["coupling_connectivity_agriculture"] * P["agri_readiness_elasticity"])[:, None]
        self.mmax = P["agri_iot_ceiling"][:, None] / 100
        self.p_eff = P["bass_p_agri_iot"][:, None] * self.p_factor * dt
        self.q_eff = P["bass_q_agri_iot"][:, None] / self.mmax / area_pref * dt        # per 万亩 of peers
        self.capacity = scalar(P, "agri_12316_capacity")
        self.all_connected = False
        self._ready = (None, None)              # (connectivity's coverage version, readiness per county)

    def readiness(self) -> np.ndarray:
        """Per prefecture: (village broadband share) ** (coupling x elasticity), (runs, 17)."""
        share = np.clip(self.m.connectivity.village_share, 1e-6, 1)
        return share ** self.e_ready

    def _connect(self, budget: float, ready: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """12316 rollout of one quarter (``ready`` per county); returns (money paid, money for IoT) per run."""
        P, R = self.m.params, self.m.runs
        self.H += self.rate * ready
        self.connected |= self.H >= self.tau
        if budget <= 0:
            return np.zeros(R), np.zeros(R)
        open_ = ~self.connected.all(1)
        share = np.where(open_, 1 - P["agri_iot_money_share"], 0.0)
        self.pool += budget * share
        pay = np.minimum(self.platform_due, self.pool)
        self.platform_due -= pay
        self.pool -= pay
        cost = P["agri_12316_county_cost"]
        places = np.where(self.platform_due > 0, 0, np.minimum(np.floor(self.pool / cost), self.capacity))
        places = np.where(open_, places, 0).astype(np.int64)
        if places.any():
            # the counties nearest to connecting on their own come first
            n_new = award(self.H - self.tau, self.connected, places)
            self.pool -= n_new * cost
            pay = pay + n_new * cost
        return pay, budget * (1 - share)

    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        R = m.runs
        version = m.connectivity.coverage_version
        if self._ready[0] != version:           # readiness moves only with village broadband
            self._ready = (version, self.readiness()[:, self.pref])
        ready = self._ready[1]
        budget = m.budget(self.lever, s)
        if quarter == 0:
            self.pool[:] = 0.0
        if self.all_connected:
            spent, iot_money = np.zeros(R), np.full(R, budget)
        else:
            spent, iot_money = self._connect(budget, ready)
            self.all_connected = bool(self.connected.all())
        # IoT: Bass per county with the prefecture's facility area as peers
        f = self.iot
        peer = np.add.reduceat(f * self.area, self.starts, axis=1)               # 万亩 with IoT
        g = (self.p_eff + (self.q_eff * peer)[:, self.pref]) * ready
        base = g * np.maximum(self.mmax - f, 0)
        if budget > 0:
            cost = P["agri_iot_cost_per_mu"] * 1e4                 # 万元 per 万亩
            expected = (base * self.area).sum(1) * cost
            sub = np.minimum(P["agri_iot_subsidy_cap"], iot_money / np.maximum(expected, 1e-9))
            boost = (1 - sub) ** -P["investment_cost_elasticity"]
            new_f = np.minimum(f + base * boost[:, None], np.maximum(self.mmax, f))
            adopted = ((new_f - f) * self.area).sum(1)
            spent = spent + np.minimum(sub * cost * adopted, iot_money)
        else:
            new_f = np.minimum(f + base, np.maximum(self.mmax, f))
        self.iot = new_f
        m.record_spend(self.lever, spent)

    def record(self, y: int, out: dict) -> None:
        conn = np.add.reduceat(self.connected.astype(np.int64), self.starts, axis=1)
        out["agri_12316_county_coverage_by_region"][:, y] = 100 * conn / self.per_pref
        out["agri_12316_county_coverage"][:, y] = 100 * self.connected.mean(1)
        iot = np.add.reduceat(self.iot * self.area, self.starts, axis=1)
        out["facility_ag_iot_share_by_region"][:, y] = 100 * iot / self.area_pref
        out["facility_ag_iot_share"][:, y] = 100 * iot.sum(1) / self.area_pref.sum()
