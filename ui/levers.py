"""Funding levers and assumptions: slider bounds, the plan's values and the scenario they make.

Everything comes from the catalogue (``levers.csv`` joined with ``actions.csv``) and the
parameter tables, so a lever or parameter added there appears in the app without code.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from model import catalogue, parameters
from model.scenario import LEVER_YEARS, Scenario, presets, spending

PIN_PREFIX = "pin_"          # a pinned assumption: its widget key and its shared-link parameter, pin_<parameter>


@dataclass(frozen=True)
class Lever:
    """One funding slider: an action area with bounds in 亿元 per year."""

    area: str
    kind: str            # "action" or "project" (actions.csv)
    wired: bool          # False: "lever only, no indicator" (levers.csv module is empty)
    low: float
    high: float
    step: float
    plan: float          # the plan preset's average annual value (an assumption)
    note_zh: str         # where the bounds come from and what the money buys
    note_en: str

    @property
    def key(self) -> str:
        return f"lever_{self.area}"

    @property
    def decimals(self) -> int:
        text = f"{self.step:g}"
        return len(text.split(".")[1]) if "." in text else 0

    def clamp(self, value: float) -> float:
        """The value snapped to the slider's step and kept within its bounds."""
        snapped = round(round((float(value) - self.low) / self.step) * self.step + self.low, self.decimals)
        return min(max(snapped, self.low), self.high)


def _average(sc: Scenario, area: str) -> float:
    years = sc.levers.get(area, {})
    return sum(years.values()) / len(LEVER_YEARS) if years else 0.0


@lru_cache(maxsize=None)
def levers() -> tuple[Lever, ...]:
    """One slider per action area (all 16), actions first, then projects, in catalogue order."""
    areas = catalogue.areas()
    plan = presets()["plan"]
    out = []
    for area, row in areas.iterrows():
        lever = Lever(area, str(row["kind"]), bool(row["module"]), float(row["min"]), float(row["max"]),
                      float(row["step"]), 0.0, str(row["note_zh"]), str(row["note_en"]))
        out.append(replace(lever, plan=lever.clamp(_average(plan, area))))
    return tuple(sorted(out, key=lambda lv: lv.kind != "action"))


def by_key() -> dict[str, Lever]:
    return {lv.key: lv for lv in levers()}


def defaults() -> dict[str, float]:
    """Slider defaults: the plan preset's average annual values."""
    return {lv.area: lv.plan for lv in levers()}


def from_scenario(sc: Scenario) -> dict[str, float]:
    """Slider values for a scenario: each area's average over 2016-2020, snapped to the slider."""
    return {lv.area: lv.clamp(_average(sc, lv.area)) for lv in levers()}


def total(values: dict[str, float]) -> float:
    """Extra provincial money over 2016-2020, 亿元, for constant annual values."""
    return sum(values.values()) * len(LEVER_YEARS)


def plan_total() -> float:
    """The plan preset's total over 2016-2020, 亿元 (all areas)."""
    return presets()["plan"].total()


def scenario(values: dict[str, float], pins: dict[str, float] | None = None, *, sid: str = "app",
             name_zh: str = "当前方案", name_en: str = "Current settings") -> Scenario:
    """The scenario that spends each value (亿元) in every year 2016-2020, with pinned parameters.

    Raises ``model.scenario.ScenarioError`` when a value is out of bounds.
    """
    return spending({area: v for area, v in values.items() if v}, sid=sid, name_zh=name_zh, name_en=name_en,
                    pins=pins, where="sliders", description_zh="由应用中的滑块设定（每年相同）。",
                    description_en="Set with the app's sliders (the same every year).")


@dataclass(frozen=True)
class Assumption:
    """An uncertain parameter a user may pin (drawn per run unless pinned)."""

    name: str
    module: str
    value: float
    low: float
    high: float
    unit: str
    status: str
    source: str

    @property
    def key(self) -> str:
        return f"{PIN_PREFIX}{self.name}"

    @property
    def step(self) -> float:
        span = self.high - self.low
        return float(f"{span / 100:.2g}") if span > 0 else 1.0


def assumptions() -> list[Assumption]:
    """Uncertain parameters (dist not fixed) from the parameter tables, grouped by module."""
    table = parameters.table()
    return [Assumption(p.name, p.module, p.value, p.low, p.high, p.unit, p.status, p.source)
            for p in (table[n] for n in parameters.uncertain())]
