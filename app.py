"""Hubei "Internet+" scenario model: funding sliders, target scoreboard, charts, scenarios, briefing.

Run with ``uv run streamlit run app.py``.  Chinese first, English in the sidebar.
The environment variable ``HUBEI_APP_RUNS`` sets the default ensemble size (50).
Everything shown is driven by the catalogue (``model/data/*.csv``): an indicator, target
or lever added there appears here without code.  A slider move reruns only the
``workspace`` fragment; ensembles are cached on the lever values (``ui/ensemble.py``).
Other pages (e.g. ``pages/calibration.py``) are picked up by Streamlit's multipage folder.
"""
from __future__ import annotations

import time

import streamlit as st

from model import catalogue, kernels_cached, scoreboard
from model.scenario import ScenarioError
from ui import board, briefing, charts, controls, ensemble, levers, scenarios
from ui.text import Text

st.set_page_config(page_title="湖北“互联网+”情景模型 · Hubei Internet+", layout="wide")


def simulate(values: dict[str, float], pins: dict[str, float], compared, runs: int, seed: int, text: Text):
    """Baseline, current and compared ensembles and their comparison (cached); stops on failure."""
    try:
        levers.scenario(values, pins)
    except ScenarioError as exc:
        st.error(text("scenario_bad", error=exc))
        values, pins = levers.defaults(), {}
    key, pin_key = ensemble.key(values), ensemble.key(pins)
    others = tuple((label, toml) for label, _, toml in compared)
    try:
        with st.spinner(text("simulating" if kernels_cached() else "simulating_first", runs=runs)):
            base, current = ensemble.baseline(runs, seed), ensemble.current(key, pin_key, runs, seed)
            data = {label: ensemble.named(toml, runs, seed) for label, toml in others}
            targets, values_table = ensemble.comparison(key, pin_key, others, runs, seed)
    except Exception as exc:  # the page must stay up whatever the model raises
        st.error(text("simulation_failed", error=f"{type(exc).__name__}: {exc}"))
        st.stop()
    return base, current, data, targets, values_table


def show_scoreboard(targets, values, names: dict[str, str], text: Text) -> None:
    st.subheader(text("scoreboard_header"))
    others = {k: v for k, v in names.items() if k not in ("baseline", "current")}
    table, lights = board.modelled(targets, values, others, text)
    st.table(board.styled(table, lights, text("col_area")), hide_index=True)
    st.caption(text("scoreboard_caption", likely=text.probability(scoreboard.LIKELY),
                    unlikely=text.probability(scoreboard.UNLIKELY)))
    st.caption(text("flags_caption"))
    unwired = board.lever_only(text)
    if not unwired.empty:
        st.markdown(f"**{text('lever_only_header', count=len(unwired))}**")
        st.caption(text("lever_only_caption"))
        st.table(unwired, hide_index=True)


def indicator_areas() -> dict[str, list[str]]:
    """Indicators grouped by action area (the target's area, else the area of the indicator's module)."""
    ind, areas, targets = catalogue.indicators(), catalogue.areas(), catalogue.targets()
    module_area = {m: a for a, m in zip(areas.index, areas.module) if m}
    out: dict[str, list[str]] = {}
    for indicator, row in ind.iterrows():
        area = targets.loc[row.target, "area"] if row.target in targets.index else module_area.get(row.module, "")
        out.setdefault(area, []).append(indicator)
    return out


@st.fragment
def show_charts(base, current, others, names: dict[str, str], key_charts: list[str], text: Text) -> None:
    """Fan charts: the four that change most by default, or one action area's, or all with a target."""
    st.subheader(text("charts_header"))
    groups = indicator_areas()
    groups["__key__"] = key_charts
    groups["__targets__"] = [i for i, t in catalogue.indicators().target.items() if t]
    areas = [a for a in catalogue.areas().index if a in groups]
    options = ["__key__"] + areas + (["" ] if "" in groups else []) + ["__targets__"]
    label = {"__key__": text("charts_key"), "__targets__": text("charts_all", count=len(groups["__targets__"])),
             "": text("charts_other")}
    pick = st.selectbox(text("charts_pick"), options, key=f"charts_area_{text.lang}",
                        format_func=lambda a: label.get(a) or text.area(a))
    shown = [i for i in groups[pick] if i in current]
    compared = {names[k]: ds for k, ds in others.items()}
    indicators = catalogue.indicators()
    for start in range(0, len(shown), 2):
        for column, indicator in zip(st.columns(2), shown[start:start + 2]):
            with column:
                st.plotly_chart(charts.indicator_chart(indicator, base, current, text, compared),
                                key=f"chart_{indicator}", config={"displaylogo": False})
                st.caption(calibration_caption(indicators.loc[indicator], text))


def calibration_caption(info, text: Text) -> str:
    """How far the data inform an indicator (its catalogue row), in the current language."""
    note = info.calibration_note_zh if text.zh else info.calibration_note_en
    return text("calibration_note", label=text.calibration(info.calibration), note=note)


@st.fragment
def show_regions(base, current, text: Text) -> None:
    ind = catalogue.indicators()
    regional = [i for i in ind.index[ind.regional] if f"{i}_by_region" in current]
    st.subheader(text("regional_header"))
    if not regional:
        st.caption(text("regional_none"))
        return
    indicator = st.selectbox(text("regional_pick"), regional, key=f"regional_indicator_{text.lang}",
                             format_func=lambda i: text.name(ind.loc[i]))
    years = [int(y) for y in current.year.values if y >= 2015]
    year = st.select_slider(text("regional_year"), options=years, value=2020 if 2020 in years else years[-1],
                            key="regional_year")
    st.plotly_chart(charts.tile_chart(indicator, base, current, year, text), key="chart_tiles",
                    config={"displaylogo": False})
    st.plotly_chart(charts.regional_chart(indicator, base, current, year, text), key="chart_regions",
                    config={"displaylogo": False})
    st.caption(text("regional_caption") + " " + calibration_caption(ind.loc[indicator], text))


def show_spending(current, text: Text) -> None:
    st.subheader(text("spending_header"))
    st.caption(text("spending_caption"))
    summary = scoreboard.spending_summary(current)
    if summary.empty:
        st.caption(text("spending_none"))
    else:
        st.table(board.spending(summary, text), hide_index=True)


@st.fragment
def show_export(targets, values, data, names: dict[str, str], scenario_toml: str, footer: str, text: Text) -> None:
    st.subheader(text("export_header"))
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(text("download_toml"), scenario_toml, file_name="scenario.toml", mime="application/toml",
                       key="download_toml", on_click="ignore")
    if c2.button(text("prepare_csv"), key="prepare_csv"):
        st.session_state["csv"] = briefing.csv_bytes(data, names)
    if c3.button(text("prepare_netcdf"), key="prepare_netcdf"):
        st.session_state["netcdf"] = briefing.netcdf_bytes(data, names)
    if c4.button(text("prepare_pdf"), key="prepare_pdf"):
        st.session_state["pdf"] = briefing.pdf(targets, values, data, names, text, footer)
    if "csv" in st.session_state:
        c2.download_button(text("download_csv"), st.session_state["csv"], file_name="hubei_results.csv",
                           mime="text/csv", key="download_csv", on_click="ignore")
    if "netcdf" in st.session_state:
        c3.download_button(text("download_netcdf"), st.session_state["netcdf"], file_name="hubei_results.nc",
                           mime="application/x-netcdf", key="download_netcdf", on_click="ignore")
    if "pdf" in st.session_state:
        c4.download_button(text("download_pdf"), st.session_state["pdf"], file_name="hubei_briefing.pdf",
                           mime="application/pdf", key="download_pdf", on_click="ignore")
    st.caption(text("export_caption"))


@st.fragment
def workspace(text: Text, runs: int, seed: int, slot, compared) -> None:
    """Sliders (drawn into the sidebar slot), scoreboard, charts and exports: a slider move reruns only this."""
    try:
        _workspace(text, runs, seed, slot, compared)
    except Exception as exc:  # a fragment rerun is outside main()'s guard: keep the page up here too
        st.error(f"{text('simulation_failed', error=f'{type(exc).__name__}: {exc}')}")


def _workspace(text: Text, runs: int, seed: int, slot, compared) -> None:
    started = time.perf_counter()
    with slot:
        values = controls.funding(text)
        pins = controls.assumptions(text)
    base, current, data, targets, values_table = simulate(values, pins, compared, runs, seed, text)
    names = {"baseline": text("baseline_name"), "current": text("current_name")}
    names |= {label: name for label, name, _ in compared}
    show_scoreboard(targets, values_table, names, text)
    st.session_state["latency_scoreboard"] = time.perf_counter() - started   # read by benchmarks/app_latency.py
    state = (ensemble.key(values), ensemble.key(pins), tuple(names.items()), runs, seed, text.lang)
    if st.session_state.get("export_state") != state:       # prepared files belong to the old settings
        for name in ("csv", "netcdf", "pdf"):
            st.session_state.pop(name, None)
        st.session_state["export_state"] = state
    show_charts(base, current, data, names, briefing.key_indicators(targets, values_table), text)
    left, right = st.columns([3, 2])
    with left:
        show_regions(base, current, text)
    with right:
        show_spending(current, text)
    attrs = current.attrs
    footer = text("provenance", runs=attrs.get("runs"), seed=attrs.get("seed"), digest=attrs.get("scenario_digest"),
                  version=attrs.get("model_version"), vintage=attrs.get("data_vintage"))
    everything = {"baseline": base, "current": current} | data
    show_export(targets, values_table, everything, names, attrs.get("scenario_toml", ""), footer, text)
    st.caption(footer)
    st.session_state["latency_total"] = time.perf_counter() - started


def main() -> None:
    problems = controls.check_url(Text(controls.url_language()))   # before any bound widget
    text = controls.choose_language()
    slot = st.sidebar.container()
    runs, seed = controls.settings(text)
    st.title(text("title"))
    st.caption(text("subtitle"))
    for problem in problems:
        st.warning(problem)
    compared = scenarios.manager(text)
    st.caption(text("share_caption"))
    workspace(text, runs, seed, slot, compared)


def home() -> None:
    try:
        main()
    except Exception as exc:  # e.g. a malformed data file: say what and where, keep the server up
        st.error(f"应用无法显示 / The app cannot be shown — {type(exc).__name__}: {exc}")


PAGES = ("calibration", "sensitivity", "optimise", "discover")      # pages/<name>.py
nav = Text(controls.url_language())
st.navigation([st.Page(home, title=nav("nav_app"), default=True)]
              + [st.Page(f"pages/{name}.py", title=nav(f"nav_{name}"), url_path=name) for name in PAGES]).run()
