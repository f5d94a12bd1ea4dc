"""The scoreboard as the app shows it: modelled targets side by side, the rest listed."""
from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

from model import catalogue, scoreboard
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


def modelled(base: pd.DataFrame, current: pd.DataFrame, text: Text) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display table of the modelled targets and, aligned with it, the light of each P cell.

    ``base`` and ``current`` are ``model.scoreboard.scoreboard`` frames.
    """
    ind = catalogue.indicators()
    rows, lights = [], []
    for tid in current.index[current.modelled]:
        b, c = base.loc[tid], current.loc[tid]
        var = scoreboard.target_variable(tid)
        dec = int(ind.loc[var, "decimals"])
        band = f"{text.number(c['lo80'], dec)}–{text.number(c['hi80'], dec)}"
        rows.append({
            text("col_target"): text.name(c),
            text("col_year"): str(int(c["year"])),
            text("col_goal"): text.goal(c["comparator"], c["value"], c["unit"], var),
            text("col_base_median"): text.quantity(b["median"], b["unit"], dec, var),
            text("col_base_p"): _light_cell(text, b["p_met"]),
            text("col_scen_median"): f"{text.quantity(c['median'], c['unit'], dec, var)} [{band}]",
            text("col_scen_p"): _light_cell(text, c["p_met"]),
            text("col_status"): text(f"light_{c['light']}"),
            text("col_holds_2020"): text.probability(c["p_holds_2020"]),
            text("col_calibration"): text.calibration(c["calibration"]),
        })
        lights.append({text("col_base_p"): b["light"], text("col_scen_p"): c["light"],
                       text("col_status"): c["light"]})
    table = _plain(pd.DataFrame(rows))
    return table, pd.DataFrame(lights, index=table.index).reindex(columns=table.columns)


def styled(table: pd.DataFrame, lights: pd.DataFrame) -> Styler:
    """The table with each probability and light cell coloured by its traffic light."""
    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        css = lights.reindex(index=frame.index, columns=frame.columns)
        return css.map(lambda k: f"color: {LIGHT_COLOURS[k]}; font-weight: 600" if k in LIGHT_COLOURS else "")
    return table.style.apply(colour, axis=None)


def pending(board: pd.DataFrame, text: Text) -> pd.DataFrame:
    """Targets not modelled yet, grouped by action area (named on its first row)."""
    order = {area: i for i, area in enumerate(catalogue.areas().index)}
    rest = board[~board.modelled.astype(bool)].copy()
    rest["_order"] = rest.area.map(order)
    rest = rest.sort_values(["_order", "year"], kind="stable")
    names = [text.area(a) for a in rest.area]
    grouped = [n if i == 0 or n != names[i - 1] else "" for i, n in enumerate(names)]
    return _plain(pd.DataFrame({
        text("col_area"): grouped,
        text("col_target"): [text.name(r) for _, r in rest.iterrows()],
        text("col_year"): rest.year.astype(int).astype(str).to_list(),
        text("col_goal"): [text.goal(r.comparator, r.value, r.unit) for r in rest.itertuples()],
        text("col_state"): text("not_modelled"),
    }))


def spending(summary: pd.DataFrame, text: Text) -> pd.DataFrame:
    """``model.scoreboard.spending_summary`` with area names and formatted amounts."""
    return _plain(pd.DataFrame({
        text("spending_area"): [text.area(a) for a in summary.index],
        text("spending_allocated"): [text.number(v, 1) for v in summary.allocated],
        text("spending_used"): [text.number(v, 1) for v in summary.used],
    }))
