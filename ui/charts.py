"""Plotly figures: fan charts of any catalogue indicator, the regional tile grid and dot chart."""
from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from model import catalogue, scoreboard
from ui.text import COMPARATOR_SIGNS, Text

COLOURS = {"baseline": "#8a8a8a", "scenario": "#c2410c", "history": "#111827", "target": "#1d4ed8"}
BAND_FILL = {"baseline": "rgba(138,138,138,0.25)", "scenario": "rgba(194,65,12,0.22)"}
BAND95_FILL = "rgba(194,65,12,0.10)"
OTHER_COLOURS = ("#7c3aed", "#0f766e", "#be185d")      # compared scenarios (median lines)
TILES_FILE = Path(__file__).with_name("tiles.csv")
FONT = "'Source Sans Pro', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif"


def _wrap(value, width: int = 60) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return "<br>".join(textwrap.wrap(text, width)) or "—"


def bands(da: xr.DataArray) -> pd.DataFrame:
    """Median and 80 %/95 % bands over runs (columns as ``scoreboard.QUANTILES``), by the other dim.

    numpy on the raw array: xarray's quantile costs ~10x more, and this runs on every slider move.
    """
    q = np.quantile(np.asarray(da.transpose("run", ...).values, dtype=float),
                    list(scoreboard.QUANTILES.values()), axis=0)
    other = [d for d in da.dims if d != "run"][0]
    return pd.DataFrame(dict(zip(scoreboard.QUANTILES, q)), index=pd.Index(da[other].values, name=other))


def _number_format(text: Text, decimals: int) -> str:
    return f"{text.grouping}.{decimals}f"


def _layout(fig: go.Figure, title: str, y_title: str, text: Text, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}}, height=height, font={"family": FONT, "size": 12},
        margin={"l": 10, "r": 10, "t": 45, "b": 10}, hovermode="closest", template="plotly_white",
        hoverlabel={"bgcolor": "white", "font": {"color": "#111827", "family": FONT}, "align": "left"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
        yaxis={"title": y_title, "tickformat": f"{text.grouping}~f"},
    )
    return fig


def _ensemble(fig: go.Figure, da: xr.DataArray, which: str, text: Text, fmt: str) -> None:
    """Median line and 80 % band of one ensemble (and the 95 % band for the current one)."""
    b = bands(da)
    name = text(which)
    if which == "scenario":
        fig.add_trace(go.Scatter(x=b.index, y=b.hi95, mode="lines", line={"width": 0}, hoverinfo="skip",
                                 legendgroup="band95", showlegend=False))
        fig.add_trace(go.Scatter(x=b.index, y=b.lo95, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=BAND95_FILL, hoverinfo="skip", legendgroup="band95",
                                 name=f"{name} {text('band95')}"))
    fig.add_trace(go.Scatter(x=b.index, y=b.hi80, mode="lines", line={"width": 0}, hoverinfo="skip",
                             legendgroup=which, showlegend=False))
    fig.add_trace(go.Scatter(x=b.index, y=b.lo80, mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=BAND_FILL[which], hoverinfo="skip", legendgroup=which,
                             name=f"{name} {text('band80')}"))
    fig.add_trace(go.Scatter(
        x=b.index, y=b["median"], mode="lines", name=f"{name} {text('median')}", legendgroup=which,
        line={"color": COLOURS[which], "width": 2.5 if which == "scenario" else 2,
              "dash": "solid" if which == "scenario" else "dash"},
        customdata=np.stack([b.lo80, b.hi80], axis=1),
        hovertemplate=(f"{name}<br>%{{x}}: %{{y:{fmt}}}<br>{text('band80')}: "
                       f"%{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}}<extra></extra>")))


def _other(fig: go.Figure, da: xr.DataArray, name: str, colour: str, fmt: str) -> None:
    """A compared scenario's median as a thin line."""
    med = bands(da)["median"]
    fig.add_trace(go.Scatter(x=med.index, y=med.values, mode="lines", name=name, line={"color": colour, "width": 1.8},
                             hovertemplate=f"{name}<br>%{{x}}: %{{y:{fmt}}}<extra></extra>"))


def _history(fig: go.Figure, hist: pd.DataFrame, text: Text, fmt: str) -> None:
    """Observed points; lower bounds as upward triangles."""
    for kind, symbol in (("level", "circle"), ("lower_bound", "triangle-up")):
        rows = hist[hist.kind == kind]
        if rows.empty:
            continue
        sources = [f"{t} ({s})" if t else s for t, s in zip(rows.source_title, rows.source)]
        notes = rows.note_zh if text.zh else rows.note_en
        custom = np.stack([[text(f"reliability_{r}") for r in rows.reliability],
                           [_wrap(s, 70) for s in sources], [_wrap(n) for n in notes]], axis=1)
        fig.add_trace(go.Scatter(
            x=rows.year, y=rows.value, mode="markers", name=text(f"history_{kind}"),
            marker={"symbol": symbol, "size": 11, "color": COLOURS["history"],
                    "line": {"width": 1, "color": "white"}},
            customdata=custom,
            hovertemplate=(f"{text('hover_year')}: %{{x}}<br>{text('hover_value')}: %{{y:{fmt}}}<br>"
                           f"{text('hover_reliability')}: %{{customdata[0]}}<br>"
                           f"{text('hover_source')}: %{{customdata[1]}}<br>"
                           f"{text('hover_note')}: %{{customdata[2]}}<extra></extra>")))


def _target(fig: go.Figure, target_id: str, indicator: str, text: Text, last_year: int) -> None:
    """The target as a star at its year and value; a 2018 target also as a hollow star in 2020."""
    t = catalogue.targets().loc[target_id]
    year, value = int(t.target_year), float(t.target_value)
    goal = text.goal(t.comparator, value, t.unit, indicator)
    fig.add_trace(go.Scatter(
        x=[year - 0.4, year + 0.4], y=[value, value], mode="lines", hoverinfo="skip", showlegend=False,
        line={"color": COLOURS["target"], "width": 1.5, "dash": "dot"}))
    fig.add_trace(go.Scatter(
        x=[year], y=[value], mode="markers", name=f"{text('target')} {year}: {goal}",
        marker={"symbol": "star", "size": 16, "color": COLOURS["target"], "line": {"width": 1, "color": "white"}},
        hovertemplate=f"{text('target')} ({year}): {goal}<extra></extra>"))
    if year < 2020 <= last_year:
        fig.add_trace(go.Scatter(
            x=[2020], y=[value], mode="markers", name=text("target_holds", year=year),
            marker={"symbol": "star-open", "size": 14, "color": COLOURS["target"]},
            hovertemplate=f"{text('target_holds', year=year)}: {goal}<extra></extra>"))


def indicator_chart(indicator: str, base: xr.Dataset, current: xr.Dataset, text: Text,
                    others: dict[str, xr.Dataset] | None = None) -> go.Figure:
    """Fan chart of one indicator: history, baseline and current ensembles, compared medians, target."""
    row = catalogue.indicators().loc[indicator]
    fmt = _number_format(text, int(row.decimals))
    unit = text.unit(row.unit, indicator)
    fig = go.Figure()
    _ensemble(fig, base[indicator], "baseline", text, fmt)
    _ensemble(fig, current[indicator], "scenario", text, fmt)
    for (name, ds), colour in zip((others or {}).items(), OTHER_COLOURS):
        if indicator in ds:
            _other(fig, ds[indicator], name, colour, fmt)
    hist = catalogue.history(indicator)
    if hist.empty:
        fig.add_annotation(text=text("no_history"), xref="paper", yref="paper", x=0.02, y=0.98,
                           showarrow=False, xanchor="left", yanchor="top", font={"size": 13, "color": "#b91c1c"},
                           bgcolor="rgba(254,242,242,0.9)", bordercolor="#b91c1c", borderwidth=1)
    else:
        _history(fig, hist, text, fmt)
    years = current.year.values
    if row.target and row.target in catalogue.targets().index:
        _target(fig, row.target, indicator, text, int(years.max()))
    fig.update_xaxes(range=[years.min() - 0.5, years.max() + 0.5], dtick=2)
    title = f"{text.name(row)}（{unit}）" if text.zh else f"{text.name(row)} ({unit})"
    badge = text.calibration(row.calibration)
    return _layout(fig, f"{title} · <span style='font-size:12px'>{badge}</span>", unit, text)


@lru_cache(maxsize=None)
def tiles() -> pd.DataFrame:
    """Tile-grid positions of the 17 prefectures (``tiles.csv``: name_en, col, row), roughly geographic."""
    return pd.read_csv(TILES_FILE).set_index("name_en")


def tile_chart(indicator: str, base: xr.Dataset, current: xr.Dataset, year: int, text: Text) -> go.Figure:
    """The 17 prefectures as tiles placed like the map, coloured by the current median."""
    var = f"{indicator}_by_region"
    row = catalogue.indicators().loc[indicator]
    dec = int(row.decimals)
    cur = bands(current[var].sel(year=year))["median"]
    bas = bands(base[var].sel(year=year))["median"]
    names_en = dict(zip(current.region.values, current.region_en.values))
    grid = tiles()
    x, y, labels, hover, colour = [], [], [], [], []
    for region, value in cur.items():
        en = names_en.get(region, region)
        if en not in grid.index:
            continue
        x.append(int(grid.loc[en, "col"]))
        y.append(-int(grid.loc[en, "row"]))
        short = region.removesuffix("市").removesuffix("土家族苗族自治州").removesuffix("林区") if text.zh else en
        labels.append(f"{short}<br>{text.number(value, dec)}")
        hover.append(f"{region if text.zh else en}<br>{text('scenario')}: {text.quantity(value, row.unit, dec, indicator)}"
                     f"<br>{text('baseline')}: {text.quantity(bas[region], row.unit, dec, indicator)}")
        colour.append(value)
    both = np.concatenate([cur.to_numpy(), bas.to_numpy()])     # one colour scale for both scenarios
    low, high = float(np.nanmin(both)), float(np.nanmax(both))
    if high - low < 1e-9:                                          # all equal: a flat, readable scale
        low, high = low - 1, high + 1
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers+text", text=labels, textfont={"size": 11, "family": FONT, "color": "#111827"},
        marker={"symbol": "square", "size": 62, "color": colour, "colorscale": "YlOrBr", "cmin": low, "cmax": high,
                "colorbar": {"title": text.unit(row.unit, indicator), "thickness": 12},
                "line": {"width": 1, "color": "white"}},
        hovertext=hover, hoverinfo="text", showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.6, grid["col"].max() + 0.6])
    fig.update_yaxes(visible=False, range=[-grid["row"].max() - 0.6, 0.6])
    return _layout(fig, "", "", text, height=380).update_layout(margin={"t": 10, "l": 10, "r": 10, "b": 10})


def regional_chart(indicator: str, base: xr.Dataset, current: xr.Dataset, year: int, text: Text) -> go.Figure:
    """Per-prefecture medians for one year: baseline and current, with the current 80 % band."""
    var = f"{indicator}_by_region"
    row = catalogue.indicators().loc[indicator]
    fmt = _number_format(text, int(row.decimals))
    b = bands(base[var].sel(year=year))
    c = bands(current[var].sel(year=year))
    names = dict(zip(current.region.values, current.region_en.values))
    order = c["median"].sort_values().index
    labels = [r if text.zh else names.get(r, r) for r in order]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=b.loc[order, "median"], y=labels, mode="markers", name=text("baseline"),
                             marker={"color": COLOURS["baseline"], "size": 9, "symbol": "diamond"},
                             hovertemplate=f"%{{y}} {text('baseline')}: %{{x:{fmt}}}<extra></extra>"))
    c = c.loc[order]
    fig.add_trace(go.Scatter(
        x=c["median"], y=labels, mode="markers", name=text("scenario"),
        marker={"color": COLOURS["scenario"], "size": 10},
        error_x={"type": "data", "symmetric": False, "array": c.hi80 - c["median"],
                 "arrayminus": c["median"] - c.lo80, "color": COLOURS["scenario"], "thickness": 1.2},
        hovertemplate=f"%{{y}} {text('scenario')}: %{{x:{fmt}}}<extra></extra>"))
    target = catalogue.targets().loc[row.target] if row.target else None
    if target is not None and int(target.target_year) == year:
        sign = COMPARATOR_SIGNS.get(target.comparator, target.comparator)
        fig.add_vline(x=float(target.target_value), line={"color": COLOURS["target"], "dash": "dot"},
                      annotation_text=f"{text('target')} {sign} {text.number(target.target_value)}",
                      annotation_position="top")
    fig = _layout(fig, "", "", text, height=520)
    return fig.update_layout(margin={"t": 20}, yaxis={"tickformat": ""}).update_xaxes(
        title=text.unit(row.unit, indicator), tickformat=f"{text.grouping}~f")
