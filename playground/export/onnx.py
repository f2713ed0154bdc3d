"""ONNX export of a trained model (the `export` command itself lives in playground/cli.py)."""

from __future__ import annotations

import importlib.metadata
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import onnx
import torch
from torch import nn

from playground.config import RunConfig

# re-exported for tests/test_export.py until it imports them from playground.export.codegen
from playground.export.codegen import expression_code, generate_script

__all__ = [
    "export_onnx",
    "expression_code",
    "generate_script",
    "onnx_metadata",
    "playground_version",
]

ONNX_OPSET = 17
DISTRIBUTION = "nn-playground"  # pyproject.toml's project name


def playground_version() -> str:
    """The installed nn-playground's version, or "unknown" (run from a checkout, not installed)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def onnx_metadata(
    cfg: RunConfig, feature_names: Sequence[str], class_names: Sequence[str]
) -> dict[str, str]:
    """The metadata_props of an exported model: the config (JSON), the input feature names and
    the class names (JSON lists; [] for regression) and the playground version."""
    return {
        "config": cfg.to_json(indent=None),
        "feature_names": json.dumps(list(feature_names)),
        "class_names": json.dumps(list(class_names)),
        "playground_version": playground_version(),
    }


def export_onnx(
    model: nn.Module,
    input_shape: tuple[int, ...],
    path: str | Path,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write the model as ONNX (eval mode: dropout is the identity), batch axis dynamic.

    Args:
        input_shape: one example's shape, (F,) or (1, 8, 8); the batch axis is added.
        metadata: written as the model's metadata_props (see onnx_metadata).
    """
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(1, *input_shape)
        if hasattr(model, "example_input"):  # a sequence model: token ids, or (T, 1) values
            x = model.example_input(input_shape)
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
    if metadata:
        proto = onnx.load(str(path))
        onnx.helper.set_model_props(proto, dict(metadata))
        onnx.save(proto, str(path))
