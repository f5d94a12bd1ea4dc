"""Streamlit page: how should a fixed budget be spent? (issue #7, question 2; planners).

Shows the newest ``results/optimise*.nc`` (``python -m model optimise``):
the best allocation against the plan's (bars per area), the trade-off curve
of budget vs expected targets met with the plan marked, and the targets the
best allocation gains or loses against the plan.  Runs the ``--quick``
version in the app.  ``HUBEI_RESULTS_DIR`` points the page at another
results folder (tests).  Chinese first, English via the app's switch.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import xarray as xr

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import optimise, results  # noqa: E402
from ui import analysis  # noqa: E402
from ui.controls import choose_language  # noqa: E402



def allocation_chart(ds: xr.Dataset, i: int, t, names) -> go.Figure:
    fig = go.Figure([go.Bar(name=t("optimise_best"), x=names, y=ds.allocation.values[i]),
                     go.Bar(name=t("optimise_plan"), x=names, y=ds.plan_allocation.values)])
    fig.update_layout(barmode="group", yaxis_title=t("optimise_money"), height=420,
                      yaxis_tickformat=f"{t.grouping}.1f", margin={"t": 30})
    return fig


def curve_chart(ds: xr.Dataset, t) -> go.Figure:
    x = ds.total.values
    fig = go.Figure([
        go.Scatter(x=x, y=ds.objective_value.values, mode="lines+markers", name=t("optimise_curve_best")),
        go.Scatter(x=x, y=ds.check_objective.values, mode="lines+markers", name=t("optimise_curve_check")),
        go.Scatter(x=x, y=ds.plan_scaled_objective.values, mode="lines+markers", line={"dash": "dot"},
                   name=t("optimise_curve_scaled")),
        go.Scatter(x=[ds.attrs["plan_total"]], y=[float(ds.plan_check_objective)], mode="markers",
                   marker={"size": 14, "symbol": "star"}, name=t("optimise_curve_plan"))])
    fig.update_layout(xaxis_title=t("optimise_budget"), yaxis_title=t(f"optimise_{ds.attrs['objective']}"), height=420,
                      xaxis_tickformat=f"{t.grouping}.0f", margin={"t": 30})
    return fig


def gains_table(ds: xr.Dataset, t) -> pd.DataFrame:
    names = ds["target_name_zh" if t.zh else "target_name_en"].values
    frame = pd.DataFrame({t("optimise_target"): [f"{i} {n}" for i, n in zip(ds.target.values, names)],
                          t("optimise_p_plan"): ds.plan_check_p_met.values if "plan_check_p_met" in ds
                          else ds.plan_p_met.values,
                          t("optimise_gain_fresh"): ds.check_gain.values,
                          t("optimise_gain_opt"): ds.gain.values})
    frame = frame[np.abs(frame[t("optimise_gain_fresh")]) >= 0.05]
    return frame.sort_values(t("optimise_gain_fresh"), ascending=False).round(2)


def show(path: Path, t) -> None:
    try:
        ds = analysis.load(path)
    except (OSError, ValueError) as exc:
        st.error(f"{t('optimise_bad_file')} {path.name}: {exc}")
        return
    names = ds["area_name_zh" if t.zh else "area_name_en"].values
    at_plan = np.flatnonzero(np.abs(ds.total.values - ds.attrs["plan_total"]) < 1e-6)
    requested = int(np.argmin(np.abs(ds.total.values - ds.attrs["total_requested"])))
    st.caption(f"{t('optimise_file')}: `{path.name}` · {t('optimise_objective')}: {ds.attrs['objective']}"
               + (f" {json.loads(ds.attrs['priority'])}" if ds.attrs["objective"] == "p_all_priority" else ""))
    cols = st.columns(4)
    cols[0].metric(t("optimise_total"), t.number(float(ds.total.values[requested]), 1))
    cols[1].metric(t("optimise_plan_total"), t.number(float(ds.attrs["plan_total"]), 1))
    what = t(f"optimise_{ds.attrs['objective']}")
    cols[2].metric(f"{t('optimise_best')}: {what}", t.number(float(ds.check_objective.values[requested]), 2),
                   help=t("optimise_fresh"))
    cols[3].metric(f"{t('optimise_plan')}: {what}", t.number(float(ds.plan_check_objective), 2),
                   help=t("optimise_fresh"))
    st.subheader(t("optimise_allocation"))
    st.plotly_chart(allocation_chart(ds, requested, t, names), width="stretch")
    st.subheader(t("optimise_curve"))
    st.plotly_chart(curve_chart(ds, t), width="stretch")
    st.caption(t("optimise_note_sample"))
    st.subheader(t("optimise_gains"))
    if not len(at_plan):
        st.info(t("optimise_no_plan_total"))
    else:
        gains = gains_table(ds, t)
        if len(gains):
            st.dataframe(gains, hide_index=True)
        else:
            st.info(t("optimise_no_gain"))
    with st.expander(t("optimise_details")):
        st.json({k: ds.attrs[k] for k in ("method", "optimiser", "runs_per_sample", "check_runs", "seed",
                                          "check_seed", "totals", "totals_skipped", "free_areas", "bounds",
                                          "plan_total_note", "candidates_evaluated", "elapsed_seconds",
                                          "git_commit", "data_vintage", "created") if k in ds.attrs})
        st.dataframe(pd.DataFrame({"total": ds.total.values, "nit": ds.nit.values, "nfev": ds.nfev.values,
                                   "message": ds.message.values}), hide_index=True)
    st.download_button(t("optimise_download"), data=path.read_bytes(), file_name=path.name,
                       mime="application/x-netcdf")


def main() -> None:
    t = choose_language()
    st.title(t("optimise_title"))
    st.caption(t("optimise_intro"))
    if st.button(t("optimise_run_quick")):
        with st.spinner(t("optimise_running")):
            bar = st.progress(0.0)
            try:
                ds = optimise.optimise(**optimise.QUICK,
                                       progress=lambda done, total: bar.progress(min(done / total, 1.0)))
            except (ValueError, OSError) as exc:
                st.error(t("optimise_failed", error=exc))
            else:
                results.save(ds, results.results_dir() / "optimise-quick.nc")
                analysis.forget()
    path = analysis.newest("optimise*.nc")
    if path is None:
        st.info(t("optimise_none"))
        return
    show(path, t)


main()
