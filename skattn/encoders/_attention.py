"""AttentionEncoder: raw documents -> dense vectors from attention pooling."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions
from .._docstrings import fill_doc
from .._skorch import PaddedBatchDataset
from .._targets import TASKS, infer_task
from .._text_net import TextAttentionNet
from ..feature_extraction._sequence import PAD_ID, UNK_ID
from ..nn.masked import MaskedTokenLoss, MaskedTokenModule, mask_tokens
from ..nn.text import TextAttentionModule

__all__ = ["AttentionEncoder", "EncoderMixin"]


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


class EncoderMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """Transformer API of the text encoders: ``n_components_`` output columns
    named ``<class name>0``, ``<class name>1``, ...; ``y`` optional."""

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


@fill_doc
class AttentionEncoder(EncoderMixin, TextAttentionNet):
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

    Parameters
    ----------
    %(text_model_params)s
    task : {"auto", "classification", "regression", "masked_tokens"}, default="auto"
        Objective of ``fit(X, y)``; "auto" infers it from ``y``: float
        targets mean regression, integer, bool or string labels classification.
        "masked_tokens" trains self-supervised even where ``y`` is passed
        (as a :class:`~sklearn.pipeline.Pipeline` does).
    mask_rate : float in (0, 1), default=0.15
        Share of tokens hidden per document for ``fit(X)`` without ``y``.
    max_epochs : int, default=10
    lr : float, default=0.005
    lr_schedule : {"constant", "linear"}, default="constant"
        %(lr_schedule_values)s
    attention_lr : float or None, default=None
        %(attention_lr_values)s
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.Adam
        Its arguments go through ``optimizer__*`` (e.g. ``optimizer__weight_decay``).
    %(training_params)s
    %(text_kwargs)s

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

    _task = "auto"

    _parameter_constraints = {
        **TextAttentionNet._parameter_constraints,
        "task": [StrOptions(set(TASKS) | {"auto", "masked_tokens"})],
        "mask_rate": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        vectorizer=None,
        encoder="pooling",
        attention="additive",
        attention_dim=None,
        embedding_dim=64,
        num_heads=2,
        num_layers=1,
        task="auto",
        mask_rate=0.15,
        max_epochs=10,
        lr=0.005,
        lr_schedule="constant",
        attention_lr=None,
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
        **kwargs,
    ):
        # module and criterion follow the objective unless given (see initialize_*).
        self._init_net(locals(), module=None, criterion=None, dataset=PaddedBatchDataset,
                       iterator_train__bucket_batches=8)

    # -- objective ---------------------------------------------------------

    def _target_task(self, y):
        if y is None or self.task == "masked_tokens":
            return "masked_tokens"
        return infer_task(y, self.task)

    def _encode_target(self, y, n_samples, *, continuing):
        encoded = super()._encode_target(y, n_samples, continuing=continuing)
        if not continuing and self.objective_ != "classification":
            self.classes_ = None
        if self.objective_ == "masked_tokens":
            if not continuing:
                self.n_outputs_ = None  # the vocabulary size, once it is known
            return None
        return encoded

    def _training_data(self, X, y):
        if self.objective_ != "masked_tokens":
            return X, y
        n_tokens = self.vectorizer_.n_ids_
        self.n_outputs_ = n_tokens
        return _MaskedTokenDataset(X, mask_id=n_tokens, vocab_size=n_tokens, rate=self.mask_rate), None

    def _module_params(self):
        params = super()._module_params()
        if self.objective_ == "masked_tokens":
            del params["n_outputs"]  # MaskedTokenModule predicts the vocabulary
        return params

    def _module_class(self):
        """:class:`TextAttentionModule` with ``y``, :class:`MaskedTokenModule`
        without (unless ``module`` is given)."""
        if self.module is not None:
            return self.module
        return MaskedTokenModule if self.objective_ == "masked_tokens" else TextAttentionModule

    def _default_criterion(self):
        """:class:`MaskedTokenLoss` for masked tokens, else by task."""
        if self.objective_ == "masked_tokens":
            return MaskedTokenLoss
        return super()._default_criterion()

    def _after_fit(self, X, y, inputs):
        super()._after_fit(X, y, inputs)
        self.n_components_ = self.module_.encoder.output_dim

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
        ids = self._net_input(X)
        return self._fill_batches(
            ids,
            lambda Xi: self.module_.encoder(Xi)[0].cpu().numpy(),  # (B, n_components)
            np.empty((len(ids), self.n_components_), dtype=np.float32),
        )
