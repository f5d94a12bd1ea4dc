"""``python -m calibration backtest|fit|report``: the economists' workbench.

Bad input (a data file with errors, options) exits with status 2 and a
message naming the file and line; nothing is fitted or written then.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from model import distributed
from model.observations import ObservationError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _bar(label: str) -> Progress:
    return Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def _f(x, digits=2) -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def cmd_backtest(args) -> int:
    from . import backtest
    from .results import write_table
    with _bar("backtest") as bar:
        task = bar.add_task("backtest", total=1)
        long, scores, skipped = backtest.run(
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    table = Table(title=f"Rolling-origin backtests (train ≥ {backtest.MIN_TRAIN} years, h ≤ {backtest.H}); "
                        "mean over the forecasts every benchmark made")
    for col in ("series", "method", "n", "sMAPE", "MASE", "80% cover", "95% cover"):
        table.add_column(col, justify="left" if col in ("series", "method") else "right")
    for r in scores.itertuples():
        table.add_row(r.series, r.method, str(r.n), _f(r.smape), _f(r.mase), _f(r.cover80), _f(r.cover95))
    console.print(table)
    mean = backtest.summary(scores)
    total = Table(title="Mean over series (M4 yearly context: Naive2 16.3 / 3.97, Theta 14.6 / 3.38, winner 13.2 / 2.98)")
    for col in ("method", "series", "sMAPE", "MASE", "80% cover", "95% cover"):
        total.add_column(col, justify="left" if col == "method" else "right")
    for method, r in mean.iterrows():
        total.add_row(method, str((scores.method == method).sum()), _f(r.smape), _f(r.mase),
                      _f(r.cover80), _f(r.cover95))
    console.print(total)
    console.print("model: covers gdp only among backtestable series (macro driver, ETS on log growth "
                  "refitted at each origin); the other series are not model outputs.")
    console.print(f"not backtestable ({len(skipped)}): " + "; ".join(f"{r.series}: {r.reason}"
                                                                    for r in skipped.itertuples()))
    out = Path(args.out) if args.out else RESULTS / "backtest"
    paths = write_table(out, {"forecasts": long, "scores": scores, "skipped": skipped},
                        netcdf=scores.set_index(["series", "method"]))
    console.print("wrote " + ", ".join(map(str, paths)))
    return 0


def _extra_data(path: str | None) -> pd.DataFrame | None:
    if not path:
        return None
    from .observations import load_extra
    frame = load_extra(path)
    err.print(f"{path}: {len(frame)} valid rows added")
    return frame


def cmd_fit(args) -> int:
    from . import fit
    extra = _extra_data(args.data)       # validated before anything runs: nothing fitted on a bad file
    start = time.perf_counter()
    with distributed.session(args), _bar("fit" + (" (quick)" if args.quick else "")) as bar:
        task = bar.add_task("fit", total=1)
        result = fit.fit(quick=args.quick, extra=extra, seed=args.seed, backend=distributed.backend_kwargs(args),
                         progress=lambda done, total: bar.update(task, completed=done, total=total))
    path = fit.write(result, Path(args.out) if args.out else None)
    seconds = time.perf_counter() - start
    table = Table(title=f"Fitted parameters ({result['evaluations']} simulations, {seconds:.0f} s)")
    for col in ("parameter", "prior range", "estimate", "sd", "identified"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, p in result["parameters"].items():
        table.add_row(name, f"[{p['low']:g}, {p['high']:g}]", f"{p['value']:.4g}", _f(p["sd"], 4),
                      "yes" if p["identified"] else "prior only")
    console.print(table)
    console.print(f"objective {result['objective_start']:.2f} -> {result['objective']:.2f} "
                  f"(negative log-likelihood, {len(result['observations'])} observations)")
    console.print(f"wrote {path}")
    return 0


def cmd_panel(args) -> int:
    from . import panel
    frame = panel.estimates()
    table = Table(title="31-province panel (MixedLM: random intercept per province, Hubei fixed effect)")
    for col in ("quantity", "parameter", "national (se)", "Hubei effect (se)", "province sd", "n"):
        table.add_column(col)
    for r in frame.itertuples():
        table.add_row(r.quantity, r.parameter or "check only", f"{r.national:.4f} ({r.national_se:.4f})",
                      f"{r.hubei_effect:+.4f} ({r.hubei_effect_se:.4f})", f"{r.province_sd:.4f}", str(r.n))
    console.print(table)
    if not args.dry_run:
        console.print(f"wrote {panel.write(frame)}")
    return 0


def cmd_report(args) -> int:
    from . import report
    data = report.build(params_file=args.params_file, runs=args.runs)
    table = Table(title=f"Observed vs simulated (plan spending from 2016; parameters: {data['params_file']})")
    for col in ("series", "year", "kind", "rel.", "observed", "sim median", "sim 80%", "z", "source"):
        table.add_column(col, justify="left" if col in ("series", "kind", "source") else "right")
    for r in data["points"].itertuples():
        table.add_row(r.series, str(r.year), r.kind, r.reliability, f"{r.observed:,.1f}", f"{r.sim_median:,.1f}",
                      f"{r.sim_lo80:,.1f} – {r.sim_hi80:,.1f}", _f(r.z), r.source[:40])
    console.print(table)
    est = Table(title="Parameter estimates")
    for col in ("parameter", "status", "prior range", "estimate", "sd", "series"):
        est.add_column(col)
    for r in data["estimates"].itertuples():
        est.add_row(r.parameter, r.status, r.prior, r.estimate, r.sd, r.series)
    console.print(est)
    ind = Table(title="Indicators: identified by data or resting on priors")
    for col in ("indicator", "catalogue", "evidence"):
        ind.add_column(col)
    for r in data["indicators"].itertuples():
        ind.add_row(r.indicator, r.calibration, r.evidence)
    console.print(ind)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m calibration", description="calibration, backtests, report")
    sub = p.add_subparsers(dest="command", required=True)
    bt = sub.add_parser("backtest", help="rolling-origin backtests vs Naive2, Theta, damped ETS")
    bt.add_argument("--out", help="output stem (default results/backtest): writes <stem>_*.csv and <stem>.nc")
    bt.set_defaults(func=cmd_backtest)
    ft = sub.add_parser("fit", help="fit behavioural parameters, write a versioned parameter file")
    ft.add_argument("--quick", action="store_true", help="small fit for demos and tests")
    ft.add_argument("--data", help="extra observations CSV in the vendored schema")
    ft.add_argument("--seed", type=int, default=7, help="common random numbers seed (default 7)")
    ft.add_argument("--out", help="parameter file (default model/data/fitted/params-<time>.json)")
    distributed.add_cluster_options(ft)
    ft.set_defaults(func=cmd_fit)
    pn = sub.add_parser("panel", help="priors from the 31-province panel (writes calibration/panel_priors.csv)")
    pn.add_argument("--dry-run", action="store_true", help="print the estimates, write nothing")
    pn.set_defaults(func=cmd_panel)
    rp = sub.add_parser("report", help="observed vs simulated, estimates, identified vs prior-only")
    rp.add_argument("--params-file", help="fitted parameter file (default: the newest; 'none' for priors)")
    rp.add_argument("--runs", type=int, default=100)
    rp.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ObservationError as exc:
        err.print(f"error: {exc}\nnothing was fitted.", markup=False, highlight=False)
        return 2
    except (ValueError, KeyError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
