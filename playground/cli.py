"""The one command line: train, presets, backprop, export, bench (`python -m playground`).

Each command parses its options, calls the library (train.headless, explain.backprop, export.*,
train.bench) and prints: results as JSON on the last stdout line, progress on stderr, and bad
input as one `error: ...` line on stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import torch

from playground.config import ConfigError, Device, RunConfig, with_value
from playground.explain import backprop, backprop_spec
from playground.export.codegen import generate_script
from playground.export.experiment import (
    Experiment,
    check_state_dict,
    experiment_from_trainer,
    load_experiment,
    load_run,
    save_experiment,
)
from playground.export.onnx import export_onnx, onnx_metadata
from playground.lessons import command as lessons
from playground.presets import PRESETS, get_preset
from playground.train import bench, headless
from playground.train.snapshot import Snapshot
from playground.train.trainer import Trainer

EXPORTS = ("code", "onnx", "experiment", "history_csv")  # the `export` command's output options


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


MAX_STEPS = 10**12  # train.max_steps' own limit
MAX_ROUNDS = 1_000  # bench: interleaved rounds
MAX_SECONDS = 600.0  # bench: one timing window


def _clip(text: str, n: int = 24) -> str:
    """text quoted, cut to n characters: a bad value is named, never echoed in full."""
    return repr(text if len(text) <= n else text[:n] + "...")


def _whole(high: int) -> Callable[[str], int]:
    """An argparse type: a whole number of ASCII digits, at most `high` in size; a short message
    else (the command checks the lower bound: e.g. train's 0 and negative steps)."""

    def parse(text: str) -> int:
        s = text.strip()
        digits = s[1:] if s[:1] in "+-" else s
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(f"expected a whole number, got {_clip(text)}")
        big = len(digits.lstrip("0")) > len(str(high))  # too long for int(); out of range anyway
        value = 0 if big else int(s)
        if (big and s[0] == "-") or value < -high:
            raise argparse.ArgumentTypeError(f"must not be negative, got {_clip(s)}")
        if big or value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {_clip(s)}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: a number of seconds in (0, MAX_SECONDS]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_clip(text)}") from None
    if not 0 < value <= MAX_SECONDS:  # nan fails both
        raise argparse.ArgumentTypeError(
            f"must be > 0 and at most {MAX_SECONDS:g}, got {_clip(text)}"
        )
    return value


def _fail(message: str) -> int:
    """Print `message` as one `error:` line on stderr; returns the exit status 2."""
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return 2


def load_config(config: str | None, preset: str | None, sets: list[str]) -> RunConfig:
    """A config from a file or preset, with KEY=VALUE overrides applied and validated."""
    if config:
        try:
            text = Path(config).read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"--config: cannot read {config!r} ({e})") from None
        cfg = RunConfig.from_json(text)
    else:
        cfg = get_preset(preset or "circle")
    return apply_sets(cfg, sets)


def apply_sets(cfg: RunConfig, sets: list[str]) -> RunConfig:
    """cfg with --set KEY=VALUE overrides (JSON values, or bare words), each validated."""
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. data.noise=25")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare word such as train.optimizer=adam
        except ValueError:  # an integer of more than 4300 digits: far past every limit
            raise ConfigError(
                f"{key.strip()}: the number is too long ({len(raw)} digits)"
            ) from None
        cfg = with_value(cfg, key.strip(), value)
    return cfg


class Progress:
    """Training progress on stderr: one line rewritten in place (carriage returns) on a terminal;
    elsewhere (a pipe, a log file) whole lines, at most one every LINE_EVERY_S seconds."""

    LINE_EVERY_S = 1.0

    def __init__(self) -> None:
        isatty = getattr(sys.stderr, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.last_s = -math.inf  # when the last whole line was printed
        self.pending = ""  # the newest line not yet printed (not a terminal)

    def __call__(self, snap: Snapshot) -> None:
        acc = "" if math.isnan(snap.test_accuracy) else f" test acc {snap.test_accuracy:.3f}"
        line = f"step {snap.step} epoch {snap.epoch} test loss {snap.test_loss:.4f}{acc}"
        if self.tty:
            print(f"\r{line} ", end="", file=sys.stderr, flush=True)
            return
        now = time.monotonic()
        if now - self.last_s >= self.LINE_EVERY_S:
            print(line, file=sys.stderr, flush=True)
            self.last_s, line = now, ""
        self.pending = line

    def close(self) -> None:
        """End the progress: the terminal's line, or the last state if not printed yet."""
        if self.tty or self.pending:
            print(self.pending if not self.tty else "", file=sys.stderr, flush=True)
        self.pending = ""


# --- the commands ---------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train headless to the config's stop; the last stdout line is a JSON summary."""
    cfg = load_config(args.config, args.preset, args.set)
    if args.steps is not None:
        cfg = with_value(cfg, "train.max_steps", args.steps)
    progress = None if args.quiet else Progress()
    trainer, result = headless.run(cfg, progress=progress)
    try:
        if progress:
            progress.close()
        if args.out:
            result["files"] = [str(p) for p in headless.save_run(trainer, args.out)]
    finally:
        trainer.close()
    print(json.dumps(result))
    return 0 if result["status"] == "done" else 1


def cmd_presets(args: argparse.Namespace) -> int:
    """One line per preset: its name and description."""
    for name, (description, _) in PRESETS.items():
        print(f"{name}: {description}")
    return 0


def cmd_backprop(args: argparse.Namespace) -> int:
    """Print one traced SGD step of the spec's network as one JSON object."""
    path = args.spec
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        text = json.dumps(backprop.trace(backprop.parse_spec(d)), allow_nan=False)
    except OSError as e:
        return _fail(f"cannot read {path}: {e.strerror or e}")
    except json.JSONDecodeError as e:
        return _fail(f"{path}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})")
    except backprop.SpecError as e:
        return _fail(str(e))
    except ValueError as e:  # json.dumps on inf / nan
        return _fail(f"the trace has non-finite numbers ({e})")
    print(text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Train or load, write the requested files; the last stdout line is a JSON summary."""
    outputs = {k: getattr(args, k) for k in EXPORTS if getattr(args, k)}
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
    as_is = loaded if args.steps is None else None  # a loaded run, written without training
    trainer, result = _export_trainer(cfg, loaded, train=args.steps is not None)
    try:
        if as_is is not None:
            result |= {"status": "loaded", "steps": as_is.step, "epochs": as_is.epoch}
        files = _write_exports(trainer, outputs, as_is)
    finally:
        trainer.close()
    print(json.dumps(result | {"files": files}))
    return 0 if result["status"] in ("done", "loaded") else 1


def _export_trainer(
    cfg: RunConfig, loaded: Experiment | None, train: bool
) -> tuple[Trainer, dict[str, Any]]:
    """A trainer for `export`: trained from scratch, or on loaded weights (trained when asked)."""
    if loaded is None:
        return headless.run(cfg)
    state = check_state_dict(cfg, loaded.state_dict)
    if train:
        return headless.run(cfg, initial_state=state)
    trainer = Trainer(cfg, with_probes=False, idle_pause_s=None, initial_state=state, capped=False)
    return trainer, headless.summary(trainer.latest(), cfg, 0.0)


def _write_exports(
    trainer: Trainer, outputs: dict[str, str], loaded: Experiment | None
) -> dict[str, str]:
    """Write each requested file (kind -> path); a loaded, untrained run keeps its own history."""
    history = loaded.history if loaded else trainer.latest().history
    for kind, path in outputs.items():
        if kind == "code":
            Path(path).write_text(generate_script(trainer.cfg))
        elif kind == "onnx":
            info = trainer.info
            names = [str(k) for k in range(info.n_classes)]  # a CSV's labels are not kept
            meta = onnx_metadata(trainer.cfg, info.feature_names, names)
            export_onnx(trainer.ask("model"), info.input_shape, path, metadata=meta)
        elif kind == "history_csv":
            headless.write_history_csv(history, Path(path))
        elif loaded:
            save_experiment(
                path, trainer.cfg, loaded.state_dict, history, loaded.step, loaded.epoch
            )
        else:
            Path(path).write_bytes(experiment_from_trainer(trainer))
    return {kind: str(path) for kind, path in outputs.items()}


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark; print the table, or the JSON object as the last stdout line."""
    opts = dict(bench.QUICK if args.quick else bench.FULL)
    if args.seconds is not None:  # checked by its argparse type
        opts["seconds"] = args.seconds
    if args.rounds is not None:
        if args.rounds < 1:
            raise ValueError(f"--rounds: must be at least 1, got {args.rounds}")
        opts["rounds"] = args.rounds
    device = Device(args.device)
    if device == Device.CUDA and not torch.cuda.is_available():
        return _fail("--device cuda: CUDA is not available here")
    result = bench.bench(args.run or list(bench.RUNS), device, **opts)
    print(json.dumps(result) if args.json else bench.format_table(result))
    return 0


# --- argument parsing -----------------------------------------------------------------------------


def _add_config_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--config", help="a RunConfig JSON file")
    src.add_argument("--preset", help="a preset name (see `presets`)")
    p.add_argument(
        "--steps",
        type=_whole(MAX_STEPS),
        help="train this many steps (overrides train.max_steps)",
    )
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. data.noise=25"
    )


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="train or load a run, then write it as code, ONNX, experiment or CSV"
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", help="a RunConfig JSON file (trained first)")
    src.add_argument("--preset", help="a preset name (trained first)")
    src.add_argument("--run", metavar="DIR", help="a folder written by `train --out`")
    src.add_argument("--experiment-in", metavar="FILE", help="an experiment file (.nnpg)")
    p.add_argument(
        "--steps", type=_whole(MAX_STEPS), help="train this many steps (from the loaded weights)"
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--code", metavar="FILE.py", help="a standalone PyTorch training script")
    p.add_argument("--onnx", metavar="FILE.onnx", help="the trained model as ONNX")
    p.add_argument("--experiment", metavar="FILE.nnpg", help="config, weights and history")
    p.add_argument("--history-csv", metavar="FILE.csv", help="the history as CSV")
    p.set_defaults(func=cmd_export)


def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="bare PyTorch loop vs the Trainer, examples/s per run")
    p.add_argument("--quick", action="store_true", help="short windows: under a minute in all")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.add_argument("--device", choices=[d.value for d in Device], default="cpu")
    p.add_argument("--seconds", type=_seconds, help="timing window per measurement")
    p.add_argument(
        "--rounds", type=_whole(MAX_ROUNDS), help="interleaved rounds; the median is kept"
    )
    p.add_argument(
        "--run",
        action="append",
        choices=[*bench.RUNS, *bench.KIND_RUNS],
        help="only this run (repeat)",
    )
    p.set_defaults(func=cmd_bench)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each subparser's `func` runs it."""
    parser = _Parser(prog="python -m playground", description="Neural Network Playground CLI")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train headless; last stdout line is a JSON summary")
    _add_config_args(p)
    p.add_argument("--out", help="write config.json, history.csv and model.safetensors here")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_train)
    sub.add_parser("presets", help="list the presets").set_defaults(func=cmd_presets)
    p = sub.add_parser(
        "backprop",
        help="trace one step of a small MLP as JSON",
        description="Trace one SGD step of a small MLP, every number kept, as JSON.",
        epilog=backprop_spec.SPEC_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--spec", required=True, help="a JSON file: the network, input and target (see below)"
    )
    p.set_defaults(func=cmd_backprop)
    _add_bench(sub)
    _add_export(sub)
    lessons.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
