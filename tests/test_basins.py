"""Basins of attraction: which minimum each start of a lattice leads to."""

import numpy as np
import pytest

from optviz import basins, surfaces
from optviz.settings import OptimizerSettings, TrajectorySettings


def _settings(surface: str, optimizer: str = "adam", **hyper) -> TrajectorySettings:
    return TrajectorySettings(surface=surface, optimizers=(OptimizerSettings(optimizer, hyper),))


def test_himmelblau_has_four_basins_at_its_four_minima():
    b = basins.compute(_settings("himmelblau"), size=21, engine="numpy")
    known = np.array(surfaces.SURFACES["himmelblau"].minima)
    assert len(b.minima) == 4
    # Each found minimum lies at a different known one, with f about 0 there.
    nearest = [int(np.argmin(np.hypot(*(known - m).T))) for m in b.minima]
    assert sorted(nearest) == [0, 1, 2, 3]
    assert all(np.hypot(*(known[k] - m)) < 0.2 for k, m in zip(nearest, b.minima, strict=True))
    assert (b.values < 0.05).all()
    assert all(b.share(k) > 0.1 for k in range(4))
    assert b.labels.shape == (21, 21) and b.share(basins.DIVERGED) == 0
    # A start at a minimum stays in its own basin.
    for k, m in enumerate(b.minima):
        i, j = np.argmin(np.abs(b.x1 - m[0])), np.argmin(np.abs(b.x2 - m[1]))
        if np.hypot(b.x1[i] - m[0], b.x2[j] - m[1]) < 0.15:
            assert b.labels[j, i] == k


def test_beta1_changes_which_minimum_is_found_but_not_where_the_minima_are():
    calm = basins.compute(_settings("himmelblau", beta1=0.0), size=21, engine="numpy")
    eager = basins.compute(_settings("himmelblau", beta1=0.9), size=21, engine="numpy")
    np.testing.assert_allclose(calm.minima, eager.minima, atol=0.3)
    # Near the basins' borders the momentum carries a run over into the next basin.
    changed = calm.labels != eager.labels
    assert changed.sum() >= 3 and changed.mean() < 0.5


def test_rastrigin_finds_its_lattice_of_local_minima_lowest_first():
    b = basins.compute(_settings("rastrigin"), size=31, engine="numpy")
    assert len(b.minima) > 9
    # Lowest f first (minima equally low to a thousandth of f's range may come in
    # either order: then by place).
    assert np.all(np.diff(b.values) >= -1e-3 * np.ptp(b.values))
    np.testing.assert_allclose(b.minima[0], (0, 0), atol=0.05)
    # Rastrigin's local minima lie near whole numbers.
    assert np.abs(b.minima - np.round(b.minima)).max() < 0.1


def test_a_bowl_has_one_basin_and_a_diverging_rate_none():
    bowl = basins.compute(_settings("d2l"), size=11, engine="numpy")
    assert len(bowl.minima) == 1 and (bowl.labels == 0).all()
    wild = basins.compute(_settings("d2l", "sgd", lr=1.0), size=11, engine="numpy")
    assert wild.share(basins.DIVERGED) > 0.9


def test_engines_agree():
    s = _settings("himmelblau", beta1=0.5)
    a = basins.compute(s, size=15, engine="numpy")
    b = basins.compute(s, size=15, engine="compiled")
    np.testing.assert_array_equal(a.labels, b.labels)


def test_size_is_checked():
    with pytest.raises(ValueError, match="size"):
        basins.compute(_settings("d2l"), size=1)
