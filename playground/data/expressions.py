"""Custom input features: a whitelist parser of expressions over x1, x2 (ast, never eval)."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable

import numpy as np

from playground.data.plane import DOMAIN

Fn = Callable[[np.ndarray, np.ndarray], np.ndarray]

MAX_EXPRESSION_CHARS = 200
MAX_DEPTH = 32  # nesting of operators and calls; plenty for a hand-typed feature

_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),  # overflow-free logistic
}
_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "min": np.minimum,
    "max": np.maximum,
}
_OPS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}
_ALLOWED = (
    "numbers, x1, x2, pi, e, + - * / ^ and " + ", ".join([*_UNARY, *_BINARY]) + " with parentheses"
)


class DataError(ValueError):
    """Bad user data (a CSV file, a custom feature): a one-line message meant for the user."""


def parse_expression(text: str) -> Fn:
    """Compile an expression over x1, x2 into f(x1, x2) -> array; DataError if not allowed.

    `^` means power. The result must be finite (in float32) everywhere on [-DOMAIN, DOMAIN]^2.
    """
    fn = compile_expression(text)
    steps = round(10 * DOMAIN)
    axis = np.arange(-steps, steps + 1) / 10.0  # step 0.1 over the domain, 0 and integers exact
    x1, x2 = (a.ravel() for a in np.meshgrid(axis, axis))
    with np.errstate(over="ignore"):
        values = fn(x1, x2).astype(np.float32)  # features are float32: e^100 is inf there
    if not np.isfinite(values).all():
        bad = int(np.argmin(np.isfinite(values)))
        raise DataError(
            f"custom feature {text.strip()!r} is not finite everywhere on "
            f"[-{DOMAIN:g}, {DOMAIN:g}]^2 (e.g. at x1={x1[bad]:g}, x2={x2[bad]:g}; "
            "think of log(x1) at x1 <= 0 or 1/x1 at 0)"
        )
    return fn


def compile_expression(text: str) -> Fn:
    """Like parse_expression, without the finiteness probe over the domain."""
    source = text.strip()
    if not source:
        raise DataError("custom feature is empty; type an expression such as x1*x2^2")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise DataError(f"custom feature is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. "1and x1"; refused below anyway
            tree = ast.parse(source.replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise DataError(f"custom feature {source!r} is not a valid expression") from None
    body = _build(tree.body, source, 0)

    def fn(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(x1, np.float64), np.asarray(x2, np.float64))
        with np.errstate(all="ignore"):
            return np.array(np.broadcast_to(body(a, b), a.shape), dtype=np.float64)

    return fn


def _reject(source: str, what: str) -> DataError:
    return DataError(f"custom feature {source!r}: {what} is not allowed; use {_ALLOWED}")


def _build(node: ast.AST, source: str, depth: int) -> Fn:
    """Turn one whitelisted ast node into a closure over (x1, x2)."""
    if depth > MAX_DEPTH:
        raise DataError(f"custom feature {source!r} is nested too deeply (max {MAX_DEPTH})")
    if isinstance(node, ast.Constant):
        return _constant(node, source)
    if isinstance(node, ast.Name):
        return _name(node, source)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _build(node.operand, source, depth + 1)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda a, b: sign * inner(a, b)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        op = _OPS[type(node.op)]
        left, right = _build(node.left, source, depth + 1), _build(node.right, source, depth + 1)
        return lambda a, b: op(left(a, b), right(a, b))
    if isinstance(node, ast.Call):
        return _call(node, source, depth)
    raise _reject(source, _describe(node))


def _constant(node: ast.Constant, source: str) -> Fn:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _reject(source, f"the literal {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise DataError(f"custom feature {source!r}: a number is too large") from None
    return lambda a, b: np.full_like(a, number)


def _name(node: ast.Name, source: str) -> Fn:
    if node.id == "x1":
        return lambda a, b: a
    if node.id == "x2":
        return lambda a, b: b
    if node.id in _CONSTANTS:
        number = _CONSTANTS[node.id]
        return lambda a, b: np.full_like(a, number)
    raise _reject(source, f"the name {node.id!r}")


def _call(node: ast.Call, source: str, depth: int) -> Fn:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in _UNARY and name not in _BINARY:
        what = f"the function {name!r}" if name else "calling this"
        raise _reject(source, what)
    arity = 1 if name in _UNARY else 2
    if node.keywords or len(node.args) != arity:
        raise DataError(f"custom feature {source!r}: {name}() takes {arity} argument(s)")
    args = [_build(arg, source, depth + 1) for arg in node.args]
    if name in _UNARY:
        unary, (arg,) = _UNARY[name], args
        return lambda a, b: unary(arg(a, b))
    binary, (first, second) = _BINARY[name], args
    return lambda a, b: binary(first(a, b), second(a, b))


def _describe(node: ast.AST) -> str:
    """A user-facing name for a construct outside the whitelist."""
    names = {
        ast.Attribute: "attribute access ('.')",
        ast.Subscript: "indexing ('[]')",
        ast.Lambda: "lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.NamedExpr: "':='",
    }
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        symbols = {ast.Mod: "%", ast.FloorDiv: "//", ast.Not: "not", ast.Invert: "~"}
        return f"the operator {symbols.get(type(node.op), type(node.op).__name__)!r}"
    return names.get(type(node), type(node).__name__.lower())
