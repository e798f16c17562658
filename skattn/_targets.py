"""Targets of the supervised estimators: validation, encoding and decoding.

Every skattn estimator that learns from ``y`` goes through this module: class
labels (any hashable labels, strings too) become int64 indices into
``classes_``; regression targets become float32 columns. No torch here.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .utils._validation import check_ordered

__all__ = [
    "SUPERVISED_TASKS",
    "TASKS",
    "EncodedTarget",
    "check_labels",
    "decode_outputs",
    "encode_labels",
    "encode_target",
    "infer_task",
    "is_multilabel",
]

TASKS = ("classification", "regression")
#: Every task an estimator may be fitted for: TASKS, and multi-label
#: classification (a 2-D 0/1 indicator y, as MultiLabelBinarizer gives).
SUPERVISED_TASKS = TASKS + ("multilabel",)


def is_multilabel(y):
    """Whether ``y`` is a 2-D 0/1 indicator matrix of labels."""
    try:
        return np.ndim(y) == 2 and type_of_target(y) == "multilabel-indicator"
    except (TypeError, ValueError):
        return False


class EncodedTarget(NamedTuple):
    """A validated, encoded target and what was learned of it.

    Attributes
    ----------
    values : ndarray
        int64 class indices of shape (n_samples,) (classification) or float32
        targets of shape (n_samples, n_outputs) (regression).
    classes : ndarray or None
        The labels, for classification.
    n_outputs : int
        Output width of the module: number of classes or of targets.
    ndim : int
        Dimensions of ``y`` as given (1 or 2), for decoding predictions.
    """

    values: np.ndarray
    classes: object
    n_outputs: int
    ndim: int


def _check_n_samples(y, n_samples):
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
        )


def check_labels(y, n_samples):
    """Validate 1-D class labels (one per sample, none missing) as an ndarray."""
    if y is None:
        raise ValueError("y is required, got None.")
    check_ordered(y, "y")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y must be 1-D, got a DataFrame with {y.shape[1]} columns.")
        y = y.iloc[:, 0]
    raw = y.to_numpy() if isinstance(y, pd.Series) else y
    y = np.asarray(raw)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}.")
    _check_n_samples(y, n_samples)
    # Missing values are looked for before numpy's conversion: ["a", nan]
    # becomes the strings ["a", "nan"], a class that is no label at all.
    missing = pd.isna(np.asarray(raw, dtype=object).ravel())
    if missing.any():
        raise ValueError(
            f"y contains {int(missing.sum())} missing label(s) (None/NaN) at positions "
            f"{np.flatnonzero(missing)[:5].tolist()}."
        )
    y = column_or_1d(y)
    check_classification_targets(y)
    return y


def encode_labels(y, classes, name="y"):
    """Map labels to their int64 index in ``classes``; unseen labels raise ValueError."""
    classes = np.asarray(classes)
    lookup = {label: i for i, label in enumerate(classes.tolist())}
    try:
        return np.fromiter((lookup[v] for v in y.tolist()), dtype=np.int64, count=len(y))
    except KeyError as exc:
        unseen = sorted({v for v in y.tolist() if v not in lookup}, key=str)
        raise ValueError(
            f"{name} contains labels not in classes {classes.tolist()}: {unseen[:5]}"
        ) from exc
    except TypeError as exc:  # unhashable labels
        raise TypeError(f"{name} labels must be hashable scalars: {exc}") from exc


def _check_values(y, n_samples):
    """Validate float regression targets: (n_samples,) or (n_samples, n_outputs)."""
    y = check_array(y, ensure_2d=False, dtype=np.float32, input_name="y", ensure_all_finite=True)
    if y.ndim > 2:
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
    _check_n_samples(y, n_samples)
    return y


def infer_task(y, task="auto"):
    """``"classification"`` or ``"regression"`` for targets ``y`` (``task`` wins unless "auto").

    Float targets mean regression; integer, bool and string labels mean
    classification.
    """
    if task != "auto":
        return task
    if np.asarray(y).dtype.kind == "f":  # floats, even whole numbers, are measurements
        return "regression"
    kind = type_of_target(y, input_name="y")
    if kind in ("binary", "multiclass"):
        return "classification"
    if kind in ("continuous", "continuous-multioutput"):
        return "regression"
    raise ValueError(
        f"Cannot infer the task from y of type {kind!r}: pass 1-D class labels "
        "(classification) or float targets (regression), or set task explicitly."
    )


def encode_target(y, n_samples, task, *, classes=None, owner="Classification"):
    """Validate and encode ``y`` for ``task``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    n_samples : int
        Number of samples of ``X``.
    task : {"classification", "regression"}
    classes : array-like, default=None
        Classification only: the full label set (continued training passes
        the labels of the first fit, so that indices stay put); inferred from
        ``y`` when None.
    owner : str, default="Classification"
        Who needs the classes, for the error message.

    Returns
    -------
    EncodedTarget
    """
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    if task == "multilabel":
        y = check_array(y, dtype=None, input_name="y")
        _check_n_samples(y, n_samples)
        if not is_multilabel(y) or y.shape[1] < 1:
            raise ValueError("Multi-label y must be a 2-D indicator matrix of 0s and 1s.")
        labels = np.arange(y.shape[1]) if classes is None else np.asarray(classes)
        if len(labels) != y.shape[1]:
            raise ValueError(f"y has {y.shape[1]} label columns; the model has {len(labels)}.")
        return EncodedTarget(y.astype(np.float32), labels, y.shape[1], 2)
    if task == "classification":
        y = check_labels(y, n_samples)
        if classes is not None:
            classes = np.asarray(classes)
            if len(classes) < 2:
                raise ValueError(f"classes must hold at least 2 labels, got {classes!r}.")
        else:
            classes = np.unique(y)
            if len(classes) < 2:
                raise ValueError(
                    f"{owner} needs samples of at least 2 classes, but y holds only one "
                    f"class: {classes[0]!r}."
                )
        return EncodedTarget(encode_labels(y, classes), classes, len(classes), 1)
    y = _check_values(y, n_samples)
    y2 = y.reshape(len(y), -1)
    return EncodedTarget(y2, None, y2.shape[1], y.ndim)


def decode_outputs(outputs, task, classes=None, ndim=1):
    """Module outputs (n_samples, n_outputs) -> predictions as ``y`` was given:
    labels of ``classes`` (classification, from probabilities or logits), a
    0/1 indicator matrix (multi-label, from probabilities) or float64
    targets, 1-D where ``y`` was 1-D."""
    if task == "classification":
        return np.asarray(classes)[np.asarray(outputs).argmax(axis=1)]
    if task == "multilabel":  # from probabilities
        return (np.asarray(outputs) >= 0.5).astype(np.int64)
    values = np.asarray(outputs, dtype=np.float64)
    return values.ravel() if ndim == 1 else values
