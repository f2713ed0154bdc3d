"""Tests for export.onnx: the standalone script, custom-feature code, ONNX and the CLI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
import torch

from playground.choices import WEIGHT_INITS
from playground.cli import main as cli_main
from playground.config import (
    FEATURES,
    Activation,
    DataConfig,
    DatasetName,
    Device,
    Init,
    LayerKind,
    LayerSpec,
    Loss,
    ModelConfig,
    Optimizer,
    RunConfig,
    Schedule,
    Task,
    TrainConfig,
    with_value,
)
from playground.data.datasets import DOMAIN, make_dataset
from playground.data.expressions import DataError, parse_expression
from playground.export.experiment import load_experiment
from playground.export.onnx import export_onnx, expression_code, generate_script
from playground.nn import engine
from playground.nn.model import LOSSES, build_model, encode_targets, output_head
from playground.presets import get_preset
from playground.train import headless
from tests.engine_fixtures import run_scripts_and_app

ALLOWED_IMPORTS = {"__future__", "argparse", "csv", "json", "math", "sys", "numpy", "torch"}
ALLOWED_IMPORTS |= {"torch.nn.functional", "sklearn.datasets"}
LOSS_RTOL = 1e-4  # observed: bit-identical, or ~1e-7 where the app takes its NumPy fast path
ACC_ATOL = 0.01


def _script(cfg: RunConfig) -> dict[str, Any]:
    """The generated script's namespace, loaded without running main()."""
    namespace: dict[str, Any] = {"__name__": "exported_script"}
    exec(compile(generate_script(cfg), "exported.py", "exec"), namespace)  # noqa: S102
    return namespace


def _cpu(cfg: RunConfig, steps: int) -> RunConfig:
    return with_value(with_value(cfg, "train.device", "cpu"), "train.max_steps", steps)


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


# --- the script, run as a separate program ------------------------------------------------------


def test_scripts_run_alone_and_match_the_app(tmp_path: Path) -> None:
    cases = {
        "circle": _cpu(get_preset("circle"), 150),
        "reg-plane": _cpu(get_preset("reg-plane"), 150),
        "digits-mlp": _cpu(get_preset("digits-mlp"), 40),
    }
    sources = {name: generate_script(cfg) for name, cfg in cases.items()}
    for source in sources.values():
        assert _imports(source) <= ALLOWED_IMPORTS, _imports(source)
        assert "playground" not in " ".join(_imports(source))
    results = run_scripts_and_app(sources, cases, tmp_path)
    for name, cfg in cases.items():
        got, want = results[name]
        assert got["steps"] == want["steps"]
        assert got["test_loss"] == pytest.approx(want["test_loss"], rel=LOSS_RTOL)
        assert got["train_loss"] == pytest.approx(want["train_loss"], rel=LOSS_RTOL)
        if cfg.data.task == Task.CLASSIFICATION:
            assert abs(got["test_accuracy"] - want["test_accuracy"]) <= ACC_ATOL
        else:
            assert "test_accuracy" not in got


def test_script_passes_ruff(tmp_path: Path) -> None:
    cfg = with_value(get_preset("spiral"), "data.custom_features", ["sigmoid(x1)*x2^2", "-pi"])
    cfg = with_value(with_value(cfg, "train.schedule", "cosine"), "train.l2", 0.001)
    for i, c in enumerate([cfg, get_preset("digits-cnn"), get_preset("blobs")]):
        (tmp_path / f"s{i}.py").write_text(generate_script(c))
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length=100"]
    done = subprocess.run(
        [*cmd, "--extend-select=E501", str(tmp_path)], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stdout.decode()


# --- the script's parts against the app's, in-process (oracles: the app's own functions) -------


@pytest.mark.parametrize(
    "data",
    [
        DataConfig(name=DatasetName.CIRCLE, noise=20, features=FEATURES),
        DataConfig(name=DatasetName.SPIRAL, n_classes=3, features=("x1", "x2"), seed=5),
        DataConfig(
            name=DatasetName.REG_GAUSS, noise=10, features=("x1^2",), custom_features=("x2",)
        ),
        DataConfig(name=DatasetName.XOR, features=(), custom_features=("x1*x2^2", "max(x1, 2)")),
        DataConfig(name=DatasetName.DIGITS, n_samples=300),
    ],
    ids=["circle", "spiral", "reg-gauss", "xor-custom", "digits"],
)
def test_script_data_is_the_apps(data: DataConfig) -> None:
    cfg = RunConfig(data=data, train=TrainConfig(loss=Loss.MSE))
    X_train, y_train, X_test, y_test = _script(cfg)["make_data"]()
    want = make_dataset(data)
    for got, ref in [(X_train, want.X_train), (y_train, want.y_train), (X_test, want.X_test)]:
        assert got.dtype == ref.dtype and torch.equal(got, ref)
    assert torch.equal(y_test, want.y_test)


@pytest.mark.parametrize("name", [DatasetName.GAUSS, DatasetName.REG_PLANE])
def test_script_copies_the_domain_from_where_the_app_defines_it(name: DatasetName) -> None:
    text = generate_script(RunConfig(data=DataConfig(name=name)))
    assert text.count("\nDOMAIN = ") == 1  # datasets.py imports it from data/plane.py
    assert _script(RunConfig(data=DataConfig(name=name)))["DOMAIN"] == DOMAIN


@pytest.mark.parametrize("task", [Task.CLASSIFICATION, Task.REGRESSION])
def test_script_reads_the_same_csv(tmp_path: Path, task: Task) -> None:
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{['cat', 'dog', 'eel'][i % 3]}" for i, (a, b) in
            enumerate(rng.normal(size=(60, 2)))]  # fmt: skip
    if task == Task.REGRESSION:
        rows = [r.rsplit(",", 1)[0] + f",{i / 7:.4f}" for i, r in enumerate(rows)]
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    data = DataConfig(name=DatasetName.CSV, csv_path=str(path), csv_task=task)
    got = _script(RunConfig(data=data))["make_data"]()
    want = make_dataset(data)
    for g, w in zip(got, (want.X_train, want.y_train, want.X_test, want.y_test)):
        assert g.dtype == w.dtype and torch.equal(g, w)


def _model_cfg(layers: tuple[LayerSpec, ...], image: bool = False, **train: Any) -> RunConfig:
    name = DatasetName.DIGITS if image else DatasetName.CIRCLE
    return RunConfig(
        data=DataConfig(name=name, n_samples=100),
        model=ModelConfig(layers=layers),
        train=TrainConfig(**train),
    )


MODELS = {
    **{
        f"init-{i.value}": _model_cfg((LayerSpec(units=3, init=i), LayerSpec(units=2, init=i)))
        for i in WEIGHT_INITS
    },
    "activations": _model_cfg(tuple(LayerSpec(units=3, activation=a) for a in Activation)),
    "dropout-batchnorm": _model_cfg(
        (
            LayerSpec(units=6),
            LayerSpec(kind=LayerKind.DROPOUT, p=0.3),
            LayerSpec(kind=LayerKind.BATCHNORM),
            LayerSpec(units=3, init=Init.PLAYGROUND),
        ),
        loss=Loss.BCE,
    ),
    "cnn": get_preset("digits-cnn"),
    "cnn-avgpool-mse": _model_cfg(
        (
            LayerSpec(kind=LayerKind.CONV2D, channels=3, kernel=3, stride=2, padding=0),
            LayerSpec(kind=LayerKind.AVGPOOL2D, kernel=2, stride=1),
            LayerSpec(kind=LayerKind.FLATTEN),
            LayerSpec(units=5, init=Init.ORTHOGONAL),
        ),
        image=True,
        loss=Loss.MSE,
    ),
}


@pytest.mark.parametrize("cfg", MODELS.values(), ids=MODELS.keys())
def test_script_model_is_the_apps(cfg: RunConfig) -> None:
    ns = _script(cfg)
    data = make_dataset(cfg.data)
    head = output_head(cfg, data.n_classes)
    want = build_model(cfg.model, data.input_shape, head, cfg.train.seed)
    got = ns["make_model"]()
    assert repr(got) == repr(want)
    for (k, a), (k2, b) in zip(got.state_dict().items(), want.state_dict().items()):
        assert k == k2 and torch.equal(a, b), k
    got.train(), want.train()
    x = data.X_train[:16]
    assert torch.equal(got(x), want(x))  # dropout masks too: same seeds, same draws
    y = data.y_train[:16]
    loss = cfg.train.loss
    assert torch.equal(ns["encode_targets"](y), encode_targets(y, data.task, head, loss))


TRAINING = {
    **{f"opt-{o.value}": {"optimizer": o, "l1": 0.01, "l2": 0.02} for o in Optimizer},
    **{
        f"schedule-{s.value}": {
            "schedule": s,
            "schedule_steps": 2,
            "min_lr": 0.001,
            "grad_clip": 0.1,
        }
        for s in Schedule
    },
}


@pytest.mark.parametrize("train", TRAINING.values(), ids=TRAINING.keys())
def test_script_steps_are_the_apps(train: dict[str, Any]) -> None:
    cfg = _model_cfg((LayerSpec(units=4),), lr=0.1, batch_size=8, device=Device.CPU, **train)
    ns = _script(cfg)
    X, y, _, _ = ns["make_data"]()
    t = ns["encode_targets"](y)
    ours, theirs = ns["make_model"](), ns["make_model"]()
    opt_ours, opt_theirs = ns["make_optimizer"](ours), engine.make_optimizer(theirs, cfg.train)
    w_ours, w_theirs = engine.weight_params(ours), engine.weight_params(theirs)
    tc = cfg.train
    for step in range(5):
        xb, tb = X[8 * step : 8 * step + 8], t[8 * step : 8 * step + 8]
        for group in opt_ours.param_groups:
            group["lr"] = ns["learning_rate"](step)
        for group in opt_theirs.param_groups:
            group["lr"] = engine.scheduled_lr(tc, step)
        ns["train_step"](ours, opt_ours, xb, tb, w_ours)
        engine.train_step(theirs, opt_theirs, xb, tb, LOSSES[tc.loss], w_theirs, tc.l1, tc.l2,
                          tc.grad_clip)  # fmt: skip
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


# --- custom features ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["x1*x2^2", "sigmoid(x1) + sin(1)*x2", "max(x1, 2) - min(x2, -1)", "-x2/3", "+x1 - -x2",
     "sqrt(abs(x1)) * exp(-x2^2 / 8)", "tanh(x1) + cos(pi * x2) / e", "2^0.5", "log(x1^2 + 1)",
     "tan(x1 / 10)", "min(1e999, x1)", "x1 if x2 else 0", "x2^3"],
)  # fmt: skip
def test_expression_code_computes_what_the_app_computes(text: str) -> None:
    try:
        fn = parse_expression(text)
    except DataError:
        with pytest.raises(DataError):
            expression_code(text)
        return
    x1, x2 = np.random.default_rng(1).uniform(-6, 6, (2, 500))
    namespace = {"np": np, "x1": x1, "x2": x2}
    got = np.broadcast_to(eval(expression_code(text), namespace), x1.shape)
    want = fn(x1, x2)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-300)  # NumPy's scalar fast paths
    np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))  # features


@pytest.mark.parametrize("text", ["__import__('os')", "x1.real", "open('f')", "x1 % 2", "x3"])
def test_expression_code_refuses_what_the_app_refuses(text: str) -> None:
    with pytest.raises(DataError):
        expression_code(text)


# --- ONNX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", [MODELS["dropout-batchnorm"], get_preset("digits-cnn")],
                         ids=["mlp-dropout-batchnorm", "cnn"])  # fmt: skip
def test_onnx_output_matches_pytorch(tmp_path: Path, cfg: RunConfig) -> None:
    data = make_dataset(cfg.data)
    model = build_model(cfg.model, data.input_shape, output_head(cfg, data.n_classes), 3)
    model.train()  # export must switch to eval (dropout off) and switch back
    path = tmp_path / "model.onnx"
    export_onnx(model, data.input_shape, path)
    assert model.training
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for n in (1, 7):  # the batch axis is dynamic
        x = data.X_test[:n]
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(got, model(x).numpy(), atol=1e-5)


def test_dropout_exports_as_identity(tmp_path: Path) -> None:
    import onnx

    export_onnx(build_model(MODELS["dropout-batchnorm"].model, (2,), output_head(
        MODELS["dropout-batchnorm"], 2), 0), (2,), tmp_path / "m.onnx")  # fmt: skip
    ops = {node.op_type for node in onnx.load(str(tmp_path / "m.onnx")).graph.node}
    assert not ops & {"Dropout", "RandomUniform", "RandomUniformLike", "Less", "GreaterOrEqual"}


# --- the command line -----------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = cli_main(["export", *args])
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else {}), err


def test_cli_export_from_preset_writes_every_file(tmp_path: Path, capsys) -> None:
    paths = {k: tmp_path / f"out.{k}" for k in ("py", "onnx", "nnpg", "csv")}
    code, result, _ = _cli(
        capsys, "--preset", "circle", "--steps", "30", "--set", "train.device=cpu",
        "--code", str(paths["py"]), "--onnx", str(paths["onnx"]),
        "--experiment", str(paths["nnpg"]), "--history-csv", str(paths["csv"]),
    )  # fmt: skip
    assert code == 0 and result["status"] == "done" and result["steps"] == 30
    assert set(result["files"]) == {"code", "onnx", "experiment", "history_csv"}
    assert all(p.stat().st_size > 0 for p in paths.values())
    exp = load_experiment(paths["nnpg"])
    assert exp.step == 30 and exp.cfg.train.max_steps == 30
    assert exp.history["test_loss"][-1] == pytest.approx(result["test_loss"])
    assert "STEPS = 30" in paths["py"].read_text()
    assert paths["csv"].read_text().splitlines()[0].startswith("step,epoch,train_loss")


def test_cli_export_from_run_folder_and_experiment(tmp_path: Path, capsys) -> None:
    cfg = _cpu(get_preset("reg-plane"), 20)
    trainer, summary = headless.run(cfg, poll_s=0.02)
    try:
        headless.save_run(trainer, tmp_path / "run")
    finally:
        trainer.close()
    nnpg = tmp_path / "a.nnpg"
    code, result, _ = _cli(capsys, "--run", str(tmp_path / "run"), "--experiment", str(nnpg))
    assert code == 0 and result["status"] == "loaded" and result["steps"] == 20
    assert result["test_loss"] == pytest.approx(summary["test_loss"])  # no training, same model
    code, result, _ = _cli(capsys, "--experiment-in", str(nnpg), "--steps", "5",
                           "--onnx", str(tmp_path / "b.onnx"))  # fmt: skip
    assert code == 0 and result["status"] == "done" and result["steps"] == 5


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "circle"], "nothing to write"),
        (["--experiment-in", "a.nnpg", "--steps", "0", "--code", "x.py"], "--steps"),
        (["--preset", "nope", "--code", "x.py"], "unknown preset"),
        (["--experiment-in", "missing.nnpg", "--code", "x.py"], "does not exist"),
        (["--run", "no-such-dir", "--code", "x.py"], "cannot read"),
        (["--preset", "circle", "--set", "train.lr=-1", "--code", "x.py"], "train.lr"),
    ],
)
def test_cli_export_errors_are_one_line(tmp_path, capsys, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(capsys, *args)
    assert code != 0 and message in err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "x.py").exists()
