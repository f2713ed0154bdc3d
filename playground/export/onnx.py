"""ONNX export of a trained model (the `export` command itself lives in playground/cli.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

# re-exported for tests/test_export.py until it imports them from playground.export.codegen
from playground.export.codegen import expression_code, generate_script

__all__ = ["export_onnx", "expression_code", "generate_script"]

ONNX_OPSET = 17


def export_onnx(model: nn.Module, input_shape: tuple[int, ...], path: str | Path) -> None:
    """Write the model as ONNX (eval mode: dropout is the identity), batch axis dynamic.

    Args:
        input_shape: one example's shape, (F,) or (1, 8, 8); the batch axis is added.
    """
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(1, *input_shape)
        with warnings.catch_warnings():  # the TorchScript exporter warns that it is legacy
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (x,),
                str(path),
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
    finally:
        model.train(was_training)
