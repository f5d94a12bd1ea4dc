"""Connectivity in numba: one call per quarter (and one per recorded year) for all runs.

``quarter_step`` runs a step of every run: the operators' frontier and the
province's funding of the villages ranked by rollout cost, the new cohort,
the 4G tail and mobile users (``mobile.py``), schools (``schools.py``), city
fibre (``fibre.py``), then the Bass subscriptions; the mechanisms are
described in those files and in the package's docstring.  ``year_record``
writes a year's outputs.

Sums follow numpy's order (position order where numpy used ``np.bincount`` or
``np.cumsum``, numpy's pairwise summation where it used ``sum``: ``model/sums.py``) and each
expression keeps numpy's operation order, so the numbers are the numpy
version's to the last bit.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from ..sums import pairwise_sum

# columns of the table of per-run scalars ``quarter_step`` reads (``Connectivity.run_scalars``): one
# array instead of thirteen keeps the kernel's call cheap
RUN_SCALARS = ("theta0", "phi0", "bass_p", "bass_q", "mobile_p", "mobile_q", "mobile_top", "mobile_no4g",
               "school_keep", "school_cost", "fibre_step", "fibre_threshold", "fibre_cost")
(THETA0, PHI0, BASS_P, BASS_Q, MOBILE_P, MOBILE_Q, MOBILE_TOP, MOBILE_NO4G, SCHOOL_KEEP, SCHOOL_COST, FIBRE_STEP,
 FIBRE_THRESHOLD, FIBRE_COST) = range(len(RUN_SCALARS))


@numba.njit(cache=True, error_model="numpy")
def cohort_sums(k_old, k_new, head, pref_sorted, share_sorted, poverty_sorted, n_pref):
    """Household share, villages and poor villages per (run, prefecture) at ranked positions [k_old, k_new).

    Accumulated in position order, as ``np.bincount`` would: the same sums to the last bit.
    """
    R = len(k_old)
    share, count, poor = np.zeros((R, n_pref)), np.zeros((R, n_pref)), np.zeros((R, n_pref))
    for r in range(R):
        for k in range(k_old[r], k_new[r]):
            j = k - head
            p = pref_sorted[r, j]
            share[r, p] += share_sorted[r, j]
            count[r, p] += 1.0
            if poverty_sorted[r, j]:
                poor[r, p] += 1.0
    return share, count, poor


@numba.njit(cache=True, error_model="numpy")
def tail_row(start, limit, scale, theta, money, n, head, share_sorted, pref_sorted, rural_now, per_hh):
    """One run's villages at ranks ``start``, ``start + 1``, ... below ``limit``, funded in order.

    The gap of a village is ``scale x households x max(cost per household - theta, 0)``;
    villages are paid while the running gap fits ``money``, stopping at the first
    village the money cannot pay.  Row arguments are the run's rows.  Returns
    (villages funded, 万元 spent); the running sum is the ``np.cumsum`` it
    replaces, to the last bit.
    """
    funded, spent, total = 0, 0.0, 0.0
    for pos in range(start, min(limit, n)):
        j = pos - head
        households = share_sorted[j] * rural_now[pref_sorted[j]]
        total += scale * households * max(per_hh[j] - theta, 0.0)
        if total > money:
            break
        funded += 1
        spent = total
    return funded, spent


@numba.njit(cache=True, error_model="numpy")
def quarter_step(s, y, q, budget, dt, run_scalars,
                 k, cohort_share, covered_count, covered_poor, cover, w_total, F, f_urban,
                 n, head, per_hh, pref_sorted, share_sorted, poverty_sorted,
                 capacity, price, decline, central, rural_now, rural0, m_u, m_r, urban_hh, rural_hh,
                 k4, tail4, users, k0, covered0, villages_per_pref, k_op4, k_prof4, ramp_done, capacity4, scale4,
                 theta4, urban_share,
                 urban_on, rural_on, urban_s, rural_per_village, total_s, share_s,
                 logit_x, reached, cities):
    """Step ``s`` (year index ``y``, quarter ``q``) of every run with ``budget`` 万元 of infrastructure money.

    ``run_scalars`` holds each run's scalars in the columns ``RUN_SCALARS`` names.
    Updates the state arrays in place (villages ``k``, cohorts, counts and their
    cached sums, adoption, 4G, mobile users, schools, fibre); returns (万元 paid
    per run, whether any village got broadband).
    """
    R, n_pref, n_cohorts = cohort_share.shape
    funding = budget > 0
    paid = np.zeros(R)
    changed = False
    buf = np.empty(n_pref * n_cohorts)
    for r in range(R):
        # operators' frontier: moves with take-up (province-wide subscribers per covered household) and price
        i = 0
        for p in range(n_pref):
            for c in range(n_cohorts):
                buf[i] = F[r, p, c] * (cohort_share[r, p, c] * rural0[r, p])
                i += 1
        take_up = pairwise_sum(buf, 0, i) / w_total[r]
        worth = price[s] * take_up / run_scalars[r, PHI0]
        theta = run_scalars[r, THETA0] * worth / decline[r, s] / (1 - central[r, s])
        k_old = k[r]
        k_new = k_old       # every ranked village below the frontier within capacity (ranks are sorted)
        for j in range(k_old - head, min(k_old - head + capacity[r], per_hh.shape[1])):
            if per_hh[r, j] <= theta:
                k_new += 1
        # province: pays the gap of the next villages, cheapest first
        left = 0.0
        if funding:
            funded, paid[r] = tail_row(k_new, k_old + capacity[r], decline[r, s] * (1 - central[r, s]), theta,
                                       budget, n, head, share_sorted[r], pref_sorted[r], rural_now[r, s],
                                       per_hh[r])
            k_new += funded
            left = max(budget - paid[r], 0.0)
        if k_new > k_old:           # the new cohort s + 1, in position order
            changed = True
            for pos in range(k_old, k_new):
                j = pos - head
                p = pref_sorted[r, j]
                cohort_share[r, p, s + 1] += share_sorted[r, j]
                covered_count[r, p] += 1.0
                if poverty_sorted[r, j]:
                    covered_poor[r, p] += 1.0
            i = 0
            for p in range(n_pref):
                cover[r, p] = pairwise_sum(cohort_share[r, p], 0, n_cohorts)
                for c in range(n_cohorts):
                    buf[i] = cohort_share[r, p, c] * rural0[r, p]
                    i += 1
            w_total[r] = pairwise_sum(buf, 0, i)
            k[r] = k_new

        # what is left of the quarter's money: 4G tail, schools, city fibre, in that order
        used = _mobile(r, s, y, funding, left, dt, run_scalars, k4, tail4, users, k0, covered0, villages_per_pref,
                       k_op4, k_prof4, ramp_done, capacity4, scale4, theta4, urban_share, n, head, per_hh,
                       pref_sorted, share_sorted, rural_now)
        if funding:
            paid[r] += used
            left = max(left - used, 0.0)
        used = _schools(r, funding, left, run_scalars, covered_count, urban_on, rural_on, urban_s,
                        rural_per_village, total_s, share_s, buf)
        if funding:
            paid[r] += used
            left = max(left - used, 0.0)
        paid[r] += _fibre(r, y, q, funding, left, run_scalars, logit_x, reached, cities, f_urban, urban_hh, F,
                          cohort_share, rural_hh, buf)

        # subscriptions: Bass per pool, peers within the prefecture's pool; cohorts
        # after s + 1 do not exist yet (their adoption stays 0)
        p_, q_ = run_scalars[r, BASS_P], run_scalars[r, BASS_Q]
        for p in range(n_pref):
            mu, mr = m_u[r, s, p], m_r[r, s, p]
            f_urban[r, p] += (p_ + q_ * f_urban[r, p] / mu) * (mu - f_urban[r, p]) * dt
            for c in range(n_cohorts):
                buf[c] = F[r, p, c] * cohort_share[r, p, c]
            peer = pairwise_sum(buf, 0, n_cohorts) / max(cover[r, p] * mr, 1e-12)
            rate = p_ + q_ * peer
            for c in range(min(s + 2, n_cohorts)):
                F[r, p, c] += (rate * (mr - F[r, p, c])) * dt
    return paid, changed


@numba.njit(cache=True, error_model="numpy")
def _mobile(r, s, y, funding, money, dt, run_scalars, k4, tail4, users, k0, covered0, villages_per_pref, k_op4,
            k_prof4, ramp_done, capacity4, scale4, theta4, urban_share, n, head, per_hh, pref_sorted, share_sorted,
            rural_now):
    """Run ``r``'s 4G rollout (operators, then the province's money for the tail) and mobile users.

    Returns 万元 paid.
    """
    k_new = max(k4[r], k_op4[r, s])
    paid = 0.0
    if funding and ramp_done[r, s] and money > 0:
        start = max(k_new, k_prof4[r, s])
        funded, paid = tail_row(start, start + capacity4[r], scale4[r, s], theta4[r, s], money, n, head,
                                share_sorted[r], pref_sorted[r], rural_now[r, s], per_hh[r])
        if funded > 0:
            k_new = start + funded
    if k_new > k4[r]:           # villages beyond the start's coverage, counted per prefecture
        for pos in range(max(k4[r], k0[r]), max(k_new, k0[r])):
            tail4[r, pref_sorted[r, pos - head]] += 1.0
        k4[r] = k_new
    start_share = min(k4[r], k0[r]) / k0[r]
    top, no4g = run_scalars[r, MOBILE_TOP], run_scalars[r, MOBILE_NO4G]
    p_, q_ = run_scalars[r, MOBILE_P], run_scalars[r, MOBILE_Q]
    for p in range(users.shape[1]):
        cov = (covered0[r, p] * start_share + tail4[r, p]) / villages_per_pref[p]
        urb = urban_share[r, y, p]
        ceiling = top * (urb + (1 - urb) * (cov + (1 - cov) * no4g))
        u = users[r, p]
        users[r, p] = u + (p_ + q_ * u / ceiling) * (ceiling - u) * dt
    return paid


@numba.njit(cache=True, error_model="numpy")
def _schools(r, funding, money, run_scalars, covered_count, urban_on, rural_on, urban, rural_per_village, total,
             share, buf):
    """Run ``r``'s school connections this quarter (hazard, then the province's money) and its share of
    schools connected; returns 万元 paid."""
    n_pref = urban_on.shape[1]
    kp, cost = run_scalars[r, SCHOOL_KEEP], run_scalars[r, SCHOOL_COST]
    for p in range(n_pref):
        reach = covered_count[r, p] * rural_per_village[r, p]
        urban_on[r, p] = urban[r, p] - kp * (urban[r, p] - urban_on[r, p])
        rural_on[r, p] = max(reach - kp * (reach - rural_on[r, p]), rural_on[r, p])
        buf[p] = (urban[r, p] - urban_on[r, p]) + max(reach - rural_on[r, p], 0.0)
    paid = 0.0
    if funding:
        gap = pairwise_sum(buf, 0, n_pref)
        funded = min(gap, money / cost)                      # schools
        frac = funded / max(gap, 1e-12) if gap > 0 else 0.0
        for p in range(n_pref):
            reach = covered_count[r, p] * rural_per_village[r, p]
            if frac >= 1:
                urban_on[r, p] = urban[r, p]
                rural_on[r, p] = max(reach, rural_on[r, p])
            else:
                urban_on[r, p] = urban_on[r, p] + frac * (urban[r, p] - urban_on[r, p])
                rural_on[r, p] = rural_on[r, p] + frac * max(reach - rural_on[r, p], 0.0)
        paid = funded * cost
    for p in range(n_pref):
        v = min(max((urban_on[r, p] + rural_on[r, p]) / total[r, p], 0.0), 1.0)
        share[r, p] = 1.0 if v > 1 - 1e-9 else v             # all connected, up to rounding
    return paid


@numba.njit(cache=True, error_model="numpy")
def _fibre(r, y, q, funding, money, run_scalars, logit_x, reached, cities, f_urban, urban_hh, F, cohort_share,
           rural_hh, buf):
    """Run ``r``'s fibre migration, then retrofits in the named cities paid by the province; returns 万元 paid."""
    n_pref, n_cohorts = F.shape[1], F.shape[2]
    threshold, cost = run_scalars[r, FIBRE_THRESHOLD], run_scalars[r, FIBRE_COST]
    for p in range(n_pref):
        logit_x[r, p] += run_scalars[r, FIBRE_STEP]
    n_city = len(cities)
    paid = 0.0
    if funding:
        all_reached = True
        for i in range(n_city):
            reached[r, i] |= logit_x[r, cities[i]] >= threshold
            all_reached &= reached[r, i]
        if not all_reached:
            subs, x, copper = np.empty(n_city), np.empty(n_city), np.empty(n_city)
            total = 0.0
            for i in range(n_city):
                p = cities[i]
                for c in range(n_cohorts):
                    buf[c] = F[r, p, c] * cohort_share[r, p, c]
                rural = pairwise_sum(buf, 0, n_cohorts) * rural_hh[r, y, p]
                subs[i] = (f_urban[r, p] * urban_hh[r, y, p] + rural) * 1e4        # subscribers
                x[i] = 1.0 / (1.0 + math.exp(-logit_x[r, p]))
                copper[i] = (1 - x[i]) * subs[i] * (0.0 if reached[r, i] else 1.0)
                total += copper[i]
            converted = min(total, money / cost)
            frac = converted / max(total, 1e-12) if total > 0 else 0.0
            for i in range(n_city):
                if frac > 0 and copper[i] > 0:     # leave the others untouched (no round trip)
                    v = min(x[i] + frac * copper[i] / max(subs[i], 1e-12), 1 - 1e-12)
                    if v < 0.3 or v > 0.65:        # scipy's logit
                        logit_x[r, cities[i]] = math.log(v / (1 - v))
                    else:
                        h = 2 * (v - 0.5)
                        logit_x[r, cities[i]] = math.log1p(h) - math.log1p(-h)
            paid = converted * cost
    if funding or q == 3:        # status is read at year end and by the money path
        for i in range(n_city):
            reached[r, i] |= logit_x[r, cities[i]] >= threshold
    return paid


@numba.njit(cache=True, error_model="numpy")
def year_record(y, F, cohort_share, f_urban, urban_hh, rural_hh, covered_count, villages_per_pref, k, n, covered_poor,
                poor_per_pref, k4, k0, covered0, tail4, users, pop_weight, school_share, school_total, logit_x, reached,
                subscribers_by_region, subscribers, villages_by_region, villages, poor_villages, rural_penetration,
                fixed_penetration, g4_by_region, g4, mobile_penetration, schools_by_region, schools, fibre_by_region,
                fibre, allfibre):
    """Year ``y``'s outputs of every run, written into the output arrays (the names of ``Connectivity.outputs``)."""
    R, n_pref, n_cohorts = cohort_share.shape
    buf, urban, rural, total = np.empty(n_cohorts), np.empty(n_pref), np.empty(n_pref), np.empty(n_pref)
    a, b = np.empty(n_pref), np.empty(n_pref)
    poor_total = pairwise_sum(poor_per_pref, 0, n_pref)
    for r in range(R):
        # household subscriptions and village broadband
        for p in range(n_pref):
            for c in range(n_cohorts):
                buf[c] = F[r, p, c] * cohort_share[r, p, c]
            urban[p] = f_urban[r, p] * urban_hh[r, y, p]
            rural[p] = pairwise_sum(buf, 0, n_cohorts) * rural_hh[r, y, p]
            total[p] = urban[p] + rural[p]
            subscribers_by_region[r, y, p] = total[p]
            villages_by_region[r, y, p] = 100 * covered_count[r, p] / villages_per_pref[p]
        subscribers[r, y] = pairwise_sum(total, 0, n_pref)
        villages[r, y] = 100 * k[r] / n
        poor_villages[r, y] = 100 * pairwise_sum(covered_poor[r], 0, n_pref) / poor_total
        hh_u, hh_r = pairwise_sum(urban_hh[r, y], 0, n_pref), pairwise_sum(rural_hh[r, y], 0, n_pref)
        rural_penetration[r, y] = 100 * pairwise_sum(rural, 0, n_pref) / hh_r
        fixed_penetration[r, y] = 100 * subscribers[r, y] / (hh_u + hh_r)
        # 4G villages (``Mobile.count``) and mobile users
        start_share = min(k4[r], k0[r]) / k0[r]
        for p in range(n_pref):
            a[p] = covered0[r, p] * start_share + tail4[r, p]
            g4_by_region[r, y, p] = 100 * (a[p] / villages_per_pref[p])
            b[p] = users[r, p] * pop_weight[r, y, p]
        g4[r, y] = 100 * pairwise_sum(a, 0, n_pref) / n
        mobile_penetration[r, y] = pairwise_sum(b, 0, n_pref)
        # schools
        for p in range(n_pref):
            schools_by_region[r, y, p] = 100 * school_share[r, p]
            a[p] = school_share[r, p] * school_total[r, p]
        schools[r, y] = 100 * pairwise_sum(a, 0, n_pref) / pairwise_sum(school_total[r], 0, n_pref)
        # fibre share of subscribers and all-fibre cities
        for p in range(n_pref):
            x = 1.0 / (1.0 + math.exp(-logit_x[r, p]))       # scipy's expit
            fibre_by_region[r, y, p] = 100 * x
            a[p] = x * total[p]
        fibre[r, y] = 100 * pairwise_sum(a, 0, n_pref) / subscribers[r, y]
        count = 0
        for i in range(reached.shape[1]):
            count += reached[r, i]
        allfibre[r, y] = count
