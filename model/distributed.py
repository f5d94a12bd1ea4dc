"""Ensembles on Dask: batches of runs as tasks on a local or an existing cluster.

``simulate(..., backend="dask")`` sends each batch of runs to a
``dask.distributed`` worker.  A batch's numbers depend only on the seed and
its run indices (``streams.py``), so the results are bit for bit those of the
serial backend.  By default a ``LocalCluster`` of worker processes (one
thread each) is started for the call and closed after it; ``scheduler="tcp://
host:8786"`` uses a running cluster instead (its workers need this package
importable: the same checkout or an installed copy).

Commands that run several ensembles keep one cluster open with
``cluster(...)`` (or ``session(args)`` from parsed CLI options); ``simulate``
inside it reuses that client instead of starting its own.

For the command line: ``add_cluster_options(parser)`` adds ``--workers N`` and
``--scheduler ADDRESS``; ``backend_kwargs(args)`` turns them into
``simulate`` keyword arguments; ``session(args)`` keeps one cluster for the
whole command.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
from typing import Callable, Iterable, Iterator

CONNECT_TIMEOUT = 10          # seconds to reach a scheduler before giving up


class ClusterError(ConnectionError):
    """The Dask cluster could not be reached, or lost the workers running a batch."""


_active = None                # the client of the innermost ``cluster`` block, if any


def default_workers() -> int:
    """Worker processes of a local cluster: one per core."""
    return max(1, os.cpu_count() or 1)


def check_workers(workers) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer (got {workers!r})")
    return workers


@contextlib.contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None):
    """A ``dask.distributed.Client``: to ``scheduler`` if given, else to a new LocalCluster.

    Inside an open ``cluster`` block, a call without a scheduler address (and
    with no or the same number of workers) reuses the open client; an
    address always gets its own connection.  The local cluster has ``workers`` processes (one
    per core by default) with one thread each.
    """
    global _active
    if scheduler is not None and workers is not None:
        raise ValueError("give a scheduler address or a number of local workers, not both")
    if workers is not None:
        check_workers(workers)
    if _active is not None and scheduler is None \
            and (workers is None or workers == len(_active.scheduler_info()["workers"])):
        yield _active
        return
    from dask.distributed import Client, LocalCluster

    local = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT} s "
                               f"({type(exc).__name__}: {exc}); is `dask scheduler` running there?") from exc
    else:
        local = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                             env={"NUMBA_NUM_THREADS": "1"},     # a worker per core: no kernel threads too
                             dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(local, set_as_default=False)
    previous, _active = _active, client
    try:
        yield client
    finally:
        _active = previous
        client.close()
        if local is not None:
            local.close()


def run_tasks(fn: Callable, tasks: Iterable[tuple], scheduler: str | None = None,
              workers: int | None = None) -> Iterator:
    """Run ``fn(*task)`` for every task on the cluster; yield results as they finish.

    On an exception (including Ctrl-C in the caller) the outstanding tasks
    are cancelled; a batch whose workers kept dying raises ``ClusterError``.
    """
    from dask.distributed import as_completed
    from distributed.scheduler import KilledWorker

    with cluster(scheduler, workers) as client:
        futures = [client.submit(fn, *task, pure=False) for task in tasks]
        try:
            for future in as_completed(futures, loop=client.loop):
                try:
                    yield future.result()
                except KilledWorker as exc:
                    raise ClusterError(f"lost the Dask workers running a batch ({exc}); nothing was written") \
                        from exc
                future.release()
        finally:
            client.cancel(futures)


# -- command line ---------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {text!r})")
    return value


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers N`` and ``--scheduler ADDRESS`` (mutually exclusive) to a subcommand."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=_positive, metavar="N",
                       help="run the ensemble on a local Dask cluster of N worker processes")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://host:8786")


def backend_kwargs(args: argparse.Namespace) -> dict:
    """``simulate`` keyword arguments from parsed ``--workers``/``--scheduler`` ({} = serial)."""
    if getattr(args, "scheduler", None):
        return {"backend": "dask", "scheduler": args.scheduler}
    if getattr(args, "workers", None) is not None:
        return {"backend": "dask", "workers": args.workers}
    return {}


def session(args: argparse.Namespace):
    """One cluster for every ``simulate`` of a command (a no-op when serial)."""
    kw = backend_kwargs(args)
    if not kw:
        return contextlib.nullcontext()
    return cluster(kw.get("scheduler"), kw.get("workers"))
