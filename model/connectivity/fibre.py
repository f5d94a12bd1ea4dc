"""Fibre (FTTH) share of subscribers and the all-fibre cities (set-up here; the quarter in ``ranking._fibre``).

State
    Per prefecture, the share of broadband subscribers on fibre to the home
    ("光进铜退"): a logistic path in time, ``logit x`` rising by
    ``fibre_logit_rate`` a year, through ``fibre_share_2015`` (the national
    share, Hubei assumed at it) at the end of 2015, shifted per prefecture and
    run by a normal draw (sd ``fibre_prefecture_sd``).
All-fibre cities
    Wuhan, Yichang and Xiangyang (the plan's 率先成为全光网城市) reach all-fibre
    status when their fibre share passes ``allfibre_threshold``; status, once
    reached, is kept.
Money
    What is left of the infrastructure money after the village tails and the
    schools pays fibre retrofits of copper subscribers in the named cities
    not yet all-fibre, ``fibre_retrofit_cost`` per subscriber, shared by their
    copper subscribers.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logit

from ..streams import per_run

NAMED_CITIES = (0, 4, 3)        # Wuhan, Xiangyang, Yichang in model order (data/prefectures.csv)


class CityFibre:
    """FTTH share per prefecture and all-fibre status of the named cities, for a batch of runs."""

    outputs = {"fibre_subscriber_share": False, "fibre_subscriber_share_by_region": True,
               "allfibre_cities": False}

    def __init__(self, conn, gens):
        P, m = conn.m.params, conn.m
        noise = per_run(gens, "standard_normal", (len(conn.villages_per_pref),))
        self.rate = P["fibre_logit_rate"][:, None]
        start = (logit(P["fibre_share_2015"])[:, None] - self.rate * (2015 - m.years[0])
                 + P["fibre_prefecture_sd"][:, None] * noise)
        self.logit_x = start                                   # (R, 17), logit of the fibre share
        self.cities = np.array(NAMED_CITIES)
        self.logit_threshold = logit(P["allfibre_threshold"])[:, None]
        self.cost = P["fibre_retrofit_cost"]                   # 万元 per subscriber
        self.step_logit = self.rate * m.dt
        self.reached = np.ascontiguousarray(self.logit_x[:, self.cities] >= self.logit_threshold)
