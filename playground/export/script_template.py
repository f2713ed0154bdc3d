"""The exported script's text: its template and the fixed snippets generate_script adds."""

from __future__ import annotations

import string

from playground.config import Init, Loss

INIT_CODE = {
    Init.PLAYGROUND: "nn.init.uniform_({w}, -0.5, 0.5, generator=g)",
    Init.ZEROS: "nn.init.zeros_({w})",
    Init.UNIFORM: "nn.init.uniform_({w}, -0.05, 0.05, generator=g)",
    Init.NORMAL: "nn.init.normal_({w}, 0.0, 0.01, generator=g)",
    Init.XAVIER_UNIFORM: "nn.init.xavier_uniform_({w}, generator=g)",
    Init.XAVIER_NORMAL: "nn.init.xavier_normal_({w}, generator=g)",
    Init.KAIMING_UNIFORM: 'nn.init.kaiming_uniform_({w}, nonlinearity="relu", generator=g)',
    Init.KAIMING_NORMAL: 'nn.init.kaiming_normal_({w}, nonlinearity="relu", generator=g)',
    Init.ORTHOGONAL: "nn.init.orthogonal_({w}, generator=g)",
}
LOSS_CODE = {
    Loss.SQUARE: "square_loss  # TensorFlow Playground's square error",
    Loss.MSE: "F.mse_loss  # mean squared error",
    Loss.MAE: "F.l1_loss  # mean absolute error",
    Loss.HUBER: "F.huber_loss",
    Loss.CROSS_ENTROPY: "F.cross_entropy  # softmax + negative log-likelihood, on logits",
    Loss.BCE: "F.binary_cross_entropy_with_logits  # sigmoid + binary cross-entropy",
}

SQUARE_LOSS = '''

def square_loss(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """1/2 (out - t)^2 summed over the outputs, mean over the examples: out (B, K)."""
    return 0.5 * F.mse_loss(out, t, reduction="sum") / (out.numel() // out.shape[-1])

'''

ACCURACY = '        metrics["accuracy"] = float((predicted_class(out) == y).float().mean())'

SCRIPT = string.Template('''\
"""$title, as a standalone PyTorch script.

Exported from the Neural Network Playground. It rebuilds the app's data, network and
training loop with the same seeds. On a CPU its test loss matched the app's to within
$tolerance for the first $matched steps at least, for every preset (torch 2.13; spiral,
the most chaotic, first differed by more at step $drift_step). Long runs of chaotic nets
drift apart: for plain SGD the app steps in NumPy, which rounds differently from torch,
and such nets amplify the difference.
It needs only $needs and the standard library:

    python this_script.py [--steps N]

Progress goes to stderr; the last line on stdout is one JSON object with the final metrics.
"""

from __future__ import annotations

$imports

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---- settings, copied from the app's config ------------------------------------------------

$settings

# ---- data: the app's own generator code ----------------------------------------------------

$helpers


$make_data


# ---- model ---------------------------------------------------------------------------------
$dropout

def make_model() -> nn.Sequential:
    """The network: every trainable layer has its own activation module after it."""
    model = nn.Sequential(
$layers
    )
    # Initial weights from one seeded generator, layer by layer: the app's exact draws.
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
$inits
    return model


# ---- loss, targets, optimizer and learning rate --------------------------------------------
$loss_def
loss_fn = $loss


def encode_targets(y: torch.Tensor) -> torch.Tensor:
    """Targets in the form the loss takes: $target_doc."""
    return $target_code

$predicted
def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    """$optimizer_doc (L1/L2 are penalties added to the gradients, not weight decay)."""
    return $optimizer_code


def learning_rate(step: int) -> float:
    """The learning rate at a step: $schedule_doc."""
$schedule_code


# ---- training ------------------------------------------------------------------------------


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    xb: torch.Tensor,
    tb: torch.Tensor,
    weights: list[torch.Tensor],
) -> float:
    """One update on a batch; returns the batch's data loss (penalties excluded)."""
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(xb), tb)
    loss.backward()
    with torch.no_grad():  # the gradients of L1 * sum|w| and L2 * sum(w^2) / 2
        for w in weights:
            if L2:
                w.grad.add_(w, alpha=L2)
            if L1:
                w.grad.add_(torch.sign(w), alpha=L1)
    if GRAD_CLIP:
        nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    optimizer.step()
    return loss.item()


def evaluate(model: nn.Module, X: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> dict:
    """Data loss$acc_doc over a whole set, in eval mode (dropout off)."""
    model.eval()
    with torch.no_grad():
        out = model(X)  # (N, outputs)
        metrics = {"loss": float(loss_fn(out, t))}
$accuracy
    model.train()
    return metrics


def train(model: nn.Module, data: tuple[torch.Tensor, ...], steps: int) -> None:
    """Mini-batch training; the training set is reshuffled at the start of every epoch."""
    X_train, t_train, _, X_test, t_test, y_test = data
    optimizer = make_optimizer(model)
    # What L1/L2 apply to: the weights of the trainable layers, not their biases.
    weights = [model[i].weight for i in $weights]
    order = torch.Generator().manual_seed(SEED)  # the batch order's own random stream
    n = pos = X_train.shape[0]
    report_every = max(steps // 10, 1)
    for step in range(steps):
        if pos >= n:  # a new epoch: one shuffle, then consecutive slices of it
            perm = torch.randperm(n, generator=order).to(DEVICE)
            X_epoch, t_epoch, pos = X_train[perm], t_train[perm], 0
        end = min(pos + BATCH_SIZE, n)
        xb, tb = X_epoch[pos:end], t_epoch[pos:end]  # (B, ...) inputs and targets
        pos = end
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        loss = train_step(model, optimizer, xb, tb, weights)
        if (step + 1) % report_every == 0:
            test = evaluate(model, X_test, t_test, y_test)
            print(f"step {step + 1}: batch loss {loss:.4f}, test {test}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the exported network.")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"default {STEPS}")
    steps = parser.parse_args().steps
    torch.set_num_threads(1)  # as the app's trainer: the same sums, and fast for tiny networks
    X_train, y_train, X_test, y_test = (t.to(DEVICE) for t in make_data())
    data = (X_train, encode_targets(y_train), y_train, X_test, encode_targets(y_test), y_test)
    model = make_model().to(DEVICE).train()
    train(model, data, steps)
    result: dict[str, float | int | None] = {"steps": steps}
    for name, (X, t, y) in {"train": data[:3], "test": data[3:]}.items():
        for key, value in evaluate(model, X, t, y).items():
            result[f"{name}_{key}"] = value if math.isfinite(value) else None  # JSON has no NaN
    print(json.dumps(result))


if __name__ == "__main__":
    main()
''')

CSV_LOADER = '''

def load_csv(path: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """X (N, F) float32 from every column but the target; y (N,) from the target column."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [[c.strip() for c in row] for row in csv.reader(f) if any(c.strip() for c in row)]
    header, rows = rows[0], rows[1:]
    target = target or header[-1]  # "" means the last column
    columns = dict(zip(header, zip(*rows)))
    X = np.stack([np.array(columns[h], np.float64) for h in header if h != target], axis=1)
    return X.astype(np.float32), $csv_target
'''
CSV_CLASSES = """class_indices(columns[target])


def class_indices(cells: tuple[str, ...]) -> np.ndarray:
    \"\"\"Class labels (numbers or words) -> (N,) int64 indices 0..C-1 in sorted order.\"\"\"
    numeric = all(_is_number(c) for c in cells)
    _, y = np.unique(np.array(cells, np.float64 if numeric else str), return_inverse=True)
    return y.astype(np.int64)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True"""
