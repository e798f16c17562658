"""Dependency direction: torch layers know no sklearn/skorch, vectorization needs
no torch, and nothing imports matplotlib until a plot is drawn."""

import subprocess
import sys

import pytest

PROBE = """
import importlib, importlib.util, sys, types
if {bypass_root}:
    spec = importlib.util.find_spec("skattn")
    pkg = types.ModuleType("skattn")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["skattn"] = pkg  # skip skattn/__init__, which loads the estimators
importlib.import_module({module!r})
loaded = sorted(m for m in {banned!r} if m in sys.modules)
assert not loaded, "{module} imported " + ", ".join(loaded)
"""


@pytest.mark.parametrize(
    "module, banned, bypass_root",
    [
        ("skattn.nn", ["sklearn", "skorch", "pandas"], True),
        ("skattn.feature_extraction", ["torch", "skorch"], True),
        ("skattn.inspection", ["torch", "matplotlib"], True),
        ("skattn", ["matplotlib", "transformers"], False),
    ],
)
def test_import_direction(module, banned, bypass_root):
    code = PROBE.format(module=module, banned=banned, bypass_root=bypass_root)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- static rules over skattn's own source ------------------------------------

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "skattn"


def _imports(path):
    """(module imported, level) of every import statement of a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def _absolute(path, module, level):
    """The absolute module name of an import in ``path`` (relative ones resolved)."""
    if not level:
        return module
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    base = package[: len(package) - level + 1]
    return ".".join(base + ((module,) if module else ()))


def _sources():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_only_inspection_imports_inspection():
    """inspection sits on top: nothing else in skattn imports it (estimator
    checks included), so the explanation algorithms live below the estimators."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _sources()
        if "inspection" not in path.relative_to(PACKAGE).parts
        for module, level in _imports(path)
        if _absolute(path, module, level).startswith("skattn.inspection")
    ]
    assert not offenders, f"imports of skattn.inspection from below it: {offenders}"


def test_private_sklearn_apis_come_through_the_compat_module():
    """Only skattn/_compat.py imports private scikit-learn modules or names."""
    offenders = []
    for path in _sources():
        if path.name == "_compat.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                private = any(part.startswith("_") for part in node.module.split(".")) or any(
                    alias.name.startswith("_") for alias in node.names
                )
                if private:
                    offenders.append(f"{path.relative_to(PACKAGE)}: from {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.relative_to(PACKAGE)}: import {a.name}" for a in node.names
                    if a.name.startswith("sklearn") and "._" in a.name
                ]
    assert not offenders, offenders


def test_no_docstring_munging():
    """Docstrings are written out or filled through named placeholders: no
    str.replace on a docstring, no module-level assert."""
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [
            f"{path.relative_to(PACKAGE)}:{node.lineno} module-level assert"
            for node in tree.body if isinstance(node, ast.Assert)
        ]
        offenders += [
            f"{path.relative_to(PACKAGE)}:{node.lineno} __doc__ assembled"
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__doc__" for t in node.targets)
        ]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "module, banned",
    [
        ("skattn.nn", ["transformers"]),
        ("skattn._explain", ["torch", "sklearn", "pandas"]),
        ("skattn._targets", ["torch", "skorch"]),
    ],
)
def test_lower_floors_import_little(module, banned):
    code = PROBE.format(module=module, banned=banned, bypass_root=True)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
