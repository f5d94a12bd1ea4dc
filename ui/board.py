"""The scoreboard as the app shows it: baseline and up to three scenarios side by side."""
from __future__ import annotations

import math
import re

import pandas as pd
from pandas.io.formats.style import Styler

from model import catalogue
from ui.text import Text

LIGHT_COLOURS = {"green": "#1a7f37", "amber": "#b7791f", "red": "#c0392b"}
MARKER = "●"
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def plain(value) -> str:
    """Text for an ``st.table`` cell (cells are Markdown): ``> 98%`` must not become a quote."""
    text = _MARKDOWN.sub(r"\\\1", str(value))
    return "\\" + text if text[:1] in "-+" and text else text


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    return table.map(plain)


def _light_cell(text: Text, p: float) -> str:
    return f"{MARKER} {text.probability(p)}"


def _singular(unit: str) -> str:
    """'factories' -> 'factory', 'firms' -> 'firm' (English count units after 'per')."""
    if unit.endswith("ies"):
        return unit[:-3] + "y"
    return unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit


def cost_text(text: Text, cost: float, unit: str, indicator: str) -> str:
    """亿元 per unit gained, e.g. '0.0023亿元/亿元'; '—' when there is no gain or no money."""
    if cost is None or not math.isfinite(cost):
        return text("not_applicable")
    number = f"{cost:{text.grouping}.3g}"
    shown = "" if unit == "%" else text.unit(unit, indicator)
    per = text("per_point") if unit == "%" else shown if text.zh else _singular(shown)
    return text("cost_value", cost=number, per=per)


def flags(text: Text, row: pd.Series) -> str:
    out = []
    if row.met_without_money:
        out.append(text("flag_met_without_money"))
    if row.out_of_reach:
        out.append(text("flag_out_of_reach"))
    return "；".join(out) if text.zh else "; ".join(out)


def by_area(targets: pd.DataFrame) -> pd.DataFrame:
    """Targets in action-area order (catalogue order), then by year, keeping the catalogue order within."""
    order = {area: i for i, area in enumerate(catalogue.areas().index)}
    keyed = targets.assign(_order=targets.area.map(order).fillna(len(order)))
    return keyed.sort_values(["_order", "year"], kind="stable").drop(columns="_order")


def modelled(targets: pd.DataFrame, values: pd.DataFrame, names: dict[str, str],
             text: Text) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display table of the modelled targets and, aligned with it, the light of each P cell.

    ``targets, values`` come from ``model.scoreboard.compare_many``; ``names`` maps the
    scenario keys other than ``baseline`` and ``current`` to display names.  Rows are grouped
    by action area (the area named on its group's first row only), so 29 rows stay scannable.
    """
    decimals = catalogue.indicators().decimals.astype(int).to_dict()
    cell = values.to_dict("index")               # (target, scenario) -> values: dict look-ups, not .loc
    rows, lights, previous = [], [], None
    for tid, t in by_area(targets).iterrows():
        var = t.indicator
        dec = decimals[var]
        b, c = cell[(tid, "baseline")], cell[(tid, "current")]
        band = f"{text.number(c['lo80'], dec)}–{text.number(c['hi80'], dec)}"
        row = {
            text("col_area"): text.area(t.area) if t.area != previous else "",
            text("col_target"): text.name(t),
            text("col_year"): str(int(t.year)),
            text("col_goal"): text.goal(t.comparator, t.value, t.unit, var),
            text("col_calibration"): text.calibration(t.calibration),
            text("col_base_median"): text.quantity(b["median"], t.unit, dec, var),
            text("col_base_p"): _light_cell(text, b["p_met"]),
            text("col_scen_median"): f"{text.quantity(c['median'], t.unit, dec, var)} [{band}]",
            text("col_scen_p"): _light_cell(text, c["p_met"]),
            text("col_status"): text(f"light_{c['light']}"),
            text("col_holds_2020"): text.probability(c["p_holds_2020"]),
            text("col_cost"): cost_text(text, c["cost_per_unit"], t.unit, var),
        }
        previous = t.area
        light = {text("col_base_p"): b["light"], text("col_scen_p"): c["light"], text("col_status"): c["light"]}
        for key, name in names.items():
            o = cell[(tid, key)]
            row[text("col_other_median", name=name)] = text.quantity(o["median"], t.unit, dec, var)
            row[text("col_other_p", name=name)] = _light_cell(text, o["p_met"])
            row[text("col_other_holds", name=name)] = text.probability(o["p_holds_2020"])
            light[text("col_other_p", name=name)] = o["light"]
        row[text("col_flags")] = flags(text, t)
        rows.append(row)
        lights.append(light)
    table = _plain(pd.DataFrame(rows))
    return table, pd.DataFrame(lights, index=table.index).reindex(columns=table.columns)


GROUP_RULE = "border-top: 2px solid #6b7280"


def styled(table: pd.DataFrame, lights: pd.DataFrame, group_column: str | None = None) -> Styler:
    """The table with each probability and light cell coloured by its traffic light.

    With ``group_column``, a row where that column is not empty starts a group: a rule above
    it and the group's name in bold.
    """
    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        css = lights.reindex(index=frame.index, columns=frame.columns)
        css = css.map(lambda k: f"color: {LIGHT_COLOURS[k]}; font-weight: 600" if k in LIGHT_COLOURS else "")
        if group_column in frame.columns:
            starts = frame[group_column].astype(bool).to_numpy().copy()
            starts[0] = False
            css.loc[starts] = css.loc[starts].map(lambda c: f"{c}; {GROUP_RULE}" if c else GROUP_RULE)
            css[group_column] = css[group_column] + frame[group_column].map(
                lambda v: "; font-weight: 600" if v else "")
        return css
    return table.style.apply(colour, axis=None)


_WHY = {"zh": re.compile(r"（原因：(.*)）"), "en": re.compile(r"\(why: (.*)\)")}


def lever_only_reason(note: str, lang: str) -> str:
    """Why an area has a lever but no indicator, from its levers.csv note (the whole note if no 'why')."""
    found = _WHY["zh" if lang == "zh" else "en"].search(note)
    return found.group(1) if found else note


def lever_only(text: Text) -> pd.DataFrame:
    """Action areas with a funding lever but no indicator (levers.csv ``module`` empty), and why."""
    areas = catalogue.areas()
    rest = areas[~areas.module.astype(bool)]
    note = "note_zh" if text.zh else "note_en"
    return _plain(pd.DataFrame({
        text("col_area"): [text.area(a) for a in rest.index],
        text("col_kind"): [text(f"kind_{k}") for k in rest.kind],
        text("col_why"): [lever_only_reason(n, text.lang) for n in rest[note]],
    }))


def spending(summary: pd.DataFrame, text: Text) -> pd.DataFrame:
    """``model.scoreboard.spending_summary`` with area names and formatted amounts."""
    return _plain(pd.DataFrame({
        text("spending_area"): [text.area(a) for a in summary.index],
        text("spending_allocated"): [text.number(v, 1) for v in summary.allocated],
        text("spending_used"): [text.number(v, 1) for v in summary.used],
    }))
