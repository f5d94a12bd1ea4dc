"""E-commerce designations: national demonstration bases and firms, cross-border
clusters and rural e-commerce demonstration counties (owned by ``model.ecommerce``).

Every round is an integer, cumulative, capacity-limited award bounded by the
eligible pool (``designations._award``, the kernel of ``award``, called from
the year-end kernels below).  The randomness of each round (the fractional
place, candidates' scores) is drawn at the start, so a run's numbers do not
depend on the scenario; money moves only expected places and scores.

Programmes (bases, firms, clusters)
    A pool of Hubei candidates with a latent quality.  A round gives Hubei
    ``floor(expected + u)`` places (``u`` uniform, drawn at the start), with
    ``expected = base * (1 + uplift * min(1, cultivated / nominations))``:
    provincial money cultivates the best candidates (``cultivation_cost`` each,
    at most ``nominations`` waiting at a time), which raises the expected
    places and puts the cultivated candidates first (score bonus).  Rounds
    happen in the last quarter, cultivation after them, so money acts on the
    next year's round; money a year cannot use is not spent (no carry-over).
Rural demonstration counties
    Yearly national batches (sizes from the data); Hubei's places are
    ``floor(batch * hubei_share * (readiness / readiness in 2014) ** e + u)``;
    within Hubei the places go to the counties with the best score: readiness
    (village broadband of the prefecture, rural delivery reach, a bonus once
    the province has supported the county) plus a poverty bonus plus noise.
    Provincial money names provincial demonstration counties
    (``provincial_county_cost`` each, ``provincial_county_capacity`` a year).
"""
from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from .designations import _award
from .parameters import scalar
from .population import county_prefecture
from .prefectures import prefectures
from .streams import per_run
from .sums import pairwise_sum


class Programme:
    """A designation programme for which Hubei's candidates compete, with cultivation money."""

    def __init__(self, model, rng, prefix: str, rounds: dict[int, np.ndarray], stock_2015: int = 0):
        P = model.params
        R = model.runs
        self.m = model
        self.pool = int(scalar(P, f"{prefix}_pool"))
        self.round_of = {y: i for i, y in enumerate(sorted(rounds))}
        self.expected = np.zeros((R, len(rounds)))                # expected places per run and round
        for y, i in self.round_of.items():
            self.expected[:, i] = rounds[y]
        self.stock_2015 = stock_2015
        self.nominations = scalar(P, f"{prefix}_nominations")
        self.cost = scalar(P, "demo_cultivation_cost")
        self.uplift = P["demo_cultivation_uplift"]
        self.bonus = P["demo_cultivation_bonus"]
        self.quality = per_run(rng, "standard_normal", (self.pool,))
        self.u = per_run(rng, "random", (len(rounds),))
        self.designated = np.zeros((R, self.pool), bool)
        self.cultivated = np.zeros((R, self.pool), bool)
        self.pot = 0.0                                           # money waiting to be used, 万元 (every run)

    def year_end(self, year: int, spent: np.ndarray) -> None:
        """The year's round, then cultivation with the money put aside; adds the money paid to ``spent``."""
        if not (self.pot or year in self.round_of or (year == 2015 and self.stock_2015)):
            return                                       # nothing happens this year
        _programme_year(self.quality, self.designated, self.cultivated, self.bonus,
                        self.stock_2015 if year == 2015 else 0, self.expected, self.u, self.round_of.get(year, -1),
                        self.uplift, self.nominations, np.floor(self.pot / self.cost) if self.pot else -1.0,
                        self.cost, spent)
        self.pot = 0.0                                   # what the year could not use is not spent


@lru_cache(maxsize=None)
def _counties() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 103 county-level units: prefecture, poverty county (the first ones of each prefecture),
    eligible (Wuhan's units are city districts: not in the rural programme).  Read-only."""
    frame = prefectures()
    counts = frame.counties.to_numpy().astype(int)
    pref = county_prefecture().copy()
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(pref)) - first[pref]                  # within its prefecture
    poverty = rank < frame.poverty_counties.to_numpy()[pref]
    units = pref, poverty, pref != 0
    for fixed in units:
        fixed.flags.writeable = False
    return units


class RuralCounties:
    """Rural e-commerce demonstration counties: national batches, provincial support."""

    def __init__(self, model, rng):
        P = model.params
        R = model.runs
        self.pref, self.poverty, self.eligible = _counties()
        years = range(2014, int(model.years[-1]) + 1)
        self.batch = np.empty((R, len(years)))                                  # national batch sizes
        for i, y in enumerate(years):
            self.batch[:, i] = scalar(P, f"rural_demo_batch_{y}") if y <= 2017 else P["rural_demo_batch_later"]
        self.round_of = {y: i for i, y in enumerate(years)}
        n = len(self.pref)
        self.noise = per_run(rng, "standard_normal", (len(self.round_of), n))
        self.u = per_run(rng, "random", (len(self.round_of),))
        self.designated = np.zeros((R, n), bool)
        self.supported = np.zeros((R, n), bool)
        self.reference = np.zeros(R)                           # mean readiness at the first batch
        self.weights = np.stack([P[k] for k in (
            "coupling_logistics_ecommerce", "rural_demo_connectivity_weight", "provincial_county_readiness_bonus",
            "rural_demo_hubei_share", "rural_demo_readiness_elasticity", "rural_demo_poverty_bonus",
            "rural_demo_score_noise")])
        self.cost = scalar(P, "provincial_county_cost")
        self.capacity = scalar(P, "provincial_county_capacity")
        self.pot = 0.0                                         # money waiting to be used, 万元 (every run)

    def year_end(self, year: int, coverage: np.ndarray, delivery: np.ndarray, spent: np.ndarray) -> None:
        """The national batch for Hubei, then provincial support; adds the money paid to ``spent``.

        ``coverage``: village broadband share, ``delivery``: rural delivery reach (runs, 17).
        """
        if year not in self.round_of:
            return
        affordable = int(min(np.floor(self.pot / self.cost), self.capacity)) if self.pot else -1
        _county_batch(coverage, delivery, self.weights, self.pref, self.poverty, self.eligible, self.supported,
                      self.designated, self.reference, self.batch, self.noise, self.u, self.round_of[year],
                      affordable, self.cost, spent)
        self.pot = 0.0                                   # what the year could not use is not spent


@numba.njit(cache=True, error_model="numpy")
def _programme_year(quality, designated, cultivated, bonus, stock, expected, u, i, uplift, nominations,
                    affordable, cost, spent):
    """A programme's year end for every run: the 2015 stock (``stock`` > 0), round ``i`` (if >= 0),
    then cultivation of at most ``affordable`` candidates (if >= 0); adds the money paid to ``spent``."""
    runs, n = quality.shape
    anyone = np.ones((1, 1), np.bool_)
    places = np.empty(runs, np.int64)
    new = np.zeros(runs, np.int64)
    if stock > 0:
        places[:] = stock
        _award(quality, designated, places, anyone, new)
    if i >= 0:
        score = np.empty((runs, n))
        for r in range(runs):
            waiting = 0
            for c in range(n):
                if cultivated[r, c] and not designated[r, c]:
                    waiting += 1
                score[r, c] = quality[r, c] + bonus[r] * cultivated[r, c]
            places[r] = np.int64(np.floor(expected[r, i] * (1 + uplift[r] * min(1.0, waiting / nominations))
                                          + u[r, i]))
        _award(score, designated, places, anyone, new)
    if affordable < 0:
        return
    for r in range(runs):
        waiting = 0
        for c in range(n):
            if cultivated[r, c] and not designated[r, c]:
                waiting += 1
        places[r] = np.int64(min(affordable, max(nominations - waiting, 0.0)))
    new[:] = 0
    _award(quality, cultivated, places, ~designated, new)
    for r in range(runs):
        spent[r] += new[r] * cost


@numba.njit(cache=True, error_model="numpy")
def _county_batch(coverage, delivery, weights, pref, poverty, eligible, supported, designated, reference,
                  batch, noise, u, i, affordable, cost, spent):
    """Batch ``i`` for every run: counties' readiness and scores, Hubei's places, the award; then
    provincial support for at most ``affordable`` counties (if >= 0); adds the money paid to ``spent``.

    ``weights`` rows: coupling to logistics, connectivity weight, support bonus, Hubei's share,
    readiness elasticity, poverty bonus, score noise (per run).
    """
    runs, n = designated.shape
    c, w, bonus, share, elasticity, poor, sd = weights
    score = np.empty((runs, n))
    ready = np.empty(n)
    places = np.empty(runs, np.int64)
    for r in range(runs):
        m = 0
        for j in range(n):
            p = pref[j]
            reach = c[r] * delivery[r, p] + (1 - c[r]) * coverage[r, p]
            ready_j = w[r] * coverage[r, p] + (1 - w[r]) * reach + bonus[r] * supported[r, j]
            score[r, j] = ready_j + poor[r] * poverty[j] + sd[r] * noise[r, i, j]
            if eligible[j]:
                ready[m] = ready_j
                m += 1
        mean = pairwise_sum(ready, 0, m) / m
        if i == 0:
            reference[r] = mean
        expected = batch[r, i] * share[r] * (mean / reference[r]) ** elasticity[r]
        places[r] = np.int64(np.floor(expected + u[r, i]))
    new = np.zeros(runs, np.int64)
    _award(score, designated, places, eligible.reshape(1, n), new)
    if affordable < 0:
        return
    places[:] = affordable
    new[:] = 0
    _award(score, supported, places, eligible.reshape(1, n) & ~designated, new)
    for r in range(runs):
        spent[r] += new[r] * cost
