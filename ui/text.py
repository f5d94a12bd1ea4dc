"""Bilingual strings, units and number formats, read from ``labels.toml``."""
from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from model import catalogue

LABELS_FILE = Path(__file__).with_name("labels.toml")
PAGE_LABELS = Path(__file__).with_name("labels")       # one file per page: labels/<page>.toml
LANGUAGES = {"zh": "中文", "en": "English"}
COMPARATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


@lru_cache(maxsize=None)
def labels() -> dict:
    """The label tables (``labels.toml`` plus each page's file); raises ValueError naming a key
    missing in one language or defined twice."""
    with LABELS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    for path in sorted(PAGE_LABELS.glob("*.toml")):
        with path.open("rb") as fh:
            page = tomllib.load(fh)
        for lang in LANGUAGES:
            twice = set(page.get(lang, {})) & set(data[lang])
            if twice:
                raise ValueError(f"{path}: keys already defined elsewhere: {sorted(twice)}")
            data[lang].update(page.get(lang, {}))
    for where, table in (("", data), ("units.", data.get("units", {}))):
        zh, en = set(table.get("zh", {})), set(table.get("en", {}))
        if not zh or zh != en:
            raise ValueError(f"{LABELS_FILE} (and {PAGE_LABELS}/*.toml): [{where}zh] and [{where}en] must "
                             f"list the same keys; differing: {sorted(zh ^ en)}")
    return data


class Text:
    """Strings, units and numbers in one language (``zh`` or ``en``)."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else "zh"
        self.zh = self.lang == "zh"
        self._strings = labels()[self.lang]
        self._units = labels()["units"][self.lang]

    def __call__(self, key: str, **values) -> str:
        """The string for ``key``, with ``{placeholders}`` filled in."""
        text = self._strings.get(key, key)
        return text.format(**values) if values else text

    def name(self, row: pd.Series) -> str:
        """A catalogue row's name in this language."""
        return row["name_zh"] if self.zh else row["name_en"]

    def unit(self, unit: str, indicator: str | None = None) -> str:
        """How a catalogue unit is written; an indicator's own English word (e.g. factories) wins."""
        if not self.zh and indicator in catalogue.indicators().index:
            own = catalogue.indicators().loc[indicator, "unit_en"]
            if own and not any(ch.isdigit() for ch in own):
                return own
        return self._units.get(unit, unit)

    @property
    def grouping(self) -> str:
        """Thousands separator of number formats: none in Chinese statistics, a comma in English."""
        return "" if self.zh else ","

    def number(self, value: float, decimals: int = 0) -> str:
        """A number: plain in Chinese (27764.3), grouped in English (27,764.3)."""
        if value is None or not math.isfinite(value):
            return self("not_applicable")
        return f"{value:{self.grouping}.{decimals}f}"

    def quantity(self, value: float, unit: str, decimals: int = 0, indicator: str | None = None) -> str:
        """A number with its unit, as statistics in this language write it."""
        num = self.number(value, decimals)
        if not math.isfinite(value if value is not None else math.nan):
            return num
        if unit == "%":
            return f"{num}%"
        if unit == "rank":
            return self("rank", value=num)
        shown = self.unit(unit, indicator)
        if not shown:
            return num
        if self.zh:
            return f"{num}{shown}"
        return f"{num} ({shown})" if shown[0].isdigit() else f"{num} {shown}"

    def goal(self, comparator: str, value: float, unit: str, indicator: str | None = None) -> str:
        """A target such as ``≥ 20000亿元``."""
        decimals = 0 if float(value).is_integer() else 1
        return f"{COMPARATOR_SIGNS.get(comparator, comparator)} {self.quantity(value, unit, decimals, indicator)}"

    def probability(self, p: float) -> str:
        """A probability as a whole percentage."""
        if p is None or not math.isfinite(p):
            return self("not_applicable")
        return f"{100 * p:.0f}%"

    def calibration(self, key: str) -> str:
        """The calibration label (``CALIBRATION_LABELS``) in this language."""
        pair = catalogue.CALIBRATION_LABELS.get(key)
        return key if pair is None else pair[0 if self.zh else 1]

    def area(self, area_id: str) -> str:
        """An action area's name in this language."""
        areas = catalogue.areas()
        return self.name(areas.loc[area_id]) if area_id in areas.index else area_id
