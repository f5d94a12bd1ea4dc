"""Logistics: smart-logistics adoption, demonstration designations, rural delivery, parcels.

Interface for other modules
    ``model.logistics.rural_delivery_share``: array (runs, 17), for each
    prefecture the share of its administrative villages whose township has an
    express-delivery network point (reached by express delivery), in [0, 1].
    Updated in every quarterly ``step``; modules stepping before Logistics
    (e.g. ECommerce, whose rural demonstration counties read it as readiness)
    see the previous quarter's value.

Agents
    Logistics firms of scale (~500, lognormal size) and logistics parks (~60),
    each with a prefecture (in proportion to prefecture GDP) and a yes/no
    smart-logistics state (WMS/IoT/automated sorting).
Smart adoption
    Bass hazard per prefecture ``(p + q * share of its firms adopting)``,
    a unit's hazard scaled by ``size**e``; raised by the provincial subsidy
    ``(1 - s) ** -investment_cost_elasticity``, ``s`` being what the quarter's
    smart-logistics money pays of the expected adoption costs (capped).
    Exponential clocks per unit drawn once (common random numbers).
Designations
    National demonstration parks: one national round a year from 2016 with
    ``park_round_places`` places; Hubei wins each place with probability
    ``hubei_place_share`` x (Hubei's park adoption share / the national share:
    the same rules in expected value, one province-wide hazard, no subsidy), so provincial money
    raises Hubei's chances only by making more of its parks smart.  Provincial
    demonstration firms: a yearly round of ``firm_round_places`` places plus
    places the lever's grant money pays for.  Both through ``designations._award``
    (the kernel of ``award``) among smart adopters, best merit (log size + noise) first.
Rural delivery
    Market-led spread (Bass in expected value, slower in mountain
    prefectures); provincial money reaches further villages at
    ``delivery_cost_per_village``, shared among prefectures by unreached villages.
Parcels, revenue, value added, cost ratio (computed in ``finish``, after
ECommerce has its whole B2C series)
    Parcels = 2015 parcels x [e-commerce share x (B2C / B2C 2015)^elasticity
    x rural-reach factor + other share x (GDP / GDP 2015)^elasticity];
    revenue = parcels x price (falling trend); logistics value added =
    core (GDP elasticity) + express value added; cost/GDP ratio falls with a
    trend and with size-weighted smart adoption of firms.
"""
from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from .designations import _award
from .parameters import scalar
from .population import (
    N_PREF,
    STRUCTURE_SEED,
    largest_remainder,
    lognormal_quantiles,
    prefecture_arrays,
)
from .prefectures import prefectures
from .streams import per_run
from .sums import pairwise_sum, reduceat_sum

ROUND_PLACES_MAX = 60        # national places drawn per round (>= park_round_places high bound)


@lru_cache(maxsize=8)
def _units(n: int, sigma: float, e: float) -> dict[str, np.ndarray]:
    """``n`` units: prefecture (largest-remainder split by GDP), mean-1 lognormal size, size weight
    ``size**e``, where each prefecture's units start (``bounds``, 18) and 20 quantiles of the weight
    (for the national expectation).  The same in every run: read-only."""
    pa = prefecture_arrays()
    weight = pa["population"] * pa["rel_income"]
    per_pref = largest_remainder(weight / weight.sum() * n, n)
    size = lognormal_quantiles(n, sigma, np.random.default_rng(STRUCTURE_SEED))
    w = size ** e
    units = {"pref": np.repeat(np.arange(len(weight)), per_pref), "size": size, "w": w,
             "bounds": np.concatenate([[0], np.cumsum(per_pref)]).astype(np.int64),
             "nodes": np.quantile(w, (np.arange(20) + 0.5) / 20)}
    for fixed in units.values():
        fixed.flags.writeable = False
    return units


@lru_cache(maxsize=None)
def _villages() -> tuple[np.ndarray, np.ndarray]:
    """Administrative villages and mountain share (%) per prefecture.  Read-only."""
    frame = prefectures()
    arrays = frame.villages.to_numpy().astype(float), frame.mountain_share.to_numpy().astype(float)
    for fixed in arrays:
        fixed.flags.writeable = False
    return arrays


class Logistics:
    """Smart-logistics firms and parks, designations, rural express reach, parcels for a batch of runs."""

    lever = "efficient_logistics"
    levers = (lever,)
    name = "logistics"
    outputs = {"logistics_value_added": False, "smart_logistics_parks": False, "smart_logistics_firms": False,
               "express_parcels": False, "express_revenue": False, "logistics_cost_gdp_ratio": False,
               "rural_delivery_share": False, "rural_delivery_share_by_region": True,
               "smart_logistics_firm_share": False, "smart_logistics_adopting_parks": False}

    def __init__(self, model):
        self.m = m = model
        P = m.params
        R = m.runs
        e, sigma = scalar(P, "logistics_size_elasticity"), scalar(P, "logistics_size_sigma")
        # units are sorted by prefecture; structure arrays as attributes, so checkpoints share them
        firms = _units(int(scalar(P, "logistics_firms_total")), sigma, e)
        parks = _units(int(scalar(P, "logistics_parks_total")), sigma, e)
        self.firm_w, self.firm_bounds, self.firm_nodes = firms["w"], firms["bounds"], firms["nodes"]
        self.park_w, self.park_bounds, self.park_nodes = parks["w"], parks["bounds"], parks["nodes"]
        self.firm_w_total = float(self.firm_w.sum())
        self.cost = {k: scalar(P, k) for k in ("smart_firm_cost", "smart_park_cost", "smart_subsidy_cap",
                                               "delivery_cost_per_village", "demo_firm_grant",
                                               "firm_round_extra_max")}
        self.rural_share, self.demo_share = scalar(P, "logistics_rural_share"), scalar(P, "logistics_demo_share")

        rng = m.streams("logistics")
        nf, npk = len(self.firm_w), len(self.park_w)
        # clocks in units of cumulative hazard; the start hazard is the ``smart_share_2010`` quantile
        # of Exp(1), so about that share (more among large units) has adopted by 2010
        self.firm_clock = per_run(rng, "standard_exponential", (nf,)) / self.firm_w
        self.park_clock = per_run(rng, "standard_exponential", (npk,)) / self.park_w
        noise = P["logistics_merit_noise"][:, None]
        self.firm_merit = np.log(firms["size"])[None, :] + noise * per_run(rng, "standard_normal", (nf,))
        self.park_merit = np.log(parks["size"])[None, :] + noise * per_run(rng, "standard_normal", (npk,))
        n_rounds = max(int(m.years[-1]) - 2016 + 1, 1)
        self.round_u = per_run(rng, "random", (n_rounds, ROUND_PLACES_MAX))
        for fixed in (self.firm_clock, self.park_clock, self.firm_merit, self.park_merit, self.round_u):
            fixed.flags.writeable = False                  # drawn once: shared by the engine's checkpoints
        self.H = np.broadcast_to(-np.log1p(-P["smart_share_2010"])[:, None], (R, N_PREF)).copy()
        self.H_nat = -np.log1p(-P["smart_share_2010"])        # national pace: same rules, no subsidy
        self.firm_adopted = self.H[:, firms["pref"]] >= self.firm_clock
        self.park_adopted = self.H[:, parks["pref"]] >= self.park_clock
        self.parks_named = np.zeros((R, npk), dtype=bool)
        self.firms_named = np.zeros((R, nf), dtype=bool)
        self.grant_pot = 0.0                                  # grant money of the year (every run), 万元

        # rural delivery: village-weighted, slower where mountains dominate
        self.villages, mountain_share = _villages()
        drag = 1 - scalar(P, "rural_delivery_mountain_drag") * mountain_share / 100
        self.reach_factor = drag / (drag * self.villages).sum() * self.villages.sum()
        self.rural_delivery_share = np.clip(P["rural_delivery_share_2010"][:, None] * self.reach_factor[None, :], 0, 1)

        # per-run constants of the step (it runs 40 times)
        self.rates = np.stack([P[k] for k in ("bass_p_smart_logistics", "bass_q_smart_logistics",
                                              "bass_p_rural_delivery", "bass_q_rural_delivery",
                                              "investment_cost_elasticity", "hubei_place_share")]
                              + [np.floor(P[k]) for k in ("park_round_places", "firm_round_places")])
        Y = len(m.years)
        self.firm_share_w = np.zeros((R, Y))      # size-weighted smart share of firms, per year
        self.reach = np.zeros((R, Y))             # village-weighted rural reach, per year

    def step(self, s: int, y: int, quarter: int) -> None:
        m = self.m
        budget = m.budget(self.lever, s)
        rural_money = budget * self.rural_share
        demo_money = budget * self.demo_share
        if budget > 0:
            self.grant_pot += demo_money
        spent = np.empty(m.runs)
        c = self.cost
        _step(self.H, self.H_nat, self.firm_adopted, self.park_adopted, self.firm_clock, self.park_clock,
              self.firm_w, self.park_w, self.firm_bounds, self.park_bounds, self.firm_nodes, self.rates,
              budget - rural_money - demo_money, c["smart_subsidy_cap"], c["smart_firm_cost"], c["smart_park_cost"],
              m.dt, self.rural_delivery_share, self.reach_factor, self.villages, rural_money,
              c["delivery_cost_per_village"], spent)
        if quarter == 3 and m.years[y] >= 2016:        # designations at year-end
            grant = c["demo_firm_grant"]
            extra = int(min(np.floor(self.grant_pot / grant), c["firm_round_extra_max"]))
            _rounds(self.H_nat, self.park_adopted, self.park_nodes, self.rates, int(m.years[y] - 2016), extra, grant,
                    self.round_u, self.park_merit, self.parks_named, self.firm_merit, self.firm_adopted,
                    self.firms_named, spent)
            self.grant_pot = 0.0                       # money not used for grants this year lapses
        m.record_spend(self.lever, spent)

    # -- outputs ---------------------------------------------------------------
    def record(self, y: int, out: dict) -> None:
        _record(y, self.firm_adopted, self.park_adopted, self.firm_w, self.firm_w_total,
                self.rural_delivery_share, self.villages, self.parks_named, self.firms_named,
                self.firm_share_w, self.reach, out["smart_logistics_parks"], out["smart_logistics_firms"],
                out["smart_logistics_firm_share"], out["smart_logistics_adopting_parks"],
                out["rural_delivery_share"], out["rural_delivery_share_by_region"])

    def finish(self, out: dict) -> None:
        """Parcels, revenue, value added and cost ratio for every year (needs ECommerce's 2015 B2C)."""
        m, P = self.m, self.m.params
        i = m.year_index(2015)
        t = (m.years - 2015)[None, :]
        col = lambda name: P[name][:, None]                                     # noqa: E731
        gdp_ratio = m.macro.gdp / m.macro.gdp[:, [i]]
        # e-commerce parcels: B2C growth (coupled) or a stand-alone trend
        c = col("coupling_ecommerce_logistics")
        b2c = m.ecommerce.raw[:, :, 1]
        coupled = (b2c / b2c[:, [i]]) ** col("parcels_b2c_elasticity")
        alone = (1 + col("ecommerce_parcel_growth_alone")) ** t
        rural = col("rural_parcel_share_2015")
        reach = 1 - rural + rural * self.reach / self.reach[:, [i]]
        ecom = col("ecommerce_parcel_share_2015") * (c * coupled + (1 - c) * alone) * reach
        other = (1 - col("ecommerce_parcel_share_2015")) * gdp_ratio ** col("parcels_gdp_elasticity")
        parcels = col("express_parcels_2015") * (ecom + other)                  # 万件
        price = col("express_price_2016") * (1 + col("express_price_trend")) ** (t - 1)   # 元 per parcel
        revenue = parcels * price / 1e4                                         # 亿元
        out["express_parcels"][:] = parcels
        out["express_revenue"][:] = revenue
        # value added: core logistics tied to GDP, plus express value added
        express_va = col("express_va_ratio") * revenue
        core_2015 = col("logistics_va_share_2015") * m.macro.gdp[:, [i]] - express_va[:, [i]]
        out["logistics_value_added"][:] = core_2015 * gdp_ratio ** col("logistics_va_gdp_elasticity") + express_va
        # cost / GDP ratio: trend and smart adoption relative to 2015
        gain = self.firm_share_w - self.firm_share_w[:, [i]]
        out["logistics_cost_gdp_ratio"][:] = (col("logistics_cost_ratio_2015") * (1 + col("logistics_cost_trend")) ** t
                                              * (1 - col("smart_cost_saving") * gain))


# -- kernels ------------------------------------------------------------------
@numba.njit(cache=True, error_model="numpy")
def _step(H, H_nat, firm_adopted, park_adopted, firm_clock, park_clock, firm_w, park_w, firm_bounds, park_bounds,
          firm_nodes, rates, support, cap, firm_cost, park_cost, dt, rd, reach_factor, villages, rural_money,
          village_cost, spent):
    """One quarter for every run: smart adoption (hazard raised by ``support`` money), the national
    pace, rural delivery (spread, then ``rural_money``); money paid per run to ``spent``.

    Units are sorted by prefecture (``bounds``: where each prefecture's units start).  ``rates``
    rows: Bass p and q of smart adoption, of rural delivery, investment cost elasticity, Hubei's
    place share, park and firm round places (per run).
    """
    runs, prefs = H.shape
    nf, npk = firm_w.shape[0], park_w.shape[0]
    g = np.empty(prefs)
    tmp = np.empty(prefs)
    fx, px = np.empty(nf), np.empty(npk)
    nat = np.empty(firm_nodes.shape[0])
    for r in range(runs):
        spent[r] = 0.0
        for p in range(prefs):
            count = 0
            for i in range(firm_bounds[p], firm_bounds[p + 1]):
                if firm_adopted[r, i]:
                    count += 1
            g[p] = rates[0, r] + rates[1, r] * (count / max(firm_bounds[p + 1] - firm_bounds[p], 1))
        boost, sub = dt, 0.0
        if support > 0:
            for i in range(nf):
                fx[i] = 0.0 if firm_adopted[r, i] else firm_w[i]
            for i in range(npk):
                px[i] = 0.0 if park_adopted[r, i] else park_w[i]
            for p in range(prefs):
                waiting = (firm_cost * reduceat_sum(fx, firm_bounds[p], firm_bounds[p + 1])
                           + park_cost * reduceat_sum(px, park_bounds[p], park_bounds[p + 1]))
                tmp[p] = g[p] * waiting
            sub = min(cap, support / max(pairwise_sum(tmp, 0, prefs) * dt, 1e-9))
            boost = (1 - sub) ** -rates[4, r] * dt
        for p in range(prefs):
            H[r, p] += g[p] * boost
        for j in range(nat.shape[0]):      # national pace: expected share over the weight quantiles, no subsidy
            nat[j] = -np.expm1(-H_nat[r] * firm_nodes[j])
        H_nat[r] += (rates[0, r] + rates[1, r] * (pairwise_sum(nat, 0, nat.shape[0]) / nat.shape[0])) * dt
        for p in range(prefs):
            for i in range(firm_bounds[p], firm_bounds[p + 1]):
                now = H[r, p] >= firm_clock[r, i]
                fx[i] = firm_w[i] if now and not firm_adopted[r, i] else 0.0
                firm_adopted[r, i] = now
            for i in range(park_bounds[p], park_bounds[p + 1]):
                now = H[r, p] >= park_clock[r, i]
                px[i] = park_w[i] if now and not park_adopted[r, i] else 0.0
                park_adopted[r, i] = now
        if support > 0:       # subsidy on the investment of this quarter's adopters (size-weighted)
            spent[r] += min(sub * (firm_cost * pairwise_sum(fx, 0, nf) + park_cost * pairwise_sum(px, 0, npk)), support)

        # rural delivery: market-led spread, then provincial purchases
        for p in range(prefs):
            rd[r, p] += (rates[2, r] + rates[3, r] * rd[r, p]) * reach_factor[p] * (1 - rd[r, p]) * dt
            rd[r, p] = min(max(rd[r, p], 0.0), 1.0)
        if rural_money > 0:
            for p in range(prefs):
                tmp[p] = villages[p] * (1 - rd[r, p])
            total = pairwise_sum(tmp, 0, prefs)
            placed = min(rural_money / village_cost, total)
            for p in range(prefs):
                rd[r, p] = min(max(rd[r, p] + placed * tmp[p] / max(total, 1e-12) / villages[p], 0.0), 1.0)
            spent[r] += placed * village_cost


@numba.njit(cache=True, error_model="numpy")
def _rounds(H_nat, park_adopted, park_nodes, rates, k, extra, grant, round_u,
            park_merit, parks_named, firm_merit, firm_adopted, firms_named, spent):
    """Year ``k`` (from 2016)'s national park round and provincial firm round; grants paid to ``spent``."""
    runs, npk = park_adopted.shape
    wins = np.zeros(runs, np.int64)
    places = np.empty(runs, np.int64)
    nat = np.empty(park_nodes.shape[0])
    for r in range(runs):
        count = 0
        for i in range(npk):
            if park_adopted[r, i]:
                count += 1
        for j in range(nat.shape[0]):
            nat[j] = -np.expm1(-H_nat[r] * park_nodes[j])
        national = pairwise_sum(nat, 0, nat.shape[0]) / nat.shape[0]
        p_win = min(max(rates[5, r] * (count / npk) / max(national, 1e-9), 0.0), 1.0)
        for j in range(min(int(rates[6, r]), round_u.shape[2])):
            if round_u[r, k, j] < p_win:
                wins[r] += 1
        places[r] = int(rates[7, r]) + extra
    new = np.zeros(runs, np.int64)
    _award(park_merit, parks_named, wins, park_adopted, new)
    new[:] = 0
    _award(firm_merit, firms_named, places, firm_adopted, new)
    for r in range(runs):
        spent[r] += max(new[r] - int(rates[7, r]), 0) * grant


@numba.njit(cache=True, error_model="numpy")
def _record(y, firm_adopted, park_adopted, firm_w, firm_w_total, rd, villages, parks_named, firms_named,
            firm_share_w, reach, parks_out, firms_out, firm_share_out, adopting_out, reach_out, reach_by_region):
    """Year ``y``'s size-weighted smart share of firms and village-weighted reach, and the outputs."""
    runs, nf = firm_adopted.shape
    fx = np.empty(nf)
    tmp = np.empty(rd.shape[1])
    for r in range(runs):
        count = 0
        for i in range(nf):
            fx[i] = firm_w[i] if firm_adopted[r, i] else 0.0
            if firm_adopted[r, i]:
                count += 1
        firm_share_w[r, y] = pairwise_sum(fx, 0, nf) / firm_w_total
        for p in range(rd.shape[1]):
            tmp[p] = rd[r, p] * villages[p]
            reach_by_region[r, y, p] = 100 * rd[r, p]
        reach[r, y] = pairwise_sum(tmp, 0, rd.shape[1]) / pairwise_sum(villages, 0, villages.shape[0])
        reach_out[r, y] = 100 * reach[r, y]
        firm_share_out[r, y] = 100 * (count / nf)
        parks_out[r, y] = parks_named[r].sum()
        firms_out[r, y] = firms_named[r].sum()
        adopting_out[r, y] = park_adopted[r].sum()
