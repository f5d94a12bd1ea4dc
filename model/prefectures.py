"""The 17 prefecture-level units of Hubei, from the vendored structure data.

Every attribute is read from ``hubei_prefectures.csv`` where the data give it;
gaps are filled by the rules below and each filled value is marked in a
``*_rule`` column, so nothing enters the model silently:

- villages: the province total (25,295, April 2016) is the anchor; prefectures
  with a stated count keep it, the remaining villages are shared among the
  others in proportion to their township-level units (NBS 2015 codes).
- urbanisation 2015: stated rates (or urban population / population) where
  given; the other prefectures share one rate chosen so the
  population-weighted mean equals the province's 56.85 % (this flattens Wuhan,
  whose true rate is far above the mean: a known data gap).
- GDP per capita 2015: stated values where given; the others share one value
  chosen so the population-weighted total equals the province's first-release
  2015 GDP (the vintage the prefecture figures belong to).
- mountain share: stated where given (Shiyan 74 %); otherwise
  ``m_non + (m_pov - m_non) * poverty-county share`` with ``m_pov`` an
  assumption (parameter ``mountain_share_poverty_county``) and ``m_non``
  solved so the village-weighted mean equals the province's 56 %.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .observations import DATA_DIR, PROVINCE, prefecture_rows

VILLAGES_ANCHOR = ("villages_total", 2016)       # hubei_observations.csv, April 2016
URBANISATION_PROVINCE_2015 = 56.85                # hubei_prefectures.csv, 1% survey
GDP_PROVINCE_2015_FIRST_RELEASE = 29550.19        # hubei_prefectures.csv, 湖北省统计局 Jan 2016
MOUNTAIN_SHARE_PROVINCE = 56.0                    # hubei_prefectures.csv (C)


def _latest(rows: pd.DataFrame, indicator: str, unit: str | None = None) -> pd.Series:
    """Per region, the best row of one indicator: newest year, then most reliable."""
    sel = rows[rows.indicator == indicator]
    if unit:
        sel = sel[sel.unit == unit]
    sel = sel.sort_values(["region", "year", "reliability"], ascending=[True, False, True])
    return sel.groupby("region").value.first()


@lru_cache(maxsize=None)
def prefectures(mountain_share_poverty_county: float = 0.9) -> pd.DataFrame:
    """One row per prefecture-level unit, in the order of ``data/prefectures.csv``."""
    from .observations import best_value

    names = pd.read_csv(DATA_DIR / "prefectures.csv")
    rows = prefecture_rows()
    rows = rows[rows.year.isin([2015, -1]) | (rows.indicator == "villages_total")]
    frame = names.set_index("name_zh")

    frame["population"] = _latest(rows[rows.year == 2015], "population", "万人")
    frame["counties"] = _latest(rows[rows.year == 2015], "county_level_units")
    frame["townships"] = _latest(rows[rows.year == 2015], "township_level_units")
    frame["poverty_counties"] = (_latest(rows, "poverty_counties_national")
                                 + _latest(rows, "poverty_counties_provincial"))
    missing = frame[["population", "counties", "townships", "poverty_counties"]].isna()
    if missing.any().any():
        raise ValueError(f"prefecture data lack required values:\n{missing[missing.any(axis=1)]}")

    # villages
    total = best_value(*VILLAGES_ANCHOR)
    stated = _latest(rows, "villages_total").reindex(frame.index)
    rest = total - stated.sum()
    share = frame.townships.where(stated.isna(), 0.0)
    frame["villages"] = stated.fillna(rest * share / share.sum()).round().astype(int)
    frame["villages_rule"] = np.where(stated.isna(), "share of remainder by townships", "stated")
    frame.loc[frame.index[-1], "villages"] += int(total) - frame.villages.sum()

    # urbanisation
    urban = _latest(rows, "urbanization_rate").reindex(frame.index)
    from_pop = (_latest(rows, "urban_population") / frame.population * 100).reindex(frame.index)
    urban = urban.fillna(from_pop)
    known = urban.notna()
    residual = ((URBANISATION_PROVINCE_2015 * frame.population.sum()
                 - (urban[known] * frame.population[known]).sum())
                / frame.population[~known].sum())
    frame["urbanisation"] = urban.fillna(residual)
    frame["urbanisation_rule"] = np.where(known, "stated", "province residual")

    # GDP per capita
    gdppc = _latest(rows, "gdp_per_capita").reindex(frame.index)
    known = gdppc.notna()
    residual = ((GDP_PROVINCE_2015_FIRST_RELEASE * 1e4
                 - (gdppc[known] * frame.population[known]).sum())
                / frame.population[~known].sum())
    frame["gdp_per_capita"] = gdppc.fillna(residual)
    frame["gdp_per_capita_rule"] = np.where(known, "stated", "province residual")

    # mountain share
    stated = _latest(rows, "share_mountain_area").reindex(frame.index)
    pov = frame.poverty_counties / frame.counties
    known = stated.notna()
    w = frame.villages[~known]
    target = MOUNTAIN_SHARE_PROVINCE * frame.villages.sum() - (stated[known] * frame.villages[known]).sum()
    m_pov = 100 * mountain_share_poverty_county
    # target = sum w * (m_non + (m_pov - m_non) * pov) => solve for m_non
    m_non = (target - m_pov * (w * pov[~known]).sum()) / (w * (1 - pov[~known])).sum()
    frame["mountain_share"] = stated.fillna(m_non + (m_pov - m_non) * pov).clip(0, 100)
    frame["mountain_rule"] = np.where(known, "stated", "poverty-county rule")
    frame["poverty_share"] = pov
    return frame.reset_index()


def gap_report() -> pd.DataFrame:
    """Which prefecture attributes are stated and which were filled by a rule."""
    frame = prefectures()
    cols = [c for c in frame.columns if c.endswith("_rule")]
    return frame[["name_zh", "name_en", *cols]]


if __name__ == "__main__":  # pragma: no cover - inspection aid
    pd.set_option("display.width", 200)
    print(prefectures().drop(columns=["short_zh"]).round(2).to_string())
    print(PROVINCE)
