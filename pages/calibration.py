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

LANGUAGES = {"zh": "中文", "en": "English"}
T = {
    "zh": {"title": "模型校准与预测检验", "params": "参数文件", "points": "观测值与模拟值（每个数据点）",
           "estimates": "参数估计（含不确定性）", "indicators": "指标：由数据识别还是仅依据先验",
           "backtest": "滚动起点回测（sMAPE / MASE / 区间覆盖率）",
           "no_backtest": "尚无回测结果：运行 `uv run python -m calibration backtest`。",
           "upload": "上传补充观测数据（CSV，与内置数据同一格式）", "valid": "有效行数",
           "refit": "用这些数据重新拟合（快速）", "refitted": "已写入参数文件",
           "errors": "文件有错误，未做任何拟合：", "note": "2010-2015年按无额外投入、2016-2017年按规划假设投入模拟；删失值（如“超过8000亿”）按删失似然处理；可靠性A/B/C对应不同观测误差。",
           "running": "模拟中…"},
    "en": {"title": "Calibration and forecast checks", "params": "Parameter file", "points": "Observed vs simulated (every data point)",
           "estimates": "Parameter estimates with uncertainty", "indicators": "Indicators: identified by data or resting on priors",
           "backtest": "Rolling-origin backtests (sMAPE / MASE / interval coverage)",
           "no_backtest": "No backtest yet: run `uv run python -m calibration backtest`.",
           "upload": "Upload extra observations (CSV in the vendored schema)", "valid": "valid rows",
           "refit": "Re-fit with these data (quick)", "refitted": "Wrote parameter file",
           "errors": "The file has errors; nothing was fitted:", "note": "2010-2015 simulated with no extra money, 2016-2017 with the plan's assumed spending; censored values (\"over 8000亿\") enter as censored likelihood terms; reliability A/B/C sets the observation noise.",
           "running": "simulating…"},
}


def language() -> str:
    lang = st.sidebar.radio("语言 / Language", options=list(LANGUAGES), format_func=LANGUAGES.get,
                            key="lang", horizontal=True, bind="query-params")
    return lang if lang in LANGUAGES else "zh"


@st.cache_data(show_spinner=False, max_entries=4)
def _report(extra_csv: str | None) -> dict:
    extra = None
    if extra_csv:
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as fh:
            fh.write(extra_csv)
        extra = load_extra(fh.name)
    data = report.build(runs=60, extra=extra)
    data.pop("dataset")
    return data


def main() -> None:
    lang = language()
    t = T[lang]
    st.title(t["title"])
    st.caption(t["note"])
    upload = st.file_uploader(t["upload"], type="csv")
    extra_csv = None
    if upload is not None:
        text = upload.getvalue().decode("utf-8-sig", errors="replace")
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as fh:
            fh.write(text)
        try:
            extra = load_extra(fh.name)
        except ObservationError as exc:
            st.error(f"{t['errors']}\n\n```\n{str(exc).replace(fh.name, upload.name)}\n```")
        else:
            extra_csv = text
            st.success(f"{upload.name}: {len(extra)} {t['valid']}")
            if st.button(t["refit"]):
                bar = st.progress(0.0)
                result = fitting.fit(quick=True, extra=extra,
                                     progress=lambda done, total: bar.progress(min(done / total, 1.0)))
                path = fitting.write(result)
                st.success(f"{t['refitted']}: {path.name}")
                _report.clear()
    with st.spinner(t["running"]):
        data = _report(extra_csv)
    st.write(f"**{t['params']}**: `{data['params_file']}`")
    st.subheader(t["points"])
    points = data["points"]
    st.dataframe(points.round({"observed": 1, "sim_median": 1, "sim_lo80": 1, "sim_hi80": 1, "z": 2}),
                 hide_index=True)
    st.scatter_chart(points.assign(label=points.series + " " + points.year.astype(str)),
                     x="observed", y="sim_median", color="series")
    st.subheader(t["estimates"])
    st.dataframe(data["estimates"], hide_index=True)
    st.subheader(t["indicators"])
    st.dataframe(data["indicators"], hide_index=True)
    st.subheader(t["backtest"])
    scores = ROOT / "results" / "backtest_scores.csv"
    if scores.exists():
        frame = pd.read_csv(scores)
        st.dataframe(frame.round(3), hide_index=True)
        st.caption("M4 yearly: Naive2 16.3 / 3.97, Theta 14.6 / 3.38, winner 13.2 / 2.98 (sMAPE / MASE)")
    else:
        st.info(t["no_backtest"])


main()
