"""Imports point one way: playground/ never imports Streamlit or the UI; config imports nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "playground"
FORBIDDEN = ("streamlit", "ui", "pages", "app")  # top-level names the engine must not import
PROJECT = ("playground", "ui", "pages", "app")


def _package_files() -> list[Path]:
    """Every Python file under playground/, sorted."""
    return sorted(PACKAGE.rglob("*.py"))


def _imported_modules(path: Path) -> list[str]:
    """Absolute dotted names imported by `path`; relative imports become `playground...` names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(_resolve_from(path, node))
        elif _is_dynamic_import(node):
            names.append(node.args[0].value)
    return names


def _is_dynamic_import(node: ast.AST) -> bool:
    """True for `import_module("name")` or `__import__("name")` with a literal name."""
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("import_module", "__import__") and isinstance(node.args[0].value, str)


def _resolve_from(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module name of a `from ... import` statement in `path`."""
    if node.level == 0:
        return node.module or ""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)[: -node.level]
    return ".".join(parts + ([node.module] if node.module else []))


def _top(name: str) -> str:
    """The top-level package of a dotted module name."""
    return name.split(".")[0]


def test_package_has_python_files() -> None:
    """Guard: the checks below would pass vacuously on an empty package."""
    assert (PACKAGE / "config.py") in _package_files()


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_engine_imports_no_streamlit_or_ui(path: Path) -> None:
    """No module of playground/ imports streamlit, ui, pages or app."""
    bad = [name for name in _imported_modules(path) if _top(name) in FORBIDDEN]
    assert not bad, f"{path.relative_to(REPO_ROOT)} imports {bad}"


_SETTINGS = sorted(
    f"settings/{p.name}" for p in (PACKAGE / "settings").glob("*.py") if p.name != "__init__.py"
)


def _may_use(name: str) -> set[str] | None:
    """What a bottom module may import from the project (None: not a bottom module)."""
    if name == "choices.py":
        return set()
    if name == "config.py" or name in _SETTINGS:  # config.py, and the sections it holds
        sections = {"playground." + s[:-3].replace("/", ".") for s in _SETTINGS}
        return {"playground.choices"} | sections
    return None


@pytest.mark.parametrize("name", ["choices.py", "config.py", *_SETTINGS])
def test_the_config_modules_sit_at_the_bottom_of_the_import_chain(name: str) -> None:
    """choices.py imports nothing from the project; config.py and its sections (settings/)
    only choices.py and each other."""
    imported = _imported_modules(PACKAGE / name)
    bad = [n for n in imported if _top(n) in PROJECT and n not in _may_use(name)]
    assert not bad, f"playground/{name} imports {bad}"


def test_resolver_sees_relative_imports() -> None:
    """The checker itself: relative imports resolve to absolute names, so none slip through."""
    module = PACKAGE / "figures" / "x.py"
    for source, expected in [
        ("from ..config import A", "playground.config"),
        ("from . import a", "playground.figures"),
    ]:
        node = ast.parse(source).body[0]
        assert isinstance(node, ast.ImportFrom)
        assert _resolve_from(module, node) == expected
