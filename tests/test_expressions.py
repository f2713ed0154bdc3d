"""Tests for data.expressions: the whitelist parser of custom features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.data.expressions import MAX_DEPTH, DataError, compile_expression, parse_expression

RNG = np.random.default_rng(0)
X1 = RNG.uniform(-6, 6, 200)
X2 = RNG.uniform(-6, 6, 200)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


VALID = [
    ("x1", lambda a, b: a),
    ("x1*x2^2", lambda a, b: a * b**2),  # ^ binds tighter than *, as in maths
    ("x1*x2**2", lambda a, b: a * b**2),
    ("exp(-x1^2)", lambda a, b: np.exp(-(a**2))),
    ("-x1^2", lambda a, b: -(a**2)),
    ("2^3^2 + 0*x1", lambda a, b: np.full_like(a, 512.0)),  # power is right-associative
    ("(x1 + x2) / 2 - 3", lambda a, b: (a + b) / 2 - 3),
    ("+x1 - -x2", lambda a, b: a + b),
    ("sin(x1) * cos(x2) + tan(x1 / 10)", lambda a, b: np.sin(a) * np.cos(b) + np.tan(a / 10)),
    ("log(x1^2 + 1) + sqrt(abs(x2))", lambda a, b: np.log(a**2 + 1) + np.sqrt(np.abs(b))),
    ("tanh(x1) + sigmoid(x2)", lambda a, b: np.tanh(a) + _sigmoid(b)),
    ("min(x1, x2) * max(x1, 0)", lambda a, b: np.minimum(a, b) * np.maximum(a, 0)),
    ("pi * x1 + e", lambda a, b: np.pi * a + np.e),
    ("1.5e-1 * x2", lambda a, b: 0.15 * b),
    ("3", lambda a, b: np.full_like(a, 3.0)),
]


@pytest.mark.parametrize(("text", "oracle"), VALID, ids=[t for t, _ in VALID])
def test_valid_expressions_match_numpy(text, oracle):
    got = parse_expression(text)(X1, X2)
    assert got.shape == X1.shape
    np.testing.assert_allclose(got, oracle(X1, X2), rtol=1e-12, atol=1e-12)


def test_result_broadcasts_and_is_float64():
    fn = parse_expression("x1 + x2")
    out = fn(np.zeros((3, 4), np.float32), np.ones((3, 4), np.float32))
    assert out.shape == (3, 4) and out.dtype == np.float64


REJECTED = [
    "__import__('os')",
    "__import__('os').system('true')",
    "x1.__class__",
    "x1.__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "eval('1')",
    "lambda: 1",
    "(lambda x: x)(x1)",
    "y",
    "x3 + 1",
    "os",
    "[x for x in range(3)]",
    "{x1: 1}",
    "(x1, x2)",
    "x1 if x2 else 1",
    "x1 < x2",
    "x1 and x2",
    "x1 % 2",
    "x1 // 2",
    "~x1",
    "not x1",
    "x1[0]",
    "'abc'",
    "b'abc'",
    "True",
    "None",
    "1j * x1",
    "f'{x1}'",
    "(x := 1)",
    "sin(x1, x2)",
    "sin()",
    "sin(x=x1)",
    "min(x1)",
    "x1 x2",
    "x1 +",
    "",
    "   ",
    "x1; x2",
    "import os",
    "9" * 400,  # over the length cap
    "x1" + "+x1" * 70,  # 212 characters
    "-" * (MAX_DEPTH + 5) + "x1",  # too deep
    "sin(" * 40 + "x1" + ")" * 40,
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_constructs_raise_a_one_line_data_error(text):
    with pytest.raises(DataError) as info:
        parse_expression(text)
    assert "\n" not in str(info.value) and str(info.value)


NOT_FINITE = ["x1**99999", "x1^99999", "exp(x1^3)", "log(x1)", "1/x1", "x2/(x1 - 1)", "sqrt(x2)"]


@pytest.mark.parametrize("text", NOT_FINITE)
def test_not_finite_on_the_domain_is_refused(text):
    with pytest.raises(DataError, match="not finite"):
        parse_expression(text)


def test_compile_expression_skips_the_domain_probe():
    fn = compile_expression("log(x1)")
    assert np.isnan(fn(np.array([-1.0]), np.array([0.0])))[0]


def test_rejected_code_never_runs(tmp_path):
    target = tmp_path / "pwned"
    for text in (
        f"open({str(target)!r}, 'w')",
        f"__import__('pathlib').Path({str(target)!r}).touch()",
    ):
        with pytest.raises(DataError):
            parse_expression(text)
    assert not target.exists()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="x12 +-*/^().,e_[]'aionstplgqrmx", max_size=60))
def test_fuzzed_text_only_ever_raises_data_error(text):
    try:
        fn = parse_expression(text)
    except DataError:
        return
    out = fn(X1, X2)
    assert out.shape == X1.shape and np.isfinite(out.astype(np.float32)).all()


def test_the_finiteness_probe_covers_the_whole_domain():
    from playground.data.plane import DOMAIN

    with pytest.raises(DataError, match=rf"\[-{DOMAIN:g}, {DOMAIN:g}\]\^2"):
        parse_expression(f"1 / (x1 - {DOMAIN:g})")  # infinite on the domain's edge only
    parse_expression(f"1 / (x1 - {DOMAIN + 0.05:g})")  # between probe points beyond it: accepted
