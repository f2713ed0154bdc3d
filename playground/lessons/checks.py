"""Each lesson's check: run its setup (and its next change) headless, measure, compare."""

from __future__ import annotations

import math

import torch

from playground.config import RunConfig
from playground.lessons import measures as m
from playground.lessons.lesson import Lesson, Result, final, trained
from playground.train.compare import make_variants
from playground.train.snapshot import Status


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def xor(lesson: Lesson) -> Result:
    """No hidden layer stays near chance; one hidden layer of 4 solves it."""
    before, after = final(lesson.config), final(lesson.next_config)
    a, b = before.test_accuracy, after.test_accuracy
    return Result(
        a <= 0.65 and b >= 0.9,
        {"test_accuracy_no_hidden": a, "test_accuracy_hidden_4": b},
        f"test accuracy {_fmt(a)} with no hidden layer (<= 0.65), {_fmt(b)} with 4 neurons "
        "(>= 0.9)",
    )


def circle_features(lesson: Lesson) -> Result:
    """No hidden layer: x1, x2 fail the circle; x1^2, x2^2 solve it."""
    before, after = final(lesson.config), final(lesson.next_config)
    a, b = before.test_accuracy, after.test_accuracy
    return Result(
        a <= 0.7 and b >= 0.95,
        {"test_accuracy_x1_x2": a, "test_accuracy_squares": b},
        f"test accuracy {_fmt(a)} on x1, x2 (<= 0.7), {_fmt(b)} on x1^2, x2^2 (>= 0.95)",
    )


def spiral(lesson: Lesson) -> Result:
    """x1, x2 and one small layer: not enough; the sin and square features: solved."""
    before, after = final(lesson.config), final(lesson.next_config)
    a, b = before.test_accuracy, after.test_accuracy
    return Result(
        a <= 0.8 and b >= 0.95,
        {"test_accuracy_x1_x2": a, "test_accuracy_all_features": b},
        f"test accuracy {_fmt(a)} on x1, x2 (<= 0.8), {_fmt(b)} with all 7 features (>= 0.95)",
    )


def zero_init(lesson: Lesson) -> Result:
    """Zero init: the first layer's neurons stay identical; a random init: they differ."""
    a = m.neuron_spread(final(lesson.config))
    b = m.neuron_spread(final(lesson.next_config))
    return Result(
        a < 1e-6 and b > 0.1,
        {"max_neuron_difference_zeros": a, "max_neuron_difference_xavier": b},
        f"largest difference between layer 1's neuron maps: {_fmt(a)} with zeros (< 1e-6), "
        f"{_fmt(b)} with xavier (> 0.1)",
    )


def vanishing(lesson: Lesson) -> Result:
    """Deep sigmoid: the first layer's gradient is < 1e-3 of the output's (and flagged)."""
    before, after = final(lesson.config), final(lesson.next_config)
    a, b = m.gradient_ratio(before), m.gradient_ratio(after)
    flagged = "dense 1" in m.vanishing_layers(before)
    return Result(
        a < 1e-3 and flagged and b > 1e-2,
        {"grad_ratio_sigmoid": a, "flagged_vanishing": flagged, "grad_ratio_relu": b},
        f"first layer's gradient / output layer's: {a:.2e} with sigmoid (< 1e-3, flagged: "
        f"{flagged}), {b:.2e} with ReLU (> 1e-2)",
    )


def diverges(lesson: Lesson) -> Result:
    """Too high a rate: nan within the first epoch; the run stops with finite weights."""
    cfg = lesson.config
    with trained(cfg) as (trainer, snap):
        weights = trainer.ask("weights")
    finite = all(bool(torch.isfinite(w).all()) for w in weights.values())
    calm = final(lesson.next_config)
    ok = snap.status == Status.DIVERGED and snap.step < cfg.train.max_steps and finite
    ok = ok and calm.status == Status.DONE and math.isfinite(calm.test_loss)
    return Result(
        ok,
        {"status": snap.status.value, "stopped_at_step": snap.step, "weights_finite": finite,
         "status_lr_0.03": calm.status.value, "test_loss_lr_0.03": calm.test_loss},
        f"lr {cfg.train.lr:g}: {snap.status.value} at step {snap.step} of "
        f"{cfg.train.max_steps}, weights kept finite: {finite}; lr 0.03: {calm.status.value}, "
        f"test loss {_fmt(calm.test_loss)}",
    )  # fmt: skip


def dying_relu(lesson: Lesson) -> Result:
    """A large rate leaves a share of ReLU units silent on every input; a small one does not."""
    a = m.dead_share(final(lesson.config))
    b = m.dead_share(final(lesson.next_config))
    return Result(
        a >= 0.25 and b <= 0.05,
        {"dead_share_lr_3": a, "dead_share_lr_0.3": b},
        f"dead hidden units: {a:.0%} at lr 3 (>= 25%), {b:.0%} at lr 0.3 (<= 5%)",
    )


def overfitting(lesson: Lesson) -> Result:
    """Little noisy data: test loss turns up while training loss falls; L2 holds it down."""
    before, after = final(lesson.config), final(lesson.next_config)
    rise, train_at_best, train_end = m.loss_rise(before)
    rise_l2 = m.loss_rise(after)[0]
    ok = rise >= 1.5 and train_end < train_at_best and after.test_loss < 0.8 * before.test_loss
    return Result(
        ok,
        {"test_loss_rise": rise, "train_loss_at_best_test": train_at_best,
         "train_loss_final": train_end, "test_loss_final": before.test_loss,
         "test_loss_final_l2": after.test_loss, "test_loss_rise_l2": rise_l2},
        f"test loss ends {rise:.2f}x its lowest (>= 1.5) while train loss falls "
        f"{_fmt(train_at_best)} -> {_fmt(train_end)}; with L2 the final test loss is "
        f"{_fmt(after.test_loss)} vs {_fmt(before.test_loss)} (< 0.8x)",
    )  # fmt: skip


def sparsity(lesson: Lesson) -> Result:
    """L1: most weights near 0, a few large; L2: few near 0, the largest smaller."""
    l1, l2 = final(lesson.config), final(lesson.next_config)
    z1, z2 = m.near_zero_share(l1, 0.01), m.near_zero_share(l2, 0.01)
    w1, w2 = float(abs(m.all_weights(l1)).max()), float(abs(m.all_weights(l2)).max())
    return Result(
        z1 >= 0.5 and z2 <= 0.1 and w2 < w1,
        {"near_zero_l1": z1, "near_zero_l2": z2, "max_abs_weight_l1": w1,
         "max_abs_weight_l2": w2},
        f"weights within 0.01 of 0: {z1:.0%} with L1 (>= 50%), {z2:.0%} with L2 (<= 10%); "
        f"largest |w|: {w1:.2f} with L1, {w2:.2f} with L2 (smaller)",
    )  # fmt: skip


def _optimizer_losses(cfg: RunConfig) -> dict[str, float]:
    """Final train loss of SGD, momentum and Adam from the same initial weights (the Compare
    page's variants)."""
    variants = make_variants(cfg, "optimizer", ("sgd", "momentum", "adam"))
    return {label: final(c).train_loss for label, c in variants}


def optimizers(lesson: Lesson) -> Result:
    """At lr 0.03 momentum and Adam end 10x lower than SGD; at lr 0.3 SGD wins."""
    a, b = _optimizer_losses(lesson.config), _optimizer_losses(lesson.next_config)
    ok = max(a["momentum"], a["adam"]) * 10 <= a["sgd"] and b["sgd"] < min(b["momentum"], b["adam"])
    figures = {f"train_loss_{k}": v for k, v in a.items()}
    figures |= {f"train_loss_{k}_lr_0.3": v for k, v in b.items()}
    return Result(
        ok,
        figures,
        f"train loss at lr 0.03: sgd {_fmt(a['sgd'])}, momentum {_fmt(a['momentum'])}, adam "
        f"{_fmt(a['adam'])} (both <= sgd / 10); at lr 0.3: sgd {_fmt(b['sgd'])}, momentum "
        f"{_fmt(b['momentum'])}, adam {_fmt(b['adam'])} (sgd lowest)",
    )


def batch_noise(lesson: Lesson) -> Result:
    """One example's gradient is far from the full gradient; a batch of 50's is close."""
    small, big = lesson.config.train.batch_size, lesson.next_config.train.batch_size
    a, b = m.gradient_noise(lesson.config, small), m.gradient_noise(lesson.config, big)
    return Result(
        a >= 3 * b,
        {f"gradient_noise_batch_{small}": a, f"gradient_noise_batch_{big}": b},
        f"|g_batch - g| / |g|: {a:.2f} at batch {small}, {b:.2f} at batch {big} (>= 3x less)",
    )


def cnn_saliency(lesson: Lesson) -> Result:
    """The CNN learns digits; blacking out its 4 most salient pixels hurts more than 4 random
    ones of the digit."""
    with trained(lesson.config) as (trainer, snap):
        maps = trainer.ask("feature_maps", x=trainer.info.images_test[0])
        salient, random = m.deletion_drops(trainer, "integrated_gradients", n_examples=30, k=4)
    acc = snap.test_accuracy
    return Result(
        acc >= 0.9 and salient >= 2 * random and len(maps) > 0,
        {"test_accuracy": acc, "prob_drop_salient_4": salient, "prob_drop_random_4": random},
        f"test accuracy {_fmt(acc)} (>= 0.9); blacking out the 4 most salient pixels "
        f"(integrated gradients) drops the predicted class's probability by {salient:.2f}, 4 "
        f"random ink pixels by {random:.2f} (>= 2x less)",
    )
