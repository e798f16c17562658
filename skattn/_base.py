"""Shared parts of the skorch-based estimators.

Every estimator here is a skorch net (one training loop: skorch's) that
validates and encodes sklearn-style input before handing arrays to skorch, fills
data-dependent sizes into the module in :meth:`initialize_module`, seeds torch
from ``random_state`` around training, and computes attention weights only on
request, batch by batch under ``no_grad``.
"""

from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.utils import is_dataset, to_numpy, to_tensor
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from ._skorch import batch_loader, seeded
from .callbacks import StopOnNonFiniteLoss

__all__ = ["AttentionNetMixin", "ClassifierNetMixin", "RegressorNetMixin"]

# Fused Adam runs on the CPU from torch 2.4 on.
_FUSED_ADAM = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)

# Parameters that every estimator's __init__ names explicitly and hands to skorch.
_SKORCH_PARAMS = (
    "optimizer", "lr", "max_epochs", "batch_size", "train_split", "callbacks", "device",
    "verbose", "classes",
)

# The Parameters section of these arguments, shared by the estimators' docstrings.
TRAINING_PARAMS_DOC = """    train_split : callable or None, default=None
        skorch's internal validation split, e.g. ``skorch.dataset.ValidSplit(0.1)``
        (then ``valid_loss`` is recorded, for early stopping or checkpoints).
        None trains on all of ``X``.
    callbacks : list of skorch callbacks, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and dropout during ``fit``
        (torch's global RNG is restored afterwards). An int makes fits
        reproducible.
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``.
    verbose : int, default=0
        1 prints skorch's per-epoch table.
"""


def _encoded_accuracy(net, X, y):
    """Validation accuracy on integer-encoded targets (for skorch's EpochScoring)."""
    return float(np.mean(net.predict_proba(X).argmax(axis=1) == to_numpy(y)))


class AttentionNetMixin:
    """Training and attention plumbing common to skattn's skorch nets.

    Subclasses define ``_module_params()`` (the data-dependent and top-level
    arguments of the module) and ``_transform_input(X)`` (validated input ->
    array that the module consumes).
    """

    def _init_net(self, params, /, **defaults):
        """The body of every estimator's ``__init__``: ``self._init_net(locals(), ...)``.

        Stores each estimator-level argument of ``params`` (the ``__init__``
        locals) as an attribute of the same name, and hands skorch's arguments
        plus ``**kwargs`` to skorch's ``__init__``, with ``defaults`` (e.g.
        ``module``, ``criterion``, ``dataset``) and batched loading filled in
        where ``kwargs`` does not set them.
        """
        params = {k: v for k, v in params.items() if k not in ("self", "__class__")}
        kwargs = params.pop("kwargs")
        net_params = {k: params.pop(k) for k in _SKORCH_PARAMS if k in params}
        for name, value in params.items():
            setattr(self, name, value)
        defaults = dict(
            iterator_train=batch_loader,
            iterator_valid=batch_loader,
            iterator_train__shuffle=True,
            **defaults,
        )
        super().__init__(**net_params, **{**defaults, **kwargs})

    def _check_constraints(self, constraints):
        """Check parameters against sklearn-style ``constraints``
        (``InvalidParameterError``, a ValueError, names the parameter)."""
        validate_parameter_constraints(
            constraints,
            {k: getattr(self, k) for k in constraints},
            caller_name=type(self).__name__,
        )

    def initialize_module(self):
        """Build the module with data-dependent sizes filled in at fit.

        ``module__*`` parameters override the estimator-level ones.
        """
        if not hasattr(self, "n_outputs_"):
            raise RuntimeError(
                f"{type(self).__name__} builds its module from the data: call fit(X, y) "
                "rather than initialize()."
            )
        params = self._module_params()
        params.update(self.get_params_for("module"))
        self.module_ = self.initialized_instance(self.module, params)
        return self

    @property
    def _default_callbacks(self):
        return list(super()._default_callbacks) + [
            ("stop_on_nonfinite_loss", StopOnNonFiniteLoss())
        ]

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch hook: use the fused Adam/AdamW kernels where torch has them,
        unless ``optimizer__fused`` says otherwise (several times faster on CPU
        for embedding tables)."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if (
            prefix == "optimizer"
            and self.optimizer in (torch.optim.Adam, torch.optim.AdamW)
            and "fused" not in kwargs
            and _FUSED_ADAM
        ):
            kwargs["fused"] = True
        return args, kwargs

    def _train(self, X, y):
        """Initialize (unless warm-starting) and run skorch's training loop."""
        with seeded(self.random_state, self.device):
            if not self.warm_start or not self.initialized_:
                self.initialize()
            # NeuralNet.partial_fit is skorch's loop; called directly because
            # this class's fit/partial_fit take raw, unencoded input.
            super().partial_fit(X, y)
        return self

    def _net_input(self, X):
        """``X`` as the module consumes it: skorch datasets pass through."""
        return X if is_dataset(X) else self._transform_input(X)

    @contextmanager
    def _continuing(self):
        """Treat the enclosed encoding and training as continued training
        (``warm_start``): no re-initialization, class indices kept."""
        with_warm, self.warm_start = self.warm_start, True
        try:
            yield
        finally:
            self.warm_start = with_warm

    def partial_fit(self, X, y, classes=None):
        """Train for ``max_epochs`` more epochs without re-initializing.

        The first call on an unfitted estimator is ``fit``; later calls keep
        what the first one learned of the input (vocabulary or scaler) and its
        classes.

        Parameters
        ----------
        X : input of shape (n_samples, ...), as for ``fit``
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for a regressor)
            Labels must be among ``classes_`` after the first call (a
            ``ValueError`` names any others).
        classes : array-like, default=None
            All the labels, for a first call whose ``y`` does not show them all
            (as in scikit-learn's ``partial_fit``); ignored afterwards.

        Returns
        -------
        self
        """
        if not self.initialized_ or not hasattr(self, self._input_state):
            return self._first_partial_fit(X, y, classes)
        Xt = self._partial_fit_input(X)
        with self._continuing():
            self._train(Xt, self._encode_target(y, len(Xt)))
        self._record_attention(Xt)
        return self

    def _partial_fit_input(self, X):
        """Validated, encoded input of a continued ``partial_fit``."""
        return self._transform_input(X)

    def _first_partial_fit(self, X, y, classes):
        """``partial_fit`` on an unfitted estimator: ``fit``, taking ``classes``
        (when given) as the full label set, as scikit-learn's ``partial_fit`` does."""
        if classes is None:
            return self.fit(X, y)
        if not hasattr(self, "classes"):
            raise TypeError(f"{type(self).__name__} is a regressor: it takes no classes.")
        own, self.classes = self.classes, classes
        try:
            return self.fit(X, y)
        finally:
            self.classes = own

    def _as_batches(self, X):
        """Yield the module input of each prediction batch of the encoded ``X``
        (skorch's iterator, so batching matches ``predict``)."""
        iterator = self.get_iterator(self.get_dataset(X), training=False)
        for batch in iterator:
            Xi, _ = unpack_data(batch)
            yield to_tensor(Xi, device=self.device)

    def _attention(self, X):
        """Run ``module_.attention`` over encoded ``X`` batch by batch under ``no_grad``.

        Yields the (input batch, outputs, weights) of each batch, on the CPU.
        """
        self.check_is_fitted()
        self._set_training(False)
        with torch.no_grad():
            for Xi in self._as_batches(X):
                out, weights = self.module_.attention(Xi)
                yield Xi, out, weights


class ClassifierNetMixin:
    """Label handling for classifiers: any hashable labels, strings included."""

    def _encode_target(self, y, n_samples):
        y = _check_target_1d(y, n_samples)
        check_classification_targets(y)
        if self.warm_start and self.initialized_ and hasattr(self, "classes_inferred_"):
            # Continued training (partial_fit, warm_start): the output layer is
            # sized for the classes seen first, so labels keep their indices and
            # labels outside them are an error rather than silently re-encoded.
            return _encode(y, np.asarray(self.classes_inferred_), "y").astype(np.int64)
        if self.classes is not None:
            classes = np.asarray(self.classes)
            if len(classes) < 2:
                raise ValueError(f"classes must hold at least 2 labels, got {classes!r}.")
        else:
            classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but y holds "
                f"only one class: {classes[0]!r}."
            )
        encoded = _encode(y, classes, "y")
        # skorch's classes_ property returns this; it must hold the original labels.
        self.classes_inferred_ = classes
        self.n_outputs_ = len(classes)
        return encoded.astype(np.int64)

    def check_data(self, X, y):
        # Labels are encoded (and classes_ set) before skorch sees y.
        pass

    @property
    def _default_callbacks(self):
        from skorch.callbacks import EpochScoring

        callbacks = dict(super()._default_callbacks)
        callbacks["valid_acc"] = EpochScoring(
            _encoded_accuracy, name="valid_acc", lower_is_better=False
        )
        return list(callbacks.items())

    def predict_proba(self, X):
        """Class probabilities of ``X``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return super().predict_proba(self._net_input(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : input of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # raises NotFittedError before classes_ is read
        return self.classes_[proba.argmax(axis=1)]


class RegressorNetMixin:
    """Target handling for regressors: 1-D or 2-D float targets."""

    def _encode_target(self, y, n_samples):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, got None.")
        y = check_array(
            y, ensure_2d=False, dtype=np.float32, input_name="y", ensure_all_finite=True
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        if len(y) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
            )
        self.y_ndim_ = y.ndim
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        return y2

    # skorch's NeuralNet.predict_proba is the net's raw forward pass; a
    # regressor exposes it as predict only.
    predict_proba = available_if(lambda self: False)(NeuralNet.predict_proba)

    def predict(self, X):
        """Predict targets.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D where ``y`` was 1-D at fit.
        """
        y = NeuralNet.predict_proba(self, self._net_input(X)).astype(np.float64)
        return y.ravel() if self.y_ndim_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _check_target_1d(y, n_samples):
    if y is None:
        raise ValueError("y is required, got None.")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y must be 1-D, got a DataFrame with {y.shape[1]} columns.")
        y = y.iloc[:, 0]
    y = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
        )
    missing = pd.isna(y)
    if missing.any():
        raise ValueError(
            f"y contains {int(missing.sum())} missing label(s) (None/NaN) at positions "
            f"{np.flatnonzero(missing)[:5].tolist()}."
        )
    return column_or_1d(y)


def _encode(y, classes, name):
    """Map labels to their index in ``classes``; unseen labels raise ValueError."""
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
