"""Sequence settings, tasks, model and learner: refusals naming the field, seeded tasks whose
targets follow their definition, the model's shapes, truncated BPTT against autograd, and a
real Trainer thread with the probes of the contract (/work/notes/seq_contract.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import tomllib
import torch
import torch.nn.functional as F

from playground.config import (
    ConfigError,
    DataConfig,
    DatasetName,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    ModelKind,
    Optimizer,
    RunConfig,
    TrainConfig,
)
from playground.data.sequences import bundled_text, make_sequences
from playground.settings.seq import SeqConfig
from playground.train.learner import RequestError
from playground.train.sequence import SequenceLearner, sequence_learner
from playground.train.snapshot import Status
from playground.train.trainer import Trainer


def _cfg(name: str = "copy", *layers: LayerSpec, loss: str = "cross_entropy", **seq) -> RunConfig:
    layers = layers or (LayerSpec(kind=LayerKind.EMBEDDING, units=4),
                        LayerSpec(kind=LayerKind.LSTM, units=6))  # fmt: skip
    return RunConfig(
        kind=ModelKind.SEQUENCE,
        data=DataConfig(name=DatasetName(name), n_samples=60, noise=5),
        model=ModelConfig(layers=layers),
        train=TrainConfig(loss=Loss(loss), optimizer=Optimizer.ADAM, lr=0.01, batch_size=8),
        seq=SeqConfig(**({"delay": 5, "seq_len": 6} | seq)),
    )


def test_config_round_trips_and_refuses_bad_values_naming_the_field() -> None:
    cfg = _cfg("reverse", bptt=0)
    assert RunConfig.from_json(cfg.to_json()) == cfg
    bad = {
        "seq.delay": lambda: SeqConfig(delay=0),
        "seq.seq_len": lambda: SeqConfig(seq_len=500),
        "seq.temperature": lambda: SeqConfig(temperature=0),
        "seq.bptt": lambda: _cfg("copy", LayerSpec(kind=LayerKind.TRANSFORMER, units=8), bptt=3),
        "train.loss": lambda: _cfg("sine", LayerSpec(kind=LayerKind.GRU), loss="cross_entropy"),
        "model.layers[1]": lambda: _cfg(
            "copy", LayerSpec(kind=LayerKind.GRU), LayerSpec(kind=LayerKind.EMBEDDING)
        ),
        "model.layers[0].heads": lambda: _cfg(
            "copy", LayerSpec(kind=LayerKind.TRANSFORMER, units=6, heads=4)
        ),
        "seq": lambda: RunConfig(seq=SeqConfig(delay=3)),
    }
    for field, make in bad.items():
        with pytest.raises(ConfigError, match="^" + re.escape(field) + ": "):
            make()
    with pytest.raises(ConfigError, match=r"^model.layers\[0\]: embedding"):
        _cfg("sine", LayerSpec(kind=LayerKind.EMBEDDING), loss="mse")


def test_tasks_are_seeded_and_their_targets_follow_their_definitions() -> None:
    seq = SeqConfig(seq_len=7, delay=4, symbols=3)
    for name in ("sine", "copy", "parity", "reverse", "sort", "text"):
        data = DataConfig(name=DatasetName(name), n_samples=40, noise=5)
        a, b = make_sequences(data, seq), make_sequences(data, seq)
        assert torch.equal(a.X_train, b.X_train) and torch.equal(a.Y_test, b.Y_test)
        assert a.X_train.shape[0] == 20 and a.X_train.shape[1] == seq.steps(DatasetName(name))
    copy = make_sequences(DataConfig(name=DatasetName.COPY, n_samples=40), seq)
    assert (copy.Y_train[:, -1] == copy.X_train[:, 0]).all() and (copy.Y_train[:, :-1] == -1).all()
    assert (copy.X_train[:, -1] == 1).all() and set(copy.X_train[:, 0].tolist()) <= {2, 3, 4}
    parity = make_sequences(DataConfig(name=DatasetName.PARITY, n_samples=40), seq)
    assert torch.equal(parity.Y_train, parity.X_train.cumsum(1) % 2)
    for name, answer in (("reverse", lambda d: d.flip(1)), ("sort", lambda d: d.sort(1)[0])):
        s = make_sequences(DataConfig(name=DatasetName(name), n_samples=40), seq)
        assert (
            torch.equal(s.Y_train[:, 7:], answer(s.X_train[:, :7]))
            and (s.X_train[:, 7:] == 10).all()
        )
    sine = make_sequences(DataConfig(name=DatasetName.SINE, n_samples=40, noise=5), seq)
    assert torch.equal(sine.X_train[:, 1:, 0], sine.Y_train[:, :-1])  # the next value
    text = make_sequences(DataConfig(name=DatasetName.TEXT, n_samples=40), seq)
    window = text.decode(text.X_train[0].tolist()) + text.decode(text.Y_train[0, -1:].tolist())
    assert window in bundled_text() and len(bundled_text()) > 3000
    assert text.decode(text.Y_train[0, :-1].tolist()) == window[1:-1]


@pytest.mark.parametrize("name", ["sine", "copy", "parity", "reverse", "sort", "text"])
def test_every_task_and_layer_kind_trains_a_few_steps(name: str) -> None:
    layers = (LayerSpec(kind=LayerKind.GRU, units=6), LayerSpec(kind=LayerKind.DENSE, units=5),
              LayerSpec(kind=LayerKind.TRANSFORMER, units=8, heads=2, causal=True),
              LayerSpec(kind=LayerKind.RNN, units=4))  # fmt: skip
    cfg = _cfg(name, *layers, loss="mse" if name == "sine" else "cross_entropy")
    learner = sequence_learner(cfg)()
    T = learner.info.input_shape[0]
    assert learner.info.layer_names == ("gru 1", "dense 2", "transformer 3", "rnn 4", "output")
    out = learner.model(learner.X_test)
    assert out.shape == (learner.info.n_test, T, learner.info.output_units)
    first = learner.evaluate()
    for _ in range(5):
        learner.train_step()
    row = learner.evaluate()
    assert set(row) == set(learner.history_columns) and row["step"] == 5
    assert np.isfinite(row["test_loss"]) and row["test_loss"] != first["test_loss"]
    assert np.isnan(row["test_accuracy"]) == (name == "sine")


def test_loss_and_accuracy_count_the_scored_steps_only() -> None:
    learner = sequence_learner(_cfg("copy"))()
    loss, acc, seq_acc = learner.measure(learner.X_test, learner.Y_test)
    with torch.no_grad():
        out = learner.model.eval()(learner.X_test)
    learner.model.train()
    last, y = out[:, -1], learner.Y_test[:, -1]  # copy: only the recall step is scored
    assert loss == pytest.approx(float(F.cross_entropy(last, y)), rel=1e-5)
    assert acc == pytest.approx(float((last.argmax(1) == y).float().mean())) == seq_acc


def test_truncated_bptt_sums_the_windows_gradients_with_detached_states() -> None:
    cfg = _cfg("parity", LayerSpec(kind=LayerKind.LSTM, units=5), seq_len=9, bptt=4)
    learner = sequence_learner(cfg)()
    xb, yb = learner.X_train[:8], learner.Y_train[:8]
    learner.model.zero_grad()
    learner._truncated_backward(xb, yb, 4)
    got = [p.grad.clone() for p in learner.model.parameters()]
    # oracle: torch's LSTM over the windows 0-3, 4-7, 8 with the state detached in between,
    # the mean loss over all steps differentiated by autograd in one go
    cell, head = learner.model.blocks[0].cell, learner.model.head
    x, state, outs = F.one_hot(xb, 2).float(), None, []
    for t0 in (0, 4, 8):
        o, state = cell(x[:, t0 : t0 + 4], state)
        state = tuple(s.detach() for s in state)
        outs.append(o)
    loss = F.cross_entropy(head(torch.cat(outs, 1)).reshape(-1, 2), yb.reshape(-1))
    want = torch.autograd.grad(loss, list(learner.model.parameters()))
    for g, w in zip(got, want):
        assert torch.allclose(g, w, atol=1e-6)


def test_a_trainer_runs_it_and_publishes_the_contracts_probes() -> None:
    cfg = _cfg("text", LayerSpec(kind=LayerKind.EMBEDDING, units=4),
               LayerSpec(kind=LayerKind.GRU, units=8), seq_len=10, sample_len=15)  # fmt: skip
    trainer = Trainer(cfg)
    try:
        info = trainer.info
        assert info.kind == "sequence" and info.input_shape == (10,) and " " in info.feature_names
        snap = trainer.step(12).snapshot
        assert snap.step == 12 and snap.status == Status.PAUSED and not snap.probe_error
        ex = snap.extra
        assert len(ex["examples"]["inputs"]) == 4 and all(
            len(s) == 10 for s in ex["examples"]["predictions"]
        )
        assert ex["hidden"].shape == (8, 10) and ex["hidden"].dtype == np.float32
        assert set(ex["gates"]) == {"reset", "update", "new"} and ex["attention"] == []
        assert ex["grad_through_time"].shape == (10,) and ex["hidden_layer"] == 1
        assert (
            isinstance(ex["sample"], str) and len(ex["sample"]) == 10 + 15
        )  # a whole test window, then 15
        for col in ("train_loss", "test_loss", "test_accuracy", "sequence_accuracy", "grad_norm"):
            assert col in snap.history
        assert trainer.ask("select", index=3, layer=0) is None
        snap = trainer.step(1).snapshot
        assert snap.extra["sequence_index"] == 3 and snap.extra["hidden"].shape == (4, 10)
        got = trainer.ask("internals", index=2, layer=1)
        assert got["sequence_index"] == 2 and len(got["inputs"]) == 10 and got["gates"]
        text = trainer.ask("sample", temperature=0.5, length=20, prompt="The ")
        assert text.startswith("The ") and len(text) == 24
        report = trainer.ask("report")
        assert report["unigram_loss"] > 0 and report["test_loss"] > 0
        with pytest.raises(RequestError, match="^index"):
            trainer.ask("select", index=10**6, layer=0)
        with pytest.raises(RequestError, match="prompt"):
            trainer.ask("sample", prompt="\x00")
    finally:
        trainer.close()


def test_reset_rebuilds_the_same_weights_and_initial_state_is_loaded() -> None:
    cfg = _cfg("copy")
    a = SequenceLearner(cfg, make_sequences(cfg.data, cfg.seq), torch.device("cpu"))
    for _ in range(3):
        a.train_step()
    b = sequence_learner(cfg)()
    c = sequence_learner(cfg, initial_state=a.checkpoint())()
    fresh = sequence_learner(cfg)()
    for k, v in b.model.state_dict().items():
        assert torch.equal(v, fresh.model.state_dict()[k])  # seeded: the same model again
        assert torch.equal(c.model.state_dict()[k], a.model.state_dict()[k])


def test_the_bundled_text_ships_with_the_package() -> None:
    root = Path(__file__).resolve().parents[1]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["playground.data"]
    assert any(Path("river.txt").match(p) for p in patterns)
    assert (root / "playground" / "data" / "river.txt").read_text() == bundled_text()


def test_a_diverging_sequence_run_stops_and_keeps_finite_weights() -> None:
    cfg = _cfg("sine", LayerSpec(kind=LayerKind.LSTM, units=8), loss="mse")
    cfg = cfg.replace(train=TrainConfig(loss=Loss.MSE, optimizer=Optimizer.SGD, lr=100.0))
    trainer = Trainer(cfg)
    try:
        snap = trainer.step(200).snapshot
        assert snap.status == Status.DIVERGED and "Restored the last good weights" in snap.message
        assert all(torch.isfinite(v).all() for v in trainer.ask("weights").values())
    finally:
        trainer.close()
