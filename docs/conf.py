"""Sphinx configuration of the skattn documentation.

Build: python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import inspect
import os
import sys
from pathlib import Path

# One thread per math library while the gallery runs (set before torch is
# imported): the examples are small models, and each also calls
# torch.set_num_threads(1).
os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import skattn  # noqa: E402

project = "skattn"
author = "skattn developers"
copyright = "skattn developers"
version = release = skattn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.py",
                    "auto_examples/*.ipynb", "auto_examples/*.zip"]
templates_path = ["_templates"]

# Every reference must resolve (-W turns a broken one into an error). The
# network is closed, so there is no intersphinx: references into other
# libraries cannot resolve and are ignored; references into skattn are checked.
nitpicky = True
_EXTERNAL = r"(sklearn|skorch|torch|numpy|np|pandas|pd|matplotlib|scipy|transformers|bertviz)"
nitpick_ignore_regex = [
    (r"py:.*", _EXTERNAL + r"(\..*)?"),
]

# -- autodoc / autosummary / numpydoc ----------------------------------------

autosummary_generate = True
autosummary_imported_members = False
# Module-level data (e.g. estimator_checks.BAD_INPUTS) is described by its doc
# comment; its repr would be a page of lambdas.
autodoc_default_options = {"no-value": True}
# skorch's and scikit-learn's docstrings are written for their own sites (their
# cross-references do not resolve here): document only what skattn defines.
autodoc_inherit_docstrings = False
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def _defined_in_skattn(obj):
    obj = getattr(obj, "fget", obj)  # properties
    obj = getattr(obj, "__func__", obj)  # class/static methods
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] == "skattn"


def _defining_class(obj):
    """The class whose body defines the function ``obj``, or None."""
    obj = getattr(obj, "fget", obj)
    obj = getattr(obj, "__func__", obj)
    qualname = getattr(obj, "__qualname__", "")
    target = sys.modules.get(getattr(obj, "__module__", None) or "")
    for part in qualname.split(".")[:-1]:
        target = getattr(target, part, None)
    return target if inspect.isclass(target) else None


# skorch hooks that skattn overrides (initialize_module, get_loss, ...) are
# internals; of the names skorch's NeuralNet defines, these are the public API.
_PUBLIC_NET_METHODS = {"fit", "partial_fit", "predict", "predict_proba", "score", "transform"}


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Skip class members that skorch, scikit-learn or torch define, and the
    skorch hooks that skattn overrides."""
    if what != "class" or inspect.isclass(obj):
        return None
    if not _defined_in_skattn(obj):
        return True
    from skorch import NeuralNet
    from torch import nn

    if _defining_class(obj) is not None and issubclass(_defining_class(obj), nn.Module):
        return None  # a torch module's forward is its API
    if hasattr(NeuralNet, name) and name not in _PUBLIC_NET_METHODS:
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)


# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py are gallery items; the other scripts in examples/ are
    # command-line programs (see their docstrings), neither run nor shown.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_)",  # matched against the file name
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skattn",),
    "remove_config_comments": True,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
}

# -- MyST (the Markdown pages) -----------------------------------------------

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# -- HTML --------------------------------------------------------------------

try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "secondary_sidebar_items": ["page-toc"],
    }
except ImportError:  # pragma: no cover
    html_theme = "alabaster"
html_title = f"skattn {release}"
toc_object_entries_show_parents = "hide"  # "fit", not "AttentionTextClassifier.fit", in page TOCs
html_static_path = []
html_show_sourcelink = False
