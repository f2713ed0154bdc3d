"""Property test: any config dict either trains (paused or diverged, never failed) or is refused
with a ConfigError/DataError naming the field; never any other exception."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from playground.config import (
    FEATURES,
    Activation,
    ConfigError,
    DatasetName,
    Init,
    LayerKind,
    Loss,
    Optimizer,
    RunConfig,
    Schedule,
)
from playground.data.datasets import DataError
from playground.train.snapshot import Status
from playground.train.trainer import Trainer

EXAMPLES = 500
OUTCOMES: Counter[str] = Counter()  # refused / trained / diverged, for RELIABILITY.md
_SECTIONS = "data|model|train|seq|ae|gan|som|augment|transfer"
FIELD = re.compile(rf"^(config|kind|{_SECTIONS})\b|\b({_SECTIONS})\.\w|unknown field")


def _values(enum: Any, *extra: str) -> st.SearchStrategy:
    return st.sampled_from([e.value for e in enum] + list(extra))


NASTY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(10**18, 10**400),  # beyond int64 and beyond float
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.recursive(  # deep and mixed nesting
        st.none() | st.integers(0, 3) | st.text(max_size=2),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=12,
    ),
)
GOOD_CSV = "<good.csv>"  # replaced by a real, valid file inside the test
HUGE = st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30, 10**400])  # past int64, past float
SEED = st.one_of(st.integers(0, 10), st.integers(-(2**70), 2**70), HUGE, HUGE)  # any int taken
GOOD_EXPR = st.sampled_from(["x1*x2^2", "sin(x1)", "x1 + x2", "abs(x1)"])
BAD_EXPR = st.sampled_from(["x1^1000", "exp(x1*100)", "x1/0", "import os", "", "x1+", "x3"])


def _floats(lo: float, hi: float) -> st.SearchStrategy:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _choice(values: list[Any]) -> st.SearchStrategy:
    return st.sampled_from(values)


# field -> (values that should be accepted, values that must be refused)
DATA = {
    "name": (_values(DatasetName), _choice(["mnist", "Circle"])),
    "n_samples": (st.integers(20, 300), _choice([0, 19, 20_001, 10**9, -5])),
    "noise": (_floats(0, 50), _floats(-10, -0.01) | _floats(50.01, 1e6)),
    "train_ratio": (_floats(0.1, 0.9), _choice([0.0, 0.95, 1.0, -1.0])),
    "seed": (SEED, _choice([1.5, "7"])),
    "features": (
        st.lists(_choice(list(FEATURES)), min_size=1, max_size=7, unique=True),
        st.lists(_choice([*FEATURES, "x3", ""]), max_size=9),
    ),
    "custom_features": (st.lists(GOOD_EXPR, max_size=2), st.lists(BAD_EXPR, max_size=10)),
    "n_classes": (st.integers(2, 10), st.integers(-1, 1) | st.integers(11, 99)),
    "csv_path": (st.just(GOOD_CSV), _choice(["", "/nonexistent.csv", "/dev/zero", "/"])),
    "csv_target": (_choice(["", "label", "a"]), _choice(["nope", "A"])),
    "csv_task": (_choice(["classification", "regression"]), _choice(["ranking"])),
}
LAYER = {
    "kind": (_choice(["dense"] * 6 + [k.value for k in LayerKind]), _choice(["lstm"])),
    "units": (st.integers(1, 12) | st.just(512), _choice([0, -3, 513, 10**6])),
    "activation": (_values(Activation), _choice(["swish", "ReLU"])),
    "init": (_values(Init), _choice(["he"])),
    "channels": (st.integers(1, 16) | st.just(128), _choice([0, 129])),
    "kernel": (st.integers(1, 8), _choice([0, 9, -1])),
    "stride": (st.integers(1, 8), _choice([0, 9])),
    "padding": (st.integers(0, 4), _choice([-1, 5])),
    "p": (_floats(0, 0.95), _choice([-0.1, 0.96, 1.0])),
}
TRAIN = {
    "loss": (_values(Loss), _choice(["hinge"])),
    "optimizer": (_values(Optimizer), _choice(["lbfgs"])),
    "lr": (_floats(1e-4, 100.0), _choice([0.0, -1.0, 1e9, 1e-8])),
    "momentum": (_floats(0, 0.999), _choice([-0.5, 1.0, 1.5])),
    "beta1": (_floats(0, 0.9999), _choice([-0.5, 1.0])),
    "beta2": (_floats(0, 0.99999), _choice([-0.5, 1.0])),
    "weight_decay": (_floats(0, 10), _choice([-1.0, 11.0])),
    "batch_size": (st.integers(1, 64) | st.just(20_000), _choice([0, -1, 20_001])),
    "l1": (_floats(0, 10), _choice([-1.0, 11.0])),
    "l2": (_floats(0, 10), _choice([-1.0, 11.0])),
    "grad_clip": (_floats(0, 10), _choice([-1.0, 2e6])),
    "schedule": (_values(Schedule), _choice(["warmup"])),
    "schedule_steps": (st.integers(1, 100), _choice([0, -1])),
    "schedule_gamma": (_floats(0, 1), _choice([-1.0, 2.0])),
    "min_lr": (_floats(0, 1), _choice([-1.0, 101.0])),
    "max_steps": (st.integers(0, 10), _choice([-1])),
    "max_epochs": (st.integers(0, 10), _choice([-1])),
    "target_test_loss": (_floats(0, 1), _choice([-1.0])),
    "eval_every": (st.integers(0, 3), _choice([-1])),
    "device": (_choice(["cpu", "auto", "cuda"]), _choice(["tpu", "gpu"])),
    "seed": (SEED, _choice([0.5, "0"])),
    "steps_per_s": (_floats(0, 1e6), _choice([-1.0, 2e6])),
}
MODES = ("valid", "edgy", "nasty")  # edgy: out-of-range values; nasty: also wrong types, junk


def _field(pair: tuple[st.SearchStrategy, st.SearchStrategy], mode: str) -> st.SearchStrategy:
    good, bad = pair
    if mode == "valid":
        return good
    return st.one_of(good, good, good, bad, HUGE, *([NASTY] if mode == "nasty" else []))


def _section(fields: dict[str, tuple], mode: str) -> st.SearchStrategy:
    """A dict with a random subset of the fields; unknown keys too unless mode is valid."""
    known = st.fixed_dictionaries({}, optional={k: _field(v, mode) for k, v in fields.items()})
    if mode == "valid":
        return known
    unknown = st.dictionaries(_choice(["colour", "Units", "lr ", ""]), NASTY, max_size=1)
    return known | st.builds(lambda a, b: a | b, known, unknown)


def _config(mode: str) -> st.SearchStrategy:
    layers = st.lists(_section(LAYER, mode), max_size=4)
    if mode != "valid":
        layers |= st.lists(st.just({"units": 1}), min_size=17, max_size=20)  # over MAX_LAYERS
    out = (_values(Activation, "auto"), _choice(["softmax"]))
    model = _section({"layers": (layers, layers), "output_activation": out}, mode)
    sections = {"data": _section(DATA, mode), "model": model, "train": _section(TRAIN, mode)}
    if mode == "nasty":
        sections = {k: v | NASTY for k, v in sections.items()}
    return st.fixed_dictionaries({}, optional=sections)


CONFIGS = st.one_of(*[_config(m) for m in MODES], NASTY)


def _with_csv(d: Any, path: str) -> Any:
    """d with the placeholder csv_path replaced by a real file."""
    data = d.get("data") if isinstance(d, dict) else None
    if isinstance(data, dict) and data.get("csv_path") == GOOD_CSV:
        return {**d, "data": {**data, "csv_path": path}}
    return d


@pytest.fixture(scope="module")
def good_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A valid CSV: two features, a 0/1 label."""
    path = tmp_path_factory.mktemp("fuzz") / "good.csv"
    rows = [f"{i},{(i * 7) % 5},{i % 2}" for i in range(40)]
    path.write_text("\n".join(["a,b,label", *rows]) + "\n")
    return str(path)


def _small(cfg: RunConfig) -> RunConfig:
    """Tiny data and full speed, so three steps take milliseconds (validity is unchanged)."""
    data = dataclasses.replace(cfg.data, n_samples=min(cfg.data.n_samples, 100))
    train = dataclasses.replace(cfg.train, steps_per_s=0.0)
    return cfg.replace(data=data, train=train)


def _check_refusal(e: Exception) -> None:
    msg = str(e)
    assert msg and "\n" not in msg, repr(msg)
    if isinstance(e, DataError):  # data faults name the file or the feature
        assert re.search(r"CSV|custom feature|feature '", msg), msg
    else:
        assert FIELD.search(msg), f"no field named in {msg!r}"


def _train_three_steps(cfg: RunConfig) -> str:
    trainer = Trainer(cfg, grid_resolution=8, idle_pause_s=None)
    try:
        snap = trainer.step(3).snapshot
        for _ in range(200):  # a slow 3 steps (a big model) gets up to 10 s more
            if snap.step >= 3 or snap.status != Status.PAUSED:
                break
            time.sleep(0.05)
            snap = trainer.latest()
        assert snap.status in (Status.PAUSED, Status.DIVERGED), (snap.status, snap.message)
        assert snap.status == Status.DIVERGED or snap.step == 3, snap
        return snap.status.value
    finally:
        trainer.close()
        assert not trainer.is_alive


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same 500 configs on every run: a CI failure reproduces locally
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(CONFIGS)
@example({"train": {"seed": 2**64}})  # bugs the fuzzing found once, kept as fixed cases
@example({"train": {"seed": 2**64 - 1}, "model": {"layers": [{"kind": "dropout"}]}})
@example({"train": {"lr": 10**400}})
@example({"data": {"features": [[[[[[[[[[]]]]]]]]]]}})
def test_any_config_trains_or_is_refused_with_its_field(good_csv: str, d: Any) -> None:
    try:
        cfg = _small(RunConfig.from_dict(_with_csv(d, good_csv)))
        outcome = _train_three_steps(cfg)
    except (ConfigError, DataError) as e:
        _check_refusal(e)
        outcome = "refused"
    OUTCOMES[outcome] += 1


def test_the_fuzzing_covered_both_outcomes() -> None:
    if not OUTCOMES:
        pytest.skip("run together with the property test")
    print(f"fuzzed configs: {dict(OUTCOMES)}")
    assert sum(OUTCOMES.values()) >= EXAMPLES
    assert OUTCOMES["refused"] >= 100 and OUTCOMES["paused"] >= 50, OUTCOMES
