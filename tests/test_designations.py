import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from model.designations import award


def test_best_scores_first_and_never_twice():
    score = np.array([[3.0, 1.0, 2.0, np.nan], [0.0, 5.0, 1.0, 2.0]])
    done = np.zeros((2, 4), bool)
    done[1, 1] = True
    assert list(award(score, done, np.array([2, 1]))) == [2, 1]
    assert done.tolist() == [[True, False, True, False], [False, True, False, True]]
    assert list(award(score, done, np.array([5, 5]))) == [1, 2]     # the NaN candidate is never chosen
    assert done.tolist() == [[True, True, True, False], [True, True, True, True]]


def test_ineligible_candidates_are_skipped():
    done = np.zeros((1, 3), bool)
    award(np.array([[9.0, 1.0, 0.0]]), done, np.array([1]), eligible=np.array([[False, True, True]]))
    assert done.tolist() == [[False, True, False]]


def test_bad_places_rejected():
    with pytest.raises(ValueError, match="non-negative integers"):
        award(np.zeros((1, 2)), np.zeros((1, 2), bool), np.array([-1]))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 30), st.lists(st.integers(0, 6), min_size=3, max_size=3),
       st.integers(0, 2**31))
def test_counts_cumulative_and_bounded(runs, n, rounds, seed):
    rng = np.random.default_rng(seed)
    done = np.zeros((runs, n), bool)
    before = done.sum(1)
    for k in rounds:
        new = award(rng.random((runs, n)), done, np.full(runs, k))
        after = done.sum(1)
        assert np.all(after - before == new) and np.all(new <= k) and np.all(after <= n)
        assert np.all(new == np.minimum(k, n - before))
        before = after


def test_fund_row_matches_fund_in_order():
    """The numba one-run form takes the same candidates and pays the same as the array form."""
    from model.designations import fund_in_order, fund_row
    rng = np.random.default_rng(4)
    for _ in range(50):
        waiting = rng.random((3, 12)) < 0.6
        cost = rng.uniform(0.5, 3.0, (3, 12))
        budget, capacity = rng.uniform(0, 15), int(rng.integers(0, 8))
        take, paid = fund_in_order(waiting, cost, budget, capacity)
        for r in range(3):
            row = np.zeros(12, np.bool_)
            got = fund_row(waiting[r], cost[r], budget, capacity, row)
            assert np.array_equal(row, take[r])
            assert got == paid[r]                    # to the last bit
