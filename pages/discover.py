"""Streamlit page: where does each target fail? Scenario discovery with PRIM (issue #7, question 3).

Shows the newest ``results/discover*.nc`` (``HUBEI_RESULTS_DIR`` overrides the folder, for
tests), or runs the quick design in the app.  For a chosen target: the box as a table of
conditions (levers and uncertain parameters marked), coverage and density, the peeling
trajectory, and the samples on the two most restricted factors with the box drawn.
"""
from __future__ import annotations

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

from model import catalogue, discover, results  # noqa: E402
from ui import analysis  # noqa: E402
from ui.controls import choose_language  # noqa: E402

COLOURS = {"missed": "#d62728", "met": "#1f77b4"}


def run_quick(t) -> None:
    bar = st.progress(0.0)
    with st.spinner(t("discover_running")):
        try:
            ds = discover.discover(n=discover.QUICK_N, runs=discover.DEFAULT_RUNS, seed=1,
                                   factors=discover.quick_factors(),
                                   progress=lambda done, total: bar.progress(min(done / total, 1.0)))
        except (ValueError, OSError) as exc:
            st.error(t("discover_failed", error=exc))
            return
        results.save(ds, results.results_dir() / "discover-quick.nc")
    analysis.forget()


def share(t, s: float) -> str:
    """A share of samples: whole percent, two decimals when it would round to 0 % without being 0."""
    return f"{100 * s:.2f}%" if 0 < s < 0.005 else t.probability(s)


def status_text(t, status: str) -> str:
    return t(f"discover_status_{status}")


def summary(ds: xr.Dataset, t, names: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for tid in ds.target.values:
        b = ds.sel(target=tid)
        box = str(b.status.values) == "box"
        rows.append({t("discover_col_target"): f"{t.name(names.loc[tid])} ({tid})",
                     t("discover_col_year"): int(names.loc[tid, "target_year"]),
                     t("discover_col_share"): share(t, float(b.missed_share)),
                     t("discover_col_status"): status_text(t, str(b.status.values)),
                     t("discover_col_coverage"): round(float(b.coverage), 2) if box else None,
                     t("discover_col_density"): round(float(b.density), 2) if box else None,
                     t("discover_col_conditions"): ("; ".join(discover.conditions(ds, tid, t.lang)) if box else "")})
    return pd.DataFrame(rows)


def box_table(ds: xr.Dataset, tid: str, t) -> pd.DataFrame:
    b = ds.sel(target=tid)
    rows = []
    for f in ds.factor.values[b.restricted.values]:
        x = b.sel(factor=f)
        data = ds.design.sel(factor=f)
        lo, hi = float(x.box_low), float(x.box_high)
        rows.append({t("discover_col_factor"): str(f),
                     t("discover_col_name"): str(x[f"name_{t.lang}"].values),
                     t("discover_col_kind"): t(f"discover_kind_{str(x.kind.values)}"),
                     t("discover_col_from"): f"{lo:.3g}" if lo > float(data.min()) else t("discover_unbounded"),
                     t("discover_col_to"): f"{hi:.3g}" if hi < float(data.max()) else t("discover_unbounded"),
                     t("discover_col_range"): f"{float(x.low):.3g} – {float(x.high):.3g}",
                     t("discover_col_unit"): str(x.unit.values),
                     t("discover_col_qp"): f"{float(x.qp):.1e}"})
    return pd.DataFrame(rows)


def most_restricted(ds: xr.Dataset, tid: str) -> list[str]:
    """Restricted factors, the one whose box is narrowest (share of its sampled range) first."""
    b = ds.sel(target=tid)
    dims = [str(f) for f in ds.factor.values[b.restricted.values]]
    span = {f: (float(b.box_high.sel(factor=f)) - float(b.box_low.sel(factor=f)))
            / max(float(np.ptp(ds.design.sel(factor=f).values)), 1e-300) for f in dims}
    return sorted(dims, key=span.get)


def trajectory_chart(ds: xr.Dataset, tid: str, t) -> go.Figure:
    b = ds.sel(target=tid)
    cov, den = b.trajectory_coverage.values, b.trajectory_density.values
    keep = np.isfinite(cov)
    fig = go.Figure(go.Scatter(x=cov[keep], y=den[keep], mode="markers",
                               marker={"color": b.trajectory_res_dim.values[keep], "colorscale": "Viridis",
                                       "showscale": True, "colorbar": {"title": t("discover_restricted_dims")}},
                               hovertemplate="coverage %{x:.2f}<br>density %{y:.2f}<extra></extra>",
                               name=t("discover_trajectory")))
    fig.add_trace(go.Scatter(x=[float(b.coverage)], y=[float(b.density)], mode="markers",
                             marker={"symbol": "star", "size": 16, "color": "#d62728"}, name=t("discover_chosen")))
    fig.update_layout(xaxis_title=t("discover_coverage"), yaxis_title=t("discover_density"), height=400,
                      xaxis_range=[0, 1.02], yaxis_range=[0, 1.05], margin={"t": 30},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def cases_chart(ds: xr.Dataset, tid: str, t) -> go.Figure:
    b = ds.sel(target=tid)
    dims = most_restricted(ds, tid)[:2]
    missed = b.missed.values
    x = ds.design.sel(factor=dims[0]).values
    if len(dims) > 1:
        y = ds.design.sel(factor=dims[1]).values
        y_title = f"{dims[1]} ({ds.unit.sel(factor=dims[1]).values})"
    else:
        y, y_title = b.p_met.values, t("discover_p_met")
    fig = go.Figure()
    for key, mask in (("met", ~missed), ("missed", missed)):
        fig.add_trace(go.Scatter(x=x[mask], y=y[mask], mode="markers", name=t(f"discover_{key}"),
                                 marker={"color": COLOURS[key], "size": 6, "opacity": 0.7}))
    y0, y1 = (float(b.box_low.sel(factor=dims[1])), float(b.box_high.sel(factor=dims[1]))) if len(dims) > 1 \
        else (float(np.min(y)), float(np.max(y)))
    fig.add_shape(type="rect", x0=float(b.box_low.sel(factor=dims[0])), x1=float(b.box_high.sel(factor=dims[0])),
                  y0=y0, y1=y1, line={"color": "black", "width": 2, "dash": "dash"}, name=t("discover_box"))
    fig.update_layout(xaxis_title=f"{dims[0]} ({ds.unit.sel(factor=dims[0]).values})", yaxis_title=y_title,
                      height=420, margin={"t": 30})
    return fig


def show(ds: xr.Dataset, path: Path, t) -> None:
    a = ds.attrs
    st.caption(t("discover_file", name=path.name, created=a.get("created", "?"), seed=a.get("seed", "?"),
                 commit=str(a.get("git_commit", "?"))[:12]))
    st.caption(t("discover_design", n=a["n_samples"], runs=a["runs_per_sample"], total=a["model_runs"],
                 factors=a["n_factors"], levers=a["n_levers"], uncertainties=a["n_uncertainties"]))
    st.info(t("discover_assumptions", miss_below=a["miss_below"], min_coverage=a["min_coverage"],
              qp_alpha=a["qp_alpha"], min_share=t.probability(a["min_share"]),
              max_share=t.probability(1 - a["min_share"])))
    st.download_button(t("discover_download"), data=path.read_bytes(), file_name=path.name,
                       mime="application/x-netcdf")
    names = catalogue.targets()
    st.subheader(t("discover_summary"))
    st.dataframe(summary(ds, t, names), hide_index=True)
    ids = list(ds.target.values)
    with_box = [i for i in ids if str(ds.status.sel(target=i).values) == "box"]
    tid = st.selectbox(t("discover_choose"), with_box + [i for i in ids if i not in with_box],
                       format_func=lambda i: f"{t.name(names.loc[i])} ({i})")
    b = ds.sel(target=tid)
    status = str(b.status.values)
    if status != "box":
        st.warning(t("discover_no_box", name=t.name(names.loc[tid]), status=status_text(t, status),
                     share=share(t, float(b.missed_share))))
        return
    st.subheader(t("discover_box_header"))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("discover_coverage"), f"{float(b.coverage):.2f}")
    c2.metric(t("discover_density"), f"{float(b.density):.2f}")
    c3.metric(t("discover_missed_share"), share(t, float(b.missed_share)))
    table = box_table(ds, tid, t)
    if table.empty:
        st.write(t("discover_no_restriction"))
        return
    st.dataframe(table, hide_index=True)
    st.subheader(t("discover_trajectory"))
    st.plotly_chart(trajectory_chart(ds, tid, t), width="stretch")
    st.subheader(t("discover_cases"))
    if len(table) == 1:
        st.caption(t("discover_one_dim"))
    st.plotly_chart(cases_chart(ds, tid, t), width="stretch")


def main() -> None:
    t = choose_language()
    st.title(t("discover_title"))
    st.write(t("discover_intro"))
    if st.button(t("discover_run_quick", n=discover.QUICK_N, runs=discover.DEFAULT_RUNS)):
        run_quick(t)
    path = analysis.newest("discover*.nc")
    if path is None:
        st.info(t("discover_none"))
        return
    try:
        ds = analysis.load(path)
    except (OSError, ValueError) as exc:
        st.error(t("discover_bad_file", name=path.name, error=exc))
        return
    show(ds, path, t)


main()
