"""Inclusive finance: Hubei's Peking University digital financial inclusion index.

State
    One number per run, the index (PKU-DFIIC aggregate, unitless), anchored
    at its end-2015 observation; the years 2011-2015 are the observations
    themselves (2010 has none: the index starts in 2011) and 2016-2017 are
    checks, not fits.
Growth (from 2016)
    Logistic towards a ceiling, sped up by internet adoption and the lever:
    ``dI/dt = r * A * B * I * (1 - I / K) * exp(noise)``, where
    ``A = (broadband subscribers / 2015 subscribers) ** (coupling x e)``
    (connectivity's households online: more users of digital payment and
    credit) and ``B = 1 + b * (1 - exp(-M / M_half))`` with ``M`` the year's
    provincial money (亿元/yr): what it buys (rural digital-payment points,
    credit-information platform, guarantees for online lending to small firms
    and farmers) raises growth by at most ``b``.  The money is a grant
    programme with no capacity limit, so all of it is paid out.
"""
from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from .observations import best_value
from .streams import per_run

FIRST_DATA_YEAR, ANCHOR_YEAR = 2011, 2015


@lru_cache(maxsize=None)
def index_history() -> dict[int, float]:
    """Hubei's observed index, 2011-2015 (the years the model reads, not projects)."""
    return {y: best_value("digital_finance_index", y) for y in range(FIRST_DATA_YEAR, ANCHOR_YEAR + 1)}


class Finance:
    """The digital financial inclusion index for a batch of runs."""

    lever = "inclusive_finance"
    levers = (lever,)
    name = "finance"
    outputs = {"digital_finance_index": False}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        hist = index_history()
        self.index = np.full(m.runs, hist[ANCHOR_YEAR])
        self.anchor = m.year_index(ANCHOR_YEAR)
        # one noise draw per run and year, whatever the funding
        self.noise = per_run(m.streams("finance"), "standard_normal", (len(m.years),))
        self.rate = P["finance_growth_rate"][:, None] * np.exp(P["finance_growth_noise_sd"][:, None] * self.noise)
        self.exponent = P["coupling_connectivity_finance"] * P["finance_internet_elasticity"]
        self.ceiling = np.ascontiguousarray(P["finance_index_ceiling"], dtype=float)
        self.subs_2015 = self.online = self.internet = None
        self.boost = self.boost_budget = None             # B, and the quarter's money it was computed for

    def step(self, s: int, y: int, quarter: int) -> None:
        if y <= self.anchor:
            return
        m, P = self.m, self.m.params
        budget = m.budget(self.lever, s)
        if budget != self.boost_budget:                        # the money changes at most once a year
            money = budget * 4 / 1e4                           # 亿元 per year
            self.boost = 1 + P["finance_lever_max_speedup"] * (1 - np.exp(-money / P["finance_lever_half_money"]))
            self.boost_budget = budget
        _grow(self.index, self.rate, y, self.internet, self.boost, self.ceiling, m.dt)
        if budget > 0:
            m.record_spend(self.lever, np.full(m.runs, budget))

    def record(self, y: int, out: dict) -> None:
        year = int(self.m.years[y])
        if year >= ANCHOR_YEAR:                    # year-end users drive next year's growth
            self.online = out["broadband_subscribers"][:, y].copy()     # recorded by connectivity first
            if year == ANCHOR_YEAR:
                self.subs_2015 = self.online
            self.internet = (self.online / self.subs_2015) ** self.exponent
        hist = index_history()
        if year > ANCHOR_YEAR:
            out["digital_finance_index"][:, y] = self.index
        else:
            out["digital_finance_index"][:, y] = hist.get(year, np.nan)


@numba.njit(cache=True, error_model="numpy")
def _grow(index, rate, y, internet, boost, ceiling, dt):
    """One quarter of ``dI/dt = r A B I (1 - I/K)`` in place, per run: ``rate[:, y]`` is r with the year's
    noise, ``internet`` is A and ``boost`` is B."""
    for r in range(index.shape[0]):
        i = index[r]
        index[r] = i + rate[r, y] * internet[r] * boost[r] * i * max(1 - i / ceiling[r], 0.0) * dt
