"""A hand-written SGD step for small dense networks on CPU, in NumPy, on the torch weights.

Tiny networks spend their time in per-op overhead, not arithmetic: autograd and torch.optim
cost about 100 us a step for the 6x8 spiral network, NumPy about 20 us. The step works on
NumPy views that share memory with the model's parameters and gradients, so the model,
probes and snapshots see every update. It gives autograd's numbers (tests/test_fastpath.py)
and is chosen automatically when it applies (`FastStep.supports`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from playground.config import Loss, Optimizer, RunConfig
from playground.nn.functions import ACTIVATION_FNS, LOSS_FNS, ActivationFn, activation_name
from playground.nn.model import SeededDropout, trainable_layers

_LOSSES = tuple(loss for loss in Loss if LOSS_FNS[loss.value].value_and_grad)  # all but mae, huber
MAX_WIDTH = 256  # beyond this, arithmetic dominates and torch's kernels win


class FastStep:
    """One SGD step (forward, backward, L1/L2, update) of an MLP, in place."""

    @staticmethod
    def supports(model: nn.Sequential, cfg: RunConfig, device: torch.device) -> bool:
        """True for plain SGD on CPU over Linear layers with tanh/relu/sigmoid/linear."""
        t = cfg.train
        if device.type != "cpu" or t.optimizer != Optimizer.SGD or t.loss not in _LOSSES:
            return False
        if t.grad_clip:
            return False
        mods = list(model)
        if any(isinstance(m, (SeededDropout, nn.BatchNorm1d, nn.Conv2d)) for m in mods):
            return False
        layers = trainable_layers(model)
        if 2 * len(layers) != len(mods):
            return False  # something besides Linear + activation pairs
        acts_ok = all(_fast_activation(a) is not None for _, _, a in layers)
        small = all(m.weight.shape[0] <= MAX_WIDTH and m.weight.shape[1] <= MAX_WIDTH
                    for _, m, _ in layers)  # fmt: skip
        return acts_ok and small and all(isinstance(m, nn.Linear) for _, m, _ in layers)

    def __init__(self, model: nn.Sequential, loss: Loss) -> None:
        self.loss = loss
        self._loss_grad = LOSS_FNS[loss.value].value_and_grad
        self.W, self.b, self.gW, self.gb, self.acts = [], [], [], [], []
        for _, m, act in trainable_layers(model):
            for p in (m.weight, m.bias):
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            self.W.append(m.weight.detach().numpy())  # views: in-place updates reach the model
            self.b.append(m.bias.detach().numpy())
            self.gW.append(m.weight.grad.numpy())
            self.gb.append(m.bias.grad.numpy())
            self.acts.append(_fast_activation(act))

    def step(self, X: np.ndarray, t: np.ndarray, lr: float, l1: float, l2: float) -> float:
        """Update on a batch; returns the batch's data loss.

        Args:
            X: (B, F) float32 inputs. t: targets as encode_targets makes them, as NumPy.
        """
        outs = [X]
        for W, b, act in zip(self.W, self.b, self.acts):
            outs.append(act.forward(outs[-1] @ W.T + b))
        loss, d = self._loss_grad(outs[-1], t)
        for k in range(len(self.W) - 1, -1, -1):
            d = self.acts[k].backward(d, outs[k + 1])  # dE/dnet (B, units)
            np.matmul(d.T, outs[k], out=self.gW[k])
            np.sum(d, axis=0, out=self.gb[k])
            if k:
                d = d @ self.W[k]
        for W, b, gW, gb in zip(self.W, self.b, self.gW, self.gb):
            if l2:
                gW += l2 * W
            if l1:
                gW += l1 * np.sign(W)
            W -= lr * gW
            b -= lr * gb
        return loss


def _fast_activation(module: nn.Module) -> ActivationFn | None:
    """The table entry of an activation module with an element-wise NumPy backward, or None."""
    fn = ACTIVATION_FNS.get(activation_name(module) or "")
    return fn if fn is not None and fn.backward is not None else None
