"""Writing calibration outputs: CSV tables (atomically) and a netCDF copy."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.results import atomic_write


def write_table(stem: Path, tables: dict[str, pd.DataFrame], netcdf: pd.DataFrame | None = None) -> list[Path]:
    """``<stem>_<name>.csv`` per table and ``<stem>.nc`` from ``netcdf`` (a MultiIndexed frame)."""
    paths = []
    for name, frame in tables.items():
        path = stem.with_name(f"{stem.name}_{name}.csv")
        atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False, float_format="%.6g"))
        paths.append(path)
    if netcdf is not None:
        path = stem.with_suffix(".nc")
        ds = netcdf.to_xarray()
        ds.attrs["title"] = "Hubei Internet+ model: rolling-origin backtest scores"
        atomic_write(path, lambda tmp: ds.to_netcdf(tmp))
        paths.append(path)
    return paths
