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
    places the lever's grant money pays for.  Both through ``designations.award``
    among smart adopters, best merit (log size + noise) first.
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

import numpy as np

from .designations import award
from .parameters import scalar
from .population import N_PREF, STRUCTURE_SEED, lognormal_quantiles, largest_remainder, prefecture_arrays
from .prefectures import prefectures
from .streams import per_run

ROUND_PLACES_MAX = 60        # national places drawn per round (>= park_round_places high bound)


def _units(n: int, sigma: float, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefecture (largest-remainder split by ``weight``) and mean-1 lognormal sizes of ``n`` units."""
    pref = np.repeat(np.arange(len(weight)), largest_remainder(weight / weight.sum() * n, n))
    return pref, lognormal_quantiles(n, sigma, np.random.default_rng(STRUCTURE_SEED))


def _groups(pref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefectures with units and where their (contiguous) units start; ``pref`` is sorted."""
    has = np.bincount(pref, minlength=N_PREF) > 0
    return has, np.searchsorted(pref, np.arange(N_PREF))[has]


def _by_pref(x: np.ndarray, groups: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per-prefecture sums of a (runs, units) array; 0 where a prefecture has no units."""
    has, starts = groups
    out = np.zeros((len(x), N_PREF))
    out[:, has] = np.add.reduceat(x, starts, axis=1)
    return out


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
        pa = prefecture_arrays()
        pref_frame = prefectures()
        gdp_w = pa["population"] * pa["rel_income"]
        e = scalar(P, "logistics_size_elasticity")
        self.firm_pref, fsize = _units(int(scalar(P, "logistics_firms_total")), scalar(P, "logistics_size_sigma"), gdp_w)
        self.park_pref, psize = _units(int(scalar(P, "logistics_parks_total")), scalar(P, "logistics_size_sigma"), gdp_w)
        self.firm_size, self.firm_w, self.park_w = fsize, fsize ** e, psize ** e
        self.firms_per_pref = np.bincount(self.firm_pref, minlength=N_PREF)
        # units are sorted by prefecture: per-prefecture sums are reduceat over these starts
        # (a prefecture without parks gets a start past the end and is masked)
        self.firm_groups = _groups(self.firm_pref)
        self.park_groups = _groups(self.park_pref)
        self.cost = {k: scalar(P, k) for k in ("smart_firm_cost", "smart_park_cost", "smart_subsidy_cap",
                                               "logistics_rural_share", "logistics_demo_share",
                                               "delivery_cost_per_village", "demo_firm_grant",
                                               "firm_round_extra_max")}

        rng = m.streams("logistics")
        nf, npk = len(fsize), len(psize)
        # clocks in units of cumulative hazard; the start hazard is the ``smart_share_2010`` quantile
        # of Exp(1), so about that share (more among large units) has adopted by 2010
        self.firm_clock = per_run(rng, "standard_exponential", (nf,)) / self.firm_w
        self.park_clock = per_run(rng, "standard_exponential", (npk,)) / self.park_w
        self.firm_merit = np.log(fsize)[None, :] + P["logistics_merit_noise"][:, None] * per_run(rng, "standard_normal", (nf,))
        self.park_merit = np.log(psize)[None, :] + P["logistics_merit_noise"][:, None] * per_run(rng, "standard_normal", (npk,))
        n_rounds = max(int(m.years[-1]) - 2016 + 1, 1)
        self.round_u = per_run(rng, "random", (n_rounds, ROUND_PLACES_MAX))
        self.H = np.broadcast_to(-np.log1p(-P["smart_share_2010"])[:, None], (R, N_PREF)).copy()
        self.H_nat = -np.log1p(-P["smart_share_2010"])        # national pace: same rules, no subsidy
        nodes = (np.arange(20) + 0.5) / 20                      # size-weight quantiles for its expectation
        self.firm_w_nodes, self.park_w_nodes = np.quantile(self.firm_w, nodes), np.quantile(self.park_w, nodes)
        self._adopt()
        self.parks_named = np.zeros((R, npk), dtype=bool)
        self.firms_named = np.zeros((R, nf), dtype=bool)
        self.grant_pot = np.zeros(R)

        # rural delivery: village-weighted, slower where mountains dominate
        self.villages = pref_frame.villages.to_numpy().astype(float)
        drag = 1 - scalar(P, "rural_delivery_mountain_drag") * pref_frame.mountain_share.to_numpy() / 100
        self.reach_factor = drag / (drag * self.villages).sum() * self.villages.sum()
        self.rural_delivery_share = np.clip(P["rural_delivery_share_2010"][:, None] * self.reach_factor[None, :], 0, 1)

        # per-run constants of the step (it runs 40 times)
        self.firms_divisor = np.maximum(self.firms_per_pref, 1)[None, :]
        self.p_smart, self.q_smart = P["bass_p_smart_logistics"], P["bass_q_smart_logistics"]
        self.p_smart_r, self.q_smart_r = self.p_smart[:, None], self.q_smart[:, None]
        self.p_delivery = P["bass_p_rural_delivery"][:, None]
        self.q_delivery = P["bass_q_rural_delivery"][:, None]
        self.reach_row = self.reach_factor[None, :]
        Y = len(m.years)
        self.firm_share_w = np.zeros((R, Y))      # size-weighted smart share of firms, per year
        self.reach = np.zeros((R, Y))             # village-weighted rural reach, per year

    # -- state -----------------------------------------------------------------
    def _adopt(self) -> None:
        self.firm_adopted = self.H[:, self.firm_pref] >= self.firm_clock
        self.park_adopted = self.H[:, self.park_pref] >= self.park_clock

    def step(self, s: int, y: int, quarter: int) -> None:
        m, P = self.m, self.m.params
        dt = m.dt
        budget = m.budget(self.lever, s)
        c = self.cost
        rural_money = budget * c["logistics_rural_share"]
        demo_money = budget * c["logistics_demo_share"]
        support = budget - rural_money - demo_money
        spent = np.zeros(m.runs)
        if budget > 0:
            self.grant_pot += demo_money

        # smart adoption
        share = _by_pref(self.firm_adopted, self.firm_groups) / self.firms_divisor
        g = self.p_smart_r + self.q_smart_r * share
        if support > 0:
            waiting = (c["smart_firm_cost"] * _by_pref(~self.firm_adopted * self.firm_w, self.firm_groups)
                       + c["smart_park_cost"] * _by_pref(~self.park_adopted * self.park_w, self.park_groups))
            expected = (g * waiting).sum(1) * dt
            sub = np.minimum(c["smart_subsidy_cap"], support / np.maximum(expected, 1e-9))
            self.H += g * ((1 - sub) ** -P["investment_cost_elasticity"] * dt)[:, None]
        else:
            self.H += g * dt
        nat_share = (-np.expm1(-self.H_nat[:, None] * self.firm_w_nodes)).mean(1)      # expected, no subsidy
        self.H_nat += (self.p_smart + self.q_smart * nat_share) * dt
        before_f, before_p = self.firm_adopted, self.park_adopted
        self._adopt()
        if support > 0:            # subsidy on the investment of this quarter's adopters (size-weighted)
            # row sums, not a matrix product: BLAS blocking would make a run depend on its batch
            cost = sub * (c["smart_firm_cost"] * ((self.firm_adopted & ~before_f) * self.firm_w).sum(1)
                          + c["smart_park_cost"] * ((self.park_adopted & ~before_p) * self.park_w).sum(1))
            spent += np.minimum(cost, support)

        # rural delivery: market-led spread, then provincial purchases
        rd = self.rural_delivery_share
        rd += (self.p_delivery + self.q_delivery * rd) * self.reach_row * (1 - rd) * dt
        np.clip(rd, 0, 1, out=rd)
        if rural_money > 0:
            unreached = self.villages[None, :] * (1 - rd)
            total = unreached.sum(1)
            placed = np.minimum(rural_money / c["delivery_cost_per_village"], total)
            rd += placed[:, None] * unreached / np.maximum(total, 1e-12)[:, None] / self.villages[None, :]
            np.clip(rd, 0, 1, out=rd)
            spent += placed * c["delivery_cost_per_village"]

        # designations at year-end
        if quarter == 3 and m.years[y] >= 2016:
            spent += self._designate(y)
        m.record_spend(self.lever, spent)

    def _designate(self, y: int) -> np.ndarray:
        """This year's national park round and provincial firm round; returns grants paid (万元)."""
        m, P = self.m, self.m.params
        k = m.years[y] - 2016
        hubei = self.park_adopted.mean(1)
        national = (-np.expm1(-self.H_nat[:, None] * self.park_w_nodes)).mean(1)
        p_win = np.clip(P["hubei_place_share"] * hubei / np.maximum(national, 1e-9), 0, 1)
        places = np.floor(P["park_round_places"]).astype(int)
        inside = np.arange(ROUND_PLACES_MAX)[None, :] < places[:, None]
        wins = ((self.round_u[:, k, :] < p_win[:, None]) & inside).sum(1)
        award(self.park_merit, self.parks_named, wins, self.park_adopted)
        base = np.floor(P["firm_round_places"]).astype(int)
        grant = self.cost["demo_firm_grant"]
        extra = np.minimum(np.floor(self.grant_pot / grant), self.cost["firm_round_extra_max"]).astype(int)
        new = award(self.firm_merit, self.firms_named, base + extra, self.firm_adopted)
        paid = np.maximum(new - base, 0) * grant
        self.grant_pot[:] = 0.0                 # money not used for grants this year lapses
        return paid

    # -- outputs ---------------------------------------------------------------
    def record(self, y: int, out: dict) -> None:
        fw = (self.firm_adopted * self.firm_w).sum(1) / self.firm_w.sum()
        self.firm_share_w[:, y] = fw
        rd = self.rural_delivery_share
        self.reach[:, y] = (rd * self.villages).sum(1) / self.villages.sum()
        out["smart_logistics_parks"][:, y] = self.parks_named.sum(1)
        out["smart_logistics_firms"][:, y] = self.firms_named.sum(1)
        out["smart_logistics_firm_share"][:, y] = 100 * self.firm_adopted.mean(1)
        out["smart_logistics_adopting_parks"][:, y] = self.park_adopted.sum(1)
        out["rural_delivery_share"][:, y] = 100 * self.reach[:, y]
        out["rural_delivery_share_by_region"][:, y] = 100 * rd

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
