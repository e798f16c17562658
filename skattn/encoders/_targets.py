"""Supervised targets of the encoders: classification or regression, inferred from y."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array

from .._base import _check_target_1d, _encode

TASKS = ("auto", "classification", "regression")


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


def encode_target(y, n_samples, task):
    """Validate and encode ``y`` for ``task``.

    Returns
    -------
    encoded : ndarray
        int64 class indices (classification) or float32 (n_samples, n_outputs).
    classes : ndarray or None
        The labels, for classification.
    n_outputs : int
    """
    if task == "classification":
        y = _check_target_1d(y, n_samples)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"Classification needs samples of at least 2 classes, but y holds only "
                f"one class: {classes[0]!r}."
            )
        return _encode(y, classes, "y"), classes, len(classes)
    y = check_array(y, ensure_2d=False, dtype=np.float32, input_name="y", ensure_all_finite=True)
    if y.ndim > 2:
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
        )
    y2 = y.reshape(len(y), -1)
    return y2, None, y2.shape[1]
