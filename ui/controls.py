"""Sidebar controls: funding sliders grouped by action/project, the assumptions panel, settings,
and the check of a shared link's parameters (reported, never fatal)."""
from __future__ import annotations

import math

import streamlit as st

from model.results import MODEL_VERSION
from ui import ensemble, levers
from ui.text import LANGUAGES, Text

VERSION_PARAM = "v"
KNOWN = {"lang", VERSION_PARAM}
PIN_PREFIX = levers.PIN_PREFIX   # a pinned assumption in a shared link: pin_<parameter>=value


def choose_language() -> Text:
    """The language switch (bound to the link's ``lang``), shared by the app and its pages."""
    lang = st.sidebar.radio("语言 / Language", options=list(LANGUAGES), format_func=LANGUAGES.get,
                            key="lang", horizontal=True, bind="query-params")
    return Text(lang or "zh")


def url_language() -> str:
    """The language code a link asks for (``lang=en`` or the radio's own ``lang=English``), else zh."""
    raw = st.query_params.get("lang", "zh")
    codes = {label: code for code, label in LANGUAGES.items()}
    return raw if raw in LANGUAGES else codes.get(raw, "zh")


def check_url(text: Text) -> list[str]:
    """Problems with the link the session was opened with; bad lever values are dropped.

    Runs once per session, on the first script run, before any widget is drawn: a bound
    slider never sees a bad value, and later runs leave the bound parameters to their widgets
    (Streamlit refuses to delete those).  The problems are kept for the session.
    """
    if "url_problems" not in st.session_state:
        st.session_state["url_problems"] = _check(text)
    params = st.query_params
    if params.get(VERSION_PARAM) != MODEL_VERSION:
        params[VERSION_PARAM] = MODEL_VERSION
    return st.session_state["url_problems"]


def _check(text: Text) -> list[str]:
    problems = []
    params = st.query_params
    known = levers.by_key()
    for name in list(params.keys()):
        raw = params.get(name)
        if name == "lang":                     # the bound radio writes its label (English); accept codes too
            if raw in LANGUAGES:
                params[name] = LANGUAGES[raw]
                st.session_state["lang"] = raw
            elif raw not in LANGUAGES.values():
                problems.append(text("url_bad_lang", value=raw))
                del params[name]
        elif name == VERSION_PARAM:
            if raw != MODEL_VERSION:
                problems.append(text("url_version", value=raw, version=MODEL_VERSION))
        elif name in known:
            lever = known[name]
            if _within(raw, lever.low, lever.high) is None:
                problems.append(text("url_bad_lever", name=name, value=raw, low=lever.low, high=lever.high))
                del params[name]
        elif name.startswith(PIN_PREFIX):
            problem = _restore_pin(name, raw, text)
            if problem:
                problems.append(problem)
                del params[name]
        elif not name.startswith("embed"):
            problems.append(text("url_unknown", name=name))
            del params[name]
    return problems


def _within(raw, low: float, high: float) -> float | None:
    """A link's value as a number within [low, high], or None."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _restore_pin(name: str, raw, text: Text) -> str | None:
    """Pin an assumption from a link (``pin_<parameter>=value``); the problem, if the value is not valid."""
    items = {a.key: a for a in levers.assumptions()}
    if name not in items:
        return text("url_unknown", name=name)
    a = items[name]
    value = _within(raw, float(a.low), float(a.high))
    if value is None:
        return text("url_bad_pin", name=name, value=raw, low=a.low, high=a.high)
    st.session_state["pins"] = [*st.session_state.get("pins", []), a.name]
    st.session_state[a.key] = value
    return None


def _share_pins(pins: dict[str, float]) -> None:
    """Write the pinned assumptions into the link (``pin_<name>=value``), dropping unpinned ones."""
    params = st.query_params
    wanted = {f"{PIN_PREFIX}{name}": f"{value:.6g}" for name, value in pins.items()}
    for name in [n for n in params.keys() if n.startswith(PIN_PREFIX) and n not in wanted]:
        del params[name]
    for name, value in wanted.items():
        if params.get(name) != value:
            params[name] = value


def funding(text: Text) -> dict[str, float]:
    """One slider per action area (亿元/yr), actions then projects, plan value marked, total below."""
    st.header(text("levers_header"))
    st.caption(text("levers_help"))
    values = {}
    for kind in ("action", "project"):
        group = [lv for lv in levers.levers() if lv.kind == kind]
        if not group:
            continue
        st.subheader(text(f"group_{kind}"))
        for lever in group:
            label = text("lever_label", area=text.area(lever.area))
            if not lever.wired:
                label += text("lever_only")
            note = lever.note_zh if text.zh else lever.note_en
            value = st.slider(label, min_value=lever.low, max_value=lever.high, value=lever.plan, step=lever.step,
                              format=f"%.{lever.decimals}f", key=lever.key, bind="query-params",
                              help=text("lever_note", note=note) + ("" if lever.wired else "\n\n" + text("lever_only_help")))
            st.caption(text("plan_value", value=text.number(lever.plan, lever.decimals)))
            values[lever.area] = lever.clamp(value)
    total, plan = levers.total(values), levers.plan_total()
    diff = ("+" if total >= plan else "") + text.number(total - plan, 1)
    st.metric(text("total_budget"), text.number(total, 1), delta_color="off",
              delta=text("vs_plan", diff=diff) if abs(total - plan) >= 0.05 else None)
    st.caption(text("total_budget_plan", value=text.number(plan, 1)))
    st.warning(text("assumption_box"))
    return values


def assumptions(text: Text) -> dict[str, float]:
    """Uncertain parameters a user may pin, apart from the policy levers."""
    items = {a.name: a for a in levers.assumptions()}
    with st.expander(text("assumptions_header")):
        st.caption(text("assumptions_help"))
        chosen = st.multiselect(text("assumptions_pick"), list(items), key="pins",
                                format_func=lambda n: f"{n} [{items[n].module}] ({items[n].unit})")
        pins = {}
        for name in chosen:
            a = items[name]
            pins[name] = st.slider(f"{name} ({a.unit})", min_value=float(a.low), max_value=float(a.high),
                                   value=None if a.key in st.session_state else float(a.value), step=a.step, key=a.key,
                                   help=text("assumption_source", status=a.status, source=a.source or "—",
                                             low=a.low, high=a.high))
    _share_pins(pins)
    return pins


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
