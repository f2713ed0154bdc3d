"""Benchmark of the sequence presets: a bare PyTorch loop against the Trainer, and probe costs.

`python -m playground bench --run seq-copy-lstm` (train/bench.py hands the sequence runs here).
The bare loop trains the same model (same seed) on the same batches with the same optimizer and
gradient clipping; the Trainer runs as the page runs it (free-running, evaluating within its
budget), without and with the probes published at 10 Hz.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from typing import Any

import torch

from playground.config import DatasetName, Device, RunConfig
from playground.data.sequences import SeqDataset, make_sequences
from playground.nn.engine import make_optimizer
from playground.nn.model import LOSSES
from playground.nn.sequence_model import build_sequence_model
from playground.presets import get_preset
from playground.train import sequence_requests
from playground.train.bench import Rate, _min_ms, _ratios, time_loop, time_trainer
from playground.train.sequence import sequence_learner
from playground.train.supervised import resolve_device

RUNS = ("seq-sine-lstm", "seq-copy-lstm", "seq-copy-rnn", "seq-reverse-attn", "seq-text-gru")
MODES = ("bare", "trainer", "trainer_probes")


def bench_config(name: str, device: Device = Device.CPU) -> RunConfig:
    """The preset on `device` with every stop condition off."""
    cfg = get_preset(name)
    train = dataclasses.replace(
        cfg.train, max_steps=0, max_epochs=0, target_test_loss=0.0, device=device
    )
    return cfg.replace(train=train)


class BareSeqLoop:
    """A plain loop: per-epoch permutation, sliced batches, masked loss, autograd, clipping."""

    def __init__(self, cfg: RunConfig, data: SeqDataset, device: torch.device) -> None:
        tc = cfg.train
        out = data.vocab if data.is_tokens else 1
        feats = 0 if data.is_tokens else 1
        self.model = build_sequence_model(cfg.model, data.vocab, feats, out, tc.seed)
        self.model.to(device).train()
        self.opt = make_optimizer(self.model, tc)
        self.loss_fn, self.clip, self.tokens = LOSSES[tc.loss], tc.grad_clip, data.is_tokens
        self.X, self.Y = data.X_train.to(device), data.Y_train.to(device)
        self.batch, self.n, self.pos = tc.batch_size, self.X.shape[0], self.X.shape[0]
        self.gen = torch.Generator().manual_seed(tc.seed)  # the Trainer's batch order

    def step(self) -> torch.Tensor:
        """One update; returns the batch loss as a 0-d tensor."""
        if self.pos >= self.n:
            perm = torch.randperm(self.n, generator=self.gen).to(self.X.device)
            self.Xp, self.Yp, self.pos = self.X[perm], self.Y[perm], 0
        start, self.pos = self.pos, min(self.pos + self.batch, self.n)
        xb, yb = self.Xp[start : self.pos], self.Yp[start : self.pos]
        self.opt.zero_grad(set_to_none=False)
        out = self.model(xb)
        if self.tokens:
            mask = yb >= 0
            loss = self.loss_fn(out[mask], yb[mask])
        else:
            loss = self.loss_fn(out[..., 0], yb)
        loss.backward()
        if self.clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        return loss.detach()


def probe_times(cfg: RunConfig, data: SeqDataset, repeats: int = 7) -> dict[str, float]:
    """Milliseconds per call of what the learner computes at publishing time."""
    learner = sequence_learner(cfg, dataset=data)()
    for _ in range(5):
        learner.train_step()
    index, layer = learner.selected
    fns: dict[str, Callable[[], Any]] = {
        "probes": learner.probes,  # one publish (a text sample only every 10th)
        "internals": lambda: learner.internals(index, layer),
        "examples": lambda: sequence_requests.examples(learner, range(4)),
        "evaluate_train_test": learner.evaluate,
    }
    if data.name == DatasetName.TEXT:
        fns["sample_text"] = lambda: sequence_requests.sample_text(learner)
    return {name: _min_ms(fn, learner.device, repeats) for name, fn in fns.items()}


def bench_run(name: str, device: Device, seconds: float, rounds: int) -> dict[str, Any]:
    """Every mode of one sequence preset, interleaved over `rounds`: medians, ratios, probes."""
    cfg = bench_config(name, device)
    data = make_sequences(cfg.data, cfg.seq)
    dev = resolve_device(cfg.train.device)
    samples: dict[str, list[Rate]] = {m: [] for m in MODES}
    nbytes = 0
    for _ in range(rounds):
        for mode in MODES:
            if mode == "bare":
                loop = BareSeqLoop(cfg, data, dev)
                rate = time_loop(loop, seconds, dev)  # type: ignore[arg-type]
            else:
                probes = mode == "trainer_probes"
                rate, size = time_trainer(cfg, data, seconds, probes)  # type: ignore[arg-type]
                nbytes = max(nbytes, size) if probes else nbytes
            samples[mode].append(rate)
    b = cfg.train.batch_size
    eps = {m: round(b * statistics.median(r.wall for r in v), 1) for m, v in samples.items()}
    cpu = {m: round(b * statistics.median(r.cpu for r in v), 1) for m, v in samples.items()}
    return {
        "device": dev.type,
        "batch_size": b,
        "fast_path": False,
        "examples_per_s": eps,
        "examples_per_cpu_s": cpu,
        **_ratios(eps, ""),
        **_ratios(cpu, "_cpu"),
        "probe_ms": probe_times(cfg, data),
        "snapshot_bytes": nbytes,
    }
