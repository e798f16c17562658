"""Feature attention classifier and regressor for numeric tables."""

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import TRAINING_PARAMS_DOC, AttentionNetMixin, ClassifierNetMixin, RegressorNetMixin
from ..nn.tabular import FeatureAttentionModule

__all__ = ["FeatureAttentionClassifier", "FeatureAttentionRegressor"]

_CONSTRAINTS = {
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "num_layers": [Interval(Integral, 0, None, closed="left")],
    "num_heads": [Interval(Integral, 1, None, closed="left")],
    "attention": [StrOptions({"additive", "dot", "general", "scaled_dot"})],
    "standardize": ["boolean"],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
}

_PARAMS_DOC = """
    Parameters
    ----------
    embedding_dim : int, default=32
        Width of the feature tokens and of the pooled vector.
    num_layers : int, default=0
        Transformer blocks (multi-head self-attention over the feature tokens)
        before the pooling. With 0 the pooling query scores each feature token
        on its own, so a feature's weight depends on its own value only and a
        feature with little weight has little say in the prediction. Blocks add
        capacity (feature interactions before pooling) but let every feature
        steer where the query looks, which makes the weights a looser account
        of what the prediction depends on.
    num_heads : int, default=2
        Heads of the self-attention (must divide ``embedding_dim``).
    attention : {"additive", "dot", "general", "scaled_dot"}, default="scaled_dot"
        Scoring function of the pooling query.
    standardize : bool, default=True
        Center and scale each feature (a :class:`~sklearn.preprocessing.StandardScaler`
        fitted in ``fit``, stored as ``scaler_``) before it is embedded. Set it
        to False when the input is already standardized, e.g. by a scaler in
        front of the estimator in a pipeline.
    max_epochs : int, default=50
    lr : float, default=0.005
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.Adam
        Its arguments go through ``optimizer__*`` (e.g. ``optimizer__weight_decay``).
""" + TRAINING_PARAMS_DOC + """    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``module__hidden_dim``, ``module__ff_dim``, ``module__pool_values``
        (see :class:`skattn.nn.FeatureAttentionModule`), ``optimizer__*``,
        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.
"""

_ATTRIBUTES_DOC = """
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Column names, where ``X`` was a DataFrame with string column names.
    feature_importances_ : ndarray of shape (n_features,)
        Mean pooling attention each feature receives over the training rows
        (non-negative, sums to 1). Read by
        :class:`~sklearn.feature_selection.SelectFromModel` and other tools.
    scaler_ : StandardScaler or None
        The fitted scaler (None with ``standardize=False``).
    module_ : torch.nn.Module
        The trained :class:`skattn.nn.FeatureAttentionModule`.
    history_ : skorch.History
        Per-epoch training record (``train_loss``, ``dur``, ...).

    Notes
    -----
    Each feature ``j`` becomes a token ``x_j W_j + b_j``; optional Transformer
    blocks contextualize the tokens, and a learned query attends over them.
    The contextual states only decide *where* the query looks: what is pooled
    (and all the output head reads) is the weighted average of the feature
    tokens themselves (``module__pool_values="embeddings"``). A feature with a
    small pooling weight therefore contributes little to the pooled vector,
    though it may still shape, through the self-attention, where the query
    looks.
"""


def _check_numeric_columns(X):
    """Name the non-numeric columns of a DataFrame (validate_data would only
    report the first bad value)."""
    if isinstance(X, pd.DataFrame):
        bad = [
            str(col)
            for col, dtype in X.dtypes.items()
            if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
        ]
        if bad:
            raise ValueError(
                f"All columns must be numeric; non-numeric column(s): {bad[:10]}. Encode "
                "them first (e.g. OneHotEncoder or OrdinalEncoder in a ColumnTransformer)."
            )
    elif isinstance(X, np.ndarray) and X.dtype.kind in "USM":
        raise ValueError(
            f"X must hold numbers, got an array of dtype {X.dtype}. Encode "
            "categorical or text columns first."
        )


class _FeatureAttentionMixin(AttentionNetMixin):
    """Numeric table handling shared by the classifier and the regressor."""

    def _module_params(self):
        return dict(
            n_features=self.n_features_in_,
            n_outputs=self.n_outputs_,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            attention=self.attention,
        )

    def _validate_X(self, X, reset):
        _check_numeric_columns(X)
        X = validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], ensure_min_samples=2 if reset else 1
        )
        return X

    def _scale(self, X):
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        with np.errstate(over="ignore"):  # reported below
            X = X.astype(np.float32)
        if not np.isfinite(X).all():
            raise ValueError(
                "X holds values too large for float32 after scaling; rescale the features."
            )
        return X

    def _transform_input(self, X):
        check_is_fitted(self, "scaler_")
        return self._scale(self._validate_X(X, reset=False))

    def _check_params(self):
        self._check_constraints(_CONSTRAINTS)
        if self.num_layers and self.embedding_dim % self.num_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be divisible by "
                f"num_heads={self.num_heads} when num_layers > 0."
            )

    def fit(self, X, y):
        """Fit the scaler and train the feature attention model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric features; NaN/inf and non-numeric columns are rejected.
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for the regressor)

        Returns
        -------
        self
        """
        self._check_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        warm = self.warm_start and self.initialized_ and hasattr(self, "scaler_")
        X = self._validate_X(X, reset=not warm)
        target = self._encode_target(y, len(X))
        if not warm:
            self.scaler_ = StandardScaler().fit(X) if self.standardize else None
        Xs = self._scale(X)
        self._train(Xs, target)
        self._record_attention(Xs)
        return self

    _input_state = "scaler_"  # fitted at the first fit, kept by partial_fit

    def _record_attention(self, Xs):
        self.feature_importances_ = self._importances(Xs)

    def _pooling_weights(self, Xs):
        """(n_samples, n_features) pooling weights of scaled rows ``Xs``."""
        parts = [w["pooling"].cpu().numpy() for _, _, w in self._attention(Xs)]
        if not parts:
            return np.zeros((0, self.n_features_in_), dtype=np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _importances(self, Xs):
        mean = self._pooling_weights(Xs).astype(np.float64).mean(axis=0)
        return mean / mean.sum()

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    def explain(self, X, *, as_frame=False):
        """Attention weights over the features of each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        as_frame : bool, default=False
            Return a DataFrame whose columns are the feature names
            (``feature_names_in_``, or ``x0``, ``x1``, ... without names) and
            whose index is that of ``X`` where ``X`` is a DataFrame.

        Returns
        -------
        weights : ndarray or DataFrame of shape (n_samples, n_features)
            The pooling weight of every feature in every row; each row sums to 1.
        """
        Xs = self._transform_input(X)
        weights = self._pooling_weights(Xs)
        if not as_frame:
            return weights
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            weights, columns=pd.Index(self._feature_names(), name="feature"), index=index
        )


class FeatureAttentionClassifier(ClassifierNetMixin, _FeatureAttentionMixin, NeuralNetClassifier):
    __doc__ = (
        """Classifier for numeric tables that attends over its features.

    Every feature becomes a token, a learned query attends over the tokens, and
    the attention says which features each prediction reads: per row with
    :meth:`explain`, averaged over the training set in ``feature_importances_``
    (so :class:`~sklearn.feature_selection.SelectFromModel` works). Takes numpy
    arrays or DataFrames; labels may be of any type (strings too).
"""
        + _PARAMS_DOC
        + """    classes : array-like, default=None
        The labels, if they should not be inferred from ``y``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
"""
        + _ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from skattn.tabular import FeatureAttentionClassifier
    >>> X, y = load_wine(return_X_y=True, as_frame=True)
    >>> clf = FeatureAttentionClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.feature_importances_.shape
    (13,)
    >>> clf.explain(X.head(2), as_frame=True).shape
    (2, 13)
    """
    )

    def __init__(
        self,
        *,
        embedding_dim=32,
        num_layers=0,
        num_heads=2,
        attention="scaled_dot",
        standardize=True,
        max_epochs=50,
        lr=0.005,
        batch_size=64,
        optimizer=torch.optim.Adam,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        classes=None,
        **kwargs,
    ):
        self._init_net(
            locals(), module=FeatureAttentionModule, criterion=torch.nn.CrossEntropyLoss
        )

    def _encode_target(self, y, n_samples):
        if y is not None and not isinstance(y, pd.DataFrame) and np.asarray(y).ndim == 2 \
                and np.asarray(y).shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is "
                "flattened with ravel().",
                DataConversionWarning,
                stacklevel=3,
            )
        return super()._encode_target(y, n_samples)


class FeatureAttentionRegressor(RegressorNetMixin, _FeatureAttentionMixin, NeuralNetRegressor):
    __doc__ = (
        """Regressor for numeric tables that attends over its features.

    Same model as :class:`FeatureAttentionClassifier` with a mean squared error
    loss; ``y`` may be 1-D or 2-D (several targets, one shared attention).
    Targets are not rescaled: scale large targets first (e.g. with
    :class:`~sklearn.compose.TransformedTargetRegressor`).
"""
        + _PARAMS_DOC
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
"""
        + _ATTRIBUTES_DOC
    )

    def __init__(
        self,
        *,
        embedding_dim=32,
        num_layers=0,
        num_heads=2,
        attention="scaled_dot",
        standardize=True,
        max_epochs=50,
        lr=0.005,
        batch_size=64,
        optimizer=torch.optim.Adam,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self._init_net(locals(), module=FeatureAttentionModule, criterion=torch.nn.MSELoss)
