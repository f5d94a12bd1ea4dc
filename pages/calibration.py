"""Streamlit page: how the model was fitted and how well it forecasts (economists).

Chinese first, English via the same ``lang`` setting (query parameter) as the
main app.  Shows observed vs simulated for every data point, the parameter
estimates with uncertainty, which indicators are identified by data, the
backtest scores if ``python -m calibration backtest`` has been run, and lets
an economist upload observations (validated row by row) and re-fit.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
# this file is named like the package: import the package from the project root, not this page
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.modules.pop("calibration", None) if getattr(sys.modules.get("calibration"), "__path__", None) is None else None

from calibration import fit as fitting  # noqa: E402
from calibration import report  # noqa: E402
from calibration.observations import load_extra  # noqa: E402
from model.observations import ObservationError  # noqa: E402
from ui.controls import choose_language  # noqa: E402

def _extra(text: str, name: str) -> pd.DataFrame:
    """Validate uploaded CSV text as observations (in a file named like the upload, removed after)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_text(text, encoding="utf-8")
        try:
            return load_extra(path)
        except ObservationError as exc:
            raise ObservationError(str(exc).replace(str(path), name)) from None


@st.cache_data(show_spinner=False, max_entries=4)
def _report(extra_csv: str | None, name: str = "") -> dict:
    extra = _extra(extra_csv, name) if extra_csv else None
    data = report.build(runs=60, extra=extra)
    data.pop("dataset")
    return data


def main() -> None:
    t = choose_language()
    st.title(t("calib_title"))
    st.caption(t("calib_note"))
    upload = st.file_uploader(t("calib_upload"), type="csv")
    extra_csv = None
    if upload is not None:
        text = upload.getvalue().decode("utf-8-sig", errors="replace")
        try:
            extra = _extra(text, upload.name)
        except ObservationError as exc:
            st.error(f"{t('calib_errors')}\n\n```\n{exc}\n```")
        else:
            extra_csv = text
            st.success(f"{upload.name}: {len(extra)} {t('calib_valid')}")
            if st.button(t("calib_refit")):
                bar = st.progress(0.0)
                result = fitting.fit(quick=True, extra=extra,
                                     progress=lambda done, total: bar.progress(min(done / total, 1.0)))
                path = fitting.write(result)
                st.success(f"{t('calib_refitted')}: {path.name}")
                _report.clear()
    with st.spinner(t("calib_running")):
        data = _report(extra_csv, upload.name if extra_csv else "")
    st.write(f"**{t('calib_params')}**: `{data['params_file']}`")
    st.subheader(t("calib_points"))
    points = data["points"]
    st.dataframe(points.round({"observed": 1, "sim_median": 1, "sim_lo80": 1, "sim_hi80": 1, "z": 2}),
                 hide_index=True)
    st.scatter_chart(points.assign(label=points.series + " " + points.year.astype(str)),
                     x="observed", y="sim_median", color="series")
    st.subheader(t("calib_estimates"))
    st.dataframe(data["estimates"], hide_index=True)
    st.subheader(t("calib_indicators"))
    st.dataframe(data["indicators"], hide_index=True)
    st.subheader(t("calib_backtest"))
    scores = ROOT / "results" / "backtest_scores.csv"
    if scores.exists():
        frame = pd.read_csv(scores)
        st.dataframe(frame.round(3), hide_index=True)
        st.caption("M4 yearly: Naive2 16.3 / 3.97, Theta 14.6 / 3.38, winner 13.2 / 2.98 (sMAPE / MASE)")
    else:
        st.info(t("calib_no_backtest"))


main()
