"""Command line: ``python -m model run|compare|forecast|scenarios|params``.

Bad input (scenario file, options, an unreachable Dask scheduler) exits with
status 2 and a message naming what is wrong; results are written atomically,
so a failed or interrupted run (Ctrl-C: status 130) leaves nothing.
``--workers N`` / ``--scheduler ADDRESS`` run the ensembles on Dask
(``distributed.py``).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import catalogue, distributed, parameters, results, scoreboard
from .engine import END_YEARS, resolve, simulate
from .scenario import ScenarioError, presets

console = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 150)


@contextlib.contextmanager
def _bar(label: str, unit: str):
    """A progress bar on stderr; yields ``progress(done, total)`` for the model's functions."""
    with Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _out(args, default: Path) -> Path:
    """The results file: ``--out`` or the command's default; must be netCDF."""
    out = Path(args.out) if args.out else default
    if out.suffix != ".nc":
        raise ValueError(f"--out {out}: the results file must end in .nc")
    return out


def _names(text: str | None) -> list[str] | None:
    """Comma-separated ids (``--targets a,b``); None when the option was not given."""
    if text is None:
        return None
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names:
        raise ValueError(f"expected comma-separated names, got {text!r}")
    return names


def _ensemble(scenario, runs: int, seed: int, end_year: int, **kwargs):
    """Simulate with a progress bar; ``kwargs`` go to ``simulate`` (backend, store)."""
    sc = resolve(scenario)
    with _bar(sc.id, "runs") as progress:
        ds = simulate(sc, runs=runs, seed=seed, end_year=end_year, progress=progress, **kwargs)
    if ds.chunks:                   # streamed to disk: one chunk along run for the quantiles
        ds = ds.chunk(run=-1)
    return sc, ds


def _fmt(x: float, unit: str) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    return f"{x:,.1f}" if unit in ("%", "rank") else f"{x:,.0f}"


def _name(row, lang: str) -> str:
    return row.name_zh if lang == "zh" else row.name_en


def print_scoreboard(ds, lang: str) -> None:
    board = scoreboard.scoreboard(ds)
    title = ds.attrs["scenario_name_zh" if lang == "zh" else "scenario_name_en"]
    table = Table(title=f"{title}  ({ds.attrs['runs']} runs, seed {ds.attrs['seed']})")
    for col in ("target", "name", "year", "goal", "median", "80% band", "P(met)", "P(holds 2020)", "basis"):
        table.add_column(col, justify="right" if col not in ("target", "name", "basis") else "left")
    for tid, r in board[board.modelled].iterrows():
        table.add_row(tid, _name(r, lang), str(r.year), f"{r.comparator} {_fmt(r.value, r.unit)} {r.unit}",
                      _fmt(r["median"], r.unit), f"{_fmt(r.lo80, r.unit)} – {_fmt(r.hi80, r.unit)}",
                      f"{r.p_met:.2f}", "-" if np.isnan(r.p_holds_2020) else f"{r.p_holds_2020:.2f}",
                      catalogue.CALIBRATION_LABELS[r.calibration][0 if lang == "zh" else 1])
    console.print(table)
    rest = board[~board.modelled]
    if len(rest):
        label = "尚未建模" if lang == "zh" else "not modelled yet"
        console.print(f"{label} ({len(rest)}): " + ", ".join(rest.index))
    lever_only = sorted(set(catalogue.areas().index) - set(catalogue.wired_areas()))
    label = "仅有投入杠杆、暂无指标的领域" if lang == "zh" else "lever only: no indicator"
    console.print(f"{label}: " + ", ".join(lever_only))
    spend = scoreboard.spending_summary(ds)
    if len(spend):
        console.print("spending 2016-2020, 亿元 (allocated / paid out, median): " + "; ".join(
            f"{a} {r.allocated:.1f} / {r.used:.1f}" for a, r in spend.iterrows()))


def print_comparison(a, b, lang: str, reach=None) -> None:
    cmp = scoreboard.compare(a, b, reach)
    na, nb = (a.attrs[f"scenario_name_{lang}"], b.attrs[f"scenario_name_{lang}"])
    table = Table(title=f"{na} vs {nb}  ({a.attrs['runs']} runs, seed {a.attrs['seed']}, common random numbers)")
    for col in ("target", "name", "year", "goal", f"median {na}", f"median {nb}", "difference",
                f"P {na}", f"P {nb}", "ΔP", "亿元/unit", "flags"):
        table.add_column(col, justify="left" if col in ("target", "name", "flags") else "right",
                         no_wrap=col == "target")
    for tid, r in cmp[cmp.modelled].iterrows():
        flags = [f for f, on in (("met w/o extra money", r.met_by_trend), ("out of reach", r.out_of_reach)) if on]
        cost = "-" if np.isnan(r.cost_per_unit) else f"{r.cost_per_unit:,.3g}"
        table.add_row(tid, _name(r, lang), str(r.year), f"{r.comparator} {_fmt(r.value, r.unit)}",
                      _fmt(r.median_base, r.unit), _fmt(r.median_other, r.unit),
                      f"{r.median_diff:+,.1f}", f"{r.p_met_base:.2f}", f"{r.p_met_other:.2f}",
                      f"{r.p_met_diff:+.2f}", cost, "; ".join(flags))
    console.print(table)
    if reach is not None:
        console.print("met w/o extra money = P(met) >= 0.8 in the first scenario when it spends nothing; "
                      "out of reach = P(met) < 0.2 even with every lever at its upper bound (levers.csv), "
                      "same seed; 亿元/unit = the target area's extra money to the target year per unit "
                      "of median gain over the first scenario")


def cmd_run(args) -> int:
    sc = resolve(args.scenario)
    path = _out(args, results.results_dir() / f"{sc.id}.nc")
    # written by simulate, atomically: an error or Ctrl-C leaves no file
    sc, ds = _ensemble(sc, args.runs, args.seed, args.end_year, store=path, **distributed.backend_kwargs(args))
    print_scoreboard(ds, args.lang)
    console.print(f"wrote {path}")
    return 0


def cmd_compare(args) -> int:
    with distributed.session(args):                 # one cluster for all three ensembles
        kw = distributed.backend_kwargs(args)
        _, a = _ensemble(args.base, args.runs, args.seed, args.end_year, **kw)
        _, b = _ensemble(args.other, args.runs, args.seed, args.end_year, **kw)
        _, reach = _ensemble(scoreboard.max_scenario(), args.runs, args.seed, args.end_year, **kw)
    print_comparison(a, b, args.lang, reach)
    return 0


def cmd_scenarios(args) -> int:
    for sid, sc in presets().items():
        console.print(f"{sid:12s} {sc.name_zh} / {sc.name_en}: {sc.total():.1f} 亿元 extra over 2016-2020")
    return 0


def cmd_forecast(args) -> int:
    """Forecast CSV with exactly ``forecast.COLUMNS``; sources in ``<out>.sources.csv`` and on stderr."""
    from . import forecast
    out = Path(args.out)
    if out.suffix != ".csv":
        raise ValueError(f"--out {out}: the forecast file must end in .csv")
    err.print(f"forecast {args.scenario}, as of {args.as_of} ({args.runs} runs) ...")
    with distributed.session(args):
        table, sources = forecast.forecast_table(args.scenario, as_of=args.as_of, runs=args.runs, seed=args.seed,
                                                 **distributed.backend_kwargs(args))
    side = out.with_name(out.stem + ".sources.csv")
    for frame, path in ((table, out), (sources, side)):
        results.atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False, float_format="%.6g"))
    stat = sources[sources.source == "statistical"]
    err.print(f"model: {', '.join(sources.indicator[sources.source == 'model'])}")
    err.print(f"statistical forecast stands in (not covered by the model) for {len(stat)} series: "
              + ", ".join(f"{r.indicator} [{r.note}]" for r in stat.itertuples()), markup=False, highlight=False)
    for r in sources[sources.note.str.contains("not honoured|not forecast")].itertuples():
        err.print(f"note: {r.indicator}: {r.note}", markup=False, highlight=False)
    console.print(f"wrote {out} ({len(table)} rows) and {side}")
    return 0


def cmd_sensitivity(args) -> int:
    """Global sensitivity (``model/sensitivity.py``): Morris screening or Sobol' indices, netCDF + top factors."""
    from . import sensitivity as sa
    out = _out(args, sa.default_path(args.method, args.quick))
    with _bar(f"sensitivity {args.method}", "samples") as progress:
        ds = sa.sensitivity(args.method, _names(args.factors), args.n, args.sample_runs, args.seed,
                            _names(args.targets), args.top, args.quick, progress=progress,
                            scheduler=args.scheduler, workers=args.workers)
    results.save(ds, out)
    words = sa.PRINTED[args.lang]
    table = Table(title=f"{args.method}: N {ds.attrs['N']}, {ds.attrs['runs_per_sample']} runs/sample, "
                        f"{ds.attrs['model_runs']} model runs, {ds.factor.size} factors, seed {args.seed}")
    for col in (words["target"], words["year"], words["sd"], words[args.method]):
        table.add_column(col, overflow="fold")
    for _, r in sa.summary(ds, args.lang).iterrows():
        table.add_row(r["name"], f"{r.year}" + ("" if r.year == r.target_year else words["holds"]),
                      f"{r.sd:,.3g} {r.unit}", r.top)
    console.print(table)
    notes = ([words["sobol_note"]] if args.method == "sobol" else []) + [words["design"]]
    console.print("\n".join(notes) + f"\n{ds.attrs['elapsed_seconds']} s; wrote {out}", markup=False, highlight=False)
    return 0


def cmd_params(args) -> int:
    print(PARAMETERS_HEADER + parameters.markdown_table())
    return 0


def cmd_optimise(args) -> int:
    """The best split of a total across the wired areas (model/optimise.py); netCDF + summary."""
    from . import optimise
    out = _out(args, results.results_dir() / ("optimise-quick.nc" if args.quick else "optimise.nc"))
    design = dict(optimise.QUICK if args.quick else optimise.DEFAULT)
    for key in ("runs", "popsize", "maxiter"):
        if getattr(args, key, None) is not None:
            design[key] = getattr(args, key)
    if args.areas is not None:
        design["areas"] = _names(args.areas)
    bounds = {}
    for item in _names(args.bounds) or []:
        area, _, rng = item.partition("=")
        try:
            low, high = (float(x) for x in rng.split(":"))
        except ValueError:
            raise ValueError(f"--bounds {item!r}: write area=low:high (亿元/yr), e.g. ecommerce=0.5:3") from None
        bounds[area.strip()] = (low, high)
    with _bar("optimise", "candidates") as progress:
        ds = optimise.optimise(args.total, args.objective, _names(args.priority), bounds or None, seed=args.seed,
                               progress=progress, scheduler=args.scheduler, workers=args.workers, **design)
    results.save(ds, out)
    for line in optimise.summary(ds, args.lang):
        console.print(line, markup=False, highlight=False)
    console.print(f"wrote {out} ({ds.attrs['elapsed_seconds']} s)")
    return 0


def cmd_discover(args) -> int:
    """Scenario discovery (``model/discover.py``): PRIM boxes of the conditions under which targets are missed."""
    from . import discover
    out = _out(args, results.results_dir() / ("discover-quick.nc" if args.quick else "discover.nc"))
    n = args.n if args.n is not None else discover.QUICK_N if args.quick else discover.DEFAULT_N
    runs = args.runs
    factors = discover.quick_factors() if args.quick else None
    with _bar("discover", "samples (then PRIM)") as progress:
        ds = discover.discover(_names(args.targets), n=n, runs=runs, seed=args.seed, factors=factors,
                               progress=progress, scheduler=args.scheduler, workers=args.workers)
    zh = args.lang == "zh"
    t = catalogue.targets()
    console.print(f"{'情景发现' if zh else 'Scenario discovery'}: {n} × {runs} = {n * runs} "
                  f"{'次模拟' if zh else 'runs'}, {ds.attrs['n_factors']} {'个因素' if zh else 'factors'}; "
                  + ("未达标 = 样本各次模拟中达标比例 < 0.5（假设）；所选方框 = 覆盖率 ≥ 0.5 中密度最高者（假设）" if zh else
                     "missed = share of a sample's runs meeting the target < 0.5 (assumption); box = densest "
                     "with coverage >= 0.5 (assumption)"), markup=False, highlight=False)
    status_text = {"never_missed": ("从未未达标", "never missed"), "always_missed": ("始终未达标", "always missed"),
                   "rarely_missed": ("极少未达标", "rarely missed"), "mostly_missed": ("几乎总是未达标", "almost always missed")}
    for tid in ds.target.values:
        b = ds.sel(target=tid)
        name = t.loc[tid, "name_zh" if zh else "name_en"]
        s = float(b.missed_share)
        share = f"{s:.2%}" if 0 < s < 0.005 else f"{s:.0%}"
        if str(b.status.values) == "box":
            conds = discover.conditions(ds, tid, args.lang)
            none = "（无显著条件）" if zh else "(no significant condition)"
            joined = (" 且 " if zh else " and ").join(conds) if conds else none
            console.print(f"[bold]{tid}[/] {name} ({'未达标' if zh else 'missed'} {share}): {joined}; "
                          f"{'覆盖率' if zh else 'coverage'} {float(b.coverage):.2f}, "
                          f"{'密度' if zh else 'density'} {float(b.density):.2f}")
        else:
            console.print(f"{tid} {name}: {status_text[str(b.status.values)][0 if zh else 1]} ({share})")
    results.save(ds, out)
    console.print(f"wrote {out}")
    return 0


PARAMETERS_HEADER = """# Parameter table

Generated from `model/data/parameters/*.csv` by `uv run python -m model params > docs/PARAMETERS.md`
(a test fails if this file and the table drift apart). Status: **source** (a cited value),
**derived** (arithmetic on cited values, shown in the note), **assumption** (our choice, with the
reasoning), **anchored** (set so the model reproduces one observation). Parameters with a range
are drawn per run (uniform or triangular with the value as mode) unless a scenario pins them.
`priors.csv` rows are in `model/data/observed/priors.csv` with their URLs.

"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m model", description="Hubei Internet+ scenario model")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--runs", type=int, default=200, help="ensemble size (default 200)")
        sp.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        sp.add_argument("--end-year", type=int, default=2020, choices=list(END_YEARS))
        sp.add_argument("--lang", choices=("zh", "en"), default="zh", help="names in the tables")

    run = sub.add_parser("run", help="simulate one scenario, write netCDF, print the scoreboard")
    run.add_argument("scenario", help="scenario TOML file or preset id")
    run.add_argument("--out", help="results file (default results/<scenario id>.nc)")
    common(run)
    distributed.add_cluster_options(run)
    run.set_defaults(func=cmd_run)
    cmp = sub.add_parser("compare", help="two scenarios side by side with the difference")
    cmp.add_argument("base")
    cmp.add_argument("other")
    common(cmp)
    distributed.add_cluster_options(cmp)
    cmp.set_defaults(func=cmd_compare)
    fc = sub.add_parser("forecast", help="forecast every Hubei series and modelled indicator to CSV")
    fc.add_argument("scenario", help="scenario TOML file or preset id")
    fc.add_argument("--as-of", type=int, default=2017, help="use only observations dated <= this year")
    fc.add_argument("--out", required=True, help="CSV: indicator,year,median,lo80,hi80,lo95,hi95")
    fc.add_argument("--runs", type=int, default=200, help="ensemble size (default 200)")
    fc.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    distributed.add_cluster_options(fc)
    fc.set_defaults(func=cmd_forecast)
    from .discover import DEFAULT_N, DEFAULT_RUNS, QUICK_N
    dsc = sub.add_parser("discover", help="scenario discovery: PRIM boxes where targets are missed")
    dsc.add_argument("--targets", help="comma-separated target ids (default: every modelled target)")
    dsc.add_argument("--n", type=int, help=f"samples (default {DEFAULT_N}; --quick {QUICK_N})")
    dsc.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"runs per sample (default {DEFAULT_RUNS})")
    dsc.add_argument("--quick", action="store_true", help=f"{QUICK_N} samples over the levers and 3 uncertainties")
    dsc.add_argument("--out", help="results file (default results/discover.nc or discover-quick.nc)")
    dsc.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    dsc.add_argument("--lang", choices=("zh", "en"), default="zh", help="names in the summary")
    distributed.add_cluster_options(dsc)
    dsc.set_defaults(func=cmd_discover)
    sub.add_parser("scenarios", help="list the preset scenarios").set_defaults(func=cmd_scenarios)
    sa = sub.add_parser("sensitivity", help="global sensitivity of the targets (SALib Morris / Sobol)")
    sa.add_argument("--method", choices=("morris", "sobol"), default="morris")
    sa.add_argument("--quick", action="store_true", help="small design for demos and tests (< 1 min)")
    sa.add_argument("--out", help="results file (default results/sensitivity_<method>[_quick].nc)")
    sa.add_argument("--seed", type=int, default=1, help="design and model seed (default 1)")
    sa.add_argument("--runs", dest="sample_runs", type=int, help="model runs per sample (default 8; quick 2)")
    sa.add_argument("--n", type=int, help="Morris trajectories (30) / Sobol base samples, power of 2 (256)")
    sa.add_argument("--factors", help="comma-separated factors (default Morris: all; Sobol: top of newest Morris)")
    sa.add_argument("--top", type=int, help="Sobol: how many top Morris factors (default 8; quick 3)")
    sa.add_argument("--targets", help="comma-separated target ids (default all modelled)")
    sa.add_argument("--lang", choices=("zh", "en"), default="zh", help="names in the table")
    distributed.add_cluster_options(sa)
    sa.set_defaults(func=cmd_sensitivity)
    sub.add_parser("params", help="print the parameter table as Markdown").set_defaults(func=cmd_params)
    opt = sub.add_parser("optimise", help="best split of a total budget across the areas (robust, scipy DE)")
    opt.add_argument("--total", type=float, help="亿元 over 2016-2020 (default: the plan's, an assumption)")
    opt.add_argument("--objective", choices=("expected_met", "p_all_priority"), default="expected_met")
    opt.add_argument("--priority", help="comma-separated target ids for p_all_priority")
    opt.add_argument("--areas", help="comma-separated areas free to vary (the rest keep the plan's money)")
    opt.add_argument("--bounds", help="narrower bounds, 亿元/yr: area=low:high,...")
    opt.add_argument("--quick", action="store_true", help="2 areas free, 4 runs, 3 generations (< 1 min)")
    opt.add_argument("--out", help="results file (default results/optimise.nc or optimise-quick.nc)")
    opt.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    for key, what in (("runs", "runs per candidate (default 16, quick 4)"),
                      ("popsize", "population per free area (default 5)"),
                      ("maxiter", "generations (default 15, quick 3)")):
        opt.add_argument(f"--{key}", type=int, default=argparse.SUPPRESS, help=what)
    opt.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the summary")
    distributed.add_cluster_options(opt)
    opt.set_defaults(func=cmd_optimise)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "runs", 1) < 1:
        err.print("error: --runs must be a positive integer")
        return 2
    if getattr(args, "seed", 0) < 0:
        err.print("error: --seed must be a non-negative integer")
        return 2
    try:
        return args.func(args)
    except (ScenarioError, ValueError, KeyError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted: no results written")
        return 130
