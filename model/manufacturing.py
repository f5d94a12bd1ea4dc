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
    as for demonstration factories; ``designations.award``).
"""
from __future__ import annotations

import importlib

import numba
import numpy as np

from .designations import award
from .parameters import scalar
from .population import N_PREF, firm_structure
from .streams import per_run

LEVELS = 5


@numba.njit(cache=True)
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
    for pool in ("tbbpool", "omppool"):
        try:
            importlib.import_module(f"numba.np.ufunc.{pool}")
        except ImportError:
            continue
        numba.config.THREADING_LAYER = "threadsafe"
        return True
    return False


# runs touch disjoint state, so the parallel build gives the same numbers (benchmarks/identity.py)
_upgrade_threads = numba.njit(cache=True, parallel=True)(_upgrade.py_func) if _threadsafe_layer() else None


@numba.njit(cache=True)
def _servitised(service_T, service_H, candidates, n_candidates):
    """Append firms whose servitisation threshold was passed to their run's candidates (in place)."""
    runs, n = service_T.shape
    for r in range(runs):
        for f in range(n):
            if service_T[r, f] <= service_H[r]:
                service_T[r, f] = np.inf                    # servitised: never counted again
                candidates[r, n_candidates[r]] = f
                n_candidates[r] += 1


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
        self.w = f["size"] ** scalar(P, "firm_size_elasticity")
        self.rate = np.stack([P[f"upgrade_rate_L{i}"] for i in range(LEVELS - 1)]
                             + [np.zeros(R)], axis=1)                      # (R, 5)
        self.demo_start = scalar(P, "demo_start")
        self.cost = np.array([scalar(P, f"upgrade_cost_L{i}") for i in range(LEVELS - 1)] + [0.0])

        rng = m.streams("manufacturing")
        shares = np.array([scalar(P, f"maturity_share_L{i}") for i in range(LEVELS)])
        bounds = np.round(np.cumsum(shares) / shares.sum() * n).astype(int)
        base_levels = np.searchsorted(bounds, np.arange(n), side="right").astype(np.int64)
        self.level = np.broadcast_to(base_levels, (R, n)).copy()                  # (R, n)
        for row, g in zip(self.level, rng):
            g.shuffle(row)
        self.clock = per_run(rng, "standard_exponential", (n, LEVELS - 1), np.float32)
        noise = per_run(rng, "standard_normal", (n,), np.float32)
        self.merit = np.log(f["size"])[None, :] + P["demo_merit_noise"][:, None] * noise
        self.designated = np.zeros((R, n), dtype=bool)
        self.upgrades = np.zeros((R, n), dtype=np.int8)

        self.G = np.zeros((R, N_PREF, LEVELS))                  # cumulative group hazard
        self.run_off = (np.arange(R) * N_PREF * LEVELS)[:, None]
        # narrow integer types: the upgrade kernel streams these arrays every quarter
        self.idx = (self.run_off + self.pref[None, :] * LEVELS + self.level).astype(np.int32)
        self.level = self.level.astype(np.int8)
        self.threshold = self.clock[:, :, 0] / self.w[None, :]
        self.threshold[self.level == LEVELS - 1] = np.inf
        self._recount()

        # platforms and servitisation (drawn after the upgrade clocks: earlier draws unchanged)
        self.platform_level = int(scalar(P, "platform_min_level"))
        self.connect_cost = scalar(P, "platform_connect_cost")
        self.connected = np.zeros(R)                    # firms connected to a platform (expected count)
        self.service_level = int(scalar(P, "service_min_level"))
        self.service_start = scalar(P, "service_demo_start")
        self.service_clock = per_run(rng, "standard_exponential", (n,), np.float32)
        # servitisation: a firm at service level adds services once the run's cumulative hazard
        # ``service_H`` passes its threshold ``service_T`` (its entry value plus its clock)
        self.service_H = np.zeros(R)
        self.service_T = np.where(self.level >= self.service_level, self.service_clock, np.inf).astype(np.float32)
        # servitised firms per run, in the order they added services: firm ids (-1 = empty slot)
        self.candidates = np.full((R, n), -1, np.int32)
        self.n_candidates = np.zeros(R, np.int64)
        self.named = np.zeros((R, n), dtype=bool)          # per candidate slot
        self._reach = self.platform_reach()                # changes only when platform money connects firms
        for fixed in (self.w, self.clock, self.merit, self.service_clock):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints
        self.no_above = np.zeros((R, N_PREF, 1))

    def platform_reach(self) -> np.ndarray:
        """Multiplier on peer and servitisation hazards from platform-connected firms, per run."""
        P = self.m.params
        return 1 + P["coupling_platforms_manufacturing"] * P["platform_uplift"] * self.connected / self.n

    def _connect(self, s: int) -> None:
        """Spend the quarter's platform money connecting digitised firms not yet connected."""
        budget = self.m.budget(self.platform_lever, s)
        if budget <= 0:
            return
        digitised = self.count[:, :, self.platform_level:].sum((1, 2))
        new = np.minimum(budget / self.connect_cost, np.maximum(digitised - self.connected, 0))
        self.connected += new
        self._reach = self.platform_reach()
        self.m.record_spend(self.platform_lever, new * self.connect_cost)

    def _recount(self) -> None:
        R = self.m.runs
        size = R * N_PREF * LEVELS
        self.count = np.bincount(self.idx.ravel(), minlength=size).reshape(R, N_PREF, LEVELS).astype(float)
        self.weight = np.bincount(self.idx.ravel(), np.broadcast_to(self.w, self.idx.shape).ravel(),
                                  minlength=size).reshape(R, N_PREF, LEVELS)

    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        dt = m.dt
        self._connect(s)
        reach = self._reach
        above = self.count[:, :, ::-1].cumsum(2)[:, :, ::-1]
        above = np.concatenate([above[:, :, 1:], self.no_above], 2)
        share_above = above / self.per_pref[None, :, None]
        g = self.rate[:, None, :] + (P["upgrade_imitation"] * reach)[:, None, None] * share_above
        g[:, :, LEVELS - 1] = 0.0
        # subsidy share the quarter's budget can pay, capped
        budget = m.budget(self.lever, s)
        if budget > 0:
            expected = (g * self.weight * self.cost[None, None, :]).sum((1, 2)) * dt
            share = np.minimum(P["subsidy_cap_share"], budget / np.maximum(expected, 1e-9))
            boost = (1 - share) ** -P["investment_cost_elasticity"]
            self.G += g * (boost * dt)[:, None, None]
        else:                       # no subsidy: boost is exactly 1
            share = np.zeros(m.runs)
            self.G += g * dt

        claims = np.zeros(m.runs)
        kernel = _upgrade_threads if _upgrade_threads is not None and m.runs > 1 else _upgrade
        kernel(self.G.reshape(-1), self.idx, self.threshold, self.level, self.upgrades, self.clock,
               self.w, self.count.reshape(-1), self.weight.reshape(-1), share, self.cost, claims,
               self.service_level, self.service_H, self.service_T, self.service_clock)
        m.record_spend(self.lever, np.minimum(claims, budget))   # claims beyond the budget go unpaid
        if quarter == 3 and m.years[y] >= self.demo_start:
            self._designate(P["demo_capacity"])
        if quarter == 3:
            self._servitise(reach, m.years[y])

    def _designate(self, capacity: np.ndarray) -> None:
        """Name up to ``capacity`` eligible firms per run, best expert score first."""
        award(self.merit, self.designated, np.floor(capacity).astype(np.int64),
              eligible=self.level == LEVELS - 1)

    def _servitise(self, reach: np.ndarray, year: int) -> None:
        """Year end: a year of servitisation hazard; then the province names backbone firms."""
        P = self.m.params
        self.service_H += P["servitisation_rate"] * reach
        _servitised(self.service_T, self.service_H, self.candidates, self.n_candidates)
        if year < self.service_start:
            return
        k = int(self.n_candidates.max())
        ids = self.candidates[:, :k]
        merit = self.merit[self.m.rows, ids]            # the same expert score as for smart factories
        award(np.where(ids >= 0, merit, -np.inf), self.named[:, :k],       # a view: updated in place
              np.floor(P["service_demo_capacity"]).astype(np.int64))

    def record(self, y: int, out: dict) -> None:
        out["smart_factories"][:, y] = self.designated.sum(1)
        out["smart_level_firms"][:, y] = self.count[:, :, LEVELS - 1].sum(1)
        out["digital_workshop_firm_share"][:, y] = 100 * self.count[:, :, 3:].sum((1, 2)) / self.n
        out["service_manufacturers"][:, y] = self.named.sum(1)
        out["servitised_firms"][:, y] = self.n_candidates
        out["platform_connected_firms"][:, y] = self.connected
