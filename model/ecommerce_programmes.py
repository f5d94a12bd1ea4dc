"""E-commerce designations: national demonstration bases and firms, cross-border
clusters and rural e-commerce demonstration counties (owned by ``model.ecommerce``).

Every round is an integer, cumulative, capacity-limited award bounded by the
eligible pool (``designations.award``).  The randomness of each round (the
fractional place, candidates' scores) is drawn at the start, so a run's
numbers do not depend on the scenario; money moves only expected places and
scores.

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

import numpy as np

from .designations import award
from .parameters import scalar
from .population import county_prefecture
from .prefectures import prefectures
from .streams import per_run


class Programme:
    """A designation programme for which Hubei's candidates compete, with cultivation money."""

    def __init__(self, model, rng, prefix: str, rounds: dict[int, np.ndarray], stock_2015: int = 0):
        P = model.params
        R = model.runs
        self.m = model
        self.pool = int(scalar(P, f"{prefix}_pool"))
        self.rounds = rounds                                      # year -> expected places (runs,)
        self.stock_2015 = stock_2015
        self.nominations = scalar(P, f"{prefix}_nominations")
        self.cost = scalar(P, "demo_cultivation_cost")
        self.uplift = P["demo_cultivation_uplift"]
        self.bonus = P["demo_cultivation_bonus"][:, None]
        self.quality = per_run(rng, "standard_normal", (self.pool,))
        self.u = per_run(rng, "random", (len(rounds),))
        self.round_of = {y: i for i, y in enumerate(sorted(rounds))}
        self.designated = np.zeros((R, self.pool), bool)
        self.cultivated = np.zeros((R, self.pool), bool)
        self.pot = np.zeros(R)                                     # money waiting to be used, 万元

    def waiting(self) -> np.ndarray:
        return (self.cultivated & ~self.designated).sum(1)

    def year_end(self, year: int) -> np.ndarray:
        """The year's round, then cultivation with the money put aside; returns money paid (runs,)."""
        if year == 2015 and self.stock_2015:
            # the stock stated c.2016 (dates of Hubei's earlier designations unknown)
            award(self.quality, self.designated, np.full(len(self.pot), self.stock_2015, np.int64))
        if year in self.rounds:
            expected = self.rounds[year] * (1 + self.uplift * np.minimum(1, self.waiting() / self.nominations))
            places = np.floor(expected + self.u[:, self.round_of[year]]).astype(np.int64)
            award(self.quality + self.bonus * self.cultivated, self.designated, places)
        if not self.pot.any():
            return np.zeros(len(self.pot))
        n = np.minimum(np.floor(self.pot / self.cost), np.maximum(self.nominations - self.waiting(), 0))
        n = award(self.quality, self.cultivated, n.astype(np.int64), eligible=~self.designated)
        self.pot[:] = 0                                  # what the year could not use is not spent
        return n * self.cost


class RuralCounties:
    """Rural e-commerce demonstration counties: national batches, provincial support."""

    def __init__(self, model, rng):
        P = model.params
        R = model.runs
        self.m = model
        frame = prefectures()
        counts = frame.counties.to_numpy().astype(int)
        self.pref = county_prefecture()                                      # (103,)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(len(self.pref)) - first[self.pref]                  # within its prefecture
        self.poverty = rank < frame.poverty_counties.to_numpy()[self.pref]
        self.eligible = self.pref != 0        # Wuhan's units are city districts: not in the rural programme
        self.onehot = (self.pref[:, None] == np.arange(len(counts))[None, :]).astype(float)
        years = range(2014, int(model.years[-1]) + 1)
        self.batch = {y: scalar(P, f"rural_demo_batch_{y}") if y <= 2017 else P["rural_demo_batch_later"]
                      for y in years}
        self.round_of = {y: i for i, y in enumerate(years)}
        n = len(self.pref)
        self.noise = per_run(rng, "standard_normal", (len(self.round_of), n))
        self.u = per_run(rng, "random", (len(self.round_of),))
        self.designated = np.zeros((R, n), bool)
        self.supported = np.zeros((R, n), bool)
        self.reference = None                                  # mean readiness at the first batch
        self.pot = np.zeros(R)

    def readiness(self, coverage: np.ndarray, delivery: np.ndarray) -> np.ndarray:
        """Per county (runs, 103): connectivity and delivery of its prefecture, provincial support."""
        P = self.m.params
        w = P["rural_demo_connectivity_weight"][:, None]
        base = w * coverage + (1 - w) * delivery                               # (runs, 17)
        return base[:, self.pref] + P["provincial_county_readiness_bonus"][:, None] * self.supported

    def year_end(self, year: int, coverage: np.ndarray, delivery: np.ndarray) -> np.ndarray:
        """The national batch for Hubei, then provincial support; returns money paid (runs,)."""
        P = self.m.params
        paid = np.zeros(len(self.pot))
        if year not in self.batch:
            return paid
        ready = self.readiness(coverage, delivery)
        mean = ready[:, self.eligible].mean(1)
        if self.reference is None:
            self.reference = mean
        expected = (self.batch[year] * P["rural_demo_hubei_share"]
                    * (mean / self.reference) ** P["rural_demo_readiness_elasticity"])
        i = self.round_of[year]
        places = np.floor(expected + self.u[:, i]).astype(np.int64)
        score = (ready + P["rural_demo_poverty_bonus"][:, None] * self.poverty
                 + P["rural_demo_score_noise"][:, None] * self.noise[:, i])
        award(score, self.designated, places, eligible=self.eligible[None, :])
        if self.pot.any():
            cost = scalar(P, "provincial_county_cost")
            n = np.minimum(np.floor(self.pot / cost), scalar(P, "provincial_county_capacity")).astype(np.int64)
            n = award(score, self.supported, n, eligible=self.eligible[None, :] & ~self.designated)
            paid = n * cost
            self.pot[:] = 0                              # what the year could not use is not spent
        return paid

    def by_region(self) -> np.ndarray:
        return self.designated.astype(float) @ self.onehot
