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
