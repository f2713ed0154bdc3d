"""Export a run: the standalone script (codegen.py), ONNX, and the `export` command of the CLI."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from playground.config import RunConfig, with_value
from playground.export.codegen import expression_code, generate_script
from playground.export.experiment import (
    Experiment,
    check_state_dict,
    experiment_from_trainer,
    load_experiment,
    load_run,
    save_experiment,
)

if TYPE_CHECKING:
    from playground.train.trainer import Trainer

__all__ = ["export_onnx", "expression_code", "generate_script", "register"]

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


# --- the `export` command -------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    """Add `export` to the command line."""
    p = sub.add_parser(
        "export", help="train or load a run, then write it as code, ONNX, experiment or CSV"
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", help="a RunConfig JSON file (trained first)")
    src.add_argument("--preset", help="a preset name (trained first)")
    src.add_argument("--run", metavar="DIR", help="a folder written by `train --out`")
    src.add_argument("--experiment-in", metavar="FILE", help="an experiment file (.nnpg)")
    p.add_argument("--steps", type=int, help="train this many steps (from the loaded weights)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--code", metavar="FILE.py", help="a standalone PyTorch training script")
    p.add_argument("--onnx", metavar="FILE.onnx", help="the trained model as ONNX")
    p.add_argument("--experiment", metavar="FILE.nnpg", help="config, weights and history")
    p.add_argument("--history-csv", metavar="FILE.csv", help="the history as CSV")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """Train or load, write the requested files; the last stdout line is a JSON summary."""
    from playground.cli import apply_sets, load_config
    from playground.train import headless

    outputs = {k: getattr(args, k) for k in _OUTPUTS if getattr(args, k)}
    if not outputs:
        raise ValueError(
            "export: nothing to write; give --code, --onnx, --experiment or --history-csv"
        )
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps: must be at least 1, got {args.steps}")
    loaded = None
    if args.run or args.experiment_in:
        loaded = load_run(args.run) if args.run else load_experiment(args.experiment_in)
        cfg = apply_sets(loaded.cfg, args.set)
    else:
        cfg = load_config(args.config, args.preset, args.set)
    if args.steps is not None:
        cfg = with_value(cfg, "train.max_steps", args.steps)
    if loaded is None:
        trainer, result = headless.run(cfg)
    else:
        state = check_state_dict(cfg, loaded.state_dict)
        trainer, result = _continue(cfg, state, args.steps is not None)
    try:
        if loaded is not None and args.steps is None:
            result |= {"status": "loaded", "steps": loaded.step, "epochs": loaded.epoch}
        files = _write(trainer, outputs, None if args.steps is not None else loaded)
    finally:
        trainer.close()
    print(json.dumps(result | {"files": files}))
    return 0 if result["status"] in ("done", "loaded") else 1


_OUTPUTS = ("code", "onnx", "experiment", "history_csv")


def _continue(
    cfg: RunConfig, state: dict[str, torch.Tensor], train: bool
) -> tuple[Trainer, dict[str, Any]]:
    """A trainer on loaded weights; trained to cfg's stop condition when asked."""
    from playground.train.headless import run, summary
    from playground.train.trainer import Trainer

    if train:
        return run(cfg, initial_state=state)
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None, initial_state=state, capped=False)
    return trainer, summary(trainer.latest(), cfg, 0.0)


def _write(trainer: Trainer, outputs: dict[str, str], loaded: Experiment | None) -> dict[str, str]:
    """Write each requested file; returns kind -> path."""
    from playground.train.headless import write_history_csv

    history = loaded.history if loaded else trainer.latest().history
    for kind, path in outputs.items():
        if kind == "code":
            Path(path).write_text(generate_script(trainer.cfg))
        elif kind == "onnx":
            export_onnx(trainer.model_copy(), trainer.data.input_shape, path)
        elif kind == "history_csv":
            write_history_csv(history, Path(path))
        elif loaded:
            save_experiment(
                path, trainer.cfg, loaded.state_dict, history, loaded.step, loaded.epoch
            )
        else:
            Path(path).write_bytes(experiment_from_trainer(trainer))
    return {kind: str(path) for kind, path in outputs.items()}
