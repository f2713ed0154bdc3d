"""Export a run: a standalone PyTorch script, ONNX, and the `export` command of the CLI."""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import math
import string
import warnings
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from playground import datasets, model as model_module
from playground.config import ConfigError, DatasetName, Device, Init, Loss, Optimizer, RunConfig
from playground.config import Schedule, Task, with_value
from playground.expressions import parse_expression
from playground.model import SeededDropout, build_model, output_head, trainable_layers

DEFAULT_STEPS = 1000  # the script's length when the config sets no step or epoch limit
ONNX_OPSET = 17

_FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)",
    "sin(x2)": "np.sin(x2)",
}
_UNARY_CODE = {
    "sin": "np.sin({})",
    "cos": "np.cos({})",
    "tan": "np.tan({})",
    "exp": "np.exp({})",
    "log": "np.log({})",
    "sqrt": "np.sqrt({})",
    "abs": "np.abs({})",
    "tanh": "np.tanh({})",
    "sigmoid": "0.5 * (1.0 + np.tanh(0.5 * {}))",  # the app's overflow-free logistic
}
_BINARY_CODE = {"min": "np.minimum", "max": "np.maximum"}
_OP_CODE = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_INIT_CODE = {
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
_LOSS_CODE = {
    Loss.MSE: "F.mse_loss  # mean squared error",
    Loss.MAE: "F.l1_loss  # mean absolute error",
    Loss.HUBER: "F.huber_loss",
    Loss.CROSS_ENTROPY: "F.cross_entropy  # softmax + negative log-likelihood, on logits",
    Loss.BCE: "F.binary_cross_entropy_with_logits  # sigmoid + binary cross-entropy",
}


# --- custom features: whitelisted expression -> NumPy source ----------------------------------


def expression_code(text: str) -> str:
    """NumPy source over float64 arrays x1, x2 for a custom feature (validated by the app's parser).

    Raises DataError for anything outside the whitelist, as the app does.
    """
    parse_expression(text)
    tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    code = _node_code(tree.body)
    return code[1:-1] if isinstance(tree.body, ast.BinOp) else code


def _node_code(node: ast.AST) -> str:
    """Source for one node the parser has already accepted."""
    if isinstance(node, ast.Constant):
        value = float(node.value)
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(node, ast.Name):
        return {"pi": "np.pi", "e": "np.e"}.get(node.id, node.id)
    if isinstance(node, ast.UnaryOp):
        inner = _node_code(node.operand)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _node_code(node.left), _node_code(node.right)
        if isinstance(node.op, ast.Pow):
            return f"np.power({left}, {right})"
        return f"({left} {_OP_CODE[type(node.op)]} {right})"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_node_code(a) for a in node.args]
    if node.func.id in _UNARY_CODE:
        return _UNARY_CODE[node.func.id].format(args[0])
    return f"{_BINARY_CODE[node.func.id]}({args[0]}, {args[1]})"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- source of the app's own helpers, copied into the script ---------------------------------


def extract_source(module: ModuleType, names: list[str]) -> str:
    """The named top-level definitions of a module and everything they use, in file order."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    defs: dict[str, ast.stmt] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            defs[node.targets[0].id] = node
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            used = {n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)}
            todo += sorted(used & set(defs))
    nodes = sorted((defs[n] for n in wanted), key=lambda n: n.lineno)
    blocks = ["\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in nodes]
    return "\n\n\n".join(blocks)


# --- the script -----------------------------------------------------------------------------------

_SCRIPT = string.Template('''\
"""$title: a standalone PyTorch script exported from the Neural Network Playground.

It rebuilds the app's data, network and training loop with the same seeds, so on a CPU it
retraces the app's run number for number. It needs only $needs and the standard library:

    python this_script.py [--steps N]

Progress goes to stderr; the last line on stdout is one JSON object with the final metrics.
"""

from __future__ import annotations

import argparse
$imports
import json
import math
import sys

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
    return float(loss)


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
    weights = [$weights]  # what L1/L2 apply to: weights, not biases
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

_CSV_LOADER = '''

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
_CSV_CLASSES = """class_indices(columns[target])


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
