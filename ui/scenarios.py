"""Scenarios in the app: presets, saved and uploaded scenarios, loading one into the sliders,
and choosing up to two to compare with the sliders' scenario (three beside the baseline)."""
from __future__ import annotations

import streamlit as st

from model.scenario import ScenarioError, loads, presets
from ui import levers
from ui.levers import PIN_PREFIX
from ui.text import Text

MAX_COMPARED = 2           # plus the sliders' scenario: three scenarios beside the baseline


def saved() -> dict[str, str]:
    """Scenarios saved or uploaded in this session: label -> TOML text."""
    return st.session_state.setdefault("saved", {})


def catalogue_of(text: Text) -> dict[str, tuple[str, str]]:
    """Every scenario one may load or compare: label -> (display name, TOML); presets first."""
    out = {}
    for sid, sc in presets().items():
        out[f"preset:{sid}"] = (sc.name_zh if text.zh else sc.name_en, sc.to_toml())
    for label, toml in saved().items():
        sc = loads(toml, label)
        out[label] = (sc.name_zh if text.zh else sc.name_en, toml)
    return out


def _apply(toml: str) -> None:
    values = levers.from_scenario(loads(toml, "scenario"))
    for lever in levers.levers():
        st.session_state[lever.key] = values[lever.area]


def _save() -> None:
    name = (st.session_state.get("save_name") or "").strip()
    if not name:
        st.session_state["save_message"] = ("error", "save_empty")
        return
    values = {lv.area: lv.clamp(st.session_state.get(lv.key, lv.plan)) for lv in levers.levers()}
    pins = {n: st.session_state[PIN_PREFIX + n] for n in st.session_state.get("pins", [])
            if PIN_PREFIX + n in st.session_state}
    label = f"saved:{len(saved()) + 1}"
    sc = levers.scenario(values, pins, sid=f"saved-{len(saved()) + 1}", name_zh=name, name_en=name)
    saved()[label] = sc.to_toml()
    st.session_state["save_message"] = ("success", "save_done")


def _upload(text: Text) -> None:
    file = st.session_state.get("upload")
    if file is None:
        st.session_state.pop("upload_message", None)
        st.session_state.pop("upload_seen", None)
        return
    if st.session_state.get("upload_seen") == file.file_id:
        return
    st.session_state["upload_seen"] = file.file_id
    try:
        toml = file.getvalue().decode("utf-8")
        sc = loads(toml, file.name)
    except UnicodeDecodeError:
        st.session_state["upload_message"] = ("error", text("upload_not_utf8", name=file.name))
        return
    except ScenarioError as exc:
        st.session_state["upload_message"] = ("error", text("upload_bad", error=exc))
        return
    saved()[f"upload:{file.name}:{file.file_id[:8]}"] = sc.to_toml()
    st.session_state["upload_message"] = ("success", text("upload_done", name=sc.name_zh if text.zh else sc.name_en))


def manager(text: Text) -> list[tuple[str, str, str]]:
    """The scenario panel; returns the compared scenarios as (label, display name, TOML)."""
    _upload(text)
    known = catalogue_of(text)
    with st.expander(text("scenarios_header"), expanded=False):
        left, middle, right = st.columns(3)
        with left:
            st.markdown(f"**{text('load_header')}**")
            choice = st.selectbox(text("load_pick"), list(known), format_func=lambda k: known[k][0],
                                  key=f"load_pick_{text.lang}")
            st.button(text("load_button"), on_click=_apply, args=(known[choice][1],), key="load_button")
            st.caption(text("load_caption"))
        with middle:
            st.markdown(f"**{text('save_header')}**")
            st.text_input(text("save_name"), key="save_name", max_chars=60)
            st.button(text("save_button"), on_click=_save, key="save_button")
            message = st.session_state.pop("save_message", None)
            if message:
                getattr(st, message[0])(text(message[1]))
        with right:
            st.markdown(f"**{text('upload_header')}**")
            st.file_uploader(text("upload_label"), type=["toml"], key="upload")
            message = st.session_state.get("upload_message")
            if message:
                getattr(st, message[0])(message[1])
        options = [k for k in known if k != "preset:baseline"]
        chosen = [k for k in st.session_state.get(COMPARED, []) if k in options]
        st.session_state[COMPARED] = chosen
        # One widget per language: the browser keeps a widget's option labels, so after a language
        # switch the names would stay in the old language; the choice itself lives in COMPARED.
        widget = compare_key(text.lang)
        if st.session_state.get(widget) != chosen:
            st.session_state[widget] = chosen
        st.multiselect(text("compare_pick", n=MAX_COMPARED), options, key=widget, on_change=_compared,
                       args=(widget,), format_func=lambda k: known[k][0], max_selections=MAX_COMPARED)
    return [(label, known[label][0], known[label][1]) for label in chosen]


COMPARED = "compared"


def compare_key(lang: str) -> str:
    """The compare box's widget key in one language."""
    return f"compare_{lang}"


def _compared(widget: str) -> None:
    st.session_state[COMPARED] = list(st.session_state.get(widget, []))
