"""Benchmark: a bare PyTorch loop against the Trainer, with and without probes (`bench` command).

For each run (circle, spiral, digits-cnn) the modes are timed in one process, interleaved over
several rounds, and the median of each is kept:

- `bare`: a plain PyTorch loop written here (same model, data, optimizer, batch order);
- `bare_fast`: the NumPy FastStep alone in a loop (small dense nets with SGD on CPU only);
- `trainer`: the Trainer thread, headless, without probes;
- `trainer_probes`: the Trainer publishing snapshots with every probe at 10 Hz.

Both Trainer modes run as the pages run it: free-running, evaluating within `EVAL_BUDGET`.

`torch.set_num_threads(1)` is process-global: the Trainer thread sets it on CPU anyway, so every
mode runs with one intra-op thread.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn

from playground.config import Device, Optimizer, RunConfig, Task
from playground.data.datasets import Dataset, make_dataset
from playground.explain import probes
from playground.nn.engine import evaluate, histogram, make_optimizer
from playground.nn.fastpath import FastStep
from playground.nn.model import LOSSES, build_model, encode_targets, output_head, trainable_layers
from playground.nn.modes import eval_mode
from playground.presets import get_preset
from playground.train.supervised import resolve_device
from playground.train.trainer import EVAL_BUDGET, Trainer

RUNS: dict[str, Callable[[], RunConfig]] = {
    "circle": RunConfig,  # the defaults: circle, x1 x2, 4-2 tanh, batch 10, SGD lr 0.03, square
    "spiral": lambda: get_preset("spiral"),  # 6 x 8 tanh on all 7 features
    "digits-cnn": lambda: get_preset("digits-cnn"),
}
# Runs of other model kinds, timed by their kind's module (`bench --run NAME`, not by default)
KIND_RUNS: dict[str, str] = dict.fromkeys(
    ("seq-sine-lstm", "seq-copy-lstm", "seq-copy-rnn", "seq-reverse-attn", "seq-text-gru"),
    "playground.train.sequence_bench",
)
MODES = ("bare", "bare_fast", "trainer", "trainer_probes")
PUBLISH_HZ = 10.0
GRID_RESOLUTION = 100  # the page's grid
QUICK = {"seconds": 0.4, "rounds": 3}
FULL = {"seconds": 1.0, "rounds": 5}


def bench_config(name: str, device: Device = Device.CPU) -> RunConfig:
    """The run's config on `device`, with every stop condition off (the benchmark times it)."""
    cfg = RUNS[name]()
    train = dataclasses.replace(
        cfg.train, max_steps=0, max_epochs=0, target_test_loss=0.0, device=device
    )
    return cfg.replace(train=train)


class BareLoop:
    """A plain PyTorch loop: per-epoch permutation, sliced batches, autograd, torch.optim.

    L1/L2 penalties and gradient clipping are left out: none of the benchmark's runs uses them.
    """

    def __init__(self, cfg: RunConfig, data: Dataset, device: torch.device) -> None:
        tc = cfg.train
        head = output_head(cfg, data.n_classes)
        self.model = build_model(cfg.model, data.input_shape, head, tc.seed).to(device).train()
        params = list(self.model.parameters())
        if tc.optimizer == Optimizer.SGD:
            self.opt: torch.optim.Optimizer = torch.optim.SGD(params, lr=tc.lr)
        elif tc.optimizer == Optimizer.ADAM:
            self.opt = torch.optim.Adam(params, lr=tc.lr, betas=(tc.beta1, tc.beta2))
        else:
            self.opt = make_optimizer(self.model, tc)  # the other optimizers, as configured
        self.loss_fn = LOSSES[tc.loss]
        self.X = data.X_train.to(device)  # (N, F) or (N, 1, 8, 8)
        self.t = encode_targets(data.y_train.to(device), data.task, head, tc.loss)
        self.batch, self.n, self.pos = tc.batch_size, self.X.shape[0], self.X.shape[0]
        self.gen = torch.Generator().manual_seed(tc.seed)  # the Trainer's batch order

    def _permute(self) -> None:
        perm = torch.randperm(self.n, generator=self.gen).to(self.X.device)
        self.Xp, self.tp = self.X[perm], self.t[perm]

    def _batch(self) -> tuple[Any, Any]:
        if self.pos >= self.n:  # a new epoch: reshuffle once, then slice views
            self._permute()
            self.pos = 0
        start, self.pos = self.pos, min(self.pos + self.batch, self.n)
        return self.Xp[start : self.pos], self.tp[start : self.pos]

    def step(self) -> torch.Tensor:
        """One update; returns the batch loss as a 0-d tensor (no host sync)."""
        xb, tb = self._batch()
        self.opt.zero_grad(set_to_none=False)
        loss = self.loss_fn(self.model(xb), tb)
        loss.backward()
        self.opt.step()
        return loss.detach()


class FastLoop(BareLoop):
    """The same loop driving the NumPy FastStep instead of autograd (CPU, SGD, dense only)."""

    def __init__(self, cfg: RunConfig, data: Dataset, device: torch.device) -> None:
        super().__init__(cfg, data, device)
        self.fast = FastStep(self.model, cfg.train.loss)
        self.lr = cfg.train.lr

    def _permute(self) -> None:
        super()._permute()
        self.Xp, self.tp = self.Xp.numpy(), self.tp.numpy()  # (N, F), (N, K) NumPy views

    def step(self) -> float:  # type: ignore[override]
        """One update in NumPy; returns the batch loss."""
        xb, tb = self._batch()
        return self.fast.step(xb, tb, self.lr, 0.0, 0.0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


class Rate(NamedTuple):
    """Steps per wall-clock second, and per second of this process's CPU time.

    The second is steady on a busy machine: the benchmark's other threads sleep while a mode
    runs, so the process's CPU time is the measured loop's (and the Trainer's probes').
    """

    wall: float
    cpu: float


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _rate(steps: int, start: tuple[float, float]) -> Rate:
    wall, cpu = _clocks()
    return Rate(steps / (wall - start[0]), steps / max(cpu - start[1], 1e-9))


def time_loop(loop: BareLoop, seconds: float, device: torch.device) -> Rate:
    """Steps per second of loop.step() over about `seconds` (after a short warm-up)."""
    for _ in range(5):
        loop.step()
    _sync(device)
    steps, start = 0, _clocks()
    while time.perf_counter() - start[0] < seconds:
        for _ in range(16):  # read the clock every 16 steps
            loop.step()
        steps += 16
    _sync(device)
    return _rate(steps, start)


def time_trainer(
    cfg: RunConfig, data: Dataset, seconds: float, with_probes: bool
) -> tuple[Rate, int]:
    """(steps per second, the last snapshot's bytes) of a running Trainer over `seconds`."""
    trainer = Trainer(cfg, dataset=data, with_probes=with_probes, publish_hz=PUBLISH_HZ,
                      grid_resolution=GRID_RESOLUTION, idle_pause_s=None,
                      eval_budget=EVAL_BUDGET)  # fmt: skip
    try:
        trainer.start()
        time.sleep(min(0.2, seconds / 2))  # warm-up: first epoch, first publish
        s0, start = trainer.step_count, _clocks()
        time.sleep(seconds)
        rate = _rate(trainer.step_count - s0, start)
        nbytes = trainer.latest().nbytes()
    finally:
        trainer.close()
    return rate, nbytes


def _min_ms(fn: Callable[[], Any], device: torch.device, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return round(1000 * min(times), 3)  # the least disturbed call on a busy machine


def probe_times(cfg: RunConfig, data: Dataset, repeats: int = 7) -> dict[str, float]:
    """Milliseconds per call of each probe the Trainer runs at publishing time, on this model."""
    trainer = Trainer(cfg, dataset=data, grid_resolution=GRID_RESOLUTION, idle_pause_s=None)
    trainer.step(20)  # gradients exist
    trainer.close()  # the thread is gone: its learner is ours now
    sup = trainer.learner
    m, dev, head = sup.model, sup.device, sup.head
    loss, task = cfg.train.loss, data.task
    layers = [layer for _, layer, _ in trainable_layers(m)]
    cls = task == Task.CLASSIFICATION
    fns: dict[str, Callable[[], Any]] = {
        "layer_probes": lambda: probes.layer_probes(m, sup.X_probe, sup.activations, []),
        "histograms": lambda: [histogram(t) for x in layers for t in (x.weight, x.weight.grad)],
        "test_output": lambda: probes.test_output(m, sup.X_test, head, loss, task),
        "evaluate_train_test": lambda: [
            evaluate(m, sup.X_train, sup.t_train, sup.y_train, sup.loss_fn, cls),
            evaluate(m, sup.X_test, sup.t_test, sup.y_test, sup.loss_fn, cls),
        ],
        "state_copy": lambda: {k: v.detach().clone() for k, v in m.state_dict().items()},
    }
    if sup.X_grid is not None:
        fns["boundary_grid"] = lambda: _boundary(m, sup.X_grid, head, loss, task)
        fns["grids"] = lambda: probes.grids(
            m, sup.X_grid, GRID_RESOLUTION, head, loss, task
        )  # boundary and every neuron's grid, in one hooked pass
    return {name: _min_ms(fn, dev, repeats) for name, fn in fns.items()}


def _boundary(model: nn.Module, X_grid: torch.Tensor, head: Any, loss: Any, task: Any) -> Any:
    """The output grid alone: one forward pass without the per-neuron hooks."""
    with eval_mode(model), torch.no_grad():
        out = model(X_grid)  # (R*R, K)
        return probes.display_output(out, head, loss, task).cpu().numpy()


def bench_run(name: str, device: Device, seconds: float, rounds: int) -> dict[str, Any]:
    """Every mode of one run, interleaved over `rounds`; medians, ratios, probe costs."""
    if name in KIND_RUNS:
        return importlib.import_module(KIND_RUNS[name]).bench_run(name, device, seconds, rounds)
    cfg = bench_config(name, device)
    data = make_dataset(cfg.data)
    dev = resolve_device(cfg.train.device)
    has_fast = FastStep.supports(BareLoop(cfg, data, dev).model, cfg, dev)
    modes = [m for m in MODES if m != "bare_fast" or has_fast]
    samples: dict[str, list[Rate]] = {m: [] for m in modes}
    nbytes = 0
    for _ in range(rounds):
        for mode in modes:
            if mode.startswith("trainer"):
                rate, size = time_trainer(cfg, data, seconds, mode == "trainer_probes")
                nbytes = max(nbytes, size) if mode == "trainer_probes" else nbytes
            else:
                loop = (FastLoop if mode == "bare_fast" else BareLoop)(cfg, data, dev)
                rate = time_loop(loop, seconds, dev)
            samples[mode].append(rate)
    b = cfg.train.batch_size
    eps = {m: round(b * statistics.median(r.wall for r in v), 1) for m, v in samples.items()}
    cpu = {m: round(b * statistics.median(r.cpu for r in v), 1) for m, v in samples.items()}
    return {
        "device": dev.type,
        "batch_size": b,
        "fast_path": has_fast,
        "examples_per_s": eps,
        "examples_per_cpu_s": cpu,
        **_ratios(eps, ""),
        **_ratios(cpu, "_cpu"),
        "probe_ms": probe_times(cfg, data),
        "snapshot_bytes": nbytes,
    }


def _ratios(eps: dict[str, float], suffix: str) -> dict[str, float | None]:
    def ratio(a: str, b: str) -> float | None:
        return round(eps[a] / eps[b], 3) if a in eps and b in eps and eps[b] else None

    return {
        f"trainer_vs_bare{suffix}": ratio("trainer", "bare"),
        f"trainer_probes_vs_bare{suffix}": ratio("trainer_probes", "bare"),
        f"bare_fast_vs_bare{suffix}": ratio("bare_fast", "bare"),
        f"trainer_vs_bare_fast{suffix}": ratio("trainer", "bare_fast"),
    }


def bench(
    names: list[str], device: Device = Device.CPU, seconds: float = 1.0, rounds: int = 5
) -> dict[str, Any]:
    """The whole benchmark as one JSON-ready dict."""
    if resolve_device(device).type == "cpu":
        torch.set_num_threads(1)  # process-global; the Trainer thread would set it anyway
    t0 = time.perf_counter()
    runs = {name: bench_run(name, device, seconds, rounds) for name in names}
    return {
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "torch_threads": torch.get_num_threads(),
        "seconds": seconds,
        "rounds": rounds,
        "runs": runs,
        "total_s": round(time.perf_counter() - t0, 1),
    }


def format_table(result: dict[str, Any]) -> str:
    """A readable table of the result: examples/s (wall and per CPU second) and ratios."""
    cols = ("examples/s", "vs bare", "ex/cpu-s", "vs bare")
    lines = [f"{'run':<11} {'mode':<15} " + " ".join(f"{c:>11}" for c in cols)]
    for name, r in result["runs"].items():
        eps, cpu = r["examples_per_s"], r["examples_per_cpu_s"]
        for mode, v in eps.items():
            c = cpu[mode]
            lines.append(
                f"{name:<11} {mode:<15} {v:>11,.0f} {v / eps['bare']:>11.2f}"
                f" {c:>11,.0f} {c / cpu['bare']:>11.2f}"
            )
        ms = ", ".join(f"{k} {v:g}" for k, v in r["probe_ms"].items())
        lines.append(f"{'':<11} probe ms: {ms}")
        lines.append(f"{'':<11} snapshot: {r['snapshot_bytes'] / 1e3:,.1f} kB")
    devices = sorted({r["device"] for r in result["runs"].values()})
    lines.append(
        f"device {','.join(devices)}, {result['torch_threads']} torch thread(s),"
        f" {result['cpu_count']} cores, load {result['load_avg_1m']},"
        f" {result['rounds']} rounds x {result['seconds']} s, {result['total_s']} s in all"
    )
    return "\n".join(lines)
