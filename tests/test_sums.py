"""The kernels' sums are numpy's to the last bit (the fused steps keep the numpy version's numbers)."""
import numpy as np

from model.sums import np_sum, pairwise_sum, reduceat_sum, reduceat_sums


def test_pairwise_sum_adds_as_numpy_does():
    rng = np.random.default_rng(0)
    for n in [*range(300), 697, 1000, 5000, 70_001]:
        a = rng.standard_normal(n + 3) * 10.0 ** rng.uniform(-3, 3, n + 3)
        assert pairwise_sum(a, 3, n) == a[3:].sum(), n
        assert np_sum(a[3:]) == a[3:].sum(), n
    rows = rng.lognormal(size=(20, 249)) * (rng.random((20, 249)) < 0.7)       # rows of a 2-D array, zeros
    assert [np_sum(row) for row in rows] == rows.sum(1).tolist()
    grid = rng.random((3, 17, 5))
    assert [np_sum(g.ravel()) for g in grid] == list(grid.sum((1, 2)))


def test_reduceat_sums_are_numpys_reduceat():
    rng = np.random.default_rng(1)
    for _ in range(50):
        x = rng.random(303) * 10.0 ** rng.integers(-3, 4, 303)
        starts = np.concatenate([[0], np.sort(rng.choice(np.arange(1, 303), 16, replace=False))])
        out = np.empty(17)
        reduceat_sums(x, starts, out)
        np.testing.assert_array_equal(out, np.add.reduceat(x, starts))
        assert reduceat_sum(x, 5, 5) == 0.0 and reduceat_sum(x, 5, 6) == x[5]


def test_cached_kernels_are_dropped_when_a_shared_helper_changes(tmp_path):
    """numba would keep callers' machine code built against the old helper: the cache goes when a helper changes."""
    from model.numba_cache import SHARED_KERNEL_FILES, drop_stale

    for name in SHARED_KERNEL_FILES:
        (tmp_path / name).write_text("# helper\n")
    cached = tmp_path / "sub" / "__pycache__" / "caller.kernel-3.py311.nbi"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old")
    drop_stale(tmp_path)                     # first sight: nothing says the cache matches
    assert not cached.exists()
    cached.write_bytes(b"new")
    drop_stale(tmp_path)                     # helpers unchanged: the cache stays
    assert cached.exists()
    (tmp_path / SHARED_KERNEL_FILES[0]).write_text("# helper, changed\n")
    drop_stale(tmp_path)
    assert not cached.exists()


def test_kernels_cached_says_whether_the_compiled_kernels_are_on_disk(tmp_path):
    from model.numba_cache import kernels_cached

    assert not kernels_cached(tmp_path)
    (tmp_path / "connectivity" / "__pycache__").mkdir(parents=True)
    (tmp_path / "connectivity" / "__pycache__" / "ranking.quarter_step-120.py311.nbi").write_bytes(b"")
    assert kernels_cached(tmp_path)
