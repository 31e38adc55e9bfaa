"""Lecture presets: each link is a valid explorer view, and each shows its lesson."""

import dataclasses
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from optviz import presets, settings
from optviz.settings import OptimizerSettings
from ui import links
from ui.presets import url

ALL = list(presets.PRESETS.values())


@pytest.mark.parametrize("preset", ALL, ids=lambda p: p.name)
def test_each_link_is_a_clean_explorer_view(preset):
    for lecture in (True, False):
        link = url(preset, lecture=lecture)
        assert link.startswith("explorer?")
        query = parse_qs(urlsplit(link).query)
        assert links.check_query(query) == []
        assert links.lecture_mode(query) is lecture
        assert query[links.PRESET] == [preset.name]
    trajectories = preset.settings().compute()
    assert len(trajectories) == len(preset.optimizers)


def _steps(t) -> np.ndarray:
    return np.linalg.norm(np.diff(t.points, axis=0), axis=1)


def test_the_chapters_example_is_the_explorers_default():
    assert presets.get("chapter").settings() == settings.TrajectorySettings()


def test_small_beta2_makes_the_step_size_jump_beside_the_default():
    noisy, smooth = presets.get("beta2-small").settings().compute()
    assert [t.run.label for t in (noisy, smooth)] == ["Adam, β2 = 0.5", "Adam, β2 = 0.999"]
    (default,) = settings.TrajectorySettings(steps=50).compute()
    np.testing.assert_array_equal(smooth.points, default.points)
    # The default's steps shrink smoothly at first; with beta2 = 0.5 they go up and down.
    assert (np.diff(_steps(smooth)[:10]) < 0).all()
    assert (np.diff(_steps(noisy)[:12]) > 0).any() and (np.diff(_steps(noisy)[:12]) < 0).any()


def test_large_eps_makes_adam_momentum_sgd():
    adam, momentum = presets.get("eps-large").settings().compute()
    assert np.abs(adam.points - momentum.points).max() < 0.02
    assert np.linalg.norm(adam.points[-1] - adam.points[0]) > 4  # it went somewhere


def test_without_bias_correction_the_first_step_is_3_2_times_longer():
    (off,) = presets.get("bias-off").settings().compute()
    (on,) = settings.TrajectorySettings(steps=10).compute()
    lr = 0.4
    # Per coordinate: eta * (1 - beta1) / sqrt(1 - beta2) against eta.
    np.testing.assert_allclose(np.abs(off.points[1] - off.points[0]), lr * 0.1 / 0.001**0.5,
                               rtol=1e-3)
    np.testing.assert_allclose(np.abs(on.points[1] - on.points[0]), lr, rtol=1e-3)


def test_on_rosenbrock_momentum_beats_adam_beats_sgd():
    adam, sgd, momentum = presets.get("rosenbrock").settings().compute()
    assert momentum.values[-1] < adam.values[-1] < sgd.values[-1]
    assert not any(t.diverged_at for t in (adam, sgd, momentum))


def test_too_large_a_learning_rate_diverges_cleanly():
    sgd, adam = presets.get("lr-too-large").settings().compute()
    assert sgd.diverged_at is not None and 5 < sgd.diverged_at < 20
    assert np.isfinite(sgd.points).all()  # cut at the last good point
    assert adam.diverged_at is None


def test_unknown_presets_and_bad_lecture_values_are_named():
    problems = links.check_query({"preset": ["nope"], "lecture": ["maybe"]})
    assert problems == [
        "Unknown preset 'nope'; choose one of: " + ", ".join(presets.PRESETS),
        "Lecture mode must be true or false, got 'maybe'",
    ]
    assert links.lecture_mode({"lecture": ["maybe"]}) is False
    assert links.lecture_mode({"lecture": ["1", "1"]}) is False
    assert links.lecture_mode({}) is False


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_a_preset_drawn_as_it_is_has_no_changes(name):
    preset = presets.PRESETS[name]
    assert presets.changes(preset, preset.settings()) == []


def test_changes_are_named_with_the_lessons_values():
    preset = presets.PRESETS["beta2-small"]
    lesson = preset.settings()
    tuned = dataclasses.replace(lesson, steps=40, optimizers=(
        OptimizerSettings("adam", {"beta2": 0.999}), OptimizerSettings("adam", {"beta1": 0.5})))
    assert presets.changes(preset, tuned) == [
        "steps: 40, the lesson's 50", "Adam's β2: 0.999, the lesson's 0.5",
        "Adam 2's β1: 0.5, the lesson's 0.9"]
    moved = dataclasses.replace(lesson, start=(1.0, 2.0))
    assert presets.changes(preset, moved) == ["start: (1, 2), the lesson's (-5, -2)"]
    other = dataclasses.replace(lesson, optimizers=(OptimizerSettings("sgd"),))
    assert presets.changes(preset, other) == ["runs: SGD, the lesson's Adam, Adam 2"]
    # A value given that equals the lesson's (here, the default ε) is no change.
    same = dataclasses.replace(lesson, optimizers=(
        OptimizerSettings("adam", {"beta2": 0.5, "eps": lesson.optimizers[0].hyperparams().eps}),
        OptimizerSettings("adam")))
    assert presets.changes(preset, same) == []


def _mean_step(t) -> float:
    return float(np.linalg.norm(np.diff(t.points, axis=0), axis=1).mean())


def _turning(t) -> float:
    """The mean cosine between consecutive steps: 1 straight on, 0 a new way every step."""
    d = np.diff(t.points, axis=0)
    cos = (d[1:] * d[:-1]).sum(axis=1) / (np.linalg.norm(d[1:], axis=1)
                                          * np.linalg.norm(d[:-1], axis=1))
    return float(np.nanmean(cos))


def test_beta1_averages_the_noise_into_a_smooth_path():
    raw, averaged = presets.get("noise-beta1").settings().compute()
    assert [t.run.label for t in (raw, averaged)] == ["Adam, β1 = 0", "Adam, β1 = 0.9"]
    assert _turning(raw) < 0.3 < 0.7 < _turning(averaged)
    assert _mean_step(raw) > 2 * _mean_step(averaged)
    # Over many draws of the noise, not only the lesson's seed.
    for seed in range(5):
        raw, averaged = dataclasses.replace(presets.get("noise-beta1"), seed=seed).settings() \
            .compute()
        assert _turning(raw) < _turning(averaged)


def test_on_noisy_gradients_sgd_takes_the_noise_at_full_size_and_adam_does_not():
    sgd, adam = presets.get("noisy-sgd").settings().compute()
    assert 0.25 < _mean_step(sgd) < 0.45  # "about 0.35 a step"
    assert _mean_step(sgd) > 2 * _mean_step(adam)
    assert adam.values[-20:].mean() < sgd.values[-20:].mean()
