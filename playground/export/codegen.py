"""Generate a standalone PyTorch script (no `playground` import) that reproduces a run."""

from __future__ import annotations

import ast
import importlib
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
from playground.export.script_template import (
    ACCURACY,
    CSV_CLASSES,
    CSV_LOADER,
    INIT_CODE,
    LOSS_CODE,
    SCRIPT,
    SQUARE_LOSS,
)
from playground.nn import model as model_module
from playground.nn.model import SeededDropout, build_model, output_head, trainable_layers

DEFAULT_STEPS = 1000  # the script's length when the config sets no step or epoch limit
# The script's test loss stayed within MATCHED_TOLERANCE of the app's (headless) run for every
# preset on a CPU, torch 2.13: spiral until step SPIRAL_DRIFT_STEP, the others for their whole
# default runs. tests/test_script_drift.py checks spiral (fast path) and spiral-3 (autograd).
MATCHED_STEPS, MATCHED_TOLERANCE, SPIRAL_DRIFT_STEP = 700, 1e-6, 894  # 700: |diff| <= 1.5e-7

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
    """The named top-level definitions of a module and everything they use, in file order.

    A name the module imports from another playground module is copied from there, first.
    """
    out = ""
    items = _definitions(module, names)
    for (_, prev), (lines, node) in zip([(None, None), *items], items):
        gap = "\n" if isinstance(prev, ast.Assign) and isinstance(node, ast.Assign) else "\n\n\n"
        out += (gap if prev else "") + "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return out


def _definitions(module: ModuleType, names: list[str]) -> list[tuple[list[str], ast.stmt]]:
    """(source lines, node) of the named definitions and all they use, imported ones first."""
    source = inspect.getsource(module)
    defs: dict[str, ast.stmt] = {}
    imported: dict[str, str] = {}  # name -> the playground module it is imported from
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            defs[node.targets[0].id] = node
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("playground."):
            imported.update({a.name: node.module for a in node.names if not a.asname})
    wanted: set[str] = set()
    outside: dict[str, set[str]] = {}  # module -> the names to copy from it
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in defs and name not in wanted:
            wanted.add(name)
            used = {n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)}
            todo += sorted(used & (set(defs) | set(imported)))
        elif name not in defs:
            outside.setdefault(imported[name], set()).add(name)
    items = []
    for other, other_names in sorted(outside.items()):
        items += _definitions(importlib.import_module(other), sorted(other_names))
    lines = source.splitlines()
    return items + [(lines, defs[n]) for n in sorted(wanted, key=lambda n: defs[n].lineno)]


def generate_script(cfg: RunConfig) -> str:
    """A standalone PyTorch script that reruns cfg (the app's numbers to 1e-6 for
    MATCHED_STEPS steps on a CPU); its last stdout line is JSON.

    It imports only torch, numpy, scikit-learn (digits) and the standard library.
    """
    if cfg.kind.value == "sequence":  # its own template: export/sequence_script.py
        return importlib.import_module("playground.export.sequence_script").generate(cfg)
    model_module.check_scriptable(cfg)  # a supervised network without rbf layers
    data = datasets.make_dataset(cfg.data)
    head = output_head(cfg, data.n_classes)
    net = build_model(cfg.model, data.input_shape, head, cfg.train.seed)
    classification = cfg.data.task == Task.CLASSIFICATION
    layers = trainable_layers(net)
    uses_dropout = any(isinstance(m, SeededDropout) for m in net)
    parts = {
        "title": f"Train a network on the {cfg.data.name.value} data set",
        "tolerance": f"{MATCHED_TOLERANCE:.0e}".replace("e-0", "e-"),
        "matched": f"{MATCHED_STEPS:,}",
        "drift_step": f"{SPIRAL_DRIFT_STEP:,}",
        "needs": "torch, NumPy" + (", scikit-learn" if cfg.data.name == DatasetName.DIGITS else ""),
        "imports": _imports_code(cfg),
        "settings": _settings_code(cfg, data.X_train.shape[0]),
        "helpers": _helpers_code(cfg),
        "make_data": _make_data_code(cfg),
        "dropout": _dropout_code() if uses_dropout else "",
        "layers": _layers_code(net),
        "inits": _inits_code(cfg, net),
        "loss": LOSS_CODE[cfg.train.loss],
        "loss_def": SQUARE_LOSS if cfg.train.loss == Loss.SQUARE else "",
        "predicted": _predicted_code(head.units) if classification else "",
        "acc_doc": " and accuracy" if classification else "",
        "accuracy": ACCURACY if classification else "",
        "weights": repr(tuple(i for i, _, _ in layers)),
        **_targets_code(cfg, head.units),
        **_optimizer_code(cfg),
        **_schedule_code(cfg),
    }
    text = SCRIPT.substitute(parts)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _imports_code(cfg: RunConfig) -> str:
    names = ["argparse", "json", "math", "sys"] + (
        ["csv"] if cfg.data.name == DatasetName.CSV else []
    )
    return "\n".join(f"import {n}" for n in sorted(names))


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
        loader = string.Template(CSV_LOADER).substitute(
            csv_target=CSV_CLASSES if classes else regression
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
        lines.append("        " + INIT_CODE[init].format(w=f"model[{i}].weight"))
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
