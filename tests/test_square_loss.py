"""The loss `square`: TensorFlow Playground's ½(o − t)², the mean over examples.

Oracles: the formula written out, `mse` (twice its value and gradient), the Backprop trace's
half_sse on one example, and the exported script's own loss.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.cli import main as cli_main
from playground.config import Loss, RunConfig, with_value
from playground.explain import backprop as bp
from playground.export.codegen import generate_script
from playground.nn.functions import LOSS_FNS
from playground.nn.model import LOSSES
from playground.presets import get_preset
from playground.train import headless
from playground.train.trainer import Trainer

TFP_PRESETS = ["circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"]


def test_square_is_half_the_squared_error_summed_over_outputs_mean_over_examples() -> None:
    g = torch.Generator().manual_seed(0)
    for shape in [(7, 1), (5, 3)]:
        o, t = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        want = 0.5 * ((o - t) ** 2).sum() / shape[0]
        torch.testing.assert_close(LOSSES[Loss.SQUARE](o, t), want)
        torch.testing.assert_close(LOSSES[Loss.MSE](o, t), 2 * want / shape[1])
    one = torch.tensor([[0.5]]), torch.tensor([[-1.0]])
    assert float(LOSSES[Loss.SQUARE](*one)) == pytest.approx(0.5 * 1.5**2)


def test_default_config_and_tfp_presets_train_on_square(tmp_path, capsys) -> None:
    assert RunConfig().train.loss == Loss.SQUARE
    assert RunConfig.from_dict({"train": {"loss": "square"}}).train.loss == Loss.SQUARE
    for name in TFP_PRESETS:
        assert get_preset(name).train.loss == Loss.SQUARE, name
    code = cli_main(["train", "--preset", "circle", "--steps", "20", "--out", str(tmp_path)])
    assert code == 0
    assert json.loads((tmp_path / "config.json").read_text())["train"]["loss"] == "square"
    capsys.readouterr()
    args = ["train", "--preset", "xor", "--steps", "20", "--set", "train.loss=mse"]
    assert cli_main(args) == 0  # mse stays
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "done"


def test_square_at_lr_is_mse_at_half_lr_with_half_the_loss() -> None:
    # d square / do = o - t, half of mse's 2 (o - t) on one output: the same SGD trajectory.
    square = with_value(get_preset("circle"), "train.max_steps", 200)
    mse = with_value(with_value(square, "train.loss", "mse"), "train.lr", 0.015)
    results = []
    for cfg in (square, mse):
        trainer, result = headless.run(cfg, poll_s=0.02)
        trainer.close()
        results.append(result)
    (a, b) = results
    assert a["test_loss"] == pytest.approx(b["test_loss"] / 2, rel=1e-4)
    assert a["test_accuracy"] == b["test_accuracy"]


def _learner_example(cfg: RunConfig, index: int) -> tuple[torch.nn.Module, list, list]:
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None, capped=False)
    try:
        learner = trainer.learner
        x = learner.data.X_train[index].tolist()
        t = learner.t_train[index].tolist()
        model = trainer.ask("model")
    finally:
        trainer.close()
    return model, x, t


def test_backprop_half_sse_is_the_playgrounds_square_on_one_example(tmp_path, capsys) -> None:
    model, x, t = _learner_example(get_preset("circle"), 3)
    spec = bp.spec_from_model(model.double(), x, t, "half_sse", 0.03)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    assert cli_main(["backprop", "--spec", str(tmp_path / "spec.json")]) == 0
    trace = json.loads(capsys.readouterr().out)
    xb, tb = torch.tensor([x], dtype=torch.float64), torch.tensor([t], dtype=torch.float64)
    loss = LOSSES[Loss.SQUARE](model(xb), tb)  # the Playground's loss on a batch of this one
    assert trace["loss"] == pytest.approx(loss.item(), rel=1e-12)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    for k, ly in enumerate(trace["layers"]):
        np.testing.assert_allclose(ly["grad_weights"], grads[2 * k].numpy(), rtol=1e-10)
        np.testing.assert_allclose(ly["grad_bias"], grads[2 * k + 1].numpy(), rtol=1e-10)


def test_explain_one_step_sends_half_sse_for_square() -> None:
    trainer = Trainer(get_preset("circle"), with_probes=False, idle_pause_s=None, capped=False)
    try:
        spec = trainer.ask("backprop_spec", index=3)
    finally:
        trainer.close()
    assert spec["loss"] == "half_sse"


def test_exported_script_trains_on_square() -> None:
    source = generate_script(get_preset("circle"))
    ns: dict = {"__name__": "exported_script"}
    exec(compile(source, "exported.py", "exec"), ns)  # noqa: S102
    g = torch.Generator().manual_seed(1)
    o, t = torch.randn(9, 1, generator=g), torch.randn(9, 1, generator=g)
    assert torch.equal(ns["loss_fn"](o, t), LOSS_FNS["square"].torch(o, t))
    assert "square" in source
