"""The base of every skattn estimator: one skorch net, one fit template.

:class:`AttentionNet` is a skorch :class:`~skorch.NeuralNet` (one training
loop: skorch's) with scikit-learn's front door. Its :meth:`~AttentionNet.fit`
and :meth:`~AttentionNet.partial_fit` are one template that every estimator
runs::

    validate parameters        _parameter_constraints, then _check_params()
    validate X                 _validate_input(X, training=True, reset=...)
    encode y                   _encode_target(y, n_samples, continuing=...)
    learn the input state      _fit_input(X, y)           (not when continuing)
    encode X                   _encode_input(X)           (both at once: _fit_encode_input)
    train                      skorch's loop on _training_data(X, y)
    record what was attended   _after_fit(X, y, inputs)

Each step that differs between estimators is a hook declared here; the ones
without a sensible default raise ``NotImplementedError``. Prediction goes
through the same hooks (:meth:`~AttentionNet._net_input`), and every loop over
prediction batches goes through :meth:`~AttentionNet._fill_batches`, in the
order of :meth:`~AttentionNet._prediction_order`.

Target handling is composed from :mod:`skattn._targets` by the class attribute
``_task``: ``"classification"`` (labels <-> indices, probabilities,
``classes_``), ``"regression"`` (float columns, 1-D or 2-D), ``"auto"`` (the
encoders: inferred from ``y`` and the ``task`` parameter) or ``None`` (the
estimator encodes its own target, as sequence-to-sequence does).
"""

import copy
import inspect
from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, EpochScoring, ProgressBar
from skorch.dataset import ValidSplit, unpack_data
from skorch.helper import predefined_split
from skorch.utils import is_dataset, noop, to_numpy, to_tensor
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from torch.utils.data import Subset

from ._compat import (
    HasMethods, Interval, StrOptions, check_sample_weight, validate_parameter_constraints,
)
from ._docstrings import API_PAGE
from ._skorch import _row_lengths, batch_loader, seeded
from ._targets import SUPERVISED_TASKS, TASKS, decode_outputs, encode_labels, encode_target
from .callbacks import LinearLRDecay, StopOnNonFiniteLoss
from .nn.optim import DeferredAdam

__all__ = ["AttentionNet"]

# Fused Adam runs on the CPU from torch 2.4 on.
_FUSED_ADAM = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)

# Parameters that every estimator's __init__ names explicitly and hands to skorch.
_SKORCH_PARAMS = (
    "optimizer", "lr", "max_epochs", "batch_size", "train_split", "callbacks", "device",
    "verbose",
)

# The default criterion of each task, where ``criterion`` is None.
_CRITERIA = {
    "classification": torch.nn.CrossEntropyLoss,
    "multilabel": torch.nn.BCEWithLogitsLoss,
    "regression": torch.nn.MSELoss,
}


def _link(outputs, objective):
    """Module outputs -> probabilities (softmax; sigmoid per label for
    multi-label) or, for regression, the outputs themselves; float64."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if objective == "classification":
        outputs = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return outputs / outputs.sum(axis=1, keepdims=True)
    if objective == "multilabel":
        return 1.0 / (1.0 + np.exp(-outputs))
    return outputs


def _valid_accuracy(net, X, y):
    """Validation accuracy (for skorch's EpochScoring): skorch's datasets hold
    the user's labels, so predictions and ``y`` compare as labels."""
    return float(np.mean(net.predict(X) == to_numpy(y)))


def _available_devices():
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def _check_device(device, owner):
    """A ValueError naming ``device`` and the devices there are, where torch
    would fail later with an AssertionError or RuntimeError."""
    if device is None:
        return
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        parsed = None
    ok = parsed is not None and (
        parsed.type == "cpu"
        or (parsed.type == "cuda" and torch.cuda.is_available()
            and (parsed.index is None or parsed.index < torch.cuda.device_count()))
        or (parsed.type == "mps" and f"{parsed.type}" in _available_devices())
        or parsed.type not in ("cpu", "cuda", "mps")  # other backends: torch decides
    )
    if not ok:
        raise ValueError(
            f"{owner}: device={device!r} is not available on this machine; available: "
            f"{', '.join(_available_devices())}."
        )


def _complete_signature(cls):
    """Give ``cls.__init__`` its full signature: every parameter that
    ``get_params`` reports, with the default a fresh instance has (skorch's
    arguments and the defaults ``_init_net`` fills in, e.g. ``module``,
    ``iterator_train``, ``module__dropout``), as keyword-only parameters.

    scikit-learn reads the signature to tell the parameters a user changed
    from the defaults (its text and HTML repr); the ``**kwargs`` that carry
    skorch's arguments would otherwise count as changed, all of them.
    """
    init = cls.__dict__.get("__init__")
    if init is None:
        return
    try:
        fresh = cls()
    except Exception:  # an __init__ with required arguments: leave it as written
        return
    signature = inspect.signature(init)
    written = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    var_keyword = [p for p in signature.parameters.values() if p.kind == p.VAR_KEYWORD]
    names = {p.name for p in written}
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value)
        for name, value in fresh.get_params(deep=False).items() if name not in names
    ]
    init.__signature__ = signature.replace(parameters=written + extra + var_keyword)


def _has_task(*tasks):
    """``available_if`` check: the estimator's ``_task`` is one of ``tasks``."""
    return lambda self: self._task in tasks


class AttentionNet(NeuralNet):
    """Base class of skattn's estimators (see the module docstring).

    Subclasses write an ``__init__`` whose body is
    ``self._init_net(locals(), module=..., criterion=..., ...)``, set ``_task``,
    extend ``_parameter_constraints`` (``{**Base._parameter_constraints, ...}``)
    and define the hooks below.
    """

    #: What ``y`` is: "classification", "regression", "auto" or None.
    _task = None

    #: scikit-learn-style constraints of the constructor parameters, checked
    #: at the start of every fit; subclasses extend them.
    _parameter_constraints = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "linear"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "accelerator": [HasMethods(["prepare", "backward", "autocast", "unwrap_model"]), None],
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _complete_signature(cls)

    # scikit-learn's repr (parameters that differ from their defaults only),
    # not skorch's listing of the module; the HTML repr's "?" opens skattn's page.
    __repr__ = BaseEstimator.__repr__
    _doc_link_module = "skattn"
    _doc_link_template = API_PAGE

    def _get_params_html(self, deep=True, doc_link=""):
        # scikit-learn's HTML repr lists deep parameters; for a skorch net those
        # are the internals of its default callbacks (callbacks__print_log__*),
        # which no user set: list the estimator's own parameters.
        return super()._get_params_html(deep=False, doc_link=doc_link)

    def _get_param_names(self):
        """skorch's parameter names, less its private bookkeeping
        (``_params_to_validate``, rebuilt by ``__init__`` from the arguments)."""
        return [name for name in super()._get_param_names() if not name.startswith("_")]

    def __getattr__(self, name):
        # Only called for attributes that are not there: a learned attribute
        # (name_) asked for before fit is a NotFittedError, as in scikit-learn
        # (an AttributeError too, so hasattr() says False).
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):  # the property's own AttributeError, not ours
            return prop.fget(self)
        if name.endswith("_") and not name.startswith("_") and not self.__dict__.get(
                "initialized_", False):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; {name} is set by "
                "fit. Call fit with appropriate arguments first."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

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

    # -- hooks ------------------------------------------------------------------

    def _check_params(self):
        """Checks across parameters that ``_parameter_constraints`` cannot
        express (e.g. ``num_heads`` dividing ``embedding_dim``); none by default."""

    def _validate_input(self, X, *, training=False, reset=False):
        """``X`` validated, in the form :meth:`_fit_input` and
        :meth:`_encode_input` take (a list of str, a float array, ...).

        ``training``: for fit or partial_fit (stricter: e.g. no empty
        documents); ``reset``: for a fit that learns the input afresh (as
        scikit-learn's ``validate_data(reset=True)``).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define _validate_input(X, training, reset)."
        )

    def _fit_input(self, X, y):
        """Learn what the input needs (vocabulary, scaler, tokenizer) from the
        validated ``X`` (and encoded ``y``) of a fresh fit."""
        raise NotImplementedError(f"{type(self).__name__} must define _fit_input(X, y).")

    def _input_fitted(self):
        """Whether :meth:`_fit_input` has run (continued training keeps its result)."""
        raise NotImplementedError(f"{type(self).__name__} must define _input_fitted().")

    def _encode_input(self, X):
        """Validated ``X`` -> the array (or dict of arrays) the module consumes."""
        raise NotImplementedError(f"{type(self).__name__} must define _encode_input(X).")

    def _fit_encode_input(self, X, y):
        """:meth:`_fit_input`, then :meth:`_encode_input` of the same ``X``;
        an estimator whose input state can encode its training data in the
        pass that learns it (a vectorizer's ``fit_transform``) overrides this."""
        self._fit_input(X, y)
        return self._encode_input(X)

    def _module_params(self):
        """The module's data-dependent and estimator-level arguments; the
        ``module__*`` parameters are applied on top."""
        raise NotImplementedError(f"{type(self).__name__} must define _module_params().")

    def _target_task(self, y):
        """The task of this fit: ``_task`` unless the estimator infers it from ``y``."""
        return self._task

    def _trains(self):
        """Whether ``fit`` trains (a frozen pretrained encoder only loads)."""
        return True

    def _training_data(self, X, y):
        """The ``(X, y)`` that skorch's loop trains on, from encoded ``X`` and ``y``."""
        return X, y

    def _after_fit(self, X, y, inputs):
        """Called with the encoded training ``X`` and ``y`` when training has
        ended (None where nothing was trained) and ``inputs``, the validated
        ``X`` before encoding, e.g. to record the mean attention per token;
        nothing by default."""

    def _extra_callbacks(self):
        """Default callbacks of this estimator beside skattn's common ones."""
        return []

    # -- the fit template -------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Learn the input and train the model on ``X`` and ``y``.

        Parameters
        ----------
        X : input of shape (n_samples, ...)
            Documents or a numeric table, as the estimator's docstring says.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; optional where the estimator says so.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the training loss (and in
            the validation loss): the loss is the weighted mean, so weights of
            all ones give the same model as none. Routed by scikit-learn's
            metadata routing after ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self
        """
        continuing = bool(self.warm_start and self.initialized_ and self._input_fitted())
        return self._fit(X, y, continuing=continuing, sample_weight=sample_weight)

    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """Train for ``max_epochs`` more epochs without re-initializing.

        The first call on an unfitted estimator is ``fit``; later calls keep
        what the first one learned of the input (vocabulary, scaler or
        tokenizer) and its classes.

        Parameters
        ----------
        X : input of shape (n_samples, ...), as for ``fit``
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels must be among ``classes_`` after the first call (a
            ``ValueError`` names any others).
        classes : array-like, default=None
            Classifiers: all the labels, for a first call whose ``y`` does not
            show them all (as in scikit-learn's ``partial_fit``); ignored
            afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            As for ``fit``.

        Returns
        -------
        self
        """
        if not (self.initialized_ and self._input_fitted()):
            return self._first_partial_fit(X, y, classes, sample_weight)
        with self._continuing():
            return self._fit(X, y, continuing=True, sample_weight=sample_weight)

    def _fit(self, X, y, *, continuing, sample_weight=None):
        self._validate_hyperparameters()
        inputs = self._validate_input(X, training=True, reset=not continuing)
        target = self._encode_target(y, len(inputs), continuing=continuing)
        if not self._trains():
            if not continuing:
                self._fit_input(inputs, target)
            with seeded(self.random_state, self.device):
                self.initialize()
            X = target = None
        else:
            X = (self._encode_input(inputs) if continuing
                 else self._fit_encode_input(inputs, target))
            X_train, y_train = self._training_data(X, target)
            if sample_weight is not None:
                X_train = self._with_sample_weight(X_train, sample_weight, len(X))
            self._train(X_train, y_train)
        self._after_fit(X, target, inputs)
        return self

    def _with_sample_weight(self, X, sample_weight, n_samples):
        """Training input that carries validated sample weights beside it."""
        if is_dataset(X):
            raise ValueError(
                f"sample_weight is not supported for {type(self).__name__}'s "
                f"{getattr(self, 'objective_', None)!r} objective."
            )
        weights = check_sample_weight(sample_weight, np.empty((n_samples, 0)), dtype=np.float64,
                                       ensure_non_negative=True)
        if not np.isfinite(weights).all() or weights.sum() <= 0:
            raise ValueError("sample_weight must be finite, with a positive sum.")
        weights = weights.astype(np.float32)
        if isinstance(X, dict):
            return {**X, "sample_weight": weights}
        return {"X": X, "sample_weight": weights}

    def _first_partial_fit(self, X, y, classes, sample_weight=None):
        """``partial_fit`` on an unfitted estimator: ``fit``, taking ``classes``
        (when given) as the full label set, as scikit-learn's ``partial_fit`` does."""
        if classes is None:
            return self.fit(X, y, sample_weight=sample_weight)
        if "classes" not in self._get_param_names():
            kind = "a regressor" if self._task == "regression" else "not a classifier"
            raise TypeError(f"{type(self).__name__} is {kind}: it takes no classes.")
        own, self.classes = self.classes, classes
        try:
            return self.fit(X, y, sample_weight=sample_weight)
        finally:
            self.classes = own

    @contextmanager
    def _continuing(self):
        """Treat the enclosed encoding and training as continued training
        (``warm_start``): no re-initialization, class indices kept."""
        with_warm, self.warm_start = self.warm_start, True
        try:
            yield
        finally:
            self.warm_start = with_warm

    def _validate_hyperparameters(self):
        """Check the parameters against ``_parameter_constraints``
        (``InvalidParameterError``, a ValueError, names the parameter), the
        device, then :meth:`_check_params`."""
        # The parameters this estimator has (a subclass may leave some out).
        constraints = {k: v for k, v in self._parameter_constraints.items() if hasattr(self, k)}
        validate_parameter_constraints(
            constraints,
            {k: getattr(self, k) for k in constraints},
            caller_name=type(self).__name__,
        )
        _check_device(self.device, type(self).__name__)
        accelerator = getattr(self, "accelerator", None)
        if accelerator is not None and torch.device(self.device) != torch.device(accelerator.device):
            raise ValueError(
                f"{type(self).__name__}: device={self.device!r}, but the accelerator places "
                f"the model on {str(accelerator.device)!r}; pass device=accelerator.device."
            )
        self._check_params()

    def _encode_target(self, y, n_samples, *, continuing):
        """Validate and encode ``y`` (see :mod:`skattn._targets`).

        A fresh fit sets ``classes_`` (classification), ``n_outputs_`` and
        ``objective_``; continued training keeps them, so labels keep their
        indices and labels outside ``classes_`` are a ``ValueError``.
        """
        task = self._target_task(y)
        if continuing:
            previous = getattr(self, "objective_", task)
            if previous != task:
                raise ValueError(
                    f"This {type(self).__name__} was trained with objective {previous!r}; "
                    f"continuing with {task!r} is not possible. Call fit without "
                    "warm_start to start afresh."
                )
        self.objective_ = task
        if task not in SUPERVISED_TASKS:
            return y
        classes = None
        if task in ("classification", "multilabel"):
            classes = self.classes_ if continuing else getattr(self, "classes", None)
        encoded = encode_target(y, n_samples, task, classes=classes, owner=type(self).__name__)
        if not continuing:
            if encoded.classes is not None:
                self.classes_ = encoded.classes
            self.n_outputs_ = encoded.n_outputs
            self.y_ndim_ = encoded.ndim
            class_weight = getattr(self, "class_weight", None)
            if class_weight is not None:
                if task != "classification":
                    raise ValueError(
                        f"class_weight applies to single-label classification, not {task!r}."
                    )
                self.class_weight_ = compute_class_weight(
                    class_weight, classes=self.classes_,
                    y=np.asarray(self.classes_)[encoded.values],
                ).astype(np.float64)
        values = encoded.values
        if task == "regression" and getattr(self, "standardize_target", False):
            if not continuing:
                mean, std = values.mean(axis=0), values.std(axis=0)
                self.target_mean_ = mean.astype(np.float64)
                self.target_scale_ = np.where(std > 0, std, 1.0).astype(np.float64)
            values = ((values - self.target_mean_) / self.target_scale_).astype(np.float32)
        return values

    def _target_scale(self):
        """(mean, scale) of each target column (0, 1 without standardization)."""
        if getattr(self, "objective_", None) == "regression" and hasattr(self, "target_scale_"):
            return self.target_mean_, self.target_scale_
        return 0.0, 1.0

    def _dataset_target(self, y):
        """The ``y`` that skorch's datasets hold: class labels for
        classification (see :meth:`_train`), else the encoded targets."""
        if y is not None and getattr(self, "objective_", None) == "classification":
            return np.asarray(self.classes_)[y]
        return y

    def _train(self, X, y):
        """Initialize (unless warm-starting) and run skorch's training loop.

        For classification skorch's datasets hold the user's labels, not their
        indices: skorch's scoring callbacks (``EpochScoring("f1_macro")``, ...)
        then compare ``predict``'s labels with labels; :meth:`get_loss` maps
        each batch's labels to indices.
        """
        y = self._dataset_target(y)
        with seeded(self._training_seed(), self.device):
            if not self.warm_start or not self.initialized_:
                self.initialize()
            with self._accelerated(), self._deferring():
                # NeuralNet.partial_fit is skorch's loop; called directly because
                # this class's fit/partial_fit take raw, unencoded input.
                NeuralNet.partial_fit(self, X, y)
        return self

    @contextmanager
    def _deferring(self):
        """With :class:`~skattn.nn.DeferredAdam`, the rows of a sparse
        embedding catch up on their deferred steps before each forward pass
        that reads them, and every row at the end of the block (see
        :meth:`~skattn.nn.DeferredAdam.track`); nothing otherwise."""
        optimizer = self._deferred_adam()
        if optimizer is None:
            yield
            return
        with optimizer.track(self.module_):
            yield

    def _deferred_adam(self):
        """The :class:`~skattn.nn.DeferredAdam` that trains the module (while
        accelerated, the one accelerate's optimizer wraps), or None."""
        optimizer = self.__dict__.get("optimizer_")
        optimizer = getattr(optimizer, "optimizer", optimizer)
        return optimizer if isinstance(optimizer, DeferredAdam) else None

    def on_epoch_end(self, net, **kwargs):
        """skorch hook: every deferred embedding row catches up before the
        callbacks see the epoch's parameters (a checkpoint saves them)."""
        optimizer = self._deferred_adam()
        if optimizer is not None:
            optimizer.flush()
        super().on_epoch_end(net, **kwargs)

    # -- data-parallel training through an accelerator ---------------------------
    #
    # With ``accelerator`` (an ``accelerate.Accelerator``), skorch's loop runs
    # as skorch's AccelerateMixin runs it, but only while training: the module
    # and optimizer are prepared (wrapped in DistributedDataParallel when
    # several processes train), the training loader is sharded across
    # processes (each takes its own share of every epoch's batches), the
    # backward pass and autocast (mixed precision) are the accelerator's, and
    # the training loss recorded in the history is averaged over processes.
    # Validation is not sharded: every process scores the whole validation
    # set with the same parameters, so every process records the same
    # validation loss and scores (skorch's scoring callbacks see the labels of
    # the batches they were given) and early stopping stops them all at the
    # same epoch. When training
    # ends the module is unwrapped: inference and explanations run on the
    # plain module in each process. accelerate itself is never imported here:
    # the object the user passes is all that is used.

    def _training_seed(self):
        """``random_state``, or with several processes and no ``random_state``
        one seed drawn by the main process and shared, so that every process
        shuffles the same way (each then takes its own shard of the batches)."""
        accelerator = getattr(self, "accelerator", None)
        if self.random_state is not None or accelerator is None or accelerator.num_processes < 2:
            return self.random_state
        from accelerate.utils import broadcast_object_list

        return broadcast_object_list([int(np.random.randint(np.iinfo(np.int32).max))])[0]

    @contextmanager
    def _accelerated(self):
        """Prepare the module and optimizer for the loop that the block runs
        (nothing without an accelerator); unwrap them afterwards."""
        accelerator = getattr(self, "accelerator", None)
        if accelerator is None:
            yield
            return
        module, optimizer = self.module_, self.optimizer_
        self.module_, self.optimizer_ = accelerator.prepare(module, optimizer)
        self._accelerated_datasets, self._accelerated_loaders = [], []
        try:
            yield
        finally:
            accelerator.wait_for_everyone()
            prepared = (self.module_, self.optimizer_)
            self.module_ = accelerator.unwrap_model(self.module_, keep_fp32_wrapper=False)
            self.optimizer_ = optimizer
            del self._accelerated_datasets
            loaders = self.__dict__.pop("_accelerated_loaders")
            # The accelerator keeps what it prepared; drop this fit's objects,
            # so that a search fitting many clones does not keep every model.
            for name, objects in (("_models", prepared[:1]), ("_optimizers", prepared[1:]),
                                  ("_dataloaders", loaders)):
                kept = getattr(accelerator, name, None)
                if isinstance(kept, list):
                    kept[:] = [o for o in kept if not any(o is p for p in objects)]

    def _accelerating(self):
        return "_accelerated_datasets" in self.__dict__

    def get_iterator(self, dataset, training=False):
        """skorch hook: skorch's loader; while accelerated with several
        processes, the training loader is prepared by the accelerator (one
        shard of the batches per process). Validation and prediction loaders
        stay whole."""
        iterator = super().get_iterator(dataset, training=training)
        # One process has nothing to shard (and accelerate's single-process
        # path cannot rebuild a loader whose sampler yields whole batches).
        if (self._accelerating() and self.accelerator.num_processes > 1
                and any(dataset is d for d in self._accelerated_datasets)):
            iterator = self.accelerator.prepare(iterator)
            self._accelerated_loaders.append(iterator)
        return iterator

    def train_step(self, batch, **fit_params):
        """skorch hook: one optimizer step; accelerated, within the
        accelerator's gradient accumulation, the loss averaged over processes."""
        if not self._accelerating():
            return super().train_step(batch, **fit_params)
        with self.accelerator.accumulate(self.module_):
            step = super().train_step(batch, **fit_params)
        return {**step, "loss": self.accelerator.reduce(step["loss"].detach().float(), "mean")}

    def train_step_single(self, batch, **fit_params):
        """skorch hook: forward, loss and backward; accelerated, under the
        accelerator's autocast and through its backward."""
        if not self._accelerating():
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        with self.accelerator.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.accelerator.backward(loss)
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        # A gradient scaler (fp16) cannot step with a closure: run the step
        # function, then step, as skorch's AccelerateMixin does.
        if not self._accelerating():
            return super()._step_optimizer(step_fn)
        step_fn()
        self.optimizer_.step()


    # -- skorch hooks -----------------------------------------------------------

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """skorch hook: the criterion on the batch, class labels mapped to their
        indices in ``classes_`` first (see :meth:`_train`); with sample
        weights, the weighted mean of the per-sample losses."""
        if y_true is not None and getattr(self, "objective_", None) == "classification":
            y_true = encode_labels(np.asarray(to_numpy(y_true)).ravel(), self.classes_)
        weights = X.get("sample_weight") if isinstance(X, Mapping) else None
        if weights is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        y_true = to_tensor(y_true, device=y_pred.device)
        weights = to_tensor(weights, device=y_pred.device).to(y_pred.dtype)  # (B,)
        criterion = self.criterion_
        reduction, criterion.reduction = criterion.reduction, "none"
        try:
            per_sample = criterion(y_pred, y_true).reshape(len(weights), -1)  # (B, K)
        finally:
            criterion.reduction = reduction
        # The normalizer of the criterion's own mean, weighted: all-ones
        # weights give exactly the unweighted loss.
        norm = torch.ones_like(weights)
        if isinstance(criterion, torch.nn.CrossEntropyLoss) and criterion.weight is not None:
            norm = criterion.weight[y_true]
        denominator = (weights * norm).sum() * per_sample.shape[1]
        return (weights[:, None] * per_sample).sum() / denominator.clamp(min=1e-12)

    def infer(self, x, **fit_params):
        """skorch hook: the module's forward pass; sample weights carried with
        the input (see :meth:`fit`) are not the module's."""
        if isinstance(x, Mapping) and "sample_weight" in x:
            x = x["X"] if set(x) == {"X", "sample_weight"} else {
                k: v for k, v in x.items() if k != "sample_weight"}
        return super().infer(x, **fit_params)

    def initialize_module(self):
        """Build the module with data-dependent sizes filled in at fit.

        ``module__*`` parameters override the estimator-level ones.
        """
        if not hasattr(self, "n_outputs_"):
            raise RuntimeError(
                f"{type(self).__name__} builds its module from the data: call fit "
                "rather than initialize()."
            )
        params = self._module_params()
        params.update(self.get_params_for("module"))
        params.update(getattr(self, "_restore_overrides_", {}))
        self.module_ = self.initialized_instance(self._module_class(), params)
        return self

    @contextmanager
    def _restoring(self, **module_arguments):
        """Within the block, build the module with these extra arguments (those
        not None): how :func:`skattn.io.load` rebuilds a saved pretrained model
        from its configuration instead of its original files."""
        self._restore_overrides_ = {k: v for k, v in module_arguments.items() if v is not None}
        try:
            yield
        finally:
            del self._restore_overrides_

    def _module_class(self):
        """The module to build: ``module`` (estimators that choose it by
        objective leave it None and override this)."""
        return self.module

    def initialize_criterion(self):
        """The loss: ``criterion``, or the default of the objective when None.

        Class weights (``class_weight``, or ``criterion__weight`` given as an
        array in ``classes_`` order) become the criterion's float32 ``weight``.
        """
        criterion = self.criterion if self.criterion is not None else self._default_criterion()
        params = self.get_params_for("criterion")
        weight = params.get("weight", getattr(self, "class_weight_", None))
        if weight is not None and not torch.is_tensor(weight):
            weight = np.asarray(weight, dtype=np.float32)
            n_classes = len(getattr(self, "classes_", ()))
            if weight.shape != (n_classes,):
                raise ValueError(
                    f"criterion__weight must hold one weight per class of classes_ "
                    f"({n_classes}), in that order; got shape {weight.shape}."
                )
            params["weight"] = torch.as_tensor(weight, device=self.device)
        self.criterion_ = self.initialized_instance(criterion, params)
        return self

    def _default_criterion(self):
        """Cross-entropy for classification, MSE otherwise (also the unused
        loss of a model that is not trained)."""
        return _CRITERIA.get(getattr(self, "objective_", None), torch.nn.MSELoss)

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        printer = [c for c in callbacks if c[0] == "print_log"]
        callbacks = [c for c in callbacks if c[0] != "print_log"]
        if self._task == "classification":
            callbacks.append(
                ("valid_acc", EpochScoring(_valid_accuracy, name="valid_acc",
                                           lower_is_better=False))
            )
        callbacks.append(("stop_on_nonfinite_loss", StopOnNonFiniteLoss()))
        if getattr(self, "lr_schedule", "constant") == "linear":
            callbacks.append(("lr_schedule", LinearLRDecay()))
        if getattr(self, "early_stopping", False):
            callbacks.append((
                "early_stopping",
                EarlyStopping(monitor="valid_loss", patience=self.n_iter_no_change,
                              load_best=True, sink=print if self.verbose else noop),
            ))
        if self.verbose is not None and self.verbose >= 2:
            # Per-batch progress with time left (tqdm); the epoch table follows.
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks + self._extra_callbacks() + printer

    def _split_seed(self):
        """The seed of validation splits: a stream of its own (not the seed
        that torch's RNG gets), None without ``random_state``."""
        if self.random_state is None:
            return None
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max) ^ 0x5EED)

    def _resolved_split(self):
        """``train_split`` as skorch takes it: ``early_stopping`` and a float
        hold out a stratified (classifiers), seeded share; a pair of raw inputs
        becomes a predefined validation set; a ``ValidSplit`` without a
        ``random_state`` of its own draws from ``random_state``."""
        split = self.train_split
        stratified = getattr(self, "objective_", None) == "classification"
        if getattr(self, "early_stopping", False):
            if split is not None:
                raise ValueError(
                    f"{type(self).__name__}: early_stopping=True holds out "
                    "validation_fraction of the data itself; leave train_split=None "
                    f"(got {split!r}), or stop early with skorch's EarlyStopping callback."
                )
            split = float(self.validation_fraction)
        if isinstance(split, float):
            return ValidSplit(split, stratified=stratified, random_state=self._split_seed())
        if isinstance(split, tuple):
            if len(split) != 2:
                raise ValueError(
                    "train_split as a tuple must be a pair (X_valid, y_valid) of raw inputs, "
                    f"got {len(split)} items."
                )
            X_valid = self._encode_input(self._validate_input(split[0]))
            y_valid = self._encode_target(split[1], len(X_valid), continuing=True)
            X_valid, y_valid = self._training_data(X_valid, y_valid)
            return predefined_split(self.get_dataset(X_valid, self._dataset_target(y_valid)))
        if (
            isinstance(split, ValidSplit)
            and split.random_state is None
            and split._is_float(split.cv)
            and self.random_state is not None
        ):
            split = copy.copy(split)
            split.random_state = self._split_seed()
        return split

    def get_split_datasets(self, X, y=None, **fit_params):
        """skorch hook: the split of :meth:`_resolved_split`; while
        accelerated, the training dataset's loader is the one sharded (see
        :meth:`get_iterator`)."""
        split, self.train_split = self.train_split, self._resolved_split()
        try:
            datasets = super().get_split_datasets(X, y, **fit_params)
        finally:
            self.train_split = split
        if self._accelerating():
            self._accelerated_datasets[:] = datasets[:1]  # the training part
        return datasets

    def save_params(self, *args, **kwargs):
        """skorch's ``save_params``; a failed write (a full disk, a missing
        folder) is kept and raised again once the callback that asked for it
        returns, since skorch's ``Checkpoint`` swallows it. (torch reports a
        full disk as a ``RuntimeError`` of its zip writer.)"""
        accelerator = getattr(self, "accelerator", None)
        if accelerator is not None and not accelerator.is_main_process:
            return None  # one process writes
        try:
            return super().save_params(*args, **kwargs)
        except (OSError, RuntimeError) as exc:
            files = [v for k, v in kwargs.items() if k.startswith("f_") and v is not None]
            self._save_error_ = (exc, files)
            raise

    def notify(self, method_name, **cb_kwargs):
        super().notify(method_name, **cb_kwargs)
        failed = self.__dict__.pop("_save_error_", None)
        if failed is not None:
            error, files = failed
            raise OSError(
                f"{type(self).__name__}: saving parameters to {files} during training "
                f"failed ({type(error).__name__}: {error}); training stopped rather than "
                "marking the epoch as saved."
            ) from error

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch hook: use the fused Adam/AdamW kernels where torch has them,
        unless ``optimizer__fused`` says otherwise (several times faster on CPU
        for embedding tables)."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if (
            prefix == "optimizer"
            and self.optimizer in (torch.optim.Adam, torch.optim.AdamW, DeferredAdam)
            and "fused" not in kwargs
            and _FUSED_ADAM
        ):
            kwargs["fused"] = True
        return args, kwargs

    # -- inference --------------------------------------------------------------

    def _net_input(self, X):
        """``X`` as the module consumes it: skorch datasets pass through."""
        self.check_is_fitted()
        return X if is_dataset(X) else self._encode_input(self._validate_input(X))

    def _batches(self, X, order=None):
        """Yield the module input of each prediction batch of the encoded ``X``
        (skorch's iterator, so batching matches ``predict``), in eval mode;
        with ``order`` (sample indices), the samples in that order, each batch
        indexed from ``X`` (no reordered copy of it)."""
        self.check_is_fitted()
        self._set_training(False)
        dataset = self.get_dataset(X)
        if order is not None:
            dataset = Subset(dataset, order)
        for batch in self.get_iterator(dataset, training=False):
            Xi, _ = unpack_data(batch)
            yield to_tensor(Xi, device=self.device)

    def _prediction_order(self, X):
        """The order in which prediction batches visit the samples of encoded
        ``X`` (their results still land on the samples' own rows), or None for
        input order.

        Where the net's dataset cuts each batch to its longest row (it has
        ``lengths()``, as :class:`~skattn._skorch.PaddedBatchDataset`), the
        longest rows come first: rows of similar length share a batch, which
        then carries little padding (an MR or SMS pass over the training
        documents in about half the time). The module masks padding, so the
        results are those of input order up to float rounding.
        """
        if not isinstance(X, np.ndarray) or X.ndim != 2:
            return None
        lengths = _row_lengths(self.get_dataset(X))
        return None if lengths is None else np.argsort(-lengths, kind="stable")

    def _fill_batches(self, X, fn, out=None):
        """Run ``fn`` over the prediction batches of encoded ``X`` into ``out``.

        The one loop over prediction batches of every estimator; it visits
        the samples in :meth:`_prediction_order`.

        Parameters
        ----------
        X : ndarray or dict of ndarray
            Encoded input.
        fn : callable
            ``fn(Xi)`` on a batch of module input, under ``torch.no_grad``
            (``fn`` may enable gradients itself); returns an ndarray (or a
            tuple of ndarrays) with the batch along the first axis.
        out : ndarray or tuple of ndarray, default=None
            Where the results go, shaped (n_samples, ...). Each batch's result
            fills its rows and the leading part of every other axis: batches
            are cut to their longest row, so a batch's (B, T_batch) result
            lands in ``out[rows, :T_batch]``; the rest keeps its initial value.
            None: a single ndarray shaped (and typed) as the first batch's
            result, for results of the same shape past the batch axis in
            every batch (e.g. (B, n_outputs) logits).

        Returns
        -------
        out
        """
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        n_samples = len(X)
        order = self._prediction_order(X)
        start = 0
        with torch.no_grad():
            for Xi in self._batches(X, order):
                values = fn(Xi)
                values = (values,) if single else values
                if outs[0] is None:
                    out = np.empty((n_samples,) + values[0].shape[1:], dtype=values[0].dtype)
                    outs = (out,)
                B = len(values[0])
                rows = slice(start, start + B) if order is None else order[start:start + B]
                for full, value in zip(outs, values):
                    full[(rows,) + tuple(slice(0, n) for n in value.shape[1:])] = value
                start += B
        return out

    @available_if(_has_task("classification"))
    def decision_function(self, X):
        """Confidence scores: the model's logits, as scikit-learn's linear
        classifiers give them.

        Parameters
        ----------
        X : input of shape (n_samples, ...)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes the score of ``classes_[1]``, ``logit_1 - logit_0``
            (positive: ``classes_[1]`` is predicted); else one logit per class,
            columns in ``classes_`` order.
        """
        logits = self._raw_outputs(X)
        if self.objective_ == "classification" and logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    @property
    def intercept_(self):
        """The output layer's bias, in :meth:`decision_function`'s layout:
        shape (1,) for two classes (``b_1 - b_0``), (n_classes,) or
        (n_outputs,) otherwise. Models whose head is not a single linear layer
        have none (AttributeError)."""
        head = getattr(getattr(self, "module_", None), "head", None)
        if not isinstance(head, torch.nn.Linear) or head.bias is None:
            raise AttributeError(f"{type(self).__name__} has no linear output layer.")
        bias = head.bias.detach().cpu().double().numpy()
        if getattr(self, "objective_", None) == "classification" and len(bias) == 2:
            return bias[1:] - bias[:1]
        mean, scale = self._target_scale()  # regression: in the units of y
        return bias * scale + mean

    def _explained_score_weights(self, outputs):
        """(B, K) weights ``m`` such that the explained score of each sample is
        ``sum_k m[b, k] * outputs[b, k]``: the predicted class's logit (several
        classes), its logit minus the other's (two classes: ``+-
        decision_function``), or the sum of the outputs (regression)."""
        B, K = outputs.shape
        if getattr(self, "objective_", None) != "classification":
            _, scale = self._target_scale()  # contributions in the units of y
            return torch.ones_like(outputs) * torch.as_tensor(scale, dtype=outputs.dtype,
                                                               device=outputs.device)
        weights = torch.nn.functional.one_hot(outputs.argmax(-1), K).to(outputs.dtype)
        if K == 2:
            weights = 2 * weights - 1  # (+1 predicted, -1 the other)
        return weights

    def _raw_outputs(self, X):
        """The module's outputs (logits) for ``X``, float64 (n_samples, n_outputs)."""
        return self._fill_batches(
            self._net_input(X), lambda Xi: to_numpy(self.infer(Xi)).astype(np.float64))

    @available_if(_has_task("classification"))
    def predict_proba(self, X):
        """Class probabilities of ``X``.

        Parameters
        ----------
        X : input of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of float64 of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1. For multi-label
            targets, each label's own probability (a sigmoid per column).
        """
        return _link(self._raw_outputs(X), self.objective_)

    @available_if(_has_task(*TASKS))
    def predict(self, X):
        """Predict class labels (classifiers) or targets (regressors).

        Parameters
        ----------
        X : input of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Labels from ``classes_``; for regressors float64 targets, 1-D where
            ``y`` was 1-D at fit.
        """
        self.check_is_fitted()
        objective = self.objective_
        outputs = _link(self._raw_outputs(X), objective)
        mean, scale = self._target_scale()
        return decode_outputs(
            outputs * scale + mean, objective,
            getattr(self, "classes_", None), getattr(self, "y_ndim_", 1),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self._task == "regression":
            tags.target_tags.multi_output = True
        return tags
