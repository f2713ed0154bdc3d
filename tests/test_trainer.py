"""Tests for train.trainer on a real thread: commands, acks, stops, failures, probes."""

from __future__ import annotations

import functools
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch

from playground.config import ConfigError, DataConfig, DatasetName, LayerSpec, ModelConfig
from playground.nn.model import build_model, output_head
from playground.train import runcap, supervised
from playground.train import trainer as trainer_module
from playground.train.snapshot import History, Snapshot, Status
from playground.train.trainer import Trainer
from tests.engine_fixtures import FakeClock, burn_cpu, tiny_config, wait_for

R = 20  # grid resolution: small keeps the probes cheap
WAIT_S = 10.0
MakeTrainer = Callable[..., Trainer]


@pytest.fixture
def make_trainer() -> Iterator[MakeTrainer]:
    """Builds trainers on tiny configs and closes every one of them at teardown."""
    made: list[Trainer] = []

    def make(cfg=None, **options) -> Trainer:
        options.setdefault("grid_resolution", R)
        t = Trainer(cfg if cfg is not None else tiny_config(), **options)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()
        assert not t.is_alive


def _state(t: Trainer) -> dict[str, torch.Tensor]:
    return t.ask("weights")


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _until(t: Trainer, ok: Callable[[Snapshot], bool], timeout_s: float = WAIT_S) -> Snapshot:
    return wait_for(t.latest, ok, timeout_s)


# ---- running, pausing, stepping -----------------------------------------------------------------


@pytest.mark.parametrize("with_probes", [True, False])
def test_steps_never_go_back(make_trainer: MakeTrainer, with_probes: bool) -> None:
    t = make_trainer(with_probes=with_probes, publish_hz=200)
    assert t.start().snapshot.status == Status.RUNNING
    steps, epochs = [], []
    for _ in range(300):
        snap = t.latest()
        steps.append(snap.step)
        epochs.append(snap.epoch)
        time.sleep(0.001)
    assert all(a <= b for a, b in itertools.pairwise(steps))
    assert all(a <= b for a, b in itertools.pairwise(epochs))
    assert _until(t, lambda s: s.step > steps[-1]).status == Status.RUNNING


def test_pause_really_stops(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    t.start()
    _until(t, lambda s: s.step > 20)
    paused = t.pause().snapshot
    assert paused.status == Status.PAUSED
    weights = _state(t)
    time.sleep(0.3)
    assert t.latest().step == paused.step
    assert _same_state(_state(t), weights)


def test_step_n_is_exact(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    first = t.step(7).snapshot
    assert (first.step, first.status) == (7, Status.PAUSED)
    t.start()
    _until(t, lambda s: s.step > 30)
    n = t.pause().snapshot.step
    snap = t.step(7).snapshot
    assert snap.step == n + 7 and snap.status == Status.PAUSED
    time.sleep(0.2)
    assert t.latest().step == n + 7


def test_commands_are_acknowledged_in_order(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    seq0 = t.latest().seq
    started = t.start().snapshot
    assert started.status == Status.RUNNING and started.seq > seq0
    paused = t.pause().snapshot
    assert paused.status == Status.PAUSED and paused.seq > started.seq
    stepped = t.step(3).snapshot
    assert stepped.seq > paused.seq and stepped.step == paused.step + 3
    again = t.start().snapshot
    assert again.status == Status.RUNNING and again.seq > stepped.seq
    assert t.pause().snapshot.status == Status.PAUSED


def test_live_lr_change_reaches_the_optimizer(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    t.start()
    _until(t, lambda s: s.step > 5)
    snap = t.set_hparams(lr=0.07, l2=0.001, batch_size=20).snapshot
    assert snap.lr == 0.07 and snap.status == Status.RUNNING
    assert all(g["lr"] == 0.07 for g in t.learner.optimizer.param_groups)
    assert (t.cfg.train.l2, t.cfg.train.batch_size) == (0.001, 20)
    later = _until(t, lambda s: s.step > snap.step + 10)
    assert later.lr == 0.07 and later.history["lr"][-1] == 0.07


def test_bad_hparams_raise_in_the_caller_and_the_run_goes_on(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    t.start()
    _until(t, lambda s: s.step > 5)
    with pytest.raises(ConfigError, match=r"train\.lr.*-1"):
        t.set_hparams(lr=-1.0)
    with pytest.raises(ConfigError, match=r"train\.batch_size"):
        t.set_hparams(batch_size=0)
    with pytest.raises(ValueError, match="not changeable"):
        t.set_hparams(optimizer="adam")
    with pytest.raises(ValueError, match="finite"):
        t.set_param(0, 0, 0, math.nan)
    now = t.latest()
    later = _until(t, lambda s: s.step > now.step + 10)
    assert later.status == Status.RUNNING and later.lr == tiny_config().train.lr


def test_reset_goes_back_to_step_zero_with_the_same_weights(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    initial, first = _state(t), t.latest()
    t.start()
    _until(t, lambda s: s.step > 50)
    assert not _same_state(_state(t), initial)
    snap = t.reset().snapshot
    assert (snap.step, snap.epoch, snap.status) == (0, 0, Status.IDLE)
    assert _same_state(_state(t), initial)
    assert np.array_equal(snap.history["step"], [0])
    assert snap.test_loss == first.test_loss
    assert t.step(4).snapshot.step == 4


def test_close_ends_a_paused_trainer(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    t.start()
    t.pause()
    t.close()
    assert not t.is_alive
    assert t.latest().status == Status.CLOSED
    idle = make_trainer()
    idle.close(wait=False)  # only signals, as from an event loop
    wait_for(lambda: idle.is_alive, lambda alive: not alive)


# ---- divergence and failure ---------------------------------------------------------------------


# sgd takes the NumPy fast path (playground.nn.fastpath), momentum the torch one
PATHS = ["sgd", "momentum"]
OVERFLOW_OK = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy overflow is the point


@OVERFLOW_OK
@pytest.mark.parametrize("optimizer", PATHS)
def test_divergence_restores_the_last_good_weights(make_trainer: MakeTrainer, optimizer) -> None:
    t = make_trainer(tiny_config(DatasetName.REG_PLANE, lr=100.0, optimizer=optimizer))
    initial = _state(t)
    seq = t.latest().seq
    t0 = time.monotonic()
    snap = t.step(50).snapshot
    assert snap.status == Status.DIVERGED, snap.message
    assert snap.step < 50 and "Diverged" in snap.message and "learning rate" in snap.message
    restored = _state(t)
    assert all(torch.isfinite(v).all() for v in restored.values())
    assert _same_state(restored, initial)  # the last published (finite) state
    assert t.is_alive
    assert snap.seq > seq  # the step command is acknowledged ...
    assert time.monotonic() - t0 < 1.0  # ... at once, not after the command's timeout


@OVERFLOW_OK
@pytest.mark.parametrize("optimizer", PATHS)
def test_divergence_while_running(make_trainer: MakeTrainer, optimizer) -> None:
    t = make_trainer(tiny_config(DatasetName.REG_PLANE, lr=100.0, optimizer=optimizer))
    t.start()
    snap = _until(t, lambda s: s.status in (Status.DIVERGED, Status.FAILED))
    assert snap.status == Status.DIVERGED and snap.message.startswith("Diverged"), snap.message
    assert all(torch.isfinite(v).all() for v in _state(t).values())
    assert t.reset().snapshot.status == Status.IDLE


@pytest.mark.parametrize("optimizer", PATHS)
def test_failure_becomes_failed_and_reset_recovers(make_trainer: MakeTrainer, optimizer) -> None:
    t = make_trainer(tiny_config(optimizer=optimizer))

    def boom(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom in the loss")

    t.learner.loss_fn = boom  # test-only: reaches into the learner to make it fail
    snap = t.step(30).snapshot  # the loss runs in every torch step and in each epoch's evaluation
    assert snap.status == Status.FAILED
    assert "RuntimeError" in snap.message and "boom in the loss" in snap.message
    assert t.is_alive
    assert t.start().snapshot.status == Status.FAILED  # a failed run does not start again by itself
    assert t.reset().snapshot.status == Status.IDLE
    snap = t.step(5).snapshot
    assert (snap.step, snap.status) == (5, Status.PAUSED) and math.isfinite(snap.test_loss)


def test_failure_while_running(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    t.start()
    _until(t, lambda s: s.step > 5)

    def boom(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise ValueError("late failure")

    t.learner.loss_fn = boom
    snap = _until(t, lambda s: s.status == Status.FAILED)
    assert "late failure" in snap.message and t.is_alive


def test_a_failing_probe_does_not_stop_the_run(monkeypatch, make_trainer: MakeTrainer) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("probe broke")

    monkeypatch.setattr(supervised.probes, "layer_probes", broken)
    t = make_trainer()
    t.start()
    snap = _until(t, lambda s: s.step > 20)
    assert snap.status == Status.RUNNING and "probe broke" in snap.probe_error


def test_runs_beyond_the_cap_wait_for_a_slot(monkeypatch, make_trainer: MakeTrainer) -> None:
    # monkeypatch comes first: it is undone only after the trainers have released their slots
    monkeypatch.setattr(runcap, "SLOTS", threading.BoundedSemaphore(1))
    first, second = make_trainer(), make_trainer()
    first.start()
    _until(first, lambda s: s.step > 0)
    second.start()
    waiting = _until(second, lambda s: s.status == Status.WAITING)
    assert waiting.is_active and "Waiting for a free slot" in waiting.message
    time.sleep(0.2)
    assert second.latest().step == 0
    uncapped = make_trainer(capped=False)
    uncapped.start()
    _until(uncapped, lambda s: s.step > 0 and s.status == Status.RUNNING)
    first.pause()
    assert _until(second, lambda s: s.step > 0).status == Status.RUNNING
    second.close()
    first.start()
    _until(first, lambda s: s.status == Status.RUNNING)


# ---- idle pause, history, determinism -----------------------------------------------------------


def test_idle_auto_pause_with_a_fake_clock(make_trainer: MakeTrainer) -> None:
    clock = FakeClock()
    t = make_trainer(clock=clock, idle_pause_s=5.0)
    t.start()
    clock.advance(1.0)  # past the publish deadline, well within the idle limit
    snap = _until(t, lambda s: s.step > 0)
    assert snap.status == Status.RUNNING
    time.sleep(0.2)  # real time does not count, only the clock's
    clock.advance(10.0)
    # Poll the published reference: latest() would itself count as somebody watching.
    wait_for(lambda: t._snapshot, lambda s: s.status == Status.PAUSED, WAIT_S)
    snap = t.latest()
    assert snap.status == Status.PAUSED and "Paused by itself" in snap.message
    assert t.start().snapshot.status == Status.RUNNING


def test_no_idle_pause_when_disabled(make_trainer: MakeTrainer) -> None:
    clock = FakeClock()
    t = make_trainer(clock=clock, idle_pause_s=None, idle_exit_s=None)
    t.start()
    before = t._snapshot.step
    clock.advance(1e6)
    snap = wait_for(lambda: t._snapshot, lambda s: s.step > before, WAIT_S)
    assert snap.status == Status.RUNNING


def test_history_stays_bounded(monkeypatch, make_trainer: MakeTrainer) -> None:
    monkeypatch.setattr(trainer_module, "History", functools.partial(History, capacity=40))
    t = make_trainer(tiny_config(eval_every=1), with_probes=False)
    t.step(300)
    snap = _until(t, lambda s: s.step == 300)
    steps = snap.history["step"]
    assert len(steps) <= 40 and steps[0] == 0
    assert np.all(np.diff(steps) == steps[1] - steps[0])
    assert set(snap.history) >= {"train_loss", "test_loss", "lr", "grad_norm/output"}


def test_same_config_and_seed_same_history(make_trainer: MakeTrainer) -> None:
    a, b = make_trainer(), make_trainer()
    other = make_trainer(tiny_config(seed=1))
    for t in (a, b, other):
        t.step(60)
    ha, hb, ho = (_until(t, lambda s: s.step == 60).history for t in (a, b, other))
    assert len(ha["test_loss"]) > 3
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert np.array_equal(ha[key], hb[key])
    assert not np.array_equal(ha["train_loss"], ho["train_loss"])
    assert _same_state(_state(a), _state(b))


# ---- stop conditions ---------------------------------------------------------------------------


def test_max_steps_is_exact(make_trainer: MakeTrainer) -> None:
    t = make_trainer(tiny_config(max_steps=37))
    t.start()
    snap = _until(t, lambda s: s.status == Status.DONE)
    assert snap.step == 37 and "37 steps" in snap.message
    assert snap.history["step"][-1] == 37
    time.sleep(0.1)
    assert t.latest().step == 37
    assert t.start().snapshot.status == Status.DONE  # already there


def test_max_epochs(make_trainer: MakeTrainer) -> None:
    cfg = tiny_config(max_epochs=2, batch_size=16)
    t = make_trainer(cfg)
    t.start()
    snap = _until(t, lambda s: s.status == Status.DONE)
    per_epoch = math.ceil(t.info.n_train / 16)
    assert (snap.epoch, snap.step) == (2, 2 * per_epoch) and "2 epochs" in snap.message


# ---- evaluation budget (interactive runs) ------------------------------------------------------


def _slow_evaluate(monkeypatch, seconds: float) -> None:
    """Every evaluate call takes at least `seconds` more CPU time (so its cost is known)."""
    real = supervised.evaluate

    def slow(*args, **kwargs):
        burn_cpu(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(supervised, "evaluate", slow)


def test_eval_budget_bounds_evaluation_time_while_running(monkeypatch, make_trainer) -> None:
    _slow_evaluate(monkeypatch, 0.005)  # a record (train + test) costs >= 10 ms
    budget = 0.1  # so records are >= 100 ms apart
    t = make_trainer(tiny_config(batch_size=50), with_probes=False, eval_budget=budget)
    per_epoch = math.ceil(t.info.n_train / 50)
    t.start()
    time.sleep(1.0)
    snap = t.pause().snapshot
    steps = snap.history["step"]
    assert snap.epoch > 3 * len(steps)  # most epoch ends were not evaluated
    assert len(steps) <= 1 + 1.0 / 0.1 + 2  # the first, one per 100 ms, the pause
    assert all(s % per_epoch == 0 for s in steps[:-1])  # still at epoch ends
    assert steps[-1] == snap.step  # pausing evaluates the weights it shows
    assert snap.test_loss == snap.history["test_loss"][-1]


def test_eval_budget_keeps_every_epoch_for_manual_steps_and_stops(make_trainer) -> None:
    cfg = tiny_config(batch_size=50, max_epochs=7)
    budgeted = make_trainer(cfg, with_probes=False, eval_budget=1e-9)  # never due by time
    plain = make_trainer(cfg, with_probes=False)
    for t in (budgeted, plain):
        t.step(12)  # manual steps: every epoch end, as without a budget
    a, b = (_until(t, lambda s: s.step == 12).history for t in (budgeted, plain))
    np.testing.assert_array_equal(a["step"], b["step"])
    np.testing.assert_array_equal(a["test_loss"], b["test_loss"])
    snap = budgeted.start().snapshot
    snap = _until(budgeted, lambda s: s.status == Status.DONE)
    assert snap.epoch == 7 and snap.history["step"][-1] == snap.step  # the stop is evaluated


def test_target_test_loss(make_trainer: MakeTrainer) -> None:
    start_loss = make_trainer().latest().test_loss
    target = 0.9 * start_loss
    t = make_trainer(tiny_config(target_test_loss=target, lr=0.1))
    t.start()
    snap = _until(t, lambda s: s.status == Status.DONE, 30.0)
    assert snap.test_loss < target and "below the target" in snap.message


# ---- weights, copies, probes --------------------------------------------------------------------


def test_set_param_changes_exactly_that_weight(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    before = _state(t)
    t.set_param(0, 1, 0, 0.123)
    t.set_param(1, 0, None, -0.5)
    after = _state(t)
    w0, b1 = before["0.weight"].clone(), before["2.bias"].clone()
    w0[1, 0] = 0.123
    b1[0] = -0.5
    expected = before | {"0.weight": w0, "2.bias": b1}
    assert _same_state(after, expected)
    assert t.latest().layers[0].weights[1, 0] == np.float32(0.123)


def test_weights_request_is_a_private_copy(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    c = t.ask("weights")
    for v in c.values():
        v.fill_(5.0)
    assert not any(torch.equal(v, torch.full_like(v, 5.0)) for v in t.ask("weights").values())
    t.start()
    running = t.ask("weights")  # answered by the thread, between two steps
    assert all(torch.isfinite(v).all() for v in running.values())
    assert t.latest().status == Status.RUNNING


def test_load_state(make_trainer: MakeTrainer) -> None:
    t = make_trainer()
    cfg = tiny_config()
    head = output_head(cfg, t.info.n_classes)
    other = build_model(cfg.model, t.info.input_shape, head, seed=99).state_dict()
    t.load_state(other)
    assert _same_state(_state(t), other)


def test_snapshot_probes_on_and_off(make_trainer: MakeTrainer) -> None:
    on = make_trainer().step(2).snapshot
    assert on.grid is not None and on.grid.shape == (1, R, R)
    assert [g.shape for g in on.neuron_grids] == [(4, R, R), (2, R, R)]
    assert [p.name for p in on.layers] == ["dense 1", "dense 2", "output"]
    t = make_trainer(with_probes=False)
    off = t.step(2).snapshot
    assert off.grid is None and off.layers == () and off.neuron_grids == ()
    assert off.step == 2 and math.isfinite(off.test_loss)


def test_snapshots_are_read_only_copies_while_training(make_trainer: MakeTrainer) -> None:
    t = make_trainer(publish_hz=50)
    t.start()
    snap = _until(t, lambda s: s.step > 0 and s.layers)
    weights, grid = snap.layers[0].weights.copy(), snap.grid.copy()
    _until(t, lambda s: s.step > snap.step + 200)  # it trained on meanwhile
    assert np.array_equal(snap.layers[0].weights, weights)  # not a view of the live model
    assert np.array_equal(snap.grid, grid)
    arrays = [snap.grid, *snap.neuron_grids, snap.test_output, *snap.history.values()]
    arrays += [snap.layers[0].weights, snap.layers[0].bias, *snap.layers[0].weight_hist]
    arrays += [a for _, layers in snap.probe_history for a in (layers[0].weights,)]
    info = t.info
    arrays += [info.y_train, info.y_test, info.points_train, info.input_grids]
    for a in arrays:
        with pytest.raises(ValueError, match="read-only"):
            a.flat[0] = 1.0
    with pytest.raises(TypeError):
        snap.history["step"] = np.zeros(1)  # type: ignore[index]


def test_image_data_has_layer_probes_but_no_grid(make_trainer: MakeTrainer) -> None:
    cfg = tiny_config().replace(
        data=DataConfig(name=DatasetName.DIGITS, n_samples=200),
        model=ModelConfig(layers=(LayerSpec(units=8),)),
    )
    snap = make_trainer(cfg).step(3).snapshot
    assert snap.grid is None and snap.neuron_grids == ()
    assert snap.layers[0].weights.shape == (8, 64) and snap.layers[-1].weights.shape[0] == 10


def test_step_by_epoch_runs_to_the_end_of_the_epoch(make_trainer: MakeTrainer) -> None:
    """TensorFlow Playground's Step: one epoch (from mid-epoch: to its end), then evaluated."""
    t = make_trainer(tiny_config(batch_size=16))
    per_epoch = math.ceil(t.info.n_train / 16)
    snap = t.step(1, unit="epoch").snapshot
    assert (snap.step, snap.epoch) == (per_epoch, 1) and snap.history["step"][-1] == per_epoch
    t.step(3)
    snap = t.step(1, unit="epoch").snapshot
    assert (snap.step, snap.epoch) == (2 * per_epoch, 2)
    snap = t.step(2, unit="epoch").snapshot
    assert (snap.step, snap.epoch) == (4 * per_epoch, 4)
    with pytest.raises(ValueError, match="step unit"):
        t.step(1, unit="century")


def test_the_numbers_shown_after_step_or_an_edit_are_of_the_model_as_it_is(make_trainer) -> None:
    """After a manual step mid-epoch or a weight edit, the losses are evaluated again."""
    t = make_trainer(tiny_config(batch_size=16))
    snap = t.step(3).snapshot  # mid-epoch: no epoch end evaluated it
    assert snap.history["step"][-1] == 3
    before = snap.test_loss
    snap = t.set_param(0, 0, 0, 50.0).snapshot
    assert snap.history["step"][-1] == 3 and snap.test_loss != before
