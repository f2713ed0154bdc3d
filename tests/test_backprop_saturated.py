"""The backprop trace of saturated outputs: softmax and sigmoid far into their flat tails.

The derivatives stay defined there (delta = o - t from the logits, a Jacobian of tiny entries),
so `python -m playground backprop` traces them; values beyond float64 are null in the JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from playground.cli import main as cli_main
from tests.test_backprop import _oracle


def _one_layer(weights: list[list[float]], activation: str, target: list[float], loss: str):
    bias = [0.0] * len(weights)
    layer = {"weights": weights, "bias": bias, "activation": activation}
    return {"layers": [layer], "input": [1.0], "target": target, "loss": loss, "lr": 0.1}


def _cli_trace(tmp_path: Path, capsys, spec: dict) -> dict:
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    code = cli_main(["backprop", "--spec", str(tmp_path / "spec.json")])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    return json.loads(out)


def _matches_autograd(trace: dict, spec: dict) -> None:
    want = _oracle(spec)  # torch on the logits, float64
    ly = trace["layers"][-1]
    for key in ("delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
        np.testing.assert_allclose(ly[key], want[key][-1], rtol=1e-12, atol=0, err_msg=key)
    assert trace["autograd_check"]["agrees"] and trace["numerical_check"]["agrees"]


@pytest.mark.parametrize("gap", [40.0, 800.0])
def test_cli_traces_a_saturated_softmax(tmp_path, capsys, gap):
    spec = _one_layer([[gap], [0.0]], "softmax", [0.0, 1.0], "cross_entropy")
    trace = _cli_trace(tmp_path, capsys, spec)
    _matches_autograd(trace, spec)
    ly = trace["layers"][0]
    # out = softmax([gap, 0]); o1 o2 = e^gap / (1 + e^gap)^2, computed without rounding o1 to 1
    o1o2 = math.exp(-gap) / (1 + math.exp(-gap)) ** 2
    np.testing.assert_allclose(ly["dout_dnet_jacobian"], [[o1o2, -o1o2], [-o1o2, o1o2]],
                               rtol=1e-12, atol=0)  # fmt: skip
    np.testing.assert_allclose(ly["dout_dnet"], [o1o2, o1o2], rtol=1e-12, atol=0)
    np.testing.assert_allclose(ly["delta"], [1.0, -1.0], rtol=1e-12)  # softmax - t
    de_dout = -(1 + math.exp(gap)) if gap < 700 else None  # -t2 / o2; beyond float64: null
    assert ly["dE_dout"][0] == 0.0
    if de_dout is None:
        assert ly["dE_dout"][1] is None
    else:
        assert ly["dE_dout"][1] == pytest.approx(de_dout, rel=1e-12)


@pytest.mark.parametrize("net", [40.0, -40.0, 800.0])
def test_cli_traces_a_saturated_sigmoid_with_bce(tmp_path, capsys, net):
    spec = _one_layer([[net]], "sigmoid", [0.5], "bce")
    trace = _cli_trace(tmp_path, capsys, spec)
    _matches_autograd(trace, spec)
    ly = trace["layers"][0]
    slope = math.exp(-abs(net)) / (1 + math.exp(-abs(net))) ** 2  # o (1 - o), exact
    np.testing.assert_allclose(ly["dout_dnet"], [slope], rtol=1e-12, atol=0)
    if abs(net) < 700:  # (o - t) / (o (1 - o)), o - t = +-0.5
        assert ly["dE_dout"][0] == pytest.approx(math.copysign(0.5, net) / slope, rel=1e-12)
    else:
        assert ly["dE_dout"][0] is None
