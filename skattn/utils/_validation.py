"""Input validation shared by skattn estimators (no torch here)."""

import numbers

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["check_texts", "check_ordered"]


def _positions(mask, limit=5):
    idx = np.flatnonzero(mask)
    shown = ", ".join(map(str, idx[:limit]))
    return f"[{shown}{', ...' if len(idx) > limit else ''}]"


def check_ordered(X, name="X"):
    """Reject unordered containers: a ``set`` has no sample order (predictions
    would come back in arbitrary order) and a ``dict`` is not a sequence of
    samples."""
    if sparse.issparse(X):  # scipy's dok format is a dict; sparse input has order
        return
    if isinstance(X, (set, frozenset, dict)) or type(X).__name__ in ("dict_keys", "dict_values"):
        raise TypeError(
            f"{name} must be an ordered sequence of samples (list, tuple, numpy array, "
            f"pandas Series/DataFrame), got a {type(X).__name__}, whose order is not "
            "that of any samples."
        )


def check_texts(X, *, name="X", allow_empty=True, min_samples=1):
    """Validate a 1-D collection of documents and return it as a list of str.

    Accepts a list or tuple of str, a 1-D numpy array, a pandas Series, or a
    single text column in 2-D form (an (n, 1) array or one-column DataFrame, as
    a ColumnTransformer passes it on).

    Parameters
    ----------
    X : sequence of str
    name : str, default="X"
        Name used in error messages.
    allow_empty : bool, default=True
        Whether empty or whitespace-only documents are accepted.
    min_samples : int, default=1

    Returns
    -------
    texts : list of str

    Raises
    ------
    TypeError
        ``X`` is a single string, an unordered container (set, dict), not a
        sequence, or holds non-str items.
    ValueError
        ``X`` has several columns, holds None/NaN, too few documents, or empty documents
        where they are not allowed.
    """
    check_ordered(X, name)
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of documents, got a single {type(X).__name__}; "
            f"wrap it in a list: [{name}]."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"{name} must hold one document per sample, got a DataFrame with "
                f"{X.shape[1]} columns; select the text column, e.g. df['text'], or in a "
                "ColumnTransformer pass the estimator only that column."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        values = X.to_numpy(dtype=object)
    elif isinstance(X, np.ndarray):
        values = X
    elif hasattr(X, "__len__") and hasattr(X, "__getitem__"):
        values = np.empty(len(X), dtype=object)
        values[:] = list(X)
    elif hasattr(X, "__iter__"):
        items = list(X)
        values = np.empty(len(items), dtype=object)
        values[:] = items
    else:
        raise TypeError(
            f"{name} must be a list, numpy array or pandas Series of str, got "
            f"{type(X).__name__}."
        )
    if values.ndim == 2 and values.shape[1] == 1:
        # One text column, as a ColumnTransformer hands it over.
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{name} must hold one document per sample (1-D, or 2-D with a single "
            f"column), got an array of shape {values.shape}."
        )
    if len(values) < min_samples:
        raise ValueError(
            f"{name} has {len(values)} document(s); at least {min_samples} required."
        )
    texts = values.tolist()
    missing = np.fromiter(
        (t is None or (isinstance(t, numbers.Real) and t != t) or t is pd.NA for t in texts),
        dtype=bool,
        count=len(texts),
    )
    if missing.any():
        raise ValueError(
            f"{name} contains {missing.sum()} missing document(s) (None/NaN) at positions "
            f"{_positions(missing)}; drop or fill them (e.g. with '') first."
        )
    not_str = np.fromiter((not isinstance(t, str) for t in texts), dtype=bool, count=len(texts))
    if not_str.any():
        bad = texts[int(np.flatnonzero(not_str)[0])]
        raise TypeError(
            f"{name} must contain only str documents; found {not_str.sum()} item(s) of other "
            f"types (first: {type(bad).__name__} {bad!r:.40}) at positions {_positions(not_str)}."
            + (" Decode bytes first, e.g. b.decode('utf-8')." if isinstance(bad, bytes) else "")
        )
    if not allow_empty:
        empty = np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))
        if empty.any():
            raise ValueError(
                f"{name} contains {empty.sum()} empty document(s) at positions "
                f"{_positions(empty)}; training documents must contain text."
            )
    return texts
