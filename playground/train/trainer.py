"""Trainer: the only thread; commands, loop, publishes Snapshots."""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.config import Device, RunConfig, Schedule, Task
from playground.data.datasets import DOMAIN, Dataset, feature_matrix, make_dataset
from playground.explain import probes
from playground.nn.engine import (
    evaluate,
    grid_points,
    make_optimizer,
    scheduled_lr,
    train_step,
    weight_params,
)
from playground.nn.fastpath import FastStep
from playground.nn.model import LOSSES, build_model, encode_targets, output_head, trainable_layers
from playground.train.snapshot import PROBE_HISTORY_POINTS, History, Snapshot, Status

ACK_TIMEOUT_S = 1.0
PROBE_BATCH = 256  # 2-D points used for activation statistics
IMAGE_PROBE_BATCH = 64  # images: 64 x 8 x 8 x channels values per layer are plenty, and cheap
# Interactive runs (the pages): evaluation may take this share of the time. At every epoch end
# it would cost the digits CNN 15% of its speed, and spiral evaluates 400 times a second.
EVAL_BUDGET = 0.05
LIVE_HPARAMS = frozenset(
    {"lr", "l1", "l2", "batch_size", "steps_per_s", "grad_clip", "max_steps", "max_epochs"}
    | {"target_test_loss", "schedule", "schedule_steps", "schedule_gamma", "min_lr"}
)


# Trainers training at once on this server (a class shares one); more wait their turn.
MAX_RUNNING = int(os.environ.get("PLAYGROUND_MAX_RUNNING", max(2, os.cpu_count() or 1)))
_SLOTS = threading.BoundedSemaphore(MAX_RUNNING)
_LIVE: weakref.WeakSet[Trainer] = weakref.WeakSet()  # every trainer whose thread may run


def live_threads() -> int:
    """Trainer threads alive in this process (a server-wide view for the status page and tests)."""
    return sum(1 for t in list(_LIVE) if t.is_alive)


def resolve_device(device: Device) -> torch.device:
    """CUDA when asked for (or auto) and present, else CPU."""
    if device != Device.CPU and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


class Trainer:
    """Owns one model and one daemon thread that trains it; the UI sends commands and reads
    immutable snapshots. Every command is applied between two steps and acknowledged."""

    def __init__(
        self,
        cfg: RunConfig,
        *,
        dataset: Dataset | None = None,
        with_probes: bool = True,
        publish_hz: float = 10.0,
        grid_resolution: int = 100,
        idle_pause_s: float | None = 30.0,
        clock: Callable[[], float] = time.monotonic,
        initial_state: dict[str, torch.Tensor] | None = None,
        capped: bool = True,
        eval_budget: float | None = None,
    ) -> None:
        self.cfg = cfg
        self.data = dataset if dataset is not None else make_dataset(cfg.data)
        self.device = resolve_device(cfg.train.device)
        self.head = output_head(cfg, self.data.n_classes)
        self.with_probes = with_probes
        self.resolution = grid_resolution
        self._publish_dt = 1.0 / publish_hz
        self._idle_pause_s = idle_pause_s
        self._clock = clock
        self._initial_state = initial_state
        self._capped = capped  # counts against MAX_RUNNING (headless runs need not)
        self._eval_budget = eval_budget  # None: evaluate at every epoch end (reproducible)
        self._has_slot = False
        self._cond = threading.Condition()
        self._commands: list[tuple[int, str, Any]] = []
        self._wake = threading.Event()
        self._seq = 0
        self._done_seq = 0
        self._seq_applied = 0
        self._step_seq = 0
        self._last_read = clock()
        self._to_device()
        self._build()
        self._snapshot = self._make_snapshot()
        self._thread = threading.Thread(target=self._run, name="playground-trainer", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    # ---- public commands (any thread) -------------------------------------------------------

    def start(self) -> Snapshot:
        """Run until paused, stopped by a stop condition, or closed."""
        return self._command("start")

    def pause(self) -> Snapshot:
        return self._command("pause")

    def step(self, n: int = 1) -> Snapshot:
        """Pause, then take exactly n steps; returns once they are done (bounded wait)."""
        return self._command("step", int(n), timeout=ACK_TIMEOUT_S + n * 0.01)

    def reset(self) -> Snapshot:
        """Back to step 0 with the same initial weights and data."""
        return self._command("reset")

    def set_hparams(self, **changes: Any) -> Snapshot:
        """Change live hyperparameters (lr, l1, l2, batch_size, steps_per_s, ...) between steps."""
        unknown = set(changes) - LIVE_HPARAMS
        if unknown:
            raise ValueError(f"not changeable while training: {sorted(unknown)}")
        dataclasses.replace(self.cfg.train, **changes)  # validates now, in the caller
        return self._command("hparams", changes)

    def set_param(self, layer: int, row: int, col: int | None, value: float) -> Snapshot:
        """Set one weight (row, col) or, with col None, one bias of trainable layer `layer`."""
        if not math.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value}")
        return self._command("param", (layer, row, col, float(value)))

    def load_state(self, state: dict[str, torch.Tensor]) -> Snapshot:
        """Replace the weights (e.g. from an experiment file); shapes must match the model."""
        return self._command("load", state)

    def model_copy(self) -> nn.Sequential:
        """A deep copy of the model, taken between two steps (on the CPU, eval mode kept)."""
        box: list[nn.Module] = []
        if self._thread.is_alive():
            self._command("copy", box, timeout=5.0)
        if not box:
            box.append(copy.deepcopy(self.model))
        return box[0].cpu()

    def close(self, wait: bool = True) -> None:
        """Stop the thread; with wait=False only signal it (safe from an event loop)."""
        with self._cond:
            self._seq += 1
            self._commands.append((self._seq, "close", None))
        self._wake.set()
        if wait:
            self._thread.join(timeout=5.0)

    # ---- reads ------------------------------------------------------------------------------

    def latest(self) -> Snapshot:
        """The newest snapshot; reading it also tells the trainer someone is watching."""
        self._last_read = self._clock()
        return self._snapshot

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _command(self, name: str, arg: Any = None, timeout: float = ACK_TIMEOUT_S) -> Snapshot:
        with self._cond:
            self._seq += 1
            seq = self._seq
            self._commands.append((seq, name, arg))
            self._wake.set()
            self._last_read = self._clock()
            self._cond.wait_for(
                lambda: self._snapshot.seq >= seq or not self._thread.is_alive(), timeout
            )
            return self._snapshot

    # ---- set-up -----------------------------------------------------------------------------

    def _to_device(self) -> None:
        d, dev, task = self.data, self.device, self.data.task
        loss = self.cfg.train.loss
        self.loss_fn = LOSSES[loss]
        self.X_train, self.y_train = d.X_train.to(dev), d.y_train.to(dev)
        self.X_test, self.y_test = d.X_test.to(dev), d.y_test.to(dev)
        self.t_train = encode_targets(self.y_train, task, self.head, loss)
        self.t_test = encode_targets(self.y_test, task, self.head, loss)
        self.X_probe = self.X_train[: PROBE_BATCH if d.is_2d else IMAGE_PROBE_BATCH]
        self.X_grid = None
        if d.is_2d:
            pts = grid_points(DOMAIN, self.resolution)
            feats = feature_matrix(pts, self.cfg.data.features, self.cfg.data.custom_features)
            self.X_grid = torch.from_numpy(feats).to(dev)

    def _build(self) -> None:
        cfg = self.cfg
        self.model = build_model(cfg.model, self.data.input_shape, self.head, cfg.train.seed)
        if self._initial_state is not None:
            self.model.load_state_dict(self._initial_state)
        self.model.to(self.device).train()
        self.optimizer = make_optimizer(self.model, cfg.train)
        self.weights = weight_params(self.model)
        self._fast: FastStep | None = None
        self._choose_step()
        self.activations = probes.layer_activations(self.model)
        self._batch_gen = torch.Generator().manual_seed(cfg.train.seed)
        self.step_count, self.epoch, self._pos = 0, 0, self.data.X_train.shape[0]
        self._pending = 0
        self._status, self._message = Status.IDLE, ""
        names = probes.layer_names(self.model)
        cols = ["step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
        cols += ["lr", *[f"grad_norm/{n}" for n in names], *[f"update_ratio/{n}" for n in names]]
        self.history = History(tuple(cols))
        self._ratios: list[float] = [math.nan] * len(names)
        self._probe_history: list[tuple[int, tuple]] = []
        self._measure_next = True
        self._eval_cost, self._last_eval, self._eval_skipped = 0.0, time.perf_counter(), False
        self._good_state = self._state_copy()
        self._good_step = 0
        self._rate_mark = (self._clock(), 0)
        self._steps_per_s = 0.0
        self._record()

    def _state_copy(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    # ---- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        if self.device.type == "cpu":
            torch.set_num_threads(1)  # tiny networks: per-op overhead, not arithmetic
        np.seterr(all="ignore")  # this thread only: divergence is detected from the loss
        next_publish = self._clock()
        try:
            self._loop(next_publish)
        finally:
            self._release_slot()

    def _loop(self, next_publish: float) -> None:
        while True:
            try:
                if self._apply_commands():
                    return
                self._claim_slot()
                before = self._status
                if self._status == Status.RUNNING or self._pending:
                    self._train_until(next_publish)
                else:
                    self._wake.wait(0.25)
                self._check_idle()
                if self._status != Status.RUNNING:
                    self._release_slot()
                due = self._status == Status.RUNNING and self._clock() >= next_publish
                if due or self._status != before:
                    self._publish()
                    next_publish = self._clock() + self._publish_dt
            except Exception as e:  # noqa: BLE001 - a thread must never die silently
                self._pending = 0
                self._status, self._message = Status.FAILED, f"{type(e).__name__}: {e}"
                self._done_seq = self._seq_applied
                self._publish(with_probes=False)

    def _claim_slot(self) -> None:
        """A running trainer holds one of the server's slots, or waits for one."""
        if self._status not in (Status.RUNNING, Status.WAITING) or self._has_slot:
            return
        self._slots = _SLOTS  # released to the same semaphore it came from
        if not self._capped or self._slots.acquire(blocking=False):
            self._has_slot = True
            if self._status == Status.WAITING:
                self._status, self._message = Status.RUNNING, ""
                self._publish()
        elif self._status == Status.RUNNING:
            self._status = Status.WAITING
            self._message = (
                f"Waiting for a free slot: {MAX_RUNNING} runs are already training on this "
                "server. This run starts by itself as soon as one pauses or ends."
            )
            self._publish(with_probes=False)

    def _release_slot(self) -> None:
        if self._has_slot:
            self._has_slot = False
            if self._capped:
                self._slots.release()

    def _apply_commands(self) -> bool:
        """Apply queued commands in order; publish their echo. True when closing."""
        self._wake.clear()
        with self._cond:
            commands, self._commands = self._commands, []
        if not commands:
            return False
        for seq, name, arg in commands:
            self._seq_applied = seq
            if name == "close":
                self._status = Status.CLOSED
                self._done_seq = seq
                self._publish(with_probes=False)
                return True
            self._apply(name, arg)
            if not (name == "step" and self._pending):
                self._done_seq = seq
        self._publish()
        return False

    def _apply(self, name: str, arg: Any) -> None:
        s = self._status
        if name == "start" and s not in (Status.FAILED, Status.CLOSED):
            self._status, self._message = Status.RUNNING, ""
            self._rate_mark = (self._clock(), self.step_count)
            self._check_stop(self.history.last("test_loss"))  # already there: done at once
        elif name == "pause" and s in (Status.RUNNING, Status.WAITING):
            self._status = Status.PAUSED
            if self._eval_skipped:  # the numbers shown when paused are those of these weights
                self._record()
        elif name == "step" and s != Status.FAILED:
            self._status, self._message = Status.PAUSED, ""
            self._pending += arg
            self._step_seq = self._seq_applied
        elif name == "reset":
            self._build()
        elif name == "hparams":
            self._set_hparams(arg)
        elif name == "param":
            self._set_param(*arg)
        elif name == "load":
            self.model.load_state_dict(arg)
            self._good_state = self._state_copy()
        elif name == "copy":
            arg.append(copy.deepcopy(self.model))

    def _set_hparams(self, changes: dict[str, Any]) -> None:
        train = dataclasses.replace(self.cfg.train, **changes)
        self.cfg = dataclasses.replace(self.cfg, train=train)
        for group in self.optimizer.param_groups:
            group["lr"] = scheduled_lr(train, self.step_count)
        self._choose_step()

    def _choose_step(self) -> None:
        """The NumPy fast step where it applies (it may stop applying: grad_clip set live)."""
        use_fast = FastStep.supports(self.model, self.cfg, self.device)
        if use_fast and self._fast is None:
            self._fast = FastStep(self.model, self.cfg.train.loss)
            if hasattr(self, "_Xp"):  # mid-epoch: NumPy views of this epoch's order
                self._Xpn, self._tpn = self._Xp.numpy(), self._tp.numpy()
        elif not use_fast:
            self._fast = None

    def _set_param(self, layer: int, row: int, col: int | None, value: float) -> None:
        _, m, _ = trainable_layers(self.model)[layer]
        with torch.no_grad():
            if col is None:
                m.bias[row] = value
            else:
                m.weight[row, col] = value

    def _train_until(self, deadline: float) -> None:
        """Take steps until the publish deadline, a command, the end of a manual step or a stop."""
        tc = self.cfg.train
        interval = 1.0 / tc.steps_per_s if tc.steps_per_s else 0.0
        while True:
            self._one_step()
            if self._pending:
                self._pending -= 1
                if not self._pending:
                    self._done_seq = self._step_seq
                    self._publish()
                    return
            if self._status not in (Status.RUNNING, Status.PAUSED) or self._commands:
                return
            if interval:
                self._wake.wait(interval)
                return
            if self._clock() >= deadline:
                return

    def _one_step(self) -> None:
        tc, n = self.cfg.train, self.X_train.shape[0]
        if self._pos >= n:  # a new epoch: reshuffle once, then slice views
            perm = torch.randperm(n, generator=self._batch_gen).to(self.device)
            self._Xp, self._tp, self._pos = self.X_train[perm], self.t_train[perm], 0
            if self._fast:
                self._Xpn, self._tpn = self._Xp.numpy(), self._tp.numpy()
        start = self._pos
        end = self._pos = min(start + tc.batch_size, n)
        if tc.schedule != Schedule.CONSTANT:
            lr = scheduled_lr(tc, self.step_count)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        before = [w.detach().clone() for w in self.weights] if self._measure_next else None
        if self._fast:
            lr = self.optimizer.param_groups[0]["lr"]
            self._fast.step(self._Xpn[start:end], self._tpn[start:end], lr, tc.l1, tc.l2)
        else:
            xb, tb = self._Xp[start:end], self._tp[start:end]  # only autograd needs tensors
            train_step(self.model, self.optimizer, xb, tb, self.loss_fn, self.weights, tc.l1,
                       tc.l2, tc.grad_clip)  # fmt: skip
        self.step_count += 1
        if before is not None:
            self._ratios = [
                float((w.detach() - b).norm() / (b.norm() + 1e-12))
                for w, b in zip(self.weights, before)
            ]
            self._measure_next = False
        epoch_end = self._pos >= n
        if epoch_end:
            self.epoch += 1
        if tc.max_steps and self.step_count >= tc.max_steps:
            self._record()  # the final evaluation lands exactly on max_steps
            return
        if (tc.eval_every and self.step_count % tc.eval_every == 0) or (
            epoch_end and not tc.eval_every and self._eval_due()
        ):
            self._record()

    def _eval_due(self) -> bool:
        """At an epoch end: evaluate, unless a budget is set and the run is free-running; then
        only once the time since the last evaluation is its cost / budget."""
        if self._eval_budget is None or self._pending or self._status != Status.RUNNING:
            return True
        tc = self.cfg.train
        if tc.max_epochs and self.epoch >= tc.max_epochs:
            return True  # the stop condition is checked on this evaluation
        due = time.perf_counter() - self._last_eval >= self._eval_cost / self._eval_budget
        self._eval_skipped = not due
        return due

    def _record(self) -> None:
        """Evaluate on the full sets, append to history, and check divergence and stops."""
        cls = self.data.task == Task.CLASSIFICATION
        start = time.perf_counter()
        tr = evaluate(self.model, self.X_train, self.t_train, self.y_train, self.loss_fn, cls)
        te = evaluate(self.model, self.X_test, self.t_test, self.y_test, self.loss_fn, cls)
        self._last_eval = time.perf_counter()
        self._eval_cost, self._eval_skipped = self._last_eval - start, False
        if not (math.isfinite(tr.loss) and math.isfinite(te.loss)):
            self._diverge(tr.loss if not math.isfinite(tr.loss) else te.loss)
            return
        grads = [float(w.grad.norm()) if w.grad is not None else math.nan for w in self.weights]
        lr = self.optimizer.param_groups[0]["lr"]
        row = [self.step_count, self.epoch, tr.loss, te.loss, tr.accuracy, te.accuracy, lr]
        self.history.append(row + grads + self._ratios)
        self._measure_next = True
        self._check_stop(te.loss)

    def _diverge(self, bad: float) -> None:
        self.model.load_state_dict(self._good_state)
        self.optimizer = make_optimizer(self.model, self.cfg.train)  # its moments may be nan too
        if self._pending:  # a manual step(n) ends here: acknowledge it
            self._done_seq = self._step_seq
        self._pending = 0
        self._status = Status.DIVERGED
        self._message = (
            f"Diverged at step {self.step_count} (loss = {bad}). Restored the last good weights,"
            f" from step {self._good_step}. Try a smaller learning rate, then press Play or Reset."
        )

    def _check_stop(self, test_loss: float) -> None:
        tc = self.cfg.train
        reason = ""
        if tc.max_steps and self.step_count >= tc.max_steps:
            reason = f"reached {tc.max_steps} steps"
        elif tc.max_epochs and self.epoch >= tc.max_epochs:
            reason = f"reached {tc.max_epochs} epochs"
        elif tc.target_test_loss and test_loss < tc.target_test_loss:
            reason = f"test loss {test_loss:.4g} below the target {tc.target_test_loss:g}"
        if reason and self._status == Status.RUNNING:
            self._status, self._message = Status.DONE, f"Done: {reason}."

    def _check_idle(self) -> None:
        idle = self._clock() - self._last_read
        if self._status == Status.RUNNING and self._idle_pause_s and idle > self._idle_pause_s:
            self._status = Status.PAUSED
            self._message = f"Paused by itself: nobody watched this run for {idle:.0f} s."

    # ---- publishing -------------------------------------------------------------------------

    def _publish(self, with_probes: bool = True) -> None:
        if self._status != Status.DIVERGED and self._is_finite():
            self._good_state, self._good_step = self._state_copy(), self.step_count
        snap = self._make_snapshot(with_probes and self.with_probes)
        with self._cond:
            self._snapshot = snap
            self._cond.notify_all()

    def _is_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def _make_snapshot(self, with_probes: bool = True) -> Snapshot:
        now, (t0, s0) = self._clock(), self._rate_mark
        if self._status == Status.RUNNING and now - t0 > 0.2:
            self._steps_per_s = (self.step_count - s0) / (now - t0)
            self._rate_mark = (now, self.step_count)
        h = self.history
        extra: dict[str, Any] = {}
        try:
            if with_probes:
                extra = self._probes()
        except Exception as e:  # noqa: BLE001 - a broken probe must not stop training
            extra = {"probe_error": f"{type(e).__name__}: {e}"}
        return Snapshot(
            seq=self._done_seq,
            step=self.step_count,
            epoch=self.epoch,
            status=self._status,
            message=self._message,
            device=self.device.type,
            lr=float(self.optimizer.param_groups[0]["lr"]),
            train_loss=h.last("train_loss"),
            test_loss=h.last("test_loss"),
            train_accuracy=h.last("train_accuracy"),
            test_accuracy=h.last("test_accuracy"),
            steps_per_s=self._steps_per_s,
            examples_per_s=self._steps_per_s * self.cfg.train.batch_size,
            history=h.arrays(),
            grid_bound=DOMAIN,
            **extra,
        )

    def _probes(self) -> dict[str, Any]:
        """Per-layer probes, test-set output and (2-D data) grids, computed between steps."""
        extra: dict[str, Any] = {}
        extra["layers"] = probes.layer_probes(
            self.model, self.X_probe, self.activations, self._ratios
        )
        self._keep_probes(extra["layers"])
        extra["probe_history"] = tuple(self._probe_history)
        extra["test_output"] = probes.test_output(
            self.model, self.X_test, self.head, self.cfg.train.loss, self.data.task
        )
        if self.X_grid is not None:
            extra["grid"], extra["neuron_grids"] = probes.grids(
                self.model, self.X_grid, self.resolution, self.head, self.cfg.train.loss,
                self.data.task,
            )  # fmt: skip
        return extra

    def _keep_probes(self, layers: tuple) -> None:
        """Bounded probe history: when full, every other entry goes (old and new stay spread)."""
        ph = self._probe_history
        if ph and ph[-1][0] == self.step_count:
            ph[-1] = (self.step_count, layers)
            return
        if len(ph) >= PROBE_HISTORY_POINTS:
            del ph[1::2]
        ph.append((self.step_count, layers))
