"""Transfer learning: frozen layers stay bit-identical, starting weights load exactly with a new
output layer where the classes differ, the pretrain / fine-tune demonstration's split and twin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from playground.config import ConfigError, Optimizer, RunConfig, with_value
from playground.data.datasets import make_dataset
from playground.nn.model import build_model, output_head
from playground.nn.transfer import head_keys, load_start
from playground.presets import get_preset
from playground.settings.images import AugmentConfig, TransferConfig
from playground.train import transfer
from playground.train.supervised import SupervisedLearner

CPU = torch.device("cpu")


def _cfg(preset: str = "digits-cnn", **train) -> RunConfig:
    cfg = get_preset(preset)
    return cfg.replace(data=dataclasses.replace(cfg.data, n_samples=400),
                       train=dataclasses.replace(cfg.train, **train))  # fmt: skip


def _learner(cfg: RunConfig, state=None) -> SupervisedLearner:
    return SupervisedLearner(cfg, make_dataset(cfg.data), CPU, with_probes=False,
                             initial_state=state)  # fmt: skip


@pytest.mark.parametrize("optimizer", [Optimizer.ADAM, Optimizer.ADAMW, Optimizer.MOMENTUM])
def test_frozen_layers_are_bit_identical_after_training(optimizer: Optimizer) -> None:
    """conv 0 and dense 4 frozen (with L2 and weight decay on): only conv 2 and the head move."""
    cfg = _cfg(optimizer=optimizer, l2=0.01, l1=0.001, grad_clip=1.0)
    cfg = cfg.replace(transfer=TransferConfig(frozen=(0, 4)), augment=AugmentConfig(shift=1.0))
    learner = _learner(cfg)
    before = {k: v.clone() for k, v in learner.model.state_dict().items()}
    for _ in range(15):
        learner.train_step()
    after = learner.model.state_dict()
    conv0, conv2, dense4, head = (
        m for m in learner.model if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
    )
    names = {id(p): k for k, p in learner.model.named_parameters()}
    for module, frozen in ((conv0, True), (conv2, False), (dense4, True), (head, False)):
        for p in module.parameters():
            key = names[id(p)]
            assert torch.equal(after[key], before[key]) == frozen, key
            assert p.requires_grad != frozen


def test_starting_weights_load_exactly_and_a_new_head_starts_fresh() -> None:
    """Weights of a 5-class model into a 10-class one: hidden layers copied, head left fresh."""
    cfg = _cfg()
    small = build_model(cfg.model, (1, 8, 8), output_head(cfg, 5), seed=7)
    state = {k: v + 0.5 for k, v in small.state_dict().items()}  # unlike any fresh init
    fresh = build_model(cfg.model, (1, 8, 8), output_head(cfg, 10), cfg.train.seed).state_dict()
    start = cfg.replace(transfer=TransferConfig(start_from="a 5-class run"))
    learner = _learner(start, state)
    got, head = learner.model.state_dict(), head_keys(learner.model)
    assert set(learner.fresh_head) == head and len(head) == 2
    for key, value in got.items():
        want = fresh[key] if key in head else state[key]
        assert torch.equal(value, want), key
    assert got[sorted(head)[1]].shape[0] == 10


def test_a_head_of_the_same_shape_is_loaded_too() -> None:
    cfg = _cfg()
    model = build_model(cfg.model, (1, 8, 8), output_head(cfg, 10), seed=3)
    state = {k: v * 2 for k, v in model.state_dict().items()}
    target = build_model(cfg.model, (1, 8, 8), output_head(cfg, 10), seed=4)
    assert load_start(target, state) == ()
    assert all(torch.equal(v, state[k]) for k, v in target.state_dict().items())


def test_weights_of_another_body_are_refused_naming_the_field() -> None:
    cnn, mlp = _cfg(), _cfg("digits-mlp")
    state = build_model(mlp.model, (1, 8, 8), output_head(mlp, 10), 0).state_dict()
    with pytest.raises(ConfigError, match="^transfer.start_from: "):
        _learner(cnn.replace(transfer=TransferConfig(start_from="the MLP")), state)
    with pytest.raises(ConfigError, match="^transfer.start_from: no weights came with"):
        _learner(cnn.replace(transfer=TransferConfig(start_from="a file")))


@pytest.mark.parametrize(
    ("frozen", "start"),
    [([9], r"transfer.frozen\[0\]: model.layers\[9\] does not exist"),
     ([0, 1], r"transfer.frozen\[1\]: model.layers\[1\] is maxpool2d: no weights to freeze"),
     ([0, 0], r"transfer.frozen: repeated layer")],
)  # fmt: skip
def test_bad_frozen_layers_are_refused(frozen: list[int], start: str) -> None:
    with pytest.raises(ConfigError, match=f"^{start}"):
        with_value(get_preset("digits-cnn"), "transfer.frozen", frozen)


def test_transfer_settings_need_a_supervised_run_on_digits() -> None:
    with pytest.raises(ConfigError, match="^transfer.demo: needs image data"):
        RunConfig.from_dict({"transfer": {"demo": True}})
    with pytest.raises(ConfigError, match="^transfer.per_class: must be between"):
        with_value(get_preset("digits-mlp"), "transfer.per_class", 0)
    with pytest.raises(ConfigError, match="^transfer.start_from: the demonstration pretrains"):
        TransferConfig(demo=True, start_from="x")


def test_the_demo_split_pretrained_body_and_from_scratch_twin() -> None:
    cfg = _cfg("digits-mlp")
    cfg = cfg.replace(transfer=TransferConfig(demo=True, per_class=4, pretrain_steps=30))
    data = make_dataset(cfg.data)
    pre, fine = transfer.split(data, 4, cfg.train.seed)
    assert set(pre.y_train.tolist()) == set(range(5)) and pre.n_classes == 5
    assert sorted(fine.y_train.tolist()) == sorted(list(range(5, 10)) * 4)
    assert set(fine.y_test.tolist()) == set(range(5, 10))
    assert len(fine.y_test) == int((data.y_test >= 5).sum())
    state, _ = transfer.pretrain(cfg, pre, CPU)
    learner = transfer.transfer_learner(cfg, data, with_probes=False)()
    got, scratch = learner.model.state_dict(), learner.scratch.model.state_dict()
    head = head_keys(learner.model)
    for key in got:  # fine-tuned: the pretrained body; both: the same fresh head
        assert torch.equal(got[key], scratch[key] if key in head else state[key]), key
    assert not all(torch.equal(got[k], scratch[k]) for k in got if k not in head)
    for _ in range(3):
        learner.train_step()
    row = learner.evaluate()
    assert set(transfer.SCRATCH_COLUMNS) <= set(row) and learner.scratch.step_count == 3
    report = learner.answer("report")
    assert report["transfer_accuracy"] == row["test_accuracy"]
    assert report["scratch_accuracy"] == row["scratch_test_accuracy"]


def test_the_demo_refuses_more_examples_than_the_split_has() -> None:
    cfg = _cfg("digits-mlp").replace(transfer=TransferConfig(demo=True, per_class=100))
    with pytest.raises(ConfigError, match="^transfer.per_class: the training split has only"):
        transfer.split(make_dataset(cfg.data), 100, 0)
    state = build_model(cfg.model, (1, 8, 8), output_head(cfg, 10), 0).state_dict()
    with pytest.raises(ConfigError, match="^transfer.demo: the demonstration pretrains"):
        transfer.transfer_learner(cfg, make_dataset(cfg.data), initial_state=state)


def test_the_figures_draw_the_history_columns() -> None:
    from playground.figures import transfer as figs

    steps = np.arange(5.0)
    history = {
        "step": steps,
        "test_accuracy": steps / 10,
        "train_accuracy": steps / 8,
        "scratch_test_accuracy": steps / 20,
        "shifted_test_accuracy": steps / 30,
    }
    fig = figs.transfer_curves(history)
    by_name = {t.name: np.asarray(t.y) for t in fig.data}
    np.testing.assert_allclose(by_name["fine-tuned"], history["test_accuracy"])
    np.testing.assert_allclose(by_name["from scratch"], history["scratch_test_accuracy"])
    shifted = {t.name: np.asarray(t.y) for t in figs.shifted_curves(history).data}
    np.testing.assert_allclose(shifted["shifted test set"], history["shifted_test_accuracy"])
