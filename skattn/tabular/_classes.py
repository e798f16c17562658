"""Feature attention classifier and regressor for numeric tables."""

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import Interval, StrOptions
from .._docstrings import fill_doc
from .._net import AttentionNet
from ..nn.attention import SCORES
from ..nn.tabular import FeatureAttentionModule
from ..utils._validation import check_ordered

__all__ = ["FeatureAttentionClassifier", "FeatureAttentionRegressor", "FeatureAttentionNet"]


def _check_numeric_columns(X):
    """Name the non-numeric columns of a DataFrame (validate_data would only
    report the first bad value); reject unordered containers."""
    check_ordered(X)
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


class FeatureAttentionNet(AttentionNet):
    """Numeric tables -> feature tokens -> attention pooling.

    The base of the tabular classifier and regressor: its hooks
    (:class:`~skattn._net.AttentionNet`) validate numeric tables with
    scikit-learn's ``validate_data`` and fit a ``StandardScaler``
    (``standardize``); ``feature_importances_`` is the mean pooling attention.
    """

    _parameter_constraints = {
        **AttentionNet._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 0, None, closed="left")],
        "num_heads": [Interval(Integral, 1, None, closed="left")],
        "attention": [StrOptions(set(SCORES))],
        "standardize": ["boolean"],
    }

    def _check_params(self):
        if self.num_layers and self.embedding_dim % self.num_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be divisible by "
                f"num_heads={self.num_heads} when num_layers > 0."
            )

    def _validate_input(self, X, *, training=False, reset=False):
        _check_numeric_columns(X)
        return validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
        )

    def _fit_input(self, X, y):
        self.scaler_ = StandardScaler().fit(X) if self.standardize else None

    def _input_fitted(self):
        return hasattr(self, "scaler_")

    def _encode_input(self, X):
        check_is_fitted(self, "scaler_")
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        with np.errstate(over="ignore"):  # reported below
            X = X.astype(np.float32)
        if not np.isfinite(X).all():
            raise ValueError(
                "X holds values too large for float32 after scaling; rescale the features."
            )
        return X

    def _module_params(self):
        return dict(
            n_features=self.n_features_in_,
            n_outputs=self.n_outputs_,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            attention=self.attention,
        )

    def _after_fit(self, X, y, inputs):
        mean = self._pooling_weights(X).astype(np.float64).mean(axis=0)
        self.feature_importances_ = mean / mean.sum()

    def _pooling_weights(self, Xs):
        """(n_samples, n_features) pooling weights of scaled rows ``Xs``."""
        return self._fill_batches(
            Xs,
            lambda Xi: self.module_.forward_with_weights(Xi)[1]["pooling"].float().cpu().numpy(),
            np.zeros((len(Xs), self.n_features_in_), dtype=np.float32),
        )

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    def explain(self, X, *, method=None, as_frame=False):
        """Attention weights (or exact contributions) of the features of each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        method : {"attention", "contribution"} or None, default=None
            None: ``"contribution"`` where it applies (a linear head,
            ``module__hidden_dim=0``), else ``"attention"`` (the default
            head has a hidden layer).
            ``"attention"``: the pooling weights (each row sums to 1).
            ``"contribution"``: each feature's exact, signed share of the
            explained score, ``a_j (w_c . t_j)`` for feature token ``t_j``:
            a row's contributions plus ``intercept_`` equal the predicted
            class's score (``decision_function``, negated for ``classes_[0]``
            with two classes) or the prediction (regression, summed over
            targets). Needs a linear head, ``module__hidden_dim=0``; a
            ``ValueError`` otherwise.
        as_frame : bool, default=False
            Return a DataFrame whose columns are the feature names
            (``feature_names_in_``, or ``x0``, ``x1``, ... without names) and
            whose index is that of ``X`` where ``X`` is a DataFrame.

        Returns
        -------
        weights : ndarray or DataFrame of shape (n_samples, n_features)
            The score of every feature in every row.
        """
        self.check_is_fitted()
        if method is None:
            linear = isinstance(getattr(self.module_, "head", None), torch.nn.Linear)
            method = "contribution" if linear and self.module_.pool_values == "embeddings" else "attention"
        if method not in ("attention", "contribution"):
            raise ValueError(f"method must be 'attention' or 'contribution', got {method!r}.")
        Xs = self._net_input(X)
        if method == "attention":
            weights = self._pooling_weights(Xs)
        else:
            def fn(Xi):
                outputs, contributions, _ = self.module_.forward_with_contributions(Xi)
                m = self._explained_score_weights(outputs)
                return (contributions * m[:, None, :]).sum(-1).float().cpu().numpy()

            weights = self._fill_batches(
                Xs, fn, np.zeros((len(Xs), self.n_features_in_), dtype=np.float32)
            )
        if not as_frame:
            return weights
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            weights, columns=pd.Index(self._feature_names(), name="feature"), index=index
        )


@fill_doc
class FeatureAttentionClassifier(ClassifierMixin, FeatureAttentionNet):
    """Classifier for numeric tables that attends over its features.

    Every feature becomes a token, a learned query attends over the tokens, and
    the attention says which features each prediction reads: per row with
    :meth:`explain`, averaged over the training set in ``feature_importances_``
    (so :class:`~sklearn.feature_selection.SelectFromModel` works). Takes numpy
    arrays or DataFrames; labels may be of any type (strings too).

    Parameters
    ----------
    %(tabular_params)s
    %(training_params)s
    %(class_weight_param)s
    classes : array-like, default=None
        The labels, if they should not be inferred from ``y``.
    %(tabular_kwargs)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    %(tabular_attributes)s

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

    _task = "classification"

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
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        callbacks=None,
        random_state=None,
        device="cpu",
        accelerator=None,
        verbose=0,
        class_weight=None,
        classes=None,
        **kwargs,
    ):
        self._init_net(
            locals(), module=FeatureAttentionModule, criterion=torch.nn.CrossEntropyLoss
        )

    def _encode_target(self, y, n_samples, *, continuing):
        if y is not None and not isinstance(y, pd.DataFrame) and np.asarray(y).ndim == 2 \
                and np.asarray(y).shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is "
                "flattened with ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
        return super()._encode_target(y, n_samples, continuing=continuing)


@fill_doc
class FeatureAttentionRegressor(RegressorMixin, FeatureAttentionNet):
    """Regressor for numeric tables that attends over its features.

    Same model as :class:`FeatureAttentionClassifier` with a mean squared error
    loss; ``y`` may be 1-D or 2-D (several targets, one shared attention).
    Targets are standardized for training and predictions mapped back
    (``standardize_target``).

    Parameters
    ----------
    %(tabular_params)s
    %(training_params)s
    %(standardize_target)s
    %(tabular_kwargs)s

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    %(target_attributes)s
    %(tabular_attributes)s
    """

    _task = "regression"

    _parameter_constraints = {
        **FeatureAttentionNet._parameter_constraints,
        "standardize_target": ["boolean"],
    }

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
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        callbacks=None,
        random_state=None,
        device="cpu",
        accelerator=None,
        verbose=0,
        standardize_target=True,
        **kwargs,
    ):
        self._init_net(locals(), module=FeatureAttentionModule, criterion=torch.nn.MSELoss)
