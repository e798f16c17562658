"""Save and load fitted skattn estimators without running any code on load.

``pickle``, ``joblib`` and ``skops`` files of skattn estimators hold pickled
torch objects (skorch stores the module, criterion and optimizer that way), so
loading one can execute arbitrary code. :func:`save` writes one
`safetensors <https://huggingface.co/docs/safetensors>`_ file instead:

- the module's weights as tensors (safetensors stores raw numbers only);
- everything else as JSON in the file's metadata: the constructor parameters,
  the fitted state (vocabulary, classes, scaler statistics,
  ``token_attention_``, ...), the training history and, for the pretrained
  estimators, the tokenizer's files and the model's configuration.

Parameters that are classes or callables (``optimizer``, ``criterion``,
``module``, ``callbacks``, ``vectorizer``, ``train_split``, ...) are stored by
import path. :func:`load` accepts them only from an allowlist
(``torch.optim``, ``torch.nn``, ``skorch.callbacks``, ``skattn``, and single
names: skorch's ``Dataset``, ``ValidSplit`` and ``to_numpy``, torch's
``DataLoader``, scikit-learn's ``StandardScaler``) and raises a
``ValueError`` naming anything else; it imports those modules and calls
nothing but the allowed classes' constructors. No unpickler runs.

The optimizer's state is not stored: a loaded estimator predicts, explains
and transforms exactly as the saved one; continued training (``partial_fit``)
starts a fresh optimizer.

``safetensors`` is imported here only (it comes with ``transformers``; else
``pip install safetensors``).

>>> from skattn import io  # doctest: +SKIP
>>> io.save(clf, "clf.safetensors")  # doctest: +SKIP
>>> clf = io.load("clf.safetensors")  # doctest: +SKIP
"""

import base64
import importlib
import inspect
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

__all__ = ["save", "load", "ALLOWED_PREFIXES"]

FORMAT = "skattn.io"
VERSION = 1

#: Modules whose classes and functions a file may name (by prefix of the
#: module path), and single names allowed beside them.
ALLOWED_PREFIXES = ("skattn.", "torch.optim.", "torch.nn.", "skorch.callbacks.")
ALLOWED_NAMES = frozenset({
    "skorch.dataset:Dataset",
    "skorch.dataset:ValidSplit",
    "torch.utils.data.dataloader:DataLoader",
    "skorch.utils:to_numpy",  # the default target_extractor of skorch's scoring callbacks
    "sklearn.preprocessing._data:StandardScaler",
})

# Attributes that skorch rebuilds at initialize(), never stored.
_SKORCH_STATE = frozenset({
    "module_", "criterion_", "optimizer_", "callbacks_", "history_", "initialized_",
    "virtual_params_", "init_context_", "cuda_dependent_attributes_", "prefixes_",
})


def _import_safetensors():
    try:
        import safetensors.torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skattn.io needs the package 'safetensors': pip install safetensors"
        ) from exc
    return safetensors.torch


# -- encoding ------------------------------------------------------------------


def _import_path(obj):
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or "<" in qualname:  # lambdas and local functions have no path
        return None
    return f"{module}:{qualname}"


def _init_params(obj):
    if hasattr(obj, "get_params"):
        return obj.get_params(deep=False)
    names = [
        p.name for p in inspect.signature(type(obj).__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return {name: getattr(obj, name) for name in names if hasattr(obj, name)}


def _fitted_state(obj):
    return {
        k: v for k, v in vars(obj).items()
        if k.endswith("_") and not k.startswith("_") and k not in _SKORCH_STATE
    }


def _encode(value, where, state=True):
    """``value`` as JSON-able data; classes and objects by import path.

    Objects are stored by their constructor parameters, plus their fitted
    attributes where ``state`` (a fitted vectorizer or scaler; not a callback
    given as a parameter, which skorch initializes afresh).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]", state) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]", state) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: only dicts with str keys can be saved.")
        return {"__dict__": {k: _encode(v, f"{where}[{k!r}]", state) for k, v in value.items()}}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _encode(value.tolist(), where), "dtype": value.dtype.str
                if value.dtype != object else "object", "shape": list(value.shape)}
    if isinstance(value, pd.DataFrame):
        return {"__frame__": {
            "values": _encode(value.to_numpy(), where),
            "index": _encode(value.index.to_numpy(), where),
            "columns": _encode(value.columns.to_numpy(), where),
            "index_name": value.index.name, "columns_name": value.columns.name,
        }}
    if isinstance(value, pd.Series):
        return {"__series__": {
            "values": _encode(value.to_numpy(), where),
            "index": _encode(value.index.to_numpy(), where),
            "name": value.name, "index_name": value.index.name,
        }}
    if isinstance(value, torch.device):
        return str(value)
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
        path = _import_path(value)
        if path is None:
            raise TypeError(
                f"{where}={value!r} has no import path (a lambda or a local function) "
                "and cannot be saved; use a function defined at module level."
            )
        return {"__import__": path}
    if _is_tokenizer(value):
        return {"__tokenizer__": _tokenizer_files(value)}
    if isinstance(value, np.random.RandomState):
        raise TypeError(
            f"{where} is a RandomState instance, which cannot be saved; pass an int "
            "random_state (or None) instead."
        )
    path = _import_path(type(value))
    if path is None or type(value).__module__ == "builtins":
        raise TypeError(f"{where}: a {type(value).__name__} cannot be saved.")
    return {
        "__object__": path,
        "params": {k: _encode(v, f"{where}.{k}", False) for k, v in _init_params(value).items()},
        "state": {k: _encode(v, f"{where}.{k}") for k, v in _fitted_state(value).items()}
        if state else {},
    }


def _is_tokenizer(value):
    return any(c.__name__ == "PreTrainedTokenizerBase" for c in type(value).__mro__)


def _tokenizer_files(tokenizer):
    """The files of ``tokenizer.save_pretrained``: text as str, binary as base64."""
    files = {}
    with tempfile.TemporaryDirectory() as directory:
        tokenizer.save_pretrained(directory)
        for path in sorted(Path(directory).iterdir()):
            data = path.read_bytes()
            try:
                files[path.name] = {"text": data.decode("utf-8")}
            except UnicodeDecodeError:
                files[path.name] = {"base64": base64.b64encode(data).decode("ascii")}
    return files


# -- decoding ------------------------------------------------------------------


def _resolve(path, where):
    """The class or function at an allowed import path ``module:qualname``."""
    module, _, qualname = str(path).partition(":")
    allowed = path in ALLOWED_NAMES or any(
        (module + ".").startswith(prefix) for prefix in ALLOWED_PREFIXES
    )
    if not allowed or not qualname:
        raise ValueError(
            f"{where} names {path!r}, which skattn.io does not load: only classes and "
            f"functions of {', '.join(p.rstrip('.') for p in ALLOWED_PREFIXES)} and "
            f"{', '.join(sorted(ALLOWED_NAMES))} are allowed."
        )
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _decode(data, where):
    if isinstance(data, list):
        return [_decode(v, where) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tuple__" in data:
        return tuple(_decode(v, where) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in data["__dict__"].items()}
    if "__ndarray__" in data:
        values = _decode(data["__ndarray__"], where)
        if data["dtype"] == "object":
            out = np.empty(len(values), dtype=object) if data["shape"] and len(
                data["shape"]) == 1 else None
            if out is not None:
                out[:] = values
                return out
            return np.asarray(values, dtype=object).reshape(data["shape"])
        return np.asarray(values, dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if "__series__" in data:
        s = data["__series__"]
        return pd.Series(
            _decode(s["values"], where),
            index=pd.Index(_decode(s["index"], where), name=s["index_name"]),
            name=s["name"],
        )
    if "__frame__" in data:
        f = data["__frame__"]
        return pd.DataFrame(
            _decode(f["values"], where),
            index=pd.Index(_decode(f["index"], where), name=f["index_name"]),
            columns=pd.Index(_decode(f["columns"], where), name=f["columns_name"]),
        )
    if "__import__" in data:
        return _resolve(data["__import__"], where)
    if "__tokenizer__" in data:
        return _load_tokenizer_files(data["__tokenizer__"])
    if "__object__" in data:
        cls = _resolve(data["__object__"], where)
        if not inspect.isclass(cls):
            raise ValueError(f"{where}: {data['__object__']!r} is not a class.")
        obj = cls(**{k: _decode(v, f"{where}.{k}") for k, v in data["params"].items()})
        for k, v in data["state"].items():
            setattr(obj, k, _decode(v, f"{where}.{k}"))
        return obj
    raise ValueError(f"{where}: unrecognised entry {sorted(data)[:3]} in the file.")


def _load_tokenizer_files(files):
    from .nn.pretrained import import_transformers

    transformers = import_transformers()
    with tempfile.TemporaryDirectory() as directory:
        for name, content in files.items():
            if os.path.basename(name) != name:
                raise ValueError(f"Tokenizer file name {name!r} is not a plain file name.")
            target = Path(directory) / name
            if "text" in content:
                target.write_text(content["text"], encoding="utf-8")
            else:
                target.write_bytes(base64.b64decode(content["base64"]))
        # Local files only, and no trust_remote_code: a tokenizer config cannot
        # make transformers import code.
        return transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True)


# -- save / load ---------------------------------------------------------------


def save(estimator, path):
    """Write a fitted skattn estimator to ``path`` in a format that runs no code on load.

    Parameters
    ----------
    estimator : fitted skattn estimator
    path : str or os.PathLike
        The file to write (conventionally ``*.safetensors``).

    Returns
    -------
    path : str

    Raises
    ------
    TypeError
        A parameter cannot be stored safely (a lambda, a local function, a
        ``RandomState`` instance), or ``estimator`` is not a skattn estimator.
    OSError
        The file could not be written (e.g. a full disk).
    """
    from ._net import AttentionNet

    if not isinstance(estimator, AttentionNet):
        raise TypeError(
            f"skattn.io.save stores skattn estimators, got {type(estimator).__name__}."
        )
    estimator.check_is_fitted()
    # The accelerator belongs to the processes that trained, not to the model:
    # a loaded estimator has accelerator=None.
    params = {
        k: (None if k == "accelerator" else v)
        for k, v in estimator.get_params(deep=False).items() if not k.startswith("_")
    }
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "class": _import_path(type(estimator)),
        "params": {k: _encode(v, k, state=False) for k, v in params.items()},
        "fitted": {k: _encode(v, k) for k, v in _fitted_state(estimator).items()},
        "history": _encode(estimator.history_.to_list(), "history_"),
    }
    transformer = getattr(estimator.module_, "transformer", None)
    if transformer is not None:  # a pretrained model: its architecture, to rebuild it
        meta["transformer_config"] = transformer.config.to_dict()
    tensors = {
        name: tensor.detach().to("cpu").contiguous()
        for name, tensor in estimator.module_.state_dict().items()
    }
    st = _import_safetensors()
    path = os.fspath(path)
    st.save_file(tensors, path, metadata={"skattn": json.dumps(meta)})
    return path


def load(path):
    """Read an estimator written by :func:`save`; no pickled object is read.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    estimator : fitted skattn estimator
        Predicts, transforms and explains as the saved one did. A file saved
        with ``device="cuda"`` loads onto the CPU where CUDA is not available
        (with a warning).

    Raises
    ------
    ValueError
        The file is not a skattn.io file, or names a class or function outside
        the allowlist (see the module docstring).
    """
    from safetensors import safe_open

    from ._net import AttentionNet
    from ._skorch import seeded

    path = os.fspath(path)
    with safe_open(path, framework="pt", device="cpu") as f:
        raw = (f.metadata() or {}).get("skattn")
        if raw is None:
            raise ValueError(f"{path} is not a file written by skattn.io.save.")
        meta = json.loads(raw)
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(
                f"{path}: unsupported format {meta.get('format')!r} version "
                f"{meta.get('version')!r} (this skattn reads {FORMAT!r} version {VERSION})."
            )
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    cls = _resolve(meta["class"], "the estimator class")
    if not (inspect.isclass(cls) and issubclass(cls, AttentionNet)):
        raise ValueError(f"{meta['class']!r} is not a skattn estimator.")
    params = {k: _decode(v, k) for k, v in meta["params"].items()}
    device = str(params.get("device", "cpu"))
    if device.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"{path} was saved with device={device!r}; CUDA is not available here, so "
            "the estimator is loaded with device='cpu'.",
            UserWarning,
            stacklevel=2,
        )
        params["device"] = "cpu"
    estimator = cls(**params)
    for name, value in meta["fitted"].items():
        setattr(estimator, name, _decode(value, name))
    config = meta.get("transformer_config")
    # Build the module (random weights, replaced below) without touching the
    # caller's RNG; a pretrained model is built from its stored configuration.
    with seeded(0, estimator.device), estimator._restoring(transformer_config=config):
        estimator.initialize()
    missing, unexpected = estimator.module_.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{path}: the stored weights do not fit {cls.__name__}'s module (missing "
            f"{sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})."
        )
    from skorch.history import History

    history = History()
    history.extend(_decode(meta["history"], "history_"))
    estimator.history_ = history
    return estimator
