"""Briefing export: a one-page PDF (matplotlib, embedded CJK font) and CSV / netCDF of the results.

kaleido cannot export plotly figures here (it downloads its own Chrome), so the PDF's
charts are drawn with matplotlib and WenQuanYi Micro Hei, embedded as a TrueType subset.
"""
from __future__ import annotations

import io
import os
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import xarray as xr

from model import catalogue, scoreboard
from ui import board
from ui.board import LIGHT_COLOURS
from ui.charts import COLOURS, OTHER_COLOURS
from ui.text import Text

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
GREYS = {"baseline": COLOURS["baseline"], "current": COLOURS["scenario"]}
OTHERS = OTHER_COLOURS


def _font() -> str:
    from matplotlib import font_manager
    if CJK_FONT.exists():
        font_manager.fontManager.addfont(str(CJK_FONT))
        return font_manager.FontProperties(fname=str(CJK_FONT)).get_name()
    return "DejaVu Sans"


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def key_indicators(targets: pd.DataFrame, values: pd.DataFrame, n: int = 4) -> list[str]:
    """The indicators that matter most for the comparison: the largest change in P(met) first."""
    if targets.empty:
        return []
    spread = values.p_met.groupby(level="target").agg(lambda p: p.max() - p.min())
    order = spread.reindex(targets.index).fillna(0).sort_values(ascending=False, kind="stable")
    return list(dict.fromkeys(targets.loc[order.index, "indicator"]))[:n]


def _table(ax, targets: pd.DataFrame, values: pd.DataFrame, names: dict[str, str], text: Text) -> None:
    ax.axis("off")
    keys = list(names)
    header = ([text("col_target"), text("col_year"), text("col_goal"), text("col_calibration")]
              + [names[k] for k in keys] + [text("col_flags")])
    cells, colours = [], []
    for tid, t in board.by_area(targets).iterrows():      # grouped by action area, as in the app
        calibration = text.calibration(t.calibration) if text.zh else t.calibration   # short ids fit the cell
        row = [_short(text.name(t), 22 if text.zh else 36), str(int(t.year)),
               text.goal(t.comparator, t.value, t.unit, t.indicator), calibration]
        cols = ["white"] * 4
        for k in keys:
            v = values.loc[(tid, k)]
            row.append(text.probability(v.p_met))
            cols.append(LIGHT_COLOURS[v.light] + "40")
        row.append(board.flags(text, t))
        cols.append("white")
        cells.append(row)
        colours.append(cols)
    if not cells:
        ax.text(0, 0.5, text("not_modelled"), fontsize=9)
        return
    first = [0.26, 0.05, 0.12, 0.11] if text.zh else [0.24, 0.05, 0.17, 0.09]
    rest = 1 - sum(first) - 0.08 * len(keys)
    widths = first + [0.08] * len(keys) + [rest]
    tab = ax.table(cellText=cells, colLabels=header, cellColours=colours, colWidths=widths,
                   cellLoc="center", bbox=[0, 0, 1, 1])
    tab.auto_set_font_size(False)
    tab.set_fontsize(6.5 if len(cells) > 12 else 7.5)
    for (r, c), cell in tab.get_celld().items():
        if r == 0:
            cell.set_facecolor("#e5e7eb")
        if c == 0 or c == len(header) - 1:
            cell.set_text_props(ha="left")
            cell.PAD = 0.02


def _chart(ax, indicator: str, data: dict[str, xr.Dataset], names: dict[str, str], text: Text) -> None:
    row = catalogue.indicators().loc[indicator]
    colours = dict(GREYS)
    colours.update({k: c for k, c in zip([k for k in data if k not in GREYS], OTHERS)})
    for key, ds in data.items():
        if indicator not in ds:
            continue
        b = scoreboard.bands(ds[indicator]).to_dataframe()
        if key in ("baseline", "current"):
            ax.fill_between(b.index, b.lo80, b.hi80, color=colours[key], alpha=0.18, lw=0)
        ax.plot(b.index, b["median"], color=colours[key], lw=1.6, ls="--" if key == "baseline" else "-",
                label=names[key])
    hist = catalogue.history(indicator)
    if not hist.empty:
        ax.plot(hist.year, hist.value, "o", color="#111827", ms=3.5, label=text("history_level"))
    if row.target and row.target in catalogue.targets().index:
        t = catalogue.targets().loc[row.target]
        ax.plot([int(t.target_year)], [float(t.target_value)], "*", color="#1d4ed8", ms=11, label=text("target"))
    unit = text.unit(row.unit, indicator)
    ax.set_title(textwrap.fill(f"{text.name(row)}（{unit}）" if text.zh else f"{text.name(row)} ({unit})",
                               24 if text.zh else 48), fontsize=8.5)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.text(0.01, 0.97, text.calibration(row.calibration), transform=ax.transAxes, fontsize=6.5, va="top",
            color="#6b7280")


def pdf(targets: pd.DataFrame, values: pd.DataFrame, data: dict[str, xr.Dataset], names: dict[str, str],
        text: Text, footer: str, fmt: str = "pdf") -> bytes:
    """The one-page A4 briefing: scoreboard, then up to four fan charts, then provenance.

    ``fmt="png"`` draws the same page as an image (to look at it without a PDF viewer).
    """
    import matplotlib
    matplotlib.use("Agg")              # only when a PDF is made: matplotlib costs ~1.5 s to import
    import matplotlib.pyplot as plt
    family = _font()
    with plt.rc_context({"font.family": [family], "pdf.fonttype": 42, "axes.unicode_minus": False}):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.05, 0.965, text("briefing_title"), fontsize=15)
        fig.text(0.05, 0.945, text("briefing_subtitle", scenarios="、".join(names.values()) if text.zh
                                   else ", ".join(names.values())), fontsize=8.5, color="#374151")
        n = len(targets)
        table_h = min(0.45, 0.02 * (n + 1))
        ax = fig.add_axes([0.04, 0.93 - table_h, 0.92, table_h])
        _table(ax, targets, values, names, text)
        charts = key_indicators(targets, values)
        fig.text(0.05, 0.92 - table_h, textwrap.fill(text("flags_caption"), 95 if text.zh else 190), fontsize=6,
                 color="#4b5563", va="top")
        top = 0.895 - table_h
        for i, indicator in enumerate(charts):
            r, c = divmod(i, 2)
            h = (top - 0.08) / 2 - 0.05
            cax = fig.add_axes([0.08 + 0.47 * c, top - (r + 1) * (h + 0.05), 0.39, h])
            _chart(cax, indicator, data, names, text)
            if i == 0:
                cax.legend(fontsize=6.5, loc="lower right")
        fig.text(0.05, 0.035, text("briefing_note"), fontsize=6.5, color="#6b7280", wrap=True)
        fig.text(0.05, 0.018, footer, fontsize=6, color="#6b7280")
        out = io.BytesIO()
        fig.savefig(out, format=fmt, dpi=110)
        plt.close(fig)
    return out.getvalue()


def csv_bytes(data: dict[str, xr.Dataset], names: dict[str, str]) -> bytes:
    """Median and 80 %/95 % bands of every indicator, by scenario and year (long CSV, UTF-8 with BOM)."""
    ind = catalogue.indicators()
    frames = []
    for key, ds in data.items():
        for indicator in ind.index:
            if indicator not in ds:
                continue
            b = scoreboard.bands(ds[indicator]).to_dataframe().reset_index()
            b.insert(0, "indicator", indicator)
            b.insert(0, "scenario", names.get(key, key))
            b["unit"] = ind.loc[indicator, "unit"]
            b["calibration"] = ind.loc[indicator, "calibration"]
            frames.append(b)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame.to_csv(index=False).encode("utf-8-sig")


def netcdf_bytes(data: dict[str, xr.Dataset], names: dict[str, str]) -> bytes:
    """All ensembles in one netCDF file with a ``scenario`` dimension; each scenario's TOML kept."""
    keys = list(data)
    parts = [ds.drop_vars("parameter_value", errors="ignore").drop_attrs() for ds in data.values()]
    combined = xr.concat(parts, dim=pd.Index([names.get(k, k) for k in keys], name="scenario"),
                         data_vars="all", join="outer")
    first = data[keys[0]].attrs
    combined.attrs = {k: first[k] for k in ("title", "model_version", "git_commit", "seed", "runs", "data_vintage")
                      if k in first}
    for key in keys:
        combined.attrs[f"scenario_toml_{names.get(key, key)}"] = data[key].attrs.get("scenario_toml", "")
    fd, tmp = tempfile.mkstemp(suffix=".nc")
    os.close(fd)
    try:
        combined.to_netcdf(tmp)
        return Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)
