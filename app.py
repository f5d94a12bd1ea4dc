"""Hubei "Internet+" scenario model: funding sliders, target scoreboard and fan charts.

Run with ``uv run streamlit run app.py``.  Chinese first, English in the sidebar.
The environment variable ``HUBEI_APP_RUNS`` sets the default ensemble size (50).
"""
from __future__ import annotations

import streamlit as st

from model import catalogue, scoreboard
from model.scenario import ScenarioError
from ui import board, charts, ensemble, levers
from ui.text import LANGUAGES, Text

HEADLINE_ROWS = (("ecommerce_volume", "smart_factories"), ("villages_broadband_share", "broadband_subscribers"))
REGIONAL = "villages_broadband_share"

st.set_page_config(page_title="湖北“互联网+”情景模型 · Hubei Internet+", layout="wide")


def choose_language() -> Text:
    lang = st.sidebar.radio("语言 / Language", options=list(LANGUAGES), format_func=LANGUAGES.get,
                            key="lang", horizontal=True, bind="query-params")
    return Text(lang or "zh")


def funding(text: Text) -> dict[str, float]:
    """The three funding sliders, the plan's values beside them and the total budget."""
    side = st.sidebar
    side.header(text("levers_header"))
    side.caption(text("levers_help"))
    values = {}
    for lever in levers.levers():
        value = side.slider(text("lever_label", area=text.area(lever.area)), min_value=lever.low,
                            max_value=lever.high, value=lever.plan, step=lever.step,
                            format=f"%.{lever.decimals}f", key=f"lever_{lever.area}",
                            help=text("lever_note", note=lever.note_zh if text.zh else lever.note_en),
                            bind="query-params")
        side.caption(text("plan_value", value=text.number(lever.plan, lever.decimals)))
        values[lever.area] = lever.clamp(value)
    total, plan = levers.total(values), levers.plan_total()
    diff = ("+" if total >= plan else "") + text.number(total - plan, 1)
    side.metric(text("total_budget"), text.number(total, 1), delta_color="off",
                delta=text("vs_plan", diff=diff) if abs(total - plan) >= 0.05 else None)
    side.caption(text("total_budget_plan", value=text.number(plan, 1)))
    side.warning(text("assumption_box"))
    return values


def settings(text: Text) -> tuple[int, int]:
    """Ensemble size and seed; a bad HUBEI_APP_RUNS falls back to the default with a warning."""
    default, bad = ensemble.default_runs()
    if bad is not None:
        low, high = ensemble.RUNS_RANGE
        st.sidebar.warning(text("runs_env_bad", value=bad, low=low, high=high, default=default))
    with st.sidebar.expander(text("advanced")):
        choices = ensemble.run_choices(default)
        runs = st.selectbox(text("runs"), choices, index=choices.index(default), key="runs")
        seed = st.number_input(text("seed"), min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed")
    return int(runs), int(seed)


def simulate(values: dict[str, float], runs: int, seed: int, text: Text):
    """Baseline and current ensembles and scoreboards (cached); stops the page on failure."""
    try:
        levers.scenario(values)
    except ScenarioError as exc:
        st.error(text("scenario_bad", error=exc))
        values = {lever.area: lever.plan for lever in levers.levers()}
    key = tuple(sorted(values.items()))
    try:
        with st.spinner(text("simulating", runs=runs)):
            base, current = ensemble.baseline(runs, seed), ensemble.current(key, runs, seed)
            boards = ensemble.baseline_board(runs, seed), ensemble.current_board(key, runs, seed)
    except Exception as exc:  # the page must stay up whatever the model raises
        st.error(text("simulation_failed", error=f"{type(exc).__name__}: {exc}"))
        st.stop()
    return base, current, boards


def show_scoreboard(base_board, current_board, text: Text) -> None:
    st.subheader(text("scoreboard_header"))
    table, lights = board.modelled(base_board, current_board, text)
    st.table(board.styled(table, lights), hide_index=True)
    st.caption(text("scoreboard_caption", likely=text.probability(scoreboard.LIKELY),
                    unlikely=text.probability(scoreboard.UNLIKELY)))
    pending = board.pending(current_board, text)
    st.markdown(f"**{text('pending_header', count=len(pending))}**")
    st.caption(text("pending_caption"))
    st.table(pending, hide_index=True)


def show_charts(base, current, text: Text) -> None:
    st.subheader(text("charts_header"))
    indicators = catalogue.indicators()
    for row in HEADLINE_ROWS:
        for column, indicator in zip(st.columns(len(row)), row):
            with column:
                st.plotly_chart(charts.indicator_chart(indicator, base, current, text),
                                key=f"chart_{indicator}", config={"displaylogo": False})
                info = indicators.loc[indicator]
                note = info.calibration_note_zh if text.zh else info.calibration_note_en
                st.caption(text("calibration_note", label=text.calibration(info.calibration), note=note))


def show_regions(base, current, text: Text) -> None:
    st.subheader(text("regional_header"))
    years = [int(y) for y in current.year.values if y >= 2015]
    year = st.select_slider(text("regional_year"), options=years, value=2017 if 2017 in years else years[-1],
                            key="regional_year")
    st.plotly_chart(charts.regional_chart(REGIONAL, base, current, year, text), key="chart_regions",
                    config={"displaylogo": False})
    st.caption(text("regional_caption"))


def show_spending(current, text: Text) -> None:
    st.subheader(text("spending_header"))
    st.caption(text("spending_caption"))
    summary = scoreboard.spending_summary(current)
    if summary.empty:
        st.caption(text("spending_none"))
    else:
        st.table(board.spending(summary, text), hide_index=True)


def main() -> None:
    text = choose_language()
    values = funding(text)
    runs, seed = settings(text)
    st.title(text("title"))
    st.caption(text("subtitle"))
    base, current, (base_board, current_board) = simulate(values, runs, seed, text)
    show_scoreboard(base_board, current_board, text)
    show_charts(base, current, text)
    left, right = st.columns([3, 2])
    with left:
        show_regions(base, current, text)
    with right:
        show_spending(current, text)
    attrs = current.attrs
    st.caption(text("provenance", runs=attrs.get("runs"), seed=attrs.get("seed"),
                    digest=attrs.get("scenario_digest"), version=attrs.get("model_version"),
                    vintage=attrs.get("data_vintage")))


try:
    main()
except Exception as exc:  # e.g. a malformed data file: say what and where, keep the server up
    st.error(f"应用无法显示 / The app cannot be shown — {type(exc).__name__}: {exc}")
