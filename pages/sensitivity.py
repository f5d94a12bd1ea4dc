"""Streamlit page: what matters? Global sensitivity of the targets (``model/sensitivity.py``).

Shows the newest ``results/sensitivity*.nc`` (or any other one picked), as
ranked horizontal bars per target and outcome year: Morris mu_star with its
95 % interval, or Sobol' S1/ST with theirs; levers and uncertain parameters in
different colours.  Can run the quick design in the app and download the file.
"""
from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import xarray as xr

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import experiments, results, sensitivity  # noqa: E402
from ui.charts import FONT  # noqa: E402
from ui import analysis  # noqa: E402
from ui.controls import choose_language  # noqa: E402

KIND_COLOURS = {"lever": "#c2410c", "uncertainty": "#1d4ed8"}




def _label(ds: xr.Dataset, factor: str, lang: str) -> str:
    f = ds.sel(factor=factor)
    return sensitivity.factor_label(factor, str(f.kind.values), str(f.module.values), str(f.name_zh.values),
                                    str(f.name_en.values), lang)


def _run_quick(t) -> None:
    with st.expander(t("sensitivity_quick_header"), expanded=not sensitivity.result_files()):
        runs = {m: q["runs"] for m, q in sensitivity.QUICK.items()}
        morris = sensitivity.QUICK["morris"]["n"] * (len(sensitivity.experiments.factors()) + 1) * runs["morris"]
        sobol = sensitivity.QUICK["sobol"]["n"] * (sensitivity.QUICK["sobol"]["k"] + 2) * runs["sobol"]
        st.caption(t("sensitivity_quick_help", morris=morris, sobol=sobol))
        method = st.radio(t("sensitivity_method"), sensitivity.METHODS, horizontal=True, key="sensitivity_method",
                          format_func=str.capitalize)
        if st.button(t("sensitivity_run"), key="sensitivity_run"):
            bar = st.progress(0.0)
            try:
                with st.spinner(t("sensitivity_running", method=method)):
                    ds = sensitivity.sensitivity(method, quick=True,
                                                 progress=lambda done, total: bar.progress(done / total))
                    path = results.save(ds, sensitivity.default_path(method, quick=True))
            except (ValueError, KeyError, OSError) as exc:
                st.error(t("sensitivity_failed", error=exc))
            else:
                st.success(t("sensitivity_saved", path=path.name))


def _chart(ds: xr.Dataset, outcome: str, measure: str, key: str, conf: str, count: int, t, axis: str,
           title: str) -> go.Figure:
    rank = sensitivity.ranking(ds, outcome, measure)
    rank = rank.sort_values(key, ascending=False, na_position="last").head(count).iloc[::-1]
    fig = go.Figure()
    for kind, colour in KIND_COLOURS.items():
        part = rank[rank.kind == kind]
        if part.empty:
            continue
        f = ds.sel(factor=part.index.tolist())
        hover = [f"{name}<br>{factor} · {module}<br>{t('sensitivity_hover_range')} {lo:g}–{hi:g} {unit}<br>"
                 f"{t('sensitivity_hover_status')}: {status}"
                 for name, factor, module, lo, hi, unit, status in zip(
                     [_label(ds, x, t.lang) for x in part.index], part.index, part.module, f.low.values,
                     f.high.values, f.unit.values, f.status.values)]
        fig.add_trace(go.Bar(
            x=part[key], y=[_label(ds, x, t.lang) for x in part.index], orientation="h",
            name=t(f"sensitivity_kind_{kind}"), marker_color=colour,
            error_x={"type": "data", "array": part[conf].fillna(0).tolist(), "color": "#374151"},
            customdata=hover, hovertemplate="%{customdata}<br>%{x:.3f}<extra></extra>"))
    fig.update_layout(title={"text": title, "font": {"size": 15}}, font={"family": FONT, "size": 12},
                      height=max(320, 28 * len(rank) + 120), template="plotly_white", barmode="overlay",
                      margin={"l": 10, "r": 10, "t": 45, "b": 10}, xaxis={"title": axis, "rangemode": "tozero"},
                      yaxis={"categoryorder": "array", "categoryarray": [_label(ds, x, t.lang) for x in rank.index]},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.1, "xanchor": "left", "x": 0})
    return fig


def _show(ds: xr.Dataset, path: Path, t) -> None:
    a = ds.attrs
    st.caption(t("sensitivity_design", method=a["method"].capitalize(), n=a["N"], runs=a["runs_per_sample"],
                 samples=a["samples"], model_runs=a["model_runs"], factors=ds.factor.size, seed=a["seed"],
                 seconds=a.get("elapsed_seconds", "?"), created=a.get("created", "?"),
                 commit=str(a.get("git_commit", "?"))[:10]))
    st.info(t("sensitivity_assumptions", runs=a["runs_per_sample"]))
    if int(a.get("quick", 0)):
        st.warning(t("sensitivity_quick_note"))
    targets = list(dict.fromkeys(ds.target.values.tolist()))
    names = dict(zip(ds.target.values, ds[f"outcome_name_{t.lang}"].values))
    target = st.selectbox(t("sensitivity_target"), targets, format_func=lambda x: str(names[x]),
                          key="sensitivity_target")
    outcomes = [o for o in ds.outcome.values if ds.target.sel(outcome=o) == target]
    c1, c2, c3 = st.columns(3)
    outcome = c1.radio(t("sensitivity_year"), outcomes, key=f"sensitivity_year_{target}", format_func=lambda o: t(
        "sensitivity_year_own" if ds.year.sel(outcome=o) == ds.target_year.sel(outcome=o) else "sensitivity_year_check",
        year=int(ds.year.sel(outcome=o))))
    measure = c2.radio(t("sensitivity_measure"), list(sensitivity.MEASURES), key="sensitivity_measure",
                       format_func=lambda m: t(f"sensitivity_measure_{m}"))
    unit = t.unit(str(ds.outcome_unit.sel(outcome=outcome).values), target) if measure == "value" else "P"
    if a["method"] == "morris":
        norm = c3.radio(t("sensitivity_scale"), [True, False], key="sensitivity_scale",
                        format_func=lambda v: t("sensitivity_scale_norm") if v
                        else t("sensitivity_scale_raw", unit=unit))
        key, conf = ("mu_star_norm", "mu_star_conf_norm") if norm else ("mu_star", "mu_star_conf")
        axis = t("sensitivity_axis_norm") if norm else t("sensitivity_axis_raw", unit=unit)
    else:
        key = c3.radio(t("sensitivity_index"), ["ST", "S1"], key="sensitivity_index")
        conf, axis = f"{key}_conf", t("sensitivity_axis_sobol", index=key)
    count = st.slider(t("sensitivity_count"), 3, max(3, min(40, ds.factor.size)), min(15, ds.factor.size),
                      key="sensitivity_count") if ds.factor.size > 3 else ds.factor.size
    if not float(ds.outcome_std.sel(measure=measure, outcome=outcome)) > 0:
        st.info(t("sensitivity_constant"))
    else:
        title = t("sensitivity_chart_title", target=names[target], year=int(ds.year.sel(outcome=outcome)),
                  measure=t(f"sensitivity_measure_{measure}"))
        st.plotly_chart(_chart(ds, outcome, measure, key, conf, count, t, axis, title), key="sensitivity_chart",
                        config={"displaylogo": False})
        sd = float(ds.outcome_std.sel(measure=measure, outcome=outcome))
        note = "sensitivity_chart_note" if a["method"] == "morris" else "sensitivity_chart_note_sobol"
        st.caption(t(note) + " " + t("sensitivity_sd", sd=f"{sd:.3g}", unit=unit))
        if a["method"] == "sobol":
            st.caption(t("sensitivity_sobol_note"))
    st.subheader(t("sensitivity_overview"))
    table = sensitivity.summary(ds, t.lang)
    st.dataframe(table.rename(columns={"name": t("sensitivity_col_target"), "year": t("sensitivity_col_year"),
                                       "top": t("sensitivity_col_top")})
                 [[t("sensitivity_col_target"), t("sensitivity_col_year"), t("sensitivity_col_top")]],
                 hide_index=True, column_config={t("sensitivity_col_top"): st.column_config.TextColumn(width="large")})
    st.caption(t("sensitivity_overview_note"))
    st.download_button(t("sensitivity_download"), path.read_bytes(), file_name=path.name,
                       mime="application/x-netcdf", key="sensitivity_download", on_click="ignore")


def main() -> None:
    t = choose_language()
    st.title(t("sensitivity_title"))
    kinds = experiments.factors().kind.value_counts()
    st.caption(t("sensitivity_intro", levers=kinds.get(experiments.LEVER, 0),
                 uncertainties=kinds.get(experiments.UNCERTAINTY, 0)))
    _run_quick(t)
    files = sensitivity.result_files()
    if not files:
        st.info(t("sensitivity_none", command="uv run python -m model sensitivity",
                  minutes=sensitivity.MEASURED_MINUTES["morris"]))
        return
    path = Path(st.selectbox(t("sensitivity_file"), [str(p) for p in files], format_func=lambda p: Path(p).name,
                             key="sensitivity_file"))
    _show(analysis.load(path), path, t)


main()
