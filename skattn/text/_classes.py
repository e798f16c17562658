"""Attention text classifier and regressor: raw documents in, attention out."""

from numbers import Integral

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._base import TRAINING_PARAMS_DOC, AttentionNetMixin, ClassifierNetMixin, RegressorNetMixin
from .._skorch import PaddedBatchDataset
from ..feature_extraction import SequenceVectorizer
from ..feature_extraction._sequence import PAD_ID
from ..inspection._attribution import ATTRIBUTION_METHODS, embedding_attribution
from ..inspection._rollout import pooling_rollout
from ..nn.text import ENCODERS, TextAttentionModule
from ..utils._validation import check_texts

__all__ = ["AttentionTextClassifier", "AttentionTextRegressor"]

_CONSTRAINTS = {
    "encoder": [StrOptions(set(ENCODERS))],
    "attention": [StrOptions({"additive", "dot", "general", "scaled_dot"})],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "num_heads": [Interval(Integral, 1, None, closed="left")],
    "num_layers": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
}

_EXPLAIN_METHODS = ("attention", "rollout") + ATTRIBUTION_METHODS

_PARAMS_DOC = """
    Parameters
    ----------
    vectorizer : SequenceVectorizer, default=None
        Turns documents into token ids; ``SequenceVectorizer(min_df=2)`` when
        None (a token seen in one training document only cannot generalize). Its
        parameters can be set (and grid-searched) as ``vectorizer__*``, e.g.
        ``vectorizer__max_len=64``.
    encoder : {"pooling", "gru", "transformer"}, default="pooling"
        ``"pooling"``: attention pooling over the token embeddings (fastest,
        linear in length). ``"gru"``: a bidirectional GRU, then attention
        pooling. ``"transformer"``: ``num_layers`` Transformer blocks with
        multi-head self-attention, then attention pooling.
    attention : {"additive", "dot", "general", "scaled_dot"}, default="additive"
        Scoring function of the pooling attention.
    embedding_dim : int, default=64
        Width of token embeddings and of the pooled document vector.
    num_heads : int, default=2
        Heads of the Transformer's self-attention (must divide ``embedding_dim``).
    num_layers : int, default=1
        GRU or Transformer layers.
    max_epochs : int, default=10
    lr : float, default=0.005
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.Adam
        Its arguments go through ``optimizer__*`` (e.g. ``optimizer__weight_decay``).
""" + TRAINING_PARAMS_DOC + """    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``module__hidden_size``, ``module__ff_dim`` (see
        :class:`skattn.nn.SequenceEncoder`), ``optimizer__*``,
        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.
"""

# The classifier's training defaults were chosen on one 80/20 validation split
# of MR (epochs 4-6 scored best with heavy dropout); docs/benchmarks.md has the
# 5-fold figures they give.
_CLASSIFIER_DEFAULTS = {"max_epochs": 6, "lr": 0.01, "module__dropout": 0.5}
_CLASSIFIER_PARAMS_DOC = _PARAMS_DOC.replace(
    "    max_epochs : int, default=10\n    lr : float, default=0.005\n",
    "    max_epochs : int, default=6\n    lr : float, default=0.01\n",
).replace(
    "        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.\n",
    "        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``. The\n"
    "        classifier sets ``module__dropout=0.5`` unless given (the module's\n"
    "        own default is 0.1).\n",
)
assert "max_epochs : int, default=6\n" in _CLASSIFIER_PARAMS_DOC and "dropout=0.5" in _CLASSIFIER_PARAMS_DOC

_ATTRIBUTES_DOC = """
    vectorizer_ : SequenceVectorizer
        The fitted vectorizer.
    module_ : torch.nn.Module
        The trained :class:`skattn.nn.TextAttentionModule`.
    history_ : skorch.History
        Per-epoch training record (``train_loss``, ``dur``, ...).
    token_attention_ : pandas.Series
        For each vocabulary token seen in training, the mean pooling attention
        it receives over its occurrences in the training documents, sorted
        descending (index: token; name ``"attention"``). Rare tokens in short
        documents rank high by chance: see
        :func:`skattn.inspection.top_tokens` to filter by count.
"""


class _TextAttentionMixin(AttentionNetMixin):
    """Raw text handling shared by the text classifier and regressor."""

    prefixes_ = NeuralNet.prefixes_ + ["vectorizer"]

    def _module_params(self):
        return dict(
            vocab_size=len(self.vectorizer_.vocabulary_),
            n_outputs=self.n_outputs_,
            encoder=self.encoder,
            attention=self.attention,
            embedding_dim=self.embedding_dim,
            num_heads=self.num_heads,
            num_layers=self.num_layers,
            padding_idx=PAD_ID,
        )

    def _transform_input(self, X):
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.transform(check_texts(X))

    def fit(self, X, y):
        """Fit the vectorizer and train the attention model on documents ``X``.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
            Documents; None/NaN, non-str items and empty documents are rejected.
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for the regressor)

        Returns
        -------
        self
        """
        self._check_constraints(_CONSTRAINTS)
        if self.encoder == "transformer" and self.embedding_dim % self.num_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be divisible by "
                f"num_heads={self.num_heads} for the transformer encoder."
            )
        texts = check_texts(X, allow_empty=False, min_samples=2)
        target = self._encode_target(y, len(texts))
        if not (self.warm_start and self.initialized_):
            vectorizer = (
                SequenceVectorizer(min_df=2) if self.vectorizer is None else clone(self.vectorizer)
            )
            vectorizer.set_params(**self.get_params_for("vectorizer"))
            self.vectorizer_ = vectorizer.fit(texts)
        ids = self.vectorizer_.transform(texts)
        self._train(ids, target)
        self._record_attention(ids)
        return self

    _input_state = "vectorizer_"  # learned at the first fit, kept by partial_fit

    def _partial_fit_input(self, X):
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.transform(check_texts(X, allow_empty=False))

    def _record_attention(self, ids):
        self.token_attention_ = self._token_attention(ids)

    def _pooling_weights(self, ids):
        """(n_samples, max_len) pooling weights of id rows, 0 on padding."""
        weights = np.zeros(ids.shape, dtype=np.float32)
        start = 0
        for Xi, _, w in self._attention(ids):
            pooled = w["pooling"].cpu().numpy()  # (B, T_batch)
            weights[start:start + len(pooled), : pooled.shape[1]] = pooled
            start += len(pooled)
        return weights

    def _token_attention(self, ids):
        weights = self._pooling_weights(ids)
        real = ids != PAD_ID
        n_tokens = len(self.vectorizer_.index_to_token_)
        total = np.bincount(ids[real], weights=weights[real], minlength=n_tokens)
        count = np.bincount(ids[real], minlength=n_tokens)
        seen = count > 0
        series = pd.Series(
            total[seen] / count[seen],
            index=pd.Index(self.vectorizer_.index_to_token_[seen], name="token"),
            name="attention",
        )
        return series.sort_values(ascending=False, kind="stable")

    def __getstate__(self):
        # token_attention_ travels as plain arrays, so that persistence formats
        # without pandas support (skops) can store the estimator.
        state = super().__getstate__()
        if isinstance(state.get("token_attention_"), pd.Series):
            series = state.pop("token_attention_")
            state["_token_attention_arrays"] = (
                series.index.to_numpy(dtype=object), series.to_numpy()
            )
        return state

    def __setstate__(self, state):
        if "_token_attention_arrays" in state:
            tokens, values = state.pop("_token_attention_arrays")
            state["token_attention_"] = pd.Series(
                values, index=pd.Index(tokens, name="token"), name="attention"
            )
        super().__setstate__(state)

    def _token_scores(self, ids, method="attention", *, residual=True, n_steps=20):
        """(n_samples, max_len) per-token scores of id rows, 0 on padding."""
        if method not in _EXPLAIN_METHODS:
            raise ValueError(
                f"method must be one of {_EXPLAIN_METHODS}, got {method!r}."
            )
        if method == "attention":
            return self._pooling_weights(ids)
        scores = np.zeros(ids.shape, dtype=np.float32)
        start = 0
        if method == "rollout":
            for _, _, w in self._attention(ids):
                layers = [layer.cpu().numpy() for layer in w.get("self_attention", ())]
                rolled = pooling_rollout(w["pooling"].cpu().numpy(), layers, residual=residual)
                scores[start:start + len(rolled), : rolled.shape[1]] = rolled
                start += len(rolled)
            return scores
        self.check_is_fitted()
        self._set_training(False)
        for Xi in self._as_batches(ids):
            batch = embedding_attribution(
                self.module_,
                self.module_.encoder.embedding,
                Xi,
                self._attribution_target(Xi),
                method=method,
                n_steps=n_steps,
            ).cpu().numpy()  # (B, T_batch)
            scores[start:start + len(batch), : batch.shape[1]] = batch
            start += len(batch)
        return scores

    def _attribution_target(self, Xi):
        """The scalar explained per sample: the sum of the outputs (regressor)."""
        return lambda outputs: outputs.sum(-1)

    def explain(self, X, method="attention", *, residual=True, n_steps=20):
        """Per-token attention (or attribution) of each document, as a tidy DataFrame.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        method : {"attention", "rollout", "gradient", "integrated_gradients"}, \
                default="attention"
            ``"attention"``: the pooling attention weights.
            ``"rollout"``: the pooling attention rolled out through the
            Transformer's self-attention layers (Abnar & Zuidema, 2020; see
            :func:`skattn.inspection.pooling_rollout`): how much each input
            token feeds the positions the pooling attends to. Encoders without
            self-attention (``"pooling"``, ``"gru"``) have nothing to roll out:
            it equals ``"attention"``.
            ``"gradient"``: gradient x input over the token embeddings.
            ``"integrated_gradients"``: integrated gradients over the token
            embeddings from an all-zero baseline.
            The attributions explain the log-probability of the predicted class
            (classifier) or the prediction, summed over targets (regressor);
            they are signed and do not sum to 1.
        residual : bool, default=True
            Rollout only: account for the residual connections as
            ``0.5 * A + 0.5 * I`` per layer. ``False`` takes the pure product
            of the attention weights.
        n_steps : int, default=20
            Integrated gradients only: steps of the path integral.

        Returns
        -------
        explanation : pandas.DataFrame
            One row per (document, token position) with columns ``sample``
            (position of the document in ``X``), ``position``, ``token`` (the
            token as written, also where it is out of vocabulary),
            ``in_vocabulary`` and ``weight`` (the score of ``method``; for
            ``"attention"`` and ``"rollout"`` it sums to 1 over each document's
            tokens). Documents without tokens have no rows.
        """
        check_is_fitted(self, "vectorizer_")
        texts = check_texts(X)
        tokens = self.vectorizer_.tokenize(texts)
        ids = self.vectorizer_.transform(texts)
        weights = self._token_scores(ids, method, residual=residual, n_steps=n_steps)
        real = ids != PAD_ID
        sample, position = np.nonzero(real)
        flat_tokens = np.empty(int(real.sum()), dtype=object)
        flat_tokens[:] = [t for doc in tokens for t in doc]
        return pd.DataFrame(
            {
                "sample": sample,
                "position": position,
                "token": flat_tokens,
                "in_vocabulary": ids[real] != 1,
                "weight": weights[real],
            }
        )

    def attention_layers(self, X):
        """Per-layer, per-head self-attention weights of the Transformer encoder.

        The layout is Hugging Face's ``output_attentions``, so one document's
        slice can go to ``bertviz.head_view`` unchanged (see
        :func:`skattn.inspection.to_bertviz`).

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        attention : tuple of ndarray of shape (n_samples, num_heads, T, T)
            One array per layer, first layer first; ``T`` is the longest
            document's token count. Rows are queries, columns keys; padding
            rows and columns of shorter documents are 0.
        tokens : list of list of str
            Each document's tokens, as written.

        Raises
        ------
        ValueError
            For the ``"pooling"`` and ``"gru"`` encoders, which have no
            self-attention layers (use :meth:`explain`).
        """
        check_is_fitted(self, "vectorizer_")
        if self.encoder != "transformer":
            raise ValueError(
                f"encoder={self.encoder!r} has no self-attention layers; only the "
                "'transformer' encoder has per-layer, per-head weights. Use explain() "
                "for its pooling attention."
            )
        texts = check_texts(X)
        tokens = self.vectorizer_.tokenize(texts)
        ids = self.vectorizer_.transform(texts)
        real = ids != PAD_ID
        width = int(real.sum(1).max(initial=0))
        heads = self.module_.encoder.blocks[0].attention.num_heads
        layers = [
            np.zeros((len(ids), heads, width, width), dtype=np.float32)
            for _ in self.module_.encoder.blocks
        ]
        start = 0
        for _, _, w in self._attention(ids[:, : max(width, 1)]):
            for full, layer in zip(layers, w["self_attention"]):
                layer = layer.cpu().numpy()  # (B, H, T_batch, T_batch)
                B, _, T, _ = layer.shape
                full[start:start + B, :, :T, :T] = layer
            start += B
        # Padded queries still attend over real keys; zero their rows.
        for full in layers:
            full *= real[:, None, :width, None]
        return tuple(layers), tokens

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


class AttentionTextClassifier(ClassifierNetMixin, _TextAttentionMixin, NeuralNetClassifier):
    __doc__ = (
        """Text classifier that learns which tokens to attend to.

    Takes raw documents, learns a vocabulary, trains an attention encoder with
    skorch, and exposes the learned attention per token (``token_attention_``)
    and per document (:meth:`explain`). Labels may be of any type (strings too).
"""
        + _CLASSIFIER_PARAMS_DOC
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
    >>> from skattn.datasets import load_movie_reviews
    >>> from skattn.text import AttentionTextClassifier
    >>> X, y = load_movie_reviews(return_X_y=True)
    >>> clf = AttentionTextClassifier(max_epochs=2, random_state=0).fit(X[::5], y[::5])
    >>> clf.classes_
    array(['neg', 'pos'], dtype=object)
    >>> clf.predict(["a gorgeous , witty , seductive movie ."])  # doctest: +SKIP
    array(['pos'], dtype=object)
    >>> explanation = clf.explain(["a gorgeous , witty , seductive movie ."])
    >>> explanation.columns.tolist()
    ['sample', 'position', 'token', 'in_vocabulary', 'weight']
    >>> round(float(explanation["weight"].sum()), 3)
    1.0
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
        max_epochs=6,
        lr=0.01,
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
            locals(),
            module=TextAttentionModule,
            criterion=torch.nn.CrossEntropyLoss,
            dataset=PaddedBatchDataset,
            module__dropout=_CLASSIFIER_DEFAULTS["module__dropout"],
        )

    def _attribution_target(self, Xi):
        """The scalar explained per sample: the log-probability of the predicted class."""
        with torch.no_grad():
            predicted = self.module_(Xi).argmax(-1, keepdim=True)  # (B, 1)
        return lambda outputs: outputs.log_softmax(-1).gather(-1, predicted).squeeze(-1)


class AttentionTextRegressor(RegressorNetMixin, _TextAttentionMixin, NeuralNetRegressor):
    __doc__ = (
        """Text regressor that learns which tokens to attend to.

    Same model as :class:`AttentionTextClassifier` with a mean squared error
    loss; ``y`` may be 1-D or 2-D (several targets).
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
        vectorizer=None,
        encoder="pooling",
        attention="additive",
        embedding_dim=64,
        num_heads=2,
        num_layers=1,
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
        self._init_net(
            locals(),
            module=TextAttentionModule,
            criterion=torch.nn.MSELoss,
            dataset=PaddedBatchDataset,
        )
