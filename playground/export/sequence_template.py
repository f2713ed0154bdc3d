"""The exported sequence script's text (playground/export/sequence_script.py fills it in)."""

from __future__ import annotations

import string

SEQUENCE_SCRIPT = string.Template('''\
"""$title, as a standalone PyTorch script.

Exported from the Neural Network Playground. It rebuilds the app's sequences, network and
training loop with the same seeds (the task generators and model classes below are the app's
own code), so on a CPU its losses match the app's run. It needs only torch, NumPy and the
standard library:

    python this_script.py [--steps N]

Progress goes to stderr; the last line on stdout is one JSON object with the final metrics.
Loss and accuracy count the scored steps only (copy: the recall step; reverse and sort: the
answer steps); sequence_accuracy is the fraction of sequences with every scored step right.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---- settings, copied from the app's config ------------------------------------------------

$settings
TOKENS = $tokens  # token ids in, class scores out (else values, as for sine)
EVAL_BATCH = 256  # sequences per forward pass when measuring a whole set

# ---- data: the app's own generator code ----------------------------------------------------

$data_code
$text

def make_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """X_train, Y_train, X_test, Y_test: X (N, T) ids or (N, T, 1) values, Y (N, T) targets
    (-1 where a step is not scored)."""
    rng = np.random.default_rng(DATA_SEED)
    n_train = min(max(1, round(N_SAMPLES * TRAIN_RATIO)), N_SAMPLES - 1)
$make_split
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (X_train, Y_train, X_test,
                 Y_test))  # fmt: skip


# ---- model: the app's own classes ----------------------------------------------------------

$model_code


def make_model() -> SequenceModel:
    """The network, its weights drawn in the app's order from one seeded generator."""
$make_model


# ---- loss, optimizer and learning rate -----------------------------------------------------
$loss_def
loss_fn = $loss


def scored_loss(out: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """The loss over the scored steps of outputs (N, T, K) against targets (N, T)."""
    mask = Y >= 0 if TOKENS else torch.ones(Y.shape, dtype=torch.bool, device=Y.device)
    return loss_fn(out[mask], Y[mask] if TOKENS else Y[mask][:, None])


def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    """$optimizer_doc."""
    return $optimizer_code


def learning_rate(step: int) -> float:
    """The learning rate at a step: $schedule_doc."""
$schedule_code


# ---- training ------------------------------------------------------------------------------


def train_step(model: SequenceModel, optimizer, xb: torch.Tensor, yb: torch.Tensor) -> None:
    """One update on a batch of whole sequences; with BPTT, backpropagation is truncated to
    windows of BPTT steps (the state carried on, detached; the windows' gradients add up)."""
    optimizer.zero_grad(set_to_none=False)
    if BPTT and BPTT < xb.shape[1]:
        mask = yb >= 0 if TOKENS else torch.ones(yb.shape, dtype=torch.bool)
        total, states = int(mask.sum()), None
        for t0 in range(0, xb.shape[1], BPTT):
            xw, yw = xb[:, t0 : t0 + BPTT], yb[:, t0 : t0 + BPTT]
            out, states = model.forward_state(xw, states)
            states = [s if s is None else tuple(v.detach() for v in s) if isinstance(s, tuple)
                      else s.detach() for s in states]  # fmt: skip
            scored = int(mask[:, t0 : t0 + BPTT].sum())
            if scored:
                (scored_loss(out, yw) * (scored / total)).backward()
    else:
        scored_loss(model(xb), yb).backward()
    if GRAD_CLIP:
        nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    optimizer.step()


def evaluate(model: SequenceModel, X: torch.Tensor, Y: torch.Tensor) -> dict:
    """Loss, accuracy and sequence accuracy over the scored steps of a set, in eval mode."""
    loss_sum = right = scored = seqs_right = 0.0
    model.eval()
    with torch.no_grad():
        for i in range(0, X.shape[0], EVAL_BATCH):
            xb, yb = X[i : i + EVAL_BATCH], Y[i : i + EVAL_BATCH]
            out = model(xb)
            mask = yb >= 0 if TOKENS else torch.ones(yb.shape, dtype=torch.bool)
            k = int(mask.sum())
            loss_sum += float(scored_loss(out, yb)) * k
            scored += k
            if TOKENS:
                hit = (out.argmax(dim=2) == yb) | ~mask
                right += float((hit & mask).sum())
                seqs_right += float(hit.all(dim=1).sum())
    model.train()
    if not TOKENS:
        return {"loss": loss_sum / scored}
    return {"loss": loss_sum / scored, "accuracy": right / scored,
            "sequence_accuracy": seqs_right / X.shape[0]}  # fmt: skip


def predict(model: SequenceModel, X: torch.Tensor) -> torch.Tensor:
    """(N, T) predicted token ids, or (N, T) values for sine."""
    model.eval()
    with torch.no_grad():
        out = model(X)
    model.train()
    return out.argmax(dim=2) if TOKENS else out[..., 0]


def train(model: SequenceModel, data: tuple[torch.Tensor, ...], steps: int) -> None:
    """Mini-batches of sequences; the training set is reshuffled at every epoch."""
    X_train, Y_train, X_test, Y_test = data
    optimizer = make_optimizer(model)
    order = torch.Generator().manual_seed(SEED)  # the batch order's own random stream
    n = pos = X_train.shape[0]
    report_every = max(steps // 10, 1)
    for step in range(steps):
        if pos >= n:
            perm = torch.randperm(n, generator=order).to(DEVICE)
            X_epoch, Y_epoch, pos = X_train[perm], Y_train[perm], 0
        end = min(pos + BATCH_SIZE, n)
        xb, yb = X_epoch[pos:end], Y_epoch[pos:end]
        pos = end
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        train_step(model, optimizer, xb, yb)
        if (step + 1) % report_every == 0:
            print(f"step {step + 1}: test {evaluate(model, X_test, Y_test)}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the exported sequence model.")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"default {STEPS}")
    steps = parser.parse_args().steps
    torch.set_num_threads(1)  # as the app's trainer: the same sums, and fast for tiny networks
    data = tuple(t.to(DEVICE) for t in make_data())
    model = make_model().to(DEVICE).train()
    train(model, data, steps)
    result: dict[str, float | int | None] = {"steps": steps}
    for name, (X, Y) in {"train": data[:2], "test": data[2:]}.items():
        for key, value in evaluate(model, X, Y).items():
            key = key if key == "sequence_accuracy" else f"{name}_{key}"
            if name == "test" or key != "sequence_accuracy":
                result[key] = value if math.isfinite(value) else None
    result["first_predictions"] = predict(model, data[2][:1])[0].tolist()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
''')
