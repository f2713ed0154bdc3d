"""The UI reads a live Trainer only through its public surface: commands, requests, latest(), info.

Every module in ui/ and app_pages/ is parsed with ast; any attribute read on an object named
`trainer` or `run`, or on `<anything>.trainer` (such as `slot.trainer`), must be one of ALLOWED.
The trainer's data, config, model and internals stay on its thread (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = sorted([*(ROOT / "ui").glob("*.py"), *(ROOT / "app_pages").glob("*.py")])
TRAINER_NAMES = frozenset({"trainer", "run"})
ALLOWED = frozenset(
    {"start", "pause", "step", "reset", "set_hparams", "set_param", "load_state"}
    | {"request", "ask", "close", "latest", "info", "is_alive"}
)


def _is_trainer(node: ast.AST) -> bool:
    """`trainer`, `run`, or `<expr>.trainer`."""
    if isinstance(node, ast.Name):
        return node.id in TRAINER_NAMES
    return isinstance(node, ast.Attribute) and node.attr == "trainer"


def trainer_reads(source: str, filename: str = "<ui>") -> list[tuple[int, str]]:
    """(line, attribute) of every attribute read on a trainer, getattr(trainer, "x") included."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Attribute) and _is_trainer(node.value):
            found.append((node.lineno, node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and _is_trainer(node.args[0])
            and isinstance(node.args[1], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[1].value)))
    return sorted(found)


def test_there_are_ui_modules_to_check() -> None:
    """Guard: the check below would pass vacuously on no files."""
    names = {p.name for p in UI_FILES}
    assert {"views.py", "state.py", "home.py", "images.py"} <= names


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ui_reads_only_the_trainers_public_surface(path: Path) -> None:
    bad = [(line, attr) for line, attr in trainer_reads(path.read_text(), str(path))
           if attr not in ALLOWED]  # fmt: skip
    assert not bad, f"{path.name} reads trainer internals (line, attribute): {bad}"


def test_the_check_sees_every_form_of_read() -> None:
    source = (
        "trainer.data\nslot.trainer.cfg.train\nrun.model_copy()\ngetattr(trainer, 'head')\n"
        "trainer.latest()\nslot.trainer.info.n_test\nother.data\n"
    )
    attrs = [attr for _, attr in trainer_reads(source)]
    assert attrs == ["data", "cfg", "model_copy", "head", "latest", "info"]
    assert [a for a in attrs if a not in ALLOWED] == ["data", "cfg", "model_copy", "head"]
