"""Manufacturing: firms' digital maturity and landmark demonstration factories.

Agents
    ~16,000 manufacturing firms above designated size with a prefecture, a
    size (revenue, lognormal) and a digital-maturity level 0-4 (4 = smart
    factory).
Upgrades
    A firm at level L moves to L+1 with hazard
    ``(rate_L + imitation * share of its prefecture's firms above L) * size**e``,
    raised by the provincial subsidy: ``* (1 - s) ** -elasticity``.  The
    subsidy share ``s`` is what the quarter's advanced-manufacturing money
    can pay of the expected upgrade investment, capped at 20 %; money the cap
    cannot absorb is not spent.  Each firm carries exponential clocks (one per
    upgrade, drawn at the start), so a run's randomness does not depend on the
    scenario (common random numbers): more money in a quarter raises that
    quarter's hazards, and only through them can a firm's upgrade move.
Designation
    From 2016, each year the province names up to ``demo_capacity`` landmark
    demonstration factories among level-4 firms not yet named, ranked by
    expert score (log size plus noise).  Designations are cumulative.
Platforms (the platform_sharing lever)
    Provincial money connects digitised firms (level >= ``platform_min_level``)
    to industrial-internet / sharing platforms at ``platform_connect_cost``
    each; a firm is connected once (expected count, capped by the digitised
    firms not yet connected: manufacturing -> platforms).  The connected share
    of all firms raises the peer (imitation) term of the upgrade hazard and
    the servitisation hazard by ``1 + platform_uplift * share`` (platforms ->
    manufacturing), scaled by ``coupling_platforms_manufacturing``.
Service-oriented manufacturing
    Firms at level >= ``service_min_level`` add services (remote maintenance,
    lifecycle services) with a yearly hazard ``servitisation_rate`` (exponential
    clocks drawn at the start).  From ``service_demo_start`` the province names
    up to ``service_demo_capacity`` backbone enterprises a year among
    servitised firms not yet named, best expert score first (the same score
    as for demonstration factories; ``designations._award``).
"""
from __future__ import annotations

import importlib
import os
import types
from functools import lru_cache

import numba
import numpy as np

from .designations import _award
from .parameters import scalar
from .population import N_PREF, firm_structure
from .streams import per_run
from .sums import np_sum

LEVELS = 5
# columns of ``Manufacturing.coef``: per-run parameters of the quarterly kernel
IMITATION, PLATFORM_GAIN, SUBSIDY_CAP, ELASTICITY, SERVITISATION = range(5)


@lru_cache(maxsize=8)
def _firm_weights(n: int, sigma: float, elasticity: float) -> tuple[np.ndarray, np.ndarray]:
    """Firms' hazard weights ``size ** elasticity`` and log sizes (read-only, shared by every batch)."""
    size = firm_structure(n, sigma)["size"]
    weights, log_size = size ** elasticity, np.log(size)
    weights.flags.writeable = log_size.flags.writeable = False
    return weights, log_size


@numba.njit(cache=True, error_model="numpy")
def _census(level, pref, w, count, weight):
    """Add every firm to its (run, prefecture, level) group's count and summed weight (in firm order)."""
    runs, n = level.shape
    for r in range(runs):
        for f in range(n):
            count[r, pref[f], level[r, f]] += 1
            weight[r, pref[f], level[r, f]] += w[f]


@numba.njit(cache=True, error_model="numpy")
def _hazards(budget, platform, dt, G, count, weight, cost, rate, coef, per_pref, connected,
             platform_level, connect_cost, n, share, paid):
    """Platform connections, then the quarter's hazard added to every group's cumulative hazard ``G``.

    Per run: ``platform`` money connects digitised firms not yet connected
    (``paid``); the group hazards ``rate_L + imitation x reach x share above``
    with the subsidy ``share`` the ``budget`` can pay of the expected
    investment (capped), raised by ``(1 - share) ** -elasticity``.
    """
    runs, n_pref, levels = G.shape
    g = np.empty(n_pref * levels)
    invest = np.empty(n_pref * levels)
    for r in range(runs):
        if platform > 0:
            digitised = 0.0
            for p in range(n_pref):
                for lv in range(platform_level, levels):
                    digitised += count[r, p, lv]
            new = min(platform / connect_cost, max(digitised - connected[r], 0.0))
            connected[r] += new
            paid[r] = new * connect_cost
        imitation = coef[r, IMITATION] * (1 + coef[r, PLATFORM_GAIN] * connected[r] / n)
        for p in range(n_pref):
            above = 0.0                     # firms of the prefecture above the level
            for lv in range(levels - 1, -1, -1):
                j = p * levels + lv
                g[j] = 0.0 if lv == levels - 1 else rate[r, lv] + imitation * (above / per_pref[p])
                above += count[r, p, lv]
                invest[j] = g[j] * weight[r, p, lv] * cost[lv]
        step = dt
        share[r] = 0.0
        if budget > 0:
            expected = np_sum(invest) * dt
            share[r] = min(coef[r, SUBSIDY_CAP], budget / max(expected, 1e-9))
            step = (1 - share[r]) ** -coef[r, ELASTICITY] * dt
        for p in range(n_pref):
            for lv in range(levels):
                G[r, p, lv] += g[p * levels + lv] * step


@numba.njit(cache=True, error_model="numpy")
def _upgrade(G, idx, threshold, level, upgrades, clock, w, count, weight, share, cost, claims,
             service_level, service_H, service_T, service_clock):
    """Upgrade every firm whose group's cumulative hazard passed its clock (in place).

    ``G``, ``count`` and ``weight`` are flat over (run, prefecture, level) and
    ``idx`` points each firm at its group; an upgraded firm moves to the next
    group and draws its next threshold from its next clock.  A firm reaching
    ``service_level`` gets its servitisation threshold: the run's cumulative
    servitisation hazard ``service_H`` plus its own clock.
    """
    runs, n = level.shape
    top = clock.shape[2]
    for r in numba.prange(runs):      # threads over runs in the parallel build, a plain loop in this one
        for f in range(n):
            i = idx[r, f]
            if G[i] >= threshold[r, f]:
                old = level[r, f]
                claims[r] += share[r] * cost[old]
                level[r, f] = old + 1
                idx[r, f] = i + 1
                k = upgrades[r, f] + 1
                upgrades[r, f] = k
                count[i] -= 1
                count[i + 1] += 1
                weight[i] -= w[f]
                weight[i + 1] += w[f]
                if old + 1 >= top:
                    threshold[r, f] = np.inf
                else:
                    threshold[r, f] = G[i + 1] + clock[r, f, k] / w[f]
                if old + 1 == service_level:
                    service_T[r, f] = service_H[r] + service_clock[r, f]


def _threadsafe_layer() -> bool:
    """Whether numba has a threading layer safe for concurrent callers (app sessions): TBB or OpenMP.

    numba's fallback layer (workqueue) aborts when two threads launch parallel
    kernels at once, so without a safe layer the serial kernel is used.
    """
    # idle OpenMP threads sleep instead of spinning between the quarter's parallel calls (read when
    # the OpenMP runtime loads): spinning took the second core from the rest of the step and other sessions
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for pool in ("tbbpool", "omppool"):
        try:
            importlib.import_module(f"numba.np.ufunc.{pool}")
        except ImportError:
            continue
        numba.config.THREADING_LAYER = "threadsafe"
        return True
    return False


def _renamed(fn, name: str):
    """The same code under another name: numba caches compiled code by qualified name, and a
    parallel build sharing the serial one's entries was loaded in its place (a lone run then
    started threads that spun on the second core)."""
    clone = types.FunctionType(fn.__code__.replace(co_name=name, co_qualname=name), fn.__globals__, name,
                               fn.__defaults__, fn.__closure__)
    clone.__qualname__ = name
    return clone


# runs touch disjoint state, so the parallel build gives the same numbers (benchmarks/identity.py)
_upgrade_threads = (numba.njit(cache=True, parallel=True, error_model="numpy")(
    _renamed(_upgrade.py_func, "_upgrade_threads")) if _threadsafe_layer() else None)


@numba.njit(cache=True, error_model="numpy")
def _year_end(designate, award_service, level, count, merit, designated, demo_places, coef, connected, n,
              service_H, service_T, candidates, n_candidates, named, service_places, named_count, designated_count):
    """Year end: name smart factories (``designate``), add a year of servitisation hazard,
    append newly servitised firms to the candidates, name backbone firms (``award_service``).

    Designations go to the best merit first (``designations._award``);
    backbone firms are ranked by the same merit.  Counts of named firms per
    run are kept in ``designated_count`` and ``named_count``.
    """
    runs, nf = level.shape
    new = np.zeros(runs, np.int64)
    everyone = np.ones((1, 1), np.bool_)
    for r in range(runs if designate else 0):
        # the pool: level-4 firms not yet named, in firm order (ties go to the lower firm)
        pool = np.empty(int(count[r, :, LEVELS - 1].sum()), np.int64)
        k = 0
        for f in range(nf):
            if level[r, f] == LEVELS - 1 and not designated[r, f]:
                pool[k] = f
                k += 1
        score = np.empty((1, k))
        for j in range(k):
            score[0, j] = merit[r, pool[j]]
        named_now = np.zeros((1, k), np.bool_)
        _award(score, named_now, demo_places[r:r + 1], everyone, new[r:r + 1])
        for j in range(k):
            if named_now[0, j]:
                designated[r, pool[j]] = True
        designated_count[r] += new[r]
    for r in range(runs):
        service_H[r] += coef[r, SERVITISATION] * (1 + coef[r, PLATFORM_GAIN] * connected[r] / n)
        for f in range(nf):
            if service_T[r, f] <= service_H[r]:
                service_T[r, f] = np.inf                    # servitised: never counted again
                candidates[r, n_candidates[r]] = f
                n_candidates[r] += 1
    if not award_service:
        return
    k = n_candidates.max()
    score = np.full((runs, k), -np.inf)                     # empty candidate slots are never chosen
    for r in range(runs):
        for j in range(n_candidates[r]):
            score[r, j] = merit[r, candidates[r, j]]
    new[:] = 0
    _award(score, named[:, :k], service_places, everyone, new)
    named_count += new


@numba.njit(cache=True, error_model="numpy")
def _quarter(budget, platform, dt, upgrade, year_end, designate, award_service,
             G, idx, threshold, level, upgrades, clock, w, count, weight, cost, rate, coef, per_pref,
             connected, platform_level, connect_cost, share, claims, paid, spend,
             service_level, service_H, service_T, service_clock,
             merit, designated, demo_places, candidates, n_candidates, named, service_places,
             named_count, designated_count):
    """One quarter of the module: ``_hazards``, then (if ``upgrade``) ``_upgrade`` and the
    subsidy paid (``spend``: claims up to the budget), then (if ``year_end``) ``_year_end``."""
    runs = level.shape[0]
    n = level.shape[1]
    _hazards(budget, platform, dt, G, count, weight, cost, rate, coef, per_pref, connected,
             platform_level, connect_cost, n, share, paid)
    if not upgrade:
        return
    claims[:] = 0.0
    _upgrade(G.reshape(-1), idx, threshold, level, upgrades, clock, w, count.reshape(-1), weight.reshape(-1),
             share, cost, claims, service_level, service_H, service_T, service_clock)
    for r in range(runs):
        spend[r] = min(claims[r], budget)        # claims beyond the budget go unpaid
    if year_end:
        _year_end(designate, award_service, level, count, merit, designated, demo_places, coef, connected, n,
                  service_H, service_T, candidates, n_candidates, named, service_places,
                  named_count, designated_count)


class Manufacturing:
    """Maturity upgrades and demonstration designations for a batch of runs."""

    lever = "advanced_manufacturing"
    platform_lever = "platform_sharing"
    levers = (lever, platform_lever)     # the action areas whose money this module spends
    name = "manufacturing"
    outputs = {"smart_factories": False, "smart_level_firms": False, "digital_workshop_firm_share": False,
               "service_manufacturers": False, "servitised_firms": False, "platform_connected_firms": False}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        R = m.runs
        f = firm_structure(int(scalar(P, "firms_total")), scalar(P, "firm_size_sigma"))
        self.n = n = len(f["pref"])
        self.pref = f["pref"]
        self.per_pref = f["per_pref"]
        self.w, log_size = _firm_weights(n, scalar(P, "firm_size_sigma"), scalar(P, "firm_size_elasticity"))
        self.rate = np.stack([P[f"upgrade_rate_L{i}"] for i in range(LEVELS - 1)]
                             + [np.zeros(R)], axis=1)                      # (R, 5)
        demo_start = scalar(P, "demo_start")
        self.cost = np.array([scalar(P, f"upgrade_cost_L{i}") for i in range(LEVELS - 1)] + [0.0])

        rng = m.streams("manufacturing")
        shares = np.array([scalar(P, f"maturity_share_L{i}") for i in range(LEVELS)])
        bounds = np.round(np.cumsum(shares) / shares.sum() * n).astype(int)
        base_levels = np.repeat(np.arange(LEVELS), np.diff(bounds, prepend=0))     # the first firms at level 0, ...
        self.level = np.broadcast_to(base_levels, (R, n)).copy()                  # (R, n)
        for row, g in zip(self.level, rng):
            g.shuffle(row)
        self.clock = per_run(rng, "standard_exponential", (n, LEVELS - 1), np.float32)
        noise = per_run(rng, "standard_normal", (n,), np.float32)
        self.merit = log_size[None, :] + P["demo_merit_noise"][:, None] * noise
        self.designated = np.zeros((R, n), dtype=bool)
        self.upgrades = np.zeros((R, n), dtype=np.int8)

        self.G = np.zeros((R, N_PREF, LEVELS))                  # cumulative group hazard
        self.run_off = (np.arange(R) * N_PREF * LEVELS)[:, None]
        # narrow integer types: the upgrade kernel streams these arrays every quarter
        self.idx = (self.run_off + self.pref[None, :] * LEVELS + self.level).astype(np.int32)
        self.level = self.level.astype(np.int8)
        self.threshold = self.clock[:, :, 0] / self.w[None, :]
        self.threshold[self.level == LEVELS - 1] = np.inf
        self.count = np.zeros((R, N_PREF, LEVELS))                # firms per group
        self.weight = np.zeros((R, N_PREF, LEVELS))               # their summed size weights
        _census(self.level, self.pref, self.w, self.count, self.weight)

        # platforms and servitisation (drawn after the upgrade clocks: earlier draws unchanged)
        self.platform_level = int(scalar(P, "platform_min_level"))
        self.connect_cost = scalar(P, "platform_connect_cost")
        self.connected = np.zeros(R)                    # firms connected to a platform (expected count)
        self.service_level = int(scalar(P, "service_min_level"))
        # the years whose fourth quarter names smart factories and backbone firms
        self.designating = (m.years >= demo_start).tolist()
        self.awarding = (m.years >= scalar(P, "service_demo_start")).tolist()
        self.service_clock = per_run(rng, "standard_exponential", (n,), np.float32)
        # servitisation: a firm at service level adds services once the run's cumulative hazard
        # ``service_H`` passes its threshold ``service_T`` (its entry value plus its clock)
        self.service_H = np.zeros(R)
        self.service_T = np.where(self.level >= self.service_level, self.service_clock, np.inf).astype(np.float32)
        # servitised firms per run, in the order they added services: firm ids (-1 = empty slot)
        self.candidates = np.full((R, n), -1, np.int32)
        self.n_candidates = np.zeros(R, np.int64)
        self.named = np.zeros((R, n), dtype=bool)          # per candidate slot
        for fixed in (self.clock, self.merit, self.service_clock):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints
        # per-run constants of the quarterly kernel (columns IMITATION, PLATFORM_GAIN, ...)
        self.coef = np.stack([P["upgrade_imitation"], P["coupling_platforms_manufacturing"] * P["platform_uplift"],
                              P["subsidy_cap_share"], P["investment_cost_elasticity"], P["servitisation_rate"]], 1)
        self.demo_places = np.floor(P["demo_capacity"]).astype(np.int64)
        self.service_places = np.floor(P["service_demo_capacity"]).astype(np.int64)
        self.designated_count = np.zeros(R, np.int64)      # smart factories named, per run
        self.named_count = np.zeros(R, np.int64)           # backbone firms named, per run
        # the quarter's subsidy share, claims, platform money paid and subsidy paid, per run
        self.share, self.claims, self.paid, self.spend = np.zeros((4, R))

    def step(self, s: int, y: int, quarter: int) -> None:
        m = self.m
        budget, platform = m.budget(self.lever, s), m.budget(self.platform_lever, s)
        year_end = quarter == 3
        designate, award_service = year_end and self.designating[y], year_end and self.awarding[y]
        lone = m.runs == 1            # a batch runs the upgrade in its own (threaded) call
        _quarter(budget, platform, m.dt, lone, year_end, designate, award_service,
                 self.G, self.idx, self.threshold, self.level, self.upgrades, self.clock, self.w, self.count,
                 self.weight, self.cost, self.rate, self.coef, self.per_pref, self.connected,
                 self.platform_level, self.connect_cost, self.share, self.claims, self.paid, self.spend,
                 self.service_level, self.service_H, self.service_T, self.service_clock,
                 self.merit, self.designated, self.demo_places, self.candidates, self.n_candidates, self.named,
                 self.service_places, self.named_count, self.designated_count)
        if not lone:
            self.claims[:] = 0.0
            kernel = _upgrade_threads if _upgrade_threads is not None else _upgrade
            kernel(self.G.reshape(-1), self.idx, self.threshold, self.level, self.upgrades, self.clock,
                   self.w, self.count.reshape(-1), self.weight.reshape(-1), self.share, self.cost, self.claims,
                   self.service_level, self.service_H, self.service_T, self.service_clock)
            np.minimum(self.claims, budget, out=self.spend)      # claims beyond the budget go unpaid
            if year_end:
                _year_end(designate, award_service, self.level, self.count, self.merit, self.designated,
                          self.demo_places, self.coef, self.connected, self.n, self.service_H, self.service_T,
                          self.candidates, self.n_candidates, self.named, self.service_places, self.named_count,
                          self.designated_count)
        if platform > 0:
            m.record_spend(self.platform_lever, self.paid)
        if budget > 0:
            m.record_spend(self.lever, self.spend)

    def record(self, y: int, out: dict) -> None:
        out["smart_factories"][:, y] = self.designated_count
        out["smart_level_firms"][:, y] = self.count[:, :, LEVELS - 1].sum(1)
        out["digital_workshop_firm_share"][:, y] = 100 * self.count[:, :, 3:].sum((1, 2)) / self.n
        out["service_manufacturers"][:, y] = self.named_count
        out["servitised_firms"][:, y] = self.n_candidates
        out["platform_connected_firms"][:, y] = self.connected
