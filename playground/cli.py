"""The command line (train, presets, backprop, bench, export)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from playground.config import ConfigError, RunConfig, with_value
from playground.presets import PRESETS, get_preset


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


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
        cfg = with_value(cfg, key.strip(), value)
    return cfg


def _progress(snap) -> None:
    acc = "" if snap.test_accuracy != snap.test_accuracy else f" test acc {snap.test_accuracy:.3f}"
    line = f"\rstep {snap.step} epoch {snap.epoch} test loss {snap.test_loss:.4f}{acc} "
    print(line, end="", file=sys.stderr, flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    from playground.train import headless

    cfg = load_config(args.config, args.preset, args.set)
    if args.steps is not None:
        cfg = with_value(cfg, "train.max_steps", args.steps)
    trainer, result = headless.run(cfg, progress=None if args.quiet else _progress)
    try:
        if not args.quiet:
            print(file=sys.stderr)
        if args.out:
            result["files"] = [str(p) for p in headless.save_run(trainer, args.out)]
    finally:
        trainer.close()
    print(json.dumps(result))
    return 0 if result["status"] == "done" else 1


def cmd_presets(args: argparse.Namespace) -> int:
    for name, (description, _) in PRESETS.items():
        print(f"{name}: {description}")
    return 0


def cmd_backprop(args: argparse.Namespace) -> int:
    from playground.explain import backprop

    return backprop.main(args.spec)


def _add_config_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--config", help="a RunConfig JSON file")
    src.add_argument("--preset", help="a preset name (see `presets`)")
    p.add_argument("--steps", type=int, help="train this many steps (overrides train.max_steps)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. data.noise=25"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m playground", description="Neural Network Playground CLI")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train headless; last stdout line is a JSON summary")
    _add_config_args(p)
    p.add_argument("--out", help="write config.json, history.csv and model.safetensors here")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_train)
    sub.add_parser("presets", help="list the presets").set_defaults(func=cmd_presets)
    p = sub.add_parser("backprop", help="trace one step of a small MLP as JSON")
    p.add_argument("--spec", required=True, help="the network, input and target as JSON")
    p.set_defaults(func=cmd_backprop)
    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


def _register_optional() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Commands that live in their own modules (bench, export), when present."""
    names = ("playground.train.bench", "playground.export.onnx")
    return [importlib.import_module(n).register for n in names if importlib.util.find_spec(n)]


_EXTRA_COMMANDS = _register_optional()


def main(argv: list[str] | None = None) -> int:
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
