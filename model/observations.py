"""Load and validate observation files in the project's common schema.

All vendored data (``model/data/observed``) and any file an economist adds use
one schema: ``indicator,name_zh,unit,year,value,region,kind,reliability,
source,source_title,note``.  Every row is checked; a bad file raises
:class:`ObservationError` naming the file, the line and the problem, and
nothing is returned.
"""
from __future__ import annotations

import csv
import math
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
OBSERVED_DIR = DATA_DIR / "observed"
PROVINCE = "湖北省"

COLUMNS = ("indicator", "name_zh", "unit", "year", "value", "region", "kind",
           "reliability", "source", "source_title", "note")
KINDS = {"level", "lower_bound", "growth_pct", "partial_year", "count", "status"}
RELIABILITY = {"A", "B", "C"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_YEAR = re.compile(r"^\d{4}$")


class ObservationError(ValueError):
    """A data file does not follow the observation schema."""


def _row_problems(row: dict[str, str], allow_unknown_year: bool) -> list[str]:
    problems = []
    if not _ID.match(row["indicator"]):
        problems.append(f"indicator {row['indicator']!r} is not a snake_case id")
    year = row["year"]
    if not (_YEAR.match(year) or (allow_unknown_year and year == "unknown")):
        problems.append(f"year {year!r} is not a 4-digit year")
    if row["kind"] not in KINDS:
        problems.append(f"kind {row['kind']!r} is not one of {sorted(KINDS)}")
    if row["reliability"] not in RELIABILITY:
        problems.append(f"reliability {row['reliability']!r} is not A, B or C")
    if not row["region"]:
        problems.append("region is empty")
    if not row["source"]:
        problems.append("source is empty")
    value = row["value"]
    if row["kind"] == "status":
        if value:
            problems.append("value must be empty for kind 'status'")
    else:
        try:
            number = float(value)
        except ValueError:
            problems.append(f"value {value!r} is not a number")
        else:
            if not math.isfinite(number):
                problems.append(f"value {value!r} is not finite")
    return problems


def read_observations(path: str | Path, allow_unknown_year: bool = False) -> pd.DataFrame:
    """Read one observation CSV, validating every row.

    Returns a DataFrame with ``value`` as float (NaN for status rows), ``year``
    as int (``-1`` where 'unknown' is allowed and given) and ``line`` the
    1-based line number in the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ObservationError(f"{path}: cannot read as UTF-8 text ({exc})") from exc
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise ObservationError(f"{path}: file is empty")
    if tuple(h.strip() for h in header) != COLUMNS:
        raise ObservationError(
            f"{path}:1: header must be {','.join(COLUMNS)} (got {','.join(header)})")
    rows, errors = [], []
    for line, fields in enumerate(reader, start=2):
        if not fields:
            continue
        if len(fields) != len(COLUMNS):
            errors.append(f"{path}:{line}: expected {len(COLUMNS)} fields, got {len(fields)}")
            continue
        row = dict(zip(COLUMNS, (f.strip() for f in fields)))
        errors.extend(f"{path}:{line}: {p}" for p in _row_problems(row, allow_unknown_year))
        row["line"] = line
        rows.append(row)
    if errors:
        shown = "\n".join(errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ObservationError(f"{len(errors)} problem(s) in {path}:\n{shown}{more}")
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "line"])
    frame["value"] = pd.to_numeric(frame["value"].replace("", None), errors="coerce")
    frame["year"] = frame["year"].replace("unknown", "-1").astype(int)
    return frame


@lru_cache(maxsize=None)
def hubei_observations() -> pd.DataFrame:
    """The vendored Hubei observations (``hubei_observations.csv``)."""
    return read_observations(OBSERVED_DIR / "hubei_observations.csv")


@lru_cache(maxsize=None)
def prefecture_rows() -> pd.DataFrame:
    """The vendored prefecture structure (``hubei_prefectures.csv``)."""
    return read_observations(OBSERVED_DIR / "hubei_prefectures.csv", allow_unknown_year=True)


def series(indicator: str, region: str = PROVINCE, kinds=("level", "lower_bound", "count"),
           frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """All rows of one indicator and region, sorted by year (conflicts kept)."""
    frame = hubei_observations() if frame is None else frame
    rows = frame[(frame.indicator == indicator) & (frame.region == region)
                 & frame.kind.isin(kinds)]
    return rows.sort_values(["year", "reliability"]).reset_index(drop=True)


def best_value(indicator: str, year: int, region: str = PROVINCE,
               source_contains: str | None = None) -> float:
    """The most reliable level observation of one indicator in one year.

    Ties in reliability keep the first row in file order; ``source_contains``
    narrows the choice to one source (e.g. one GDP vintage).
    """
    rows = series(indicator, region, kinds=("level", "count"))
    rows = rows[rows.year == year]
    if source_contains:
        rows = rows[rows.source.str.contains(source_contains, regex=False)]
    if rows.empty:
        raise KeyError(f"no level observation of {indicator} for {region} in {year}")
    return float(rows.sort_values(["reliability", "line"]).iloc[0].value)
