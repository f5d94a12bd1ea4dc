"""A plain Mesa reference of the manufacturing rules, for checking the engine.

The engine (:mod:`model.manufacturing`) holds all firms of a batch of runs in
arrays and draws one exponential clock per upgrade.  This module states the
same rules the obvious way instead: one :class:`Firm` agent per firm with its
own level, stepped one by one each quarter, upgrading with probability
``1 - exp(-h dt)`` drawn from the model's random generator.  It is slow and
meant only for tests and benchmarks: the two must agree in distribution.

Rules per quarter (2011 onward; 2010 is the initial state):

* a firm at level ``L < 4`` has hazard
  ``h = (upgrade_rate_L + upgrade_imitation * share above) * size**e * boost``,
  the share above being that of its prefecture's firms at a level above
  ``L`` at the start of the quarter;
* ``boost = (1 - s) ** -investment_cost_elasticity`` with subsidy share
  ``s = min(subsidy_cap_share, budget / expected cost of the quarter's
  upgrades)`` (0 without money); subsidies paid are capped by the budget;
* in the fourth quarter from ``demo_start``, up to ``floor(demo_capacity)``
  level-4 firms not yet designated are designated, highest merit first;
* platforms: before the hazards, the quarter's platform_sharing money
  connects ``money / platform_connect_cost`` firms (at most the firms at
  level ``platform_min_level`` or above not yet connected, counted at the
  start of the quarter), and ``upgrade_imitation`` is multiplied by
  ``1 + coupling_platforms_manufacturing * platform_uplift * connected / firms``.
"""
from __future__ import annotations

import math

import mesa
import numpy as np

from . import parameters
from .manufacturing import LEVELS
from .population import firm_structure
from .scenario import Scenario

START_YEAR = 2010
STEPS_PER_YEAR = 4
DT = 1 / STEPS_PER_YEAR
TOP = LEVELS - 1
LEVER = "advanced_manufacturing"
PLATFORM_LEVER = "platform_sharing"


class Firm(mesa.Agent):
    """A manufacturing firm: prefecture, size, maturity level, designation."""

    def __init__(self, model: "Reference", pref: int, size: float, level: int, noise: float):
        super().__init__(model)
        self.pref = pref
        self.level = level
        self.weight = size ** model.p["firm_size_elasticity"]
        self.merit = math.log(size) + model.p["demo_merit_noise"] * noise
        self.designated = False

    def base_hazard(self) -> float:
        """Upgrade hazard before the subsidy boost (per year; 0 at the top level)."""
        if self.level >= TOP:
            return 0.0
        m = self.model
        return (m.rate[self.level] + m.imitation * m.share_above[self.pref][self.level]) * self.weight

    def step(self) -> None:
        if self.level >= TOP:
            return
        m = self.model
        p = 1.0 - math.exp(-self.base_hazard() * m.boost * DT)
        if m.random.random() < p:
            m.claims += m.subsidy * m.cost[self.level]
            self.level += 1


class Reference(mesa.Model):
    """One run of the manufacturing rules for a scenario and scalar parameters."""

    def __init__(self, scenario: Scenario, p: dict[str, float], seed: int, end_year: int = 2020):
        super().__init__(rng=seed)
        self.p = p
        self.years = list(range(START_YEAR, end_year + 1))
        # 亿元 per year -> 万元 per quarter, indexed by year
        money = scenario.spending(np.array(self.years), [LEVER, PLATFORM_LEVER])
        self.budget_q = {y: float(v) * 1e4 / STEPS_PER_YEAR for y, v in zip(self.years, money[:, 0])}
        self.platform_q = {y: float(v) * 1e4 / STEPS_PER_YEAR for y, v in zip(self.years, money[:, 1])}
        self.connected = 0.0
        self.rate = [p[f"upgrade_rate_L{i}"] for i in range(TOP)]
        self.cost = [p[f"upgrade_cost_L{i}"] for i in range(TOP)]
        self.imitation = p["upgrade_imitation"]

        f = firm_structure(int(p["firms_total"]), float(p["firm_size_sigma"]))
        n = len(f["pref"])
        self.n_pref = len(f["per_pref"])
        self.per_pref = [int(c) for c in f["per_pref"]]
        # initial levels: the table's shares of n, dealt out by a random permutation
        total = sum(p[f"maturity_share_L{i}"] for i in range(LEVELS))
        levels, cum = [], 0.0
        for i in range(LEVELS):
            cum += p[f"maturity_share_L{i}"]
            levels += [i] * (round(cum / total * n) - len(levels))
        self.random.shuffle(levels)
        for pref, size, level in zip(f["pref"].tolist(), f["size"].tolist(), levels):
            Firm(self, pref, size, level, self.random.gauss(0.0, 1.0))

        self.share_above = [[0.0] * LEVELS for _ in range(self.n_pref)]
        self.boost = self.subsidy = self.claims = 0.0
        self.quarter = 0
        self.spent: dict[int, float] = {y: 0.0 for y in self.years}
        self.out = {k: [] for k in ("smart_factories", "smart_level_firms", "digital_workshop_firm_share")}
        self.record()

    @property
    def year(self) -> int:
        return START_YEAR + 1 + self.quarter // STEPS_PER_YEAR

    def census(self) -> None:
        """Share of each prefecture's firms above each level (start of the quarter)."""
        count = [[0] * LEVELS for _ in range(self.n_pref)]
        for firm in self.agents:
            count[firm.pref][firm.level] += 1
        for k in range(self.n_pref):
            above = 0
            for level in range(TOP, -1, -1):
                self.share_above[k][level] = above / self.per_pref[k]
                above += count[k][level]

    def step(self) -> None:
        year, budget = self.year, self.budget_q[self.year]
        self.connect(self.platform_q[year])
        self.census()
        self.subsidy = 0.0
        if budget > 0:
            expected = sum(a.base_hazard() * self.cost[a.level] for a in self.agents if a.level < TOP) * DT
            self.subsidy = min(self.p["subsidy_cap_share"], budget / max(expected, 1e-9))
        self.boost = (1.0 - self.subsidy) ** -self.p["investment_cost_elasticity"]
        self.claims = 0.0
        self.agents.do("step")       # order is irrelevant: peer shares are fixed for the quarter
        self.spent[year] += min(self.claims, budget)
        if self.quarter % STEPS_PER_YEAR == STEPS_PER_YEAR - 1:
            if year >= self.p["demo_start"]:
                self.designate()
            self.record()
        self.quarter += 1

    def connect(self, money: float) -> None:
        """Connect digitised firms to platforms with the quarter's money; set the quarter's imitation."""
        p = self.p
        if money > 0:
            digitised = sum(1 for a in self.agents if a.level >= p["platform_min_level"])
            self.connected += min(money / p["platform_connect_cost"], max(digitised - self.connected, 0.0))
        reach = p["coupling_platforms_manufacturing"] * p["platform_uplift"] * self.connected / len(self.agents)
        self.imitation = p["upgrade_imitation"] * (1 + reach)

    def designate(self) -> None:
        """Name up to ``floor(demo_capacity)`` undesignated level-4 firms, best merit first."""
        eligible = [a for a in self.agents if a.level == TOP and not a.designated]
        eligible.sort(key=lambda a: a.merit, reverse=True)
        for firm in eligible[: math.floor(self.p["demo_capacity"])]:
            firm.designated = True

    def record(self) -> None:
        n = len(self.agents)
        self.out["smart_factories"].append(sum(a.designated for a in self.agents))
        self.out["smart_level_firms"].append(sum(a.level == TOP for a in self.agents))
        self.out["digital_workshop_firm_share"].append(100 * sum(a.level >= 3 for a in self.agents) / n)

    def run(self) -> dict[str, np.ndarray]:
        while self.year <= self.years[-1]:
            self.step()
        return {k: np.asarray(v, dtype=float) for k, v in self.out.items()}


def values(scenario: Scenario, params: dict[str, float] | None = None) -> dict[str, float]:
    """Scalar parameter values: the table's central values, then scenario pins, then ``params``."""
    p = {name: par.value for name, par in parameters.table().items()}
    for source in (scenario.uncertainties, parameters.check_overrides(params or {}, "params")):
        p.update({k: float(v) for k, v in source.items()})
    return p


def run_reference(scenario, params: dict[str, float], seed: int, end_year: int = 2020) -> dict[str, np.ndarray]:
    """One reference run; yearly ``smart_factories``, ``smart_level_firms`` and
    ``digital_workshop_firm_share`` for 2010..end_year (2010 = initial state).

    ``scenario`` is a Scenario or a preset id; parameters missing from
    ``params`` take the table's central value (or the scenario's pin).
    """
    from .engine import resolve
    scenario = resolve(scenario)
    return Reference(scenario, values(scenario, params), seed, end_year).run()
