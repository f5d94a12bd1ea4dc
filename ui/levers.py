"""Funding levers: slider bounds, the plan's values and the scenario they make."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from model import catalogue
from model.scenario import LEVER_YEARS, Scenario, parse, presets


@dataclass(frozen=True)
class Lever:
    """One funding slider: an action area with bounds in 亿元 per year."""

    area: str
    low: float
    high: float
    step: float
    plan: float          # the plan preset's average annual value (an assumption)
    note_zh: str         # where the bounds come from and what the money buys
    note_en: str

    @property
    def decimals(self) -> int:
        text = f"{self.step:g}"
        return len(text.split(".")[1]) if "." in text else 0

    def clamp(self, value: float) -> float:
        """The value snapped to the slider's step and kept within its bounds."""
        snapped = round(round((float(value) - self.low) / self.step) * self.step + self.low, self.decimals)
        return min(max(snapped, self.low), self.high)


@lru_cache(maxsize=None)
def levers() -> tuple[Lever, ...]:
    """The sliders, one per action area whose lever drives a modelled mechanism."""
    areas = catalogue.areas()
    plan = presets()["plan"].levers
    out = []
    for area in catalogue.wired_areas():
        row = areas.loc[area]
        years = plan.get(area, {})
        average = sum(years.values()) / len(LEVER_YEARS) if years else 0.0
        lever = Lever(area, float(row["min"]), float(row["max"]), float(row["step"]), average,
                      str(row["note_zh"]), str(row["note_en"]))
        out.append(replace(lever, plan=lever.clamp(average)))
    return tuple(out)


def total(values: dict[str, float]) -> float:
    """Extra provincial money over 2016-2020, 亿元, for constant annual values."""
    return sum(values.values()) * len(LEVER_YEARS)


def plan_total() -> float:
    """The plan preset's total over 2016-2020, 亿元 (all areas)."""
    return presets()["plan"].total()


def scenario(values: dict[str, float]) -> Scenario:
    """The scenario that spends each value (亿元) in every year 2016-2020.

    Raises ``model.scenario.ScenarioError`` when a value is out of bounds.
    """
    levers_table = {area: {str(y): float(v) for y in LEVER_YEARS} for area, v in values.items() if v}
    return parse({"id": "app", "name_zh": "当前方案", "name_en": "Current settings",
                  "description_zh": "由应用中的滑块设定（每年相同）。",
                  "description_en": "Set with the app's sliders (the same every year).",
                  "levers": levers_table}, where="sliders")
