"""Scenarios: provincial spending per action area and year, as validated TOML files.

A scenario file names itself, gives extra provincial spending (亿元 per year,
current prices, on top of the pre-2016 trend) for any of the 16 action areas
for every year 2016-2020, and may pin uncertain parameters::

    id = "plan"
    name_zh = "规划情景"
    name_en = "Plan"

    [levers.infrastructure]
    2016 = 2.0
    ...

    [uncertainties]
    bass_q_households = 0.4

Areas not listed spend nothing extra.  Any problem raises
:class:`ScenarioError` naming the file, the key and the problem.
"""
from __future__ import annotations

import hashlib
import json
import math
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import catalogue, parameters

LEVER_YEARS = tuple(range(2016, 2021))


class ScenarioError(ValueError):
    """A scenario is malformed; the message names the file, key and problem."""


def _money(area: str, year: str, value) -> float:
    key = f"levers.{area}.{year}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key}: must be a number of 亿元 (got {value!r})")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{key}: must be a finite amount >= 0 (got {value!r})")
    bounds = catalogue.areas().loc[area]
    if value > float(bounds["max"]):
        raise ValueError(f"{key}: {value} exceeds the lever's upper bound {bounds['max']} 亿元")
    return float(value)


class Scenario(BaseModel):
    """A named set of lever values and optional parameter pins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description_zh: str = ""
    description_en: str = ""
    levers: dict[str, dict[str, float]] = Field(default_factory=dict)
    uncertainties: dict[str, float] = Field(default_factory=dict)

    @field_validator("levers", mode="before")
    @classmethod
    def _check_levers(cls, levers):
        if not isinstance(levers, dict):
            raise ValueError(f"levers: must be a table of areas (got {levers!r})")
        valid = catalogue.areas().index
        clean = {}
        for area, years in levers.items():
            if area not in valid:
                raise ValueError(f"levers.{area}: unknown lever; valid levers are {', '.join(valid)}")
            if not isinstance(years, dict):
                raise ValueError(f"levers.{area}: must be a table of years 2016-2020 (got {years!r})")
            keys = {str(y) for y in years}
            missing = [str(y) for y in LEVER_YEARS if str(y) not in keys]
            extra = sorted(keys - {str(y) for y in LEVER_YEARS})
            if missing:
                raise ValueError(f"levers.{area}: missing year(s) {', '.join(missing)}")
            if extra:
                raise ValueError(f"levers.{area}: year(s) {', '.join(extra)} outside 2016-2020")
            clean[area] = {str(y): _money(area, str(y), v) for y, v in years.items()}
        return clean

    @field_validator("uncertainties", mode="before")
    @classmethod
    def _check_pins(cls, pins):
        if not isinstance(pins, dict):
            raise ValueError(f"uncertainties: must be a table (got {pins!r})")
        table = parameters.table()
        for name, value in pins.items():
            key = f"uncertainties.{name}"
            if name not in table:
                raise ValueError(f"{key}: unknown parameter")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{key}: must be a finite number (got {value!r})")
            p = table[name]
            if p.dist != "fixed" and not p.low <= value <= p.high:
                raise ValueError(f"{key}: {value} outside the stated range [{p.low}, {p.high}]")
        return {k: float(v) for k, v in pins.items()}

    def spending(self, years: np.ndarray, areas: list[str]) -> np.ndarray:
        """Extra provincial spending, 亿元, shape (year, area); zero outside 2016-2020."""
        out = np.zeros((len(years), len(areas)))
        for j, area in enumerate(areas):
            for i, year in enumerate(years):
                out[i, j] = self.levers.get(area, {}).get(str(int(year)), 0.0)
        return out

    def total(self) -> float:
        """Total extra spending over 2016-2020, 亿元."""
        return float(sum(sum(v.values()) for v in self.levers.values()))

    def digest(self) -> str:
        """A short hash of what the scenario changes (levers and pins)."""
        body = json.dumps({"levers": self.levers, "uncertainties": self.uncertainties},
                          sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The scenario as TOML text that :func:`load` reads back."""
        def s(text: str) -> str:
            return json.dumps(text, ensure_ascii=False)
        lines = [f"id = {s(self.id)}", f"name_zh = {s(self.name_zh)}", f"name_en = {s(self.name_en)}"]
        if self.description_zh:
            lines.append(f"description_zh = {s(self.description_zh)}")
        if self.description_en:
            lines.append(f"description_en = {s(self.description_en)}")
        for area, years in self.levers.items():
            lines += ["", f"[levers.{area}]  # 亿元 per year"]
            lines += [f"{y} = {v!r}" for y, v in sorted(years.items())]
        if self.uncertainties:
            lines += ["", "[uncertainties]"]
            lines += [f"{k} = {v!r}" for k, v in self.uncertainties.items()]
        return "\n".join(lines) + "\n"


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        out.append(msg if msg.startswith(loc) and loc else f"{loc}: {msg}" if loc else msg)
    return out


def parse(data: dict, where: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (e.g. parsed TOML or a form)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("\n".join(f"{where}: {m}" for m in _messages(exc))) from None


def spending(levers: dict, *, sid: str = "custom", name_zh: str = "自定义方案", name_en: str = "Custom",
             pins: dict[str, float] | None = None, where: str = "<scenario>", **text) -> Scenario:
    """A scenario spending, per area, one 亿元 value every year 2016-2020 or one value per year."""
    table = {area: {str(y): float(v[i] if isinstance(v, (list, tuple)) else v) for i, y in enumerate(LEVER_YEARS)}
             for area, v in levers.items()}
    return parse({"id": sid, "name_zh": name_zh, "name_en": name_en, "levers": table,
                  "uncertainties": dict(pins or {}), **text}, where=where)


def loads(text: str, where: str = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not valid TOML ({exc})") from None
    return parse(data, where)


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc})") from None
    return loads(text, str(path))


SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def presets() -> dict[str, Scenario]:
    """The scenario files shipped in ``scenarios/``, by id (re-read when a file changes)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(SCENARIO_DIR.glob("*.toml")))
    return dict(_presets(stamp))


@lru_cache(maxsize=4)
def _presets(stamp: tuple) -> tuple:
    found = {}
    for name, _ in stamp:
        sc = load(SCENARIO_DIR / name)
        if sc.id in found:
            raise ScenarioError(f"{SCENARIO_DIR / name}: id {sc.id!r} is used by two preset files")
        found[sc.id] = sc
    return tuple(found.items())
