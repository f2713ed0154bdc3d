"""Data augmentation against scipy.ndimage, its use in training, the shifted test set."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from playground.config import ConfigError, DatasetName, RunConfig, with_value
from playground.data import augment
from playground.data.datasets import make_dataset
from playground.presets import get_preset
from playground.settings.images import AugmentConfig
from playground.train.supervised import SupervisedLearner


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 1, 8, 8))


def _params(angle=0.0, scale=1.0, shift=(0.0, 0.0)) -> augment.Params:
    f64 = {"dtype": torch.float64}
    return augment.Params(torch.tensor([angle], **f64), torch.tensor([scale], **f64),
                          torch.tensor([shift], **f64), None)  # fmt: skip


def _apply(img: np.ndarray, params: augment.Params) -> np.ndarray:
    return augment.apply(torch.tensor(img[None, None], dtype=torch.float32), params)[0, 0].numpy()


def test_a_shift_is_scipy_shift() -> None:
    img = _images(1)[0, 0]
    for shift in [(0.7, -1.3), (2.0, 1.0), (-2.5, 0.25)]:
        want = ndimage.shift(img, shift, order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(_apply(img, _params(shift=shift)), want, atol=1e-6)


def test_a_rotation_is_scipy_rotate_about_the_centre() -> None:
    img = _images(1, seed=1)[0, 0]
    for angle in (-30.0, 12.5, 45.0):
        want = ndimage.rotate(img, angle, reshape=False, order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(_apply(img, _params(angle=angle)), want, atol=1e-6)


def test_random_draws_are_the_affine_map_written_out_plus_noise() -> None:
    """Every image of a drawn batch against scipy's affine_transform with the matrix by hand."""
    cfg = AugmentConfig(shift=2.0, rotate=30.0, scale=0.3, noise=0.1)
    x = _images(6, seed=2)
    g = torch.Generator().manual_seed(5)
    params = augment.draw(6, (1, 8, 8), cfg, g)
    got = augment.apply(torch.tensor(x, dtype=torch.float32), params).numpy()
    c = np.array([3.5, 3.5])
    for i in range(6):
        a, s = math.radians(float(params.angle[i])), float(params.scale[i])
        t = params.shift[i].numpy()
        assert abs(a) <= math.radians(30) and 0.7 <= s <= 1.3 and np.all(np.abs(t) <= 2)
        # forward map q = c + t + s R (p - c), R = [[cos, -sin], [sin, cos]]; scipy wants p(q)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        m = rot.T / s
        offset = c - m @ (c + t)
        want = ndimage.affine_transform(x[i, 0], m, offset, order=1, mode="grid-constant")
        want = np.clip(want + params.noise[i, 0].numpy(), 0.0, 1.0)
        np.testing.assert_allclose(got[i, 0], want, atol=1e-5)


def test_a_zoom_about_the_centre_is_the_middle_of_scipy_zoom() -> None:
    """scipy's zoom by 2 (grid_mode) gives 16x16 whose pixel k reads the input at k/2 - 1/4; ours
    about the centre reads q/2 + 7/4 at pixel q: the same image as the middle 8x8 (k = q + 4)."""
    img = _images(1, seed=3)[0, 0]
    big = ndimage.zoom(img, 2.0, order=1, mode="grid-constant", grid_mode=True)
    np.testing.assert_allclose(_apply(img, _params(scale=2.0)), big[4:12, 4:12], atol=1e-6)


def test_the_shifted_test_set_moves_each_digit_by_the_distance() -> None:
    x = _images(5, seed=4)
    cfg = AugmentConfig(test_shift=1.5, seed=3)
    got = augment.shifted_test_set(torch.tensor(x, dtype=torch.float32), cfg).numpy()
    shifts = augment.shift_directions(5, 1.5, 3 * 2 + augment.SHIFTED_TEST_STREAM).numpy()
    np.testing.assert_allclose(np.hypot(shifts[:, 0], shifts[:, 1]), 1.5)
    for i in range(5):
        want = ndimage.shift(x[i, 0], shifts[i], order=1, mode="grid-constant")
        np.testing.assert_allclose(got[i, 0], want, atol=1e-6)


def _learner(**augment_fields) -> SupervisedLearner:
    cfg = get_preset("digits-mlp")
    cfg = cfg.replace(data=dataclasses.replace(cfg.data, n_samples=300),
                      augment=AugmentConfig(**augment_fields))  # fmt: skip
    return SupervisedLearner(cfg, make_dataset(cfg.data), torch.device("cpu"), with_probes=False)


def _train(learner: SupervisedLearner, steps: int = 5) -> torch.Tensor:
    for _ in range(steps):
        learner.train_step()
    return torch.cat([p.detach().flatten() for p in learner.model.parameters()])


def test_training_batches_are_augmented_on_the_fly_and_seeded() -> None:
    plain = _train(_learner())
    shifted = _train(_learner(shift=1.0, rotate=10.0))
    again = _train(_learner(shift=1.0, rotate=10.0))
    other_seed = _train(_learner(shift=1.0, rotate=10.0, seed=1))
    assert torch.equal(shifted, again)  # same seed, same draws
    assert not torch.equal(shifted, plain) and not torch.equal(shifted, other_seed)


def test_each_step_sees_the_augmentation_of_its_batch() -> None:
    """The model's first layer receives exactly augment.apply of the batch, by a forward hook."""
    learner = _learner(shift=1.5, noise=0.05, seed=4)
    seen = []
    learner.model[0].register_forward_hook(lambda m, inp, out: seen.append(inp[0].clone()))
    g = torch.Generator().manual_seed(4)
    learner.train_step()
    batch = learner._Xp[: learner.cfg.train.batch_size]
    want = augment.apply(batch, augment.draw(len(batch), (1, 8, 8), learner.cfg.augment, g))
    assert torch.equal(seen[0], want)
    assert not torch.equal(want, batch)


def test_the_shifted_test_accuracy_is_a_history_column_and_reported() -> None:
    learner = _learner(test_shift=1.0)
    row = learner.evaluate()
    assert "shifted_test_accuracy" in learner.history_columns
    assert 0.0 <= row["shifted_test_accuracy"] <= 1.0
    assert learner.answer("report") == {"shifted_test_accuracy": learner.shifted_accuracy()}
    assert "shifted_test_accuracy" not in _learner().history_columns


@pytest.mark.parametrize(
    ("field", "value", "start"),
    [("rotate", 90.0, "augment.rotate: must be between"),
     ("shift", -1.0, "augment.shift: must be between"),
     ("noise", 0.9, "augment.noise: must be between"),
     ("scale", 0.6, "augment.scale: must be between"),
     ("test_shift", 4.0, "augment.test_shift: must be between")],
)  # fmt: skip
def test_bad_strengths_are_refused_naming_the_field(field: str, value: float, start: str) -> None:
    with pytest.raises(ConfigError, match=f"^{start}"):
        with_value(get_preset("digits-mlp"), f"augment.{field}", value)


def test_augmentation_needs_a_supervised_run_on_digits() -> None:
    with pytest.raises(ConfigError, match="^augment.rotate: needs image data"):
        RunConfig.from_dict({"augment": {"rotate": 10.0}})
    assert RunConfig.from_dict({"augment": {"seed": 3}}).data.name == DatasetName.CIRCLE
