"""Tests for explain.backprop: the traced step against torch.autograd, checks, specs, CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from playground.cli import main as cli_main
from playground.explain import backprop as bp

HIDDEN = ("sigmoid", "tanh", "relu", "linear")
OUTPUT_FOR = {"half_sse": HIDDEN + ("softmax",), "mse": HIDDEN + ("softmax",)}
OUTPUT_FOR |= {"cross_entropy": ("softmax",), "bce": ("sigmoid",)}
MODULE = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity}
TOL = {"rtol": 1e-10, "atol": 1e-12}


def _oracle(spec: dict) -> dict:
    """Independent answers from nn.Linear, torch losses on logits, autograd and optim.SGD."""
    linears, acts = [], []
    for ly in spec["layers"]:
        lin = nn.Linear(len(ly["weights"][0]), len(ly["bias"])).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(ly["weights"], dtype=torch.float64))
            lin.bias.copy_(torch.tensor(ly["bias"], dtype=torch.float64))
        linears.append(lin)
        acts.append(ly["activation"])
    x, t = (torch.tensor(spec[k], dtype=torch.float64) for k in ("input", "target"))

    def run() -> tuple[torch.Tensor, list, list]:
        nets, outs, a = [], [], x
        for lin, act in zip(linears, acts):
            nets.append(lin(a))
            if nets[-1].requires_grad:
                nets[-1].retain_grad()
            a = torch.softmax(nets[-1], -1) if act == "softmax" else MODULE[act]()(nets[-1])
            outs.append(a)
        loss = {
            "half_sse": lambda: 0.5 * F.mse_loss(a, t, reduction="sum"),
            "mse": lambda: F.mse_loss(a, t),
            "cross_entropy": lambda: F.cross_entropy(nets[-1][None], t[None]),  # logits
            "bce": lambda: F.binary_cross_entropy_with_logits(nets[-1], t),
        }[spec["loss"]]()
        return loss, nets, outs

    loss, nets, outs = run()
    loss.backward()
    result = {"loss": loss.item(), "net": [n.tolist() for n in nets]}
    result |= {"out": [o.tolist() for o in outs], "delta": [n.grad.tolist() for n in nets]}
    result["grad_weights"] = [lin.weight.grad.tolist() for lin in linears]
    result["grad_bias"] = [lin.bias.grad.tolist() for lin in linears]
    params = [lin.weight for lin in linears]
    params += [lin.bias for lin in linears] if spec.get("update_bias", True) else []
    torch.optim.SGD(params, lr=spec["lr"]).step()
    result["new_weights"] = [lin.weight.tolist() for lin in linears]
    result["new_bias"] = [lin.bias.tolist() for lin in linears]
    with torch.no_grad():
        result["loss_after"] = run()[0].item()
    return result


def _assert_matches_oracle(spec: dict) -> dict:
    tr, want = bp.trace(spec), _oracle(spec)
    np.testing.assert_allclose(tr["loss"], want["loss"], **TOL)
    np.testing.assert_allclose(tr["loss_after"], want["loss_after"], **TOL)
    for key in ("net", "out", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
        for k, layer in enumerate(tr["layers"]):
            np.testing.assert_allclose(layer[key], want[key][k], err_msg=key, **TOL)
    assert tr["autograd_check"]["agrees"]
    return tr


def _spec(hidden: str, output: str, loss: str, seed: int = 0) -> dict:
    spec = bp.random_spec([3, 4, 3], hidden, seed, loss=loss)
    spec["layers"][-1]["activation"] = output
    return spec


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(
    ("loss", "output"), [(loss, out) for loss, outs in OUTPUT_FOR.items() for out in outs]
)
def test_trace_matches_autograd_for_every_activation_and_loss(hidden, loss, output):
    tr = _assert_matches_oracle(_spec(hidden, output, loss))
    assert tr["numerical_check"]["agrees"]
    assert tr["numerical_check"]["max_abs_diff"] < 1e-7


def _relu_at_kink(tr: dict) -> bool:
    nets = [n for ly in tr["layers"] if ly["activation"] == "relu" for n in ly["net"]]
    return any(abs(n) < 1e-4 for n in nets)


@settings(max_examples=40, deadline=None, database=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    hidden=st.sampled_from(HIDDEN),
    loss=st.sampled_from(list(OUTPUT_FOR)),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.5, 1.0, 3.0]),
    update_bias=st.booleans(),
)
def test_random_networks_match_autograd(sizes, hidden, loss, seed, scale, update_bias):
    spec = bp.random_spec(sizes, hidden, seed, loss=loss)
    spec["update_bias"] = update_bias
    for ly in spec["layers"]:
        ly["weights"] = (np.array(ly["weights"]) * scale).tolist()
    tr = _assert_matches_oracle(spec)
    if not _relu_at_kink(tr):  # a central difference straddling relu's kink is not a gradient
        assert tr["numerical_check"]["agrees"]


def test_chain_factors_multiply_to_the_gradients():
    for spec in [*bp.PRESETS.values(), _spec("tanh", "softmax", "cross_entropy")]:
        for ly in bp.trace(spec)["layers"]:
            np.testing.assert_allclose(np.prod(ly["chain_weights"], axis=-1), ly["grad_weights"])
            np.testing.assert_allclose(np.prod(ly["chain_bias"], axis=-1), ly["grad_bias"])


def test_hidden_dE_dout_is_the_weighted_sum_of_deltas_above():
    layers = bp.trace(bp.PRESETS["Tanh 2-3-1 (linear output, mse)"])["layers"]
    np.testing.assert_allclose(
        layers[0]["dE_dout"], np.array(layers[1]["weights"]).T @ layers[1]["delta"]
    )


def test_presets_match_autograd():
    for spec in bp.PRESETS.values():
        _assert_matches_oracle(spec)


def test_update_bias_false_keeps_biases_and_still_reports_their_gradient():
    spec = bp.PRESETS["Textbook 2-2-2 (sigmoid, Mazur)"]
    assert spec["update_bias"] is False
    tr = _assert_matches_oracle(spec)
    for ly, given_layer in zip(tr["layers"], spec["layers"]):
        assert ly["new_bias"] == given_layer["bias"]
        assert any(g != 0 for g in ly["grad_bias"])
        assert ly["new_weights"] != given_layer["weights"]


def test_run_steps_follows_torch_sgd():
    spec = bp.PRESETS["XOR 2-2-1 (sigmoid)"]
    losses = bp.run_steps(spec, 5)
    assert len(losses) == 6
    tr = bp.trace(spec)
    assert losses[:2] == [tr["loss"], tr["loss_after"]]
    current = copy.deepcopy(spec)
    for k in range(5):
        want = _oracle(current)
        np.testing.assert_allclose(losses[k + 1], want["loss_after"], **TOL)
        for ly, w, b in zip(current["layers"], want["new_weights"], want["new_bias"]):
            ly["weights"], ly["bias"] = w, b
    assert bp.run_steps(spec, 0) == [tr["loss"]]


def test_spec_names_stay_importable_from_backprop():
    from playground.explain import backprop_spec

    for name in ("ACTIVATIONS", "LOSSES", "PRESETS", "Spec", "SpecError", "parse_spec"):
        assert getattr(bp, name) is getattr(backprop_spec, name)
    assert bp.random_spec is backprop_spec.random_spec
    assert bp.spec_from_model is backprop_spec.spec_from_model


def test_random_spec_is_seeded_and_valid():
    a, b = bp.random_spec([2, 3, 2], "tanh", 7), bp.random_spec([2, 3, 2], "tanh", 7)
    assert a == b and a != bp.random_spec([2, 3, 2], "tanh", 8)
    assert bp.parse_spec(a).to_dict() == a
    ce = bp.random_spec([2, 2, 3], "relu", 1, loss="cross_entropy")
    assert ce["layers"][-1]["activation"] == "softmax" and sorted(ce["target"]) == [0, 0, 1]
    with pytest.raises(bp.SpecError, match="sizes"):
        bp.random_spec([2, 9], "tanh", 0)


def test_spec_from_model_traces_the_models_own_gradients():
    gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3))
    for p in model.parameters():
        p.data.uniform_(-1, 1, generator=gen)
    x, target = [0.3, -0.7], [0.0, 1.0, 0.0]
    spec = bp.spec_from_model(model, x, target, "cross_entropy", 0.1)
    assert [ly["activation"] for ly in spec["layers"]] == ["tanh", "relu", "softmax"]
    loss = F.cross_entropy(model(torch.tensor([x])), torch.tensor([1]))
    grads = torch.autograd.grad(loss, list(model.parameters()))
    tr = bp.trace(spec)
    np.testing.assert_allclose(tr["loss"], loss.item(), rtol=1e-6)
    for k, ly in enumerate(tr["layers"]):
        np.testing.assert_allclose(ly["grad_weights"], grads[2 * k].numpy(), atol=1e-6)
        np.testing.assert_allclose(ly["grad_bias"], grads[2 * k + 1].numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU()), "LeakyReLU"),
        (nn.Sequential(nn.Linear(2, 2), nn.Dropout()), "Dropout"),
        (nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Tanh()), "model\\[2\\]: Tanh"),
        (nn.Sequential(nn.Linear(2, 9), nn.Linear(9, 1)), "too big"),
        (nn.Sequential(*[nn.Linear(2, 2) for _ in range(5)]), "too big"),
    ],
)
def test_spec_from_model_rejects_what_it_cannot_trace(model, message):
    with pytest.raises(bp.SpecError, match=message):
        bp.spec_from_model(model, [0.1, 0.2], [0.5] * 2, "mse", 0.1)


def _good() -> dict:
    return {
        "layers": [
            {"weights": [[0.1, 0.2], [0.3, 0.4]], "bias": [0.5, 0.5], "activation": "sigmoid"},
            {"weights": [[0.6, 0.7]], "bias": [0.8], "activation": "linear"},
        ],
        "input": [1.0, 0.5],
        "target": [0.25],
        "loss": "half_sse",
        "lr": 0.5,
        "update_bias": True,
    }


BAD = [
    (lambda d: d["layers"][1].update(weights=[[0.6, 0.7, 0.1]]),
     "layers[1].weights: expected 1 row of 2 numbers, got 1 row of 3 numbers"),
    (lambda d: d["layers"][0].update(weights=[[0.1, 0.2]]),
     "layers[0].weights: expected 2 rows of 2 numbers, got 1 row of 2 numbers"),
    (lambda d: d["layers"][0].update(activation="swish"), "layers[0].activation: unknown 'swish'"),
    (lambda d: d["layers"][0].update(activation="softmax"), "only allowed on the output layer"),
    (lambda d: d["layers"][0]["bias"].append(1.0), "layers[0].weights: expected 3 rows"),
    (lambda d: d["layers"][1].pop("bias"), "layers[1]: missing key 'bias'"),
    (lambda d: d.update(loss="hinge"), "loss: unknown 'hinge'"),
    (lambda d: d.update(loss="cross_entropy"), "loss: cross_entropy needs activation 'softmax'"),
    (lambda d: d.update(target=[0.1, 0.2]), "target: expected 1 number, got 2"),
    (lambda d: d.update(input="x"), "input: expected a list of 1 to 8 numbers, got str"),
    (lambda d: d.update(lr=0), "lr: expected a number > 0"),
    (lambda d: d.update(lr=True), "lr: expected a finite number, got true"),
    (lambda d: d.update(update_bias="no"), "update_bias: expected true or false"),
    (lambda d: d.update(epochs=3), "spec: unknown key 'epochs'"),
    (lambda d: d["layers"][0]["weights"][1].__setitem__(0, "a"), "layers[0].weights[1][0]"),
    (lambda d: d.update(layers=d["layers"] * 3), "layers: expected a list of 1 to 4 layers"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_parse_spec_names_the_problem(mutate, message):
    d = _good()
    mutate(d)
    with pytest.raises(bp.SpecError) as info:
        bp.parse_spec(d)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_main_prints_errors_on_one_line(tmp_path, capsys):
    cases = {"missing.json": None, "bad.json": "{not json", "nan.json": '{"input": NaN}'}
    bad = _good()
    bad["layers"][1]["activation"] = "swish"
    cases["spec.json"] = json.dumps(bad)
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        assert cli_main(["backprop", "--spec", str(tmp_path / name)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1
    assert "swish" in err


CLI = "import sys, playground.cli as c; sys.exit(c.main(['backprop', '--spec', sys.argv[1]]))"


def _cli(path: Path) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-c", CLI, str(path)]
    return subprocess.run(cmd, check=False, cwd=root, capture_output=True, text=True, timeout=120)


def test_cli_json_contract(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(_good()))
    proc = _cli(tmp_path / "spec.json")
    assert proc.returncode == 0 and proc.stderr == ""
    out = json.loads(proc.stdout)
    assert out == json.loads(json.dumps(bp.trace(_good())))  # full float64 precision
    assert {"loss", "loss_after", "layers", "numerical_check", "autograd_check"} <= out.keys()
    for ly, given_layer in zip(out["layers"], _good()["layers"]):
        assert np.shape(ly["grad_weights"]) == np.shape(ly["new_weights"])
        assert np.shape(ly["new_weights"]) == np.shape(given_layer["weights"])
        assert len(ly["grad_bias"]) == len(ly["new_bias"]) == len(given_layer["bias"])


def test_cli_bad_spec(tmp_path):
    bad = _good()
    bad["layers"][1]["weights"] = [[0.6, 0.7, 0.1]]
    (tmp_path / "spec.json").write_text(json.dumps(bad))
    proc = _cli(tmp_path / "spec.json")
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "error: layers[1].weights: expected 1 row of 2 numbers, got 1 row of 3 numbers"
    )
