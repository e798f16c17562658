"""AttentionEncoder: raw documents -> dense vectors from attention pooling."""

from numbers import Real

import numpy as np
import torch
from skorch import NeuralNet
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._base import _check_target_1d, _encode
from .._skorch import PaddedBatchDataset
from ..feature_extraction._sequence import PAD_ID, UNK_ID
from ..nn.masked import MaskedTokenLoss, MaskedTokenModule, mask_tokens
from ..nn.text import TextAttentionModule
from ..text._classes import _PARAMS_DOC, _TextAttentionMixin
from ._targets import TASKS, encode_target, infer_task

__all__ = ["AttentionEncoder"]


class _MaskedTokenDataset(PaddedBatchDataset):
    """Id rows, cut to each batch's longest row, with tokens hidden afresh at
    every access; the targets are the hidden tokens (see
    :func:`skattn.nn.masked.mask_tokens`)."""

    def __init__(self, X, *, mask_id, vocab_size, rate):
        super().__init__(X, None)
        self.mask_id = mask_id
        self.vocab_size = vocab_size
        self.rate = rate

    def transform(self, X, y):
        X, _ = super().transform(X, None)
        return mask_tokens(
            torch.as_tensor(X), self.mask_id, self.vocab_size, rate=self.rate,
            padding_idx=PAD_ID, first_regular_id=UNK_ID + 1,
        )


class _EncoderMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """Transformer API of the text encoders: ``n_components_`` output columns
    named ``<class name>0``, ``<class name>1``, ...; ``y`` optional."""

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


class AttentionEncoder(_EncoderMixin, _TextAttentionMixin, NeuralNet):
    __doc__ = (
        """Encode documents as dense vectors with a trained attention encoder.

    A scikit-learn transformer: ``transform`` maps raw documents to the pooled
    vectors of a :class:`skattn.nn.SequenceEncoder`, shape (n_samples,
    n_components) with ``n_components = embedding_dim``, so it can feed any
    estimator, e.g. ``make_pipeline(AttentionEncoder(), LogisticRegression())``.
    How the encoder is trained depends on ``y``:

    - ``fit(X, y)``: with a supervised output layer on the pooled vector,
      classification for class labels, regression for float targets (see
      ``task``). The output layer is discarded at ``transform``; the encoder
      is kept.
    - ``fit(X)`` (or ``task="masked_tokens"``): self-supervised, by masked-token prediction: about
      ``mask_rate`` of each document's tokens are hidden (BERT's 80/10/10
      scheme) and the pooled vector of the corrupted document must predict
      them (``skattn.nn.masked.MaskedTokenModule``).

    Which tokens the pooling attends to is available per document through
    :meth:`explain` and per vocabulary token through ``token_attention_``.
"""
        + _PARAMS_DOC.replace(
            "    max_epochs : int, default=10",
            """    task : {"auto", "classification", "regression", "masked_tokens"}, default="auto"
        Objective of ``fit(X, y)``; "auto" infers it from ``y``: float
        targets mean regression, integer, bool or string labels classification.
        "masked_tokens" trains self-supervised even where ``y`` is passed
        (as a :class:`~sklearn.pipeline.Pipeline` does).
    mask_rate : float in (0, 1), default=0.15
        Share of tokens hidden per document for ``fit(X)`` without ``y``.
    max_epochs : int, default=10""",
        )
        + """
    Attributes
    ----------
    n_components_ : int
        Width of the vectors that :meth:`transform` returns.
    objective_ : {"classification", "regression", "masked_tokens"}
        How the encoder was trained.
    classes_ : ndarray or None
        The labels, when trained for classification.
    vectorizer_ : SequenceVectorizer
        The fitted vectorizer.
    module_ : torch.nn.Module
        The trained module; ``module_.encoder`` is the
        :class:`skattn.nn.SequenceEncoder`.
    history_ : skorch.History
    token_attention_ : pandas.Series
        Mean pooling attention of each vocabulary token over its occurrences
        in the training documents, sorted descending.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skattn import AttentionEncoder
    >>> from skattn.datasets import load_movie_reviews
    >>> X, y = load_movie_reviews(return_X_y=True)
    >>> pipe = make_pipeline(AttentionEncoder(max_epochs=2, random_state=0),
    ...                      LogisticRegression())
    >>> pipe.fit(X[:1000], y[:1000]).score(X[1000:1200], y[1000:1200])  # doctest: +SKIP
    """
    )

    def __init__(
        self,
        *,
        vectorizer=None,
        encoder="pooling",
        attention="additive",
        embedding_dim=64,
        num_heads=2,
        num_layers=1,
        task="auto",
        mask_rate=0.15,
        max_epochs=10,
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
        # module and criterion follow the objective unless given (see initialize_*).
        self._init_net(locals(), module=None, criterion=None, dataset=PaddedBatchDataset)

    # -- objective ---------------------------------------------------------

    def _objective(self, y):
        self._check_constraints(
            {
                "task": [StrOptions(set(TASKS) | {"masked_tokens"})],
                "mask_rate": [Interval(Real, 0, 1, closed="neither")],
            }
        )
        if y is None or self.task == "masked_tokens":
            return "masked_tokens"
        return infer_task(y, self.task)

    def _check_same_objective(self, objective):
        previous = getattr(self, "objective_", None)
        if previous is not None and previous != objective:
            raise ValueError(
                f"This {type(self).__name__} was trained with objective {previous!r}; "
                f"continuing with {objective!r} is not possible. Call fit without "
                "warm_start to start afresh."
            )

    def _encode_target(self, y, n_samples):
        # Called by _TextAttentionMixin.fit/partial_fit before training.
        objective = self._objective(y)
        continuing = self.warm_start and self.initialized_
        if continuing:
            self._check_same_objective(objective)
        self.objective_ = objective
        if objective == "masked_tokens":
            self.classes_ = None
            self.n_outputs_ = None  # the vocabulary size, once it is known
            return None
        if continuing and objective == "classification":
            # The head is sized for the first classes: keep their indices.
            return _encode(_check_target_1d(y, n_samples), self.classes_, "y")
        encoded, self.classes_, self.n_outputs_ = encode_target(y, n_samples, objective)
        return encoded

    def _train(self, X, y):
        if self.objective_ == "masked_tokens":
            n_tokens = len(self.vectorizer_.vocabulary_)
            self.n_outputs_ = n_tokens
            X = _MaskedTokenDataset(X, mask_id=n_tokens, vocab_size=n_tokens, rate=self.mask_rate)
        return super()._train(X, y)

    def _module_params(self):
        params = super()._module_params()
        if self.objective_ == "masked_tokens":
            del params["n_outputs"]  # MaskedTokenModule predicts the vocabulary
        return params

    def initialize_module(self):
        """Build the module of the objective: :class:`TextAttentionModule` with
        ``y``, :class:`MaskedTokenModule` without (unless ``module`` is given)."""
        if not hasattr(self, "n_outputs_"):
            raise RuntimeError(
                f"{type(self).__name__} builds its module from the data: call fit(X[, y]) "
                "rather than initialize()."
            )
        module = self.module
        if module is None:
            module = MaskedTokenModule if self.objective_ == "masked_tokens" else TextAttentionModule
        params = self._module_params()
        params.update(self.get_params_for("module"))
        self.module_ = self.initialized_instance(module, params)
        return self

    def initialize_criterion(self):
        """Cross-entropy (classification), MSE (regression) or
        :class:`MaskedTokenLoss`, unless ``criterion`` is given."""
        criterion = self.criterion
        if criterion is None:
            criterion = {
                "classification": torch.nn.CrossEntropyLoss,
                "regression": torch.nn.MSELoss,
                "masked_tokens": MaskedTokenLoss,
            }[self.objective_]
        self.criterion_ = self.initialized_instance(criterion, self.get_params_for("criterion"))
        return self

    # -- fitting -------------------------------------------------------------

    def fit(self, X, y=None):
        """Fit the vectorizer and train the encoder on documents ``X``.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Class labels or regression targets; None trains by masked-token
            prediction.

        Returns
        -------
        self
        """
        super().fit(X, y)
        self.n_components_ = self.module_.encoder.output_dim
        return self

    def partial_fit(self, X, y=None):
        """Train ``max_epochs`` more epochs with the same objective and vocabulary."""
        if self.initialized_ and hasattr(self, "vectorizer_"):
            self._check_same_objective(self._objective(y))
        super().partial_fit(X, y)
        self.n_components_ = self.module_.encoder.output_dim
        return self

    # -- transforming --------------------------------------------------------

    def transform(self, X):
        """Pooled encoder vectors of documents ``X``, computed batch by batch.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
            Documents without any token map to zero vectors.

        Returns
        -------
        X_new : ndarray of float32 of shape (n_samples, n_components)
        """
        check_is_fitted(self, "n_components_")
        ids = self._transform_input(X)
        out = np.empty((len(ids), self.n_components_), dtype=np.float32)
        self._set_training(False)
        start = 0
        with torch.no_grad():
            for Xi in self._as_batches(ids):
                pooled, _ = self.module_.encoder(Xi)  # (B, n_components)
                out[start:start + len(pooled)] = pooled.cpu().numpy()
                start += len(pooled)
        return out
