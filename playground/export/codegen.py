"""Generate a standalone PyTorch script (no `playground` import) that reproduces a run."""

from __future__ import annotations

import ast
import inspect
import math
import string
from types import ModuleType

from torch import nn

from playground.config import (
    DatasetName,
    Device,
    Init,
    Loss,
    Optimizer,
    RunConfig,
    Schedule,
    Task,
)
from playground.data import datasets
from playground.data.expressions import parse_expression
from playground.explain.probes import layer_names
from playground.nn import model as model_module
from playground.nn.model import SeededDropout, build_model, output_head, trainable_layers

DEFAULT_STEPS = 1000  # the script's length when the config sets no step or epoch limit

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
    outer = isinstance(tree.body, ast.BinOp) and not isinstance(tree.body.op, ast.Pow)
    return code[1:-1] if outer else code  # no parentheses around the whole expression


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


def _extract_source(module: ModuleType, names: list[str]) -> str:
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
    out = ""
    for prev, node in zip([None, *nodes], nodes):
        gap = "\n" if isinstance(prev, ast.Assign) and isinstance(node, ast.Assign) else "\n\n\n"
        out += (gap if prev else "") + "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return out


# --- the script -----------------------------------------------------------------------------------

_SCRIPT = string.Template('''\
"""$title, as a standalone PyTorch script.

Exported from the Neural Network Playground. It rebuilds the app's data, network and
training loop with the same seeds, so on a CPU it retraces the app's run step for step.
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


def generate_script(cfg: RunConfig) -> str:
    """A standalone PyTorch script that retraces the run of cfg; last stdout line is JSON.

    It imports only torch, numpy, scikit-learn (digits) and the standard library.
    """
    data = datasets.make_dataset(cfg.data)
    head = output_head(cfg, data.n_classes)
    net = build_model(cfg.model, data.input_shape, head, cfg.train.seed)
    classification = cfg.data.task == Task.CLASSIFICATION
    layers = trainable_layers(net)
    uses_dropout = any(isinstance(m, SeededDropout) for m in net)
    parts = {
        "title": f"Train a network on the {cfg.data.name.value} data set",
        "needs": "torch, NumPy" + (", scikit-learn" if cfg.data.name == DatasetName.DIGITS else ""),
        "imports": _imports_code(cfg),
        "settings": _settings_code(cfg, data.X_train.shape[0]),
        "helpers": _helpers_code(cfg),
        "make_data": _make_data_code(cfg),
        "dropout": _dropout_code() if uses_dropout else "",
        "layers": _layers_code(net),
        "inits": _inits_code(cfg, net),
        "loss": _LOSS_CODE[cfg.train.loss],
        "predicted": _predicted_code(head.units) if classification else "",
        "acc_doc": " and accuracy" if classification else "",
        "accuracy": _ACCURACY if classification else "",
        "weights": repr(tuple(i for i, _, _ in layers)),
        **_targets_code(cfg, head.units),
        **_optimizer_code(cfg),
        **_schedule_code(cfg),
    }
    text = _SCRIPT.substitute(parts)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _imports_code(cfg: RunConfig) -> str:
    names = ["argparse", "json", "math", "sys"] + (
        ["csv"] if cfg.data.name == DatasetName.CSV else []
    )
    return "\n".join(f"import {n}" for n in sorted(names))


_ACCURACY = '        metrics["accuracy"] = float((predicted_class(out) == y).float().mean())'


def _settings_code(cfg: RunConfig, n_train: int) -> str:
    d, t = cfg.data, cfg.train
    lines = [f"DATA_SEED = {d.seed}  # data.seed: the examples and the train/test split"]
    if d.name == DatasetName.CSV:
        lines += [f"CSV_PATH = {d.csv_path!r}", f"CSV_TARGET = {d.csv_target!r}  # '' = last"]
    else:
        lines.append(f"N_SAMPLES = {d.n_samples}")
    if d.is_2d:
        lines += [f"NOISE = {d.noise!r} / 100  # data.noise is a percentage"]
        lines += [f"N_CLASSES = {d.n_classes}  # spiral arms and blobs; the others have 2"]
    lines += [
        f"TRAIN_RATIO = {d.train_ratio!r}  # fraction of the examples used for training",
        f"SEED = {t.seed}  # train.seed: initial weights, dropout masks and the batch order",
        f"LR = {t.lr!r}  # learning rate",
        f"BATCH_SIZE = {t.batch_size}",
        f"L1 = {t.l1!r}  # rate of the penalty L1 * sum|w| over the weights (not biases)",
        f"L2 = {t.l2!r}  # rate of the penalty L2 * sum(w^2) / 2 over the weights",
        f"GRAD_CLIP = {t.grad_clip!r}  # max global gradient norm; 0 = off",
        _steps_line(cfg, n_train),
        f"DEVICE = {_device_code(t.device)}",
    ]
    return "\n".join(lines)


def _steps_line(cfg: RunConfig, n_train: int) -> str:
    t = cfg.train
    per_epoch = math.ceil(n_train / t.batch_size)
    limits = [(t.max_steps, "train.max_steps")] if t.max_steps else []
    if t.max_epochs:
        limits.append((t.max_epochs * per_epoch, f"{t.max_epochs} epochs of {per_epoch} steps"))
    steps, why = min(limits) if limits else (DEFAULT_STEPS, "the config sets no limit")
    return f"STEPS = {steps}  # {why}"


def _device_code(device: Device) -> str:
    if device == Device.CPU:
        return 'torch.device("cpu")'
    return 'torch.device("cuda" if torch.cuda.is_available() else "cpu")'


def _helpers_code(cfg: RunConfig) -> str:
    name = cfg.data.name
    if name == DatasetName.DIGITS:
        return _extract_source(datasets, ["_rng", "_digits"])
    if name == DatasetName.CSV:
        classes = cfg.data.task == Task.CLASSIFICATION
        regression = "np.array(columns[target], np.float64).astype(np.float32)"
        loader = string.Template(_CSV_LOADER).substitute(
            csv_target=_CSV_CLASSES if classes else regression
        )
        return _extract_source(datasets, ["_rng", "_standardise"]) + "\n" + loader.rstrip()
    generator = datasets.GENERATORS[name].__name__
    return _extract_source(datasets, ["_rng", generator]) + "\n\n\n" + _features_code(cfg)


def _features_code(cfg: RunConfig) -> str:
    d = cfg.data
    columns = [f"        {_FEATURE_CODE[f]},  # {f}" for f in d.features]
    for text in d.custom_features:
        columns.append(f"        {expression_code(text)},  # custom: {_one_line(text)}")
    return "\n".join(
        [
            "def feature_matrix(points: np.ndarray) -> np.ndarray:",
            '    """(N, 2) float32 points -> (N, F) float32 input features, one per column."""',
            "    x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)",
            "    columns = [",
            *columns,
            "    ]",
            "    columns = [np.broadcast_to(c, x1.shape) for c in columns]  # constants too",
            "    return np.stack(columns, axis=1).astype(np.float32)",
        ]
    )


def _make_data_code(cfg: RunConfig) -> str:
    d = cfg.data
    if d.name == DatasetName.DIGITS:
        build = ["    X, y, _ = _digits(_rng(DATA_SEED, 0), N_SAMPLES)  # (N, 1, 8, 8) in [0, 1]"]
    elif d.name == DatasetName.CSV:
        build = ["    X, y = load_csv(CSV_PATH, CSV_TARGET)  # (N, F) float32, (N,)"]
    else:
        generator = datasets.GENERATORS[d.name].__name__
        build = [
            f"    raw, y = {generator}(_rng(DATA_SEED, 0), N_SAMPLES, NOISE, N_CLASSES)  # (N, 2)",
            "    X = feature_matrix(raw.astype(np.float32))  # features of the float32 points",
        ]
    if d.task == Task.REGRESSION:
        build.append("    y = y.astype(np.float32)")
    split = "_standardise(X[train], X[test])  # z-scores" if d.name == DatasetName.CSV else None
    y_doc = "float32 targets" if d.task == Task.REGRESSION else "int64 class indices"
    return "\n".join(
        [
            "def make_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:",
            f'    """X_train, y_train, X_test, y_test: X (N, ...) float32, y (N,) {y_doc}."""',
            *build,
            "    perm = _rng(DATA_SEED, 1).permutation(len(y))  # the train/test split",
            "    n_train = min(max(round(TRAIN_RATIO * len(y)), 1), len(y) - 1)",
            "    train, test = perm[:n_train], perm[n_train:]",
            f"    X_train, X_test = {split or 'X[train], X[test]'}",
            "    return (",
            "        torch.from_numpy(np.ascontiguousarray(X_train)),",
            "        torch.from_numpy(y[train]),",
            "        torch.from_numpy(np.ascontiguousarray(X_test)),",
            "        torch.from_numpy(y[test]),",
            "    )",
        ]
    )


def _dropout_code() -> str:
    return "\n\n" + _extract_source(model_module, ["SeededDropout"]) + "\n\n"


def _layers_code(net: nn.Sequential) -> str:
    names = dict(zip((i for i, _, _ in trainable_layers(net)), layer_names(net)))
    lines = []
    for i, m in enumerate(net):
        code = f"nn.{m!r}"
        if isinstance(m, SeededDropout):  # its seed is the one its generator started from
            code = f"SeededDropout({m.p!r}, seed={m.generator.initial_seed()})"
        note = f"  # [{i}] {names[i]}" if i in names else f"  # [{i}]"
        lines.append(f"        {code},{note}")
    return "\n".join(lines)


def _inits_code(cfg: RunConfig, net: nn.Sequential) -> str:
    specs = [s for s in cfg.model.layers if s.is_trainable]
    specs.append(specs[-1] if specs else None)  # the output layer takes the last layer's init
    lines = []
    for (i, _, _), spec in zip(trainable_layers(net), specs):
        init = spec.init if spec else Init.XAVIER_UNIFORM
        lines.append("        " + _INIT_CODE[init].format(w=f"model[{i}].weight"))
        bias = f"nn.init.constant_(model[{i}].bias, 0.1)" if init == Init.PLAYGROUND else None
        lines.append("        " + (bias or f"model[{i}].bias.zero_()"))
    return "\n".join(lines)


def _targets_code(cfg: RunConfig, units: int) -> dict[str, str]:
    loss = cfg.train.loss
    if cfg.data.task == Task.REGRESSION:
        code, doc = "y.float().reshape(-1, 1)", "(N, 1) float values"
    elif loss == Loss.CROSS_ENTROPY:
        code, doc = "y.long()", "(N,) class indices"
    elif units == 1 and loss == Loss.BCE:
        code, doc = "y.float().reshape(-1, 1)", "(N, 1) 0/1 labels"
    elif units == 1:
        code, doc = "2 * y.float().reshape(-1, 1) - 1", "(N, 1) -1/+1 labels (TF Playground's)"
    else:
        code, doc = f"F.one_hot(y.long(), {units}).float()", f"(N, {units}) one-hot rows"
    return {"target_code": code, "target_doc": doc}


def _predicted_code(units: int) -> str:
    body = "(output[:, 0] > 0).long()" if units == 1 else "output.argmax(dim=1)"
    return (
        "\ndef predicted_class(output: torch.Tensor) -> torch.Tensor:\n"
        '    """(N, K) outputs -> (N,) classes: the sign of a single output, else the largest."""\n'
        f"    return {body}\n\n"
    )


def _optimizer_code(cfg: RunConfig) -> dict[str, str]:
    t, opt = cfg.train, cfg.train.optimizer
    params = "model.parameters(), lr=LR"
    betas = f"betas=({t.beta1!r}, {t.beta2!r})"
    code = {
        Optimizer.SGD: f"torch.optim.SGD({params})",
        Optimizer.MOMENTUM: f"torch.optim.SGD({params}, momentum={t.momentum!r})",
        Optimizer.NESTEROV: f"torch.optim.SGD({params}, momentum={t.momentum!r}, nesterov=True)",
        Optimizer.ADAM: f"torch.optim.Adam({params}, {betas})",
        Optimizer.ADAMW: f"torch.optim.AdamW({params}, {betas}, weight_decay={t.weight_decay!r})",
        Optimizer.RMSPROP: f"torch.optim.RMSprop({params}, momentum={t.momentum!r})",
        Optimizer.ADAGRAD: f"torch.optim.Adagrad({params})",
    }[opt]
    return {"optimizer_code": code, "optimizer_doc": f"The {opt.value} optimizer"}


def _schedule_code(cfg: RunConfig) -> dict[str, str]:
    t = cfg.train
    period, low = t.schedule_steps, f"{t.min_lr!r}"
    if t.schedule == Schedule.STEP:
        doc = f"times {t.schedule_gamma!r} every {period} steps"
        body = [f"    return LR * {t.schedule_gamma!r} ** (step // {period})"]
    elif t.schedule == Schedule.COSINE:
        doc = f"a cosine from LR down to {low} over {period} steps"
        body = [
            f"    t = min(step, {period}) / {period}",
            f"    return {low} + (LR - {low}) * 0.5 * (1 + math.cos(math.pi * t))",
        ]
    elif t.schedule == Schedule.CYCLIC:
        doc = f"a triangle between {low} and LR, {period} steps up, {period} down"
        body = [
            f"    t = (step % (2 * {period})) / {period}  # 0 -> 2 over one cycle",
            f"    return {low} + (LR - {low}) * (t if t <= 1 else 2 - t)",
        ]
    else:
        doc, body = "constant", ["    return LR"]
    return {"schedule_doc": doc, "schedule_code": "\n".join(body)}


# --- ONNX -----------------------------------------------------------------------------------------
