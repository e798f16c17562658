"""The base of the from-scratch text estimators, and the explain schema of
every text-like estimator.

:class:`TextAttentionNet` is what :class:`~skattn.text.AttentionTextClassifier`,
:class:`~skattn.text.AttentionTextRegressor` and
:class:`~skattn.encoders.AttentionEncoder` share: raw documents in, a
:class:`~skattn.feature_extraction.SequenceVectorizer` learned at fit, a
:class:`skattn.nn.TextAttentionModule` (or a subclass) trained on the ids,
``token_attention_``, :meth:`~TextAttentionNet.explain` and
:meth:`~TextAttentionNet.attention_layers`.

:func:`explanation_frame` and :func:`padded_layers` give every text-like
estimator (these and the pretrained ones) one ``explain`` table and one
per-layer weights layout.
"""

from itertools import chain
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._explain import ATTRIBUTION_METHODS, attribute_embeddings, pooling_rollout
from ._net import AttentionNet
from .feature_extraction import SequenceVectorizer
from .feature_extraction._sequence import PAD_ID, UNK_ID
from .nn.attention import SCORES
from .nn.optim import DeferredAdam
from .nn.text import ENCODERS
from .utils._validation import check_texts

__all__ = ["TextAttentionNet", "EXPLAIN_COLUMNS", "explanation_frame", "padded_layers"]

#: The columns of every text-like estimator's ``explain``, in order; extra
#: columns (``layer``, ``head``, ...) come after ``sample``.
EXPLAIN_COLUMNS = ("sample", "position", "token", "in_vocabulary", "special", "weight")

#: The key that marks the optimizer's parameter group of ``attention_lr``.
_ATTENTION_GROUP = "skattn_attention"

EXPLAIN_METHODS = ("attention", "contribution", "rollout") + ATTRIBUTION_METHODS


def explanation_frame(sample, position, token, in_vocabulary, special, weight, **extra):
    """The tidy ``explain`` table: one row per (document, [extra,] token).

    Parameters
    ----------
    sample, position : ndarray of int of shape (n_rows,)
    token : sequence of str of length n_rows
    in_vocabulary, special : ndarray of bool of shape (n_rows,), or a bool for all
    weight : ndarray of float of shape (n_rows,)
    **extra : ndarray of shape (n_rows,)
        Columns placed after ``sample`` (e.g. ``layer``, ``head``).

    Returns
    -------
    pandas.DataFrame
        Columns ``sample``, ``*extra``, ``position``, ``token``,
        ``in_vocabulary``, ``special``, ``weight``.
    """
    n = len(sample)
    tokens = np.empty(n, dtype=object)
    tokens[:] = list(token)
    columns = {"sample": np.asarray(sample, dtype=np.int64), **extra}
    columns.update(
        position=np.asarray(position, dtype=np.int64),
        token=tokens,
        in_vocabulary=np.broadcast_to(np.asarray(in_vocabulary, dtype=bool), (n,)).copy(),
        special=np.broadcast_to(np.asarray(special, dtype=bool), (n,)).copy(),
        weight=np.asarray(weight),
    )
    return pd.DataFrame(columns)


def finish_explanation(estimator, frame, X, texts, with_prediction):
    """``explain``'s last step: ``sample`` as the caller's index (the index of
    a Series or DataFrame ``X``; positions otherwise) and, on request, each
    sample's prediction and its probability."""
    positions = frame["sample"].to_numpy()
    if with_prediction:
        if not hasattr(estimator, "predict") or getattr(estimator, "objective_", None) in (
                "multilabel", None):
            raise ValueError(
                "with_prediction=True needs a single-output classifier or regressor, got "
                f"{type(estimator).__name__} (objective {getattr(estimator, 'objective_', None)!r})."
            )
        predicted = np.asarray(estimator.predict(texts))
        if predicted.ndim == 1:
            frame.insert(1, "prediction", predicted[positions])
        if hasattr(estimator, "predict_proba"):
            frame.insert(2, "probability", estimator.predict_proba(texts).max(axis=1)[positions])
    if hasattr(X, "index") and hasattr(X, "iloc"):  # pandas: its index labels
        frame["sample"] = np.asarray(X.index)[positions]
    return frame


def padded_layers(net, ids, real, n_layers, n_heads, layers_of_batch):
    """Per-layer, per-head self-attention of every document, zero-padded.

    The layout of Hugging Face's ``output_attentions``, as numpy: one
    (n_samples, n_heads, T, T) float32 array per layer, rows = queries,
    columns = keys, ``T`` the longest document's token count; rows and columns
    of padding are 0.

    Parameters
    ----------
    net : AttentionNet
        Fitted; its prediction batches are visited.
    ids : ndarray of shape (n_samples, T_ids)
        Encoded, right-padded input.
    real : ndarray of bool of shape (n_samples, T_ids)
        True on real tokens.
    n_layers, n_heads : int
    layers_of_batch : callable
        Batch of module input -> sequence of ``n_layers`` tensors (B, H, t, t).
    """
    width = int(real.sum(1).max(initial=0))
    out = tuple(
        np.zeros((len(ids), n_heads, width, width), dtype=np.float32) for _ in range(n_layers)
    )
    if not n_layers or not len(ids):
        return out

    def fn(Xi):
        return tuple(layer.float().cpu().numpy() for layer in layers_of_batch(Xi))

    net._fill_batches(ids[:, : max(width, 1)], fn, out)
    mask = real[:, None, :width, None] & real[:, None, None, :width]  # (n, 1, T, T)
    for layer in out:
        layer *= mask
    return out


class TextAttentionNet(AttentionNet):
    """Raw documents -> token ids -> an attention model, with its attention exposed.

    The base of the from-scratch text estimators; see the module docstring.
    Its hooks (:class:`~skattn._net.AttentionNet`) validate documents with
    :func:`skattn.utils.check_texts`, learn a
    :class:`~skattn.feature_extraction.SequenceVectorizer` (``vectorizer``,
    with ``vectorizer__*`` parameters) and build the module from its size.
    """

    prefixes_ = NeuralNet.prefixes_ + ["vectorizer"]

    #: The SequenceVectorizer parameters of ``vectorizer=None``.
    _default_vectorizer = {"min_df": 2}

    _parameter_constraints = {
        **AttentionNet._parameter_constraints,
        "encoder": [StrOptions(set(ENCODERS))],
        "attention": [StrOptions(set(SCORES))],
        "attention_dim": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "num_heads": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "attention_lr": [Interval(Real, 0, None, closed="neither"), None],
    }

    # -- hooks of AttentionNet --------------------------------------------------

    def _check_params(self):
        if self.encoder == "transformer" and self.embedding_dim % self.num_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be divisible by "
                f"num_heads={self.num_heads} for the transformer encoder."
            )

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch hook: with ``attention_lr``, the parameters that decide where
        the pooling looks (the module's ``attention_parameters()``: the
        pooling scorer, the GRU or Transformer layers) form a parameter group
        of their own at that learning rate, split off every group that sets
        no ``lr`` of its own (``optimizer__param_groups`` that do keep theirs).
        A learning-rate schedule scales every group alike."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix != "optimizer" or self.attention_lr is None:
            return args, kwargs
        looking = {id(p) for p in self.module_.attention_parameters()}
        groups = []
        for group in args[0]:
            if "lr" in group:
                groups.append(group)
                continue
            params = list(group["params"])
            rest = [p for p in params if id(p) not in looking]
            attending = [p for p in params if id(p) in looking]
            groups += [{**group, "params": part, **extra} for part, extra in (
                (rest, {}), (attending, {"lr": self.attention_lr, _ATTENTION_GROUP: True}))
                if part]
        return (groups, *args[1:]), kwargs

    def set_params(self, **params):
        """Set parameters (scikit-learn's ``set_params``). On a fitted net
        skorch sets a new ``lr`` on every parameter group; the group of
        ``attention_lr`` keeps (or takes) that rate, so ``partial_fit``
        continues with both. Setting ``attention_lr`` to or from None takes
        effect at the next ``fit``."""
        super().set_params(**params)
        optimizer = self.__dict__.get("optimizer_")
        if ({"lr", "attention_lr"} & set(params) and optimizer is not None
                and self.attention_lr is not None):
            for group in optimizer.param_groups:
                if group.get(_ATTENTION_GROUP):
                    group["lr"] = self.attention_lr
        return self

    def _validate_input(self, X, *, training=False, reset=False):
        return check_texts(X, allow_empty=not training, min_samples=2 if reset else 1)

    def _new_vectorizer(self):
        vectorizer = (SequenceVectorizer(**self._default_vectorizer) if self.vectorizer is None
                      else clone(self.vectorizer))
        return vectorizer.set_params(**self.get_params_for("vectorizer"))

    def _fit_input(self, X, y):
        self.vectorizer_ = self._new_vectorizer().fit(X)

    def _fit_encode_input(self, X, y):
        # One tokenization of the training documents: the vocabulary pass
        # also gives their id rows.
        vectorizer = self._new_vectorizer()
        ids = vectorizer.fit_transform(X)
        self.vectorizer_ = vectorizer
        return ids

    def _input_fitted(self):
        return hasattr(self, "vectorizer_")

    def _encode_input(self, X):
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.transform(X)

    def _module_params(self):
        return dict(
            vocab_size=self.vectorizer_.n_ids_,
            n_outputs=self.n_outputs_,
            encoder=self.encoder,
            attention=self.attention,
            embedding_dim=self.embedding_dim,
            num_heads=self.num_heads,
            num_layers=self.num_layers,
            padding_idx=PAD_ID,
            **({"sparse_embedding": True} if self._sparse_embedding() else {}),
            **({"attention_dim": width} if (width := self._attention_width()) is not None else {}),
        )

    def _attention_width(self):
        """``attention_dim`` resolved: ``"auto"`` is 8 units for the pooling
        encoder's one query, the setting selected in round 16 of
        ``benchmarks/select_defaults.py``, and None (as wide as what is
        scored) otherwise: the GRU's pooling lost accuracy with a narrow
        scorer, and one query per class shares the scorer's units."""
        if self.attention_dim == "auto":
            return 8 if self.encoder == "pooling" and self._one_query() else None
        return self.attention_dim

    def _one_query(self):
        """Whether the pooling has one query (not one per class); True here."""
        return True

    def _sparse_embedding(self):
        """Whether the embedding gets sparse gradients: with
        :class:`~skattn.nn.DeferredAdam`, unless its settings move every
        row at every step (``optimizer__weight_decay``, ``optimizer__amsgrad``:
        it then trains a dense embedding as torch's Adam does) or an
        accelerator trains in several processes (data-parallel training
        reduces dense gradients)."""
        optimizer = self.optimizer
        accelerator = getattr(self, "accelerator", None)
        settings = self.get_params_for("optimizer")
        return (isinstance(optimizer, type) and issubclass(optimizer, DeferredAdam)
                and not settings.get("weight_decay", 0) and not settings.get("amsgrad", False)
                and getattr(accelerator, "num_processes", 1) == 1)

    def _after_fit(self, X, y, inputs):
        weights = self._pooling_weights(X)  # (n, T), or (n, K, T) label-wise
        codes, names = self._token_codes(X, inputs)
        real = X != PAD_ID
        if weights.ndim == 3:
            # Each class's query, read on the training documents of that class
            # (where its weights say what the class was recognised by).
            members = np.asarray(y)
            members = members > 0.5 if members.ndim == 2 else (
                members[:, None] == np.arange(len(self.classes_))[None, :])
            self.class_token_attention_ = pd.DataFrame({
                c: self._mean_per_token(codes[m], real[m], weights[m, k], names)[0]
                for k, c in enumerate(self.classes_) for m in [members[:, k]]
            }).fillna(0.0)
            self.class_token_attention_.columns.name = "class"
            weights = weights.mean(1)  # each class's weights sum to 1: so does the mean
        mean, count = self._mean_per_token(codes, real, weights, names)
        order = np.argsort(-mean.to_numpy(), kind="stable")
        self.token_attention_ = mean.iloc[order].rename("attention")
        self.token_counts_ = count.iloc[order].rename("count")
        if hasattr(self, "class_token_attention_"):
            self.class_token_attention_ = self.class_token_attention_.reindex(
                self.token_attention_.index, fill_value=0.0)

    # -- attention --------------------------------------------------------------

    def _contribution_applies(self):
        """Whether the output splits exactly into per-token contributions."""
        return (
            getattr(self, "objective_", None) != "masked_tokens"
            and getattr(self.module_.encoder, "pool_values", None) == "embeddings"
        )

    def _label_wise(self):
        return bool(getattr(self.module_, "per_class_attention", False))

    def _pooling_weights(self, ids):
        """Pooling weights of id rows, 0 on padding: (n_samples, max_len), or
        (n_samples, n_classes, max_len) with per-class attention."""
        shape = (len(ids), len(self.classes_), ids.shape[1]) if self._label_wise() else ids.shape
        return self._fill_batches(
            ids,
            lambda Xi: self.module_.forward_with_weights(Xi)[1]["pooling"].cpu().numpy(),
            np.zeros(shape, dtype=np.float32),
        )

    def _token_codes(self, ids, texts):
        """A code per position of the id rows ``ids`` (n, T) and the token of
        each code: the ids themselves and ``index_to_token_`` with a
        vocabulary; for a vectorizer without one (hashing, whose ids tokens
        may share) the documents' own token strings, numbered in order of
        appearance."""
        names = getattr(self.vectorizer_, "index_to_token_", None)
        if names is not None:
            return ids, names
        flat = np.fromiter(
            chain.from_iterable(self.vectorizer_.tokenize(texts)), dtype=object,
            count=int((ids != PAD_ID).sum()),
        )
        codes_flat, names = pd.factorize(flat)
        codes = np.zeros(ids.shape, dtype=np.int64)
        codes[ids != PAD_ID] = codes_flat
        return codes, np.asarray(names, dtype=object)

    @staticmethod
    def _mean_per_token(codes, real, weights, names):
        """Mean of ``weights`` (n, T) over each token's occurrences (its code in
        ``codes`` at the ``real`` positions), for the tokens that occur: two
        Series indexed by token, the means and the occurrence counts."""
        total = np.bincount(codes[real], weights=weights[real], minlength=len(names))
        count = np.bincount(codes[real], minlength=len(names))
        seen = count > 0
        index = pd.Index(names[seen], name="token")
        return pd.Series(total[seen] / count[seen], index=index), pd.Series(count[seen], index=index)

    def __getstate__(self):
        # token_attention_ and token_counts_ travel as plain arrays, so that persistence formats
        # without pandas support (skops) can store the estimator.
        state = super().__getstate__()
        for name in ("token_attention_", "token_counts_"):
            if isinstance(state.get(name), pd.Series):
                series = state.pop(name)
                state[f"_{name}arrays"] = (series.index.to_numpy(dtype=object), series.to_numpy())
        return state

    def __setstate__(self, state):
        for name, values in (("token_attention_", "attention"), ("token_counts_", "count")):
            if f"_{name}arrays" in state:
                tokens, data = state.pop(f"_{name}arrays")
                state[name] = pd.Series(data, index=pd.Index(tokens, name="token"), name=values)
        super().__setstate__(state)

    def _token_scores(self, ids, method="attention", *, residual=True, n_steps=20):
        """(n_samples, max_len) per-token scores of id rows, 0 on padding."""
        if method not in EXPLAIN_METHODS:
            raise ValueError(f"method must be one of {EXPLAIN_METHODS}, got {method!r}.")
        if method == "attention" and not self._label_wise():
            return self._pooling_weights(ids)
        if method == "attention":  # label-wise: the predicted class's weights
            def fn(Xi):
                outputs, w = self.module_.forward_with_weights(Xi)
                predicted = outputs.argmax(-1)  # (B,)
                return w["pooling"][torch.arange(len(Xi)), predicted].cpu().numpy()
        elif method == "contribution":
            if getattr(self, "objective_", None) == "masked_tokens":
                raise ValueError(
                    "method='contribution' explains a supervised output; this encoder was "
                    "trained by masked-token prediction. Use method='attention'."
                )

            def fn(Xi):
                outputs, contributions, _ = self.module_.forward_with_contributions(Xi)
                m = self._explained_score_weights(outputs)  # (B, K)
                return (contributions * m[:, None, :]).sum(-1).cpu().numpy()  # (B, T_batch)
        elif self._label_wise() and method != "contribution":
            raise ValueError(
                f"method={method!r} is not defined for per-class attention; use "
                "'attention' or 'contribution'."
            )
        elif method == "rollout":
            def fn(Xi):
                _, w = self.module_.forward_with_weights(Xi)
                layers = [layer.cpu().numpy() for layer in w.get("self_attention", ())]
                return pooling_rollout(w["pooling"].cpu().numpy(), layers, residual=residual)
        else:
            def fn(Xi):
                return attribute_embeddings(
                    lambda embedded: self.module_(Xi, embedded=embedded),
                    self.module_.encoder.embedding(Xi),
                    self._attribution_target(Xi),
                    method=method,
                    n_steps=n_steps,
                ).cpu().numpy()  # (B, T_batch)
        return self._fill_batches(ids, fn, np.zeros(ids.shape, dtype=np.float32))

    def _class_token_scores(self, ids, method):
        """(n_samples, n_classes, max_len) scores of every class: its attention
        weights or its contributions (to its own logit)."""
        if method not in ("attention", "contribution"):
            raise ValueError(
                "Every class is explained by method='attention' or 'contribution', got "
                f"{method!r}."
            )
        n_classes = len(self.classes_)

        def fn(Xi):
            if method == "contribution":
                _, contributions, _ = self.module_.forward_with_contributions(Xi)
                return contributions.transpose(1, 2).cpu().numpy()  # (B, K, T)
            weights = self.module_.forward_with_weights(Xi)[1]["pooling"]
            if weights.dim() == 2:  # one query: the same weights for every class
                weights = weights.unsqueeze(1).expand(-1, n_classes, -1)
            return weights.cpu().numpy()

        return self._fill_batches(
            ids, fn, np.zeros((len(ids), n_classes, ids.shape[1]), dtype=np.float32)
        )

    def _attribution_target(self, Xi):
        """The scalar explained per sample: the log-probability of the predicted
        class (classification), else the sum of the outputs."""
        if getattr(self, "objective_", None) != "classification":
            return lambda outputs: outputs.sum(-1)
        predicted = self.module_(Xi).argmax(-1, keepdim=True)  # (B, 1)
        return lambda outputs: outputs.log_softmax(-1).gather(-1, predicted).squeeze(-1)

    @fill_doc
    def explain(self, X, method=None, *, classes=None, with_prediction=False, residual=True,
                n_steps=20):
        """Per-token attention (or attribution) of each document, as a tidy DataFrame.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        method : {"attention", "contribution", "rollout", "gradient", \
                "integrated_gradients"} or None, default=None
            None: ``"contribution"`` where it applies (a supervised model
            pooling token embeddings, the default), else ``"attention"``.
            ``"attention"``: the pooling attention weights.
            ``"contribution"``: each token's exact share of the explained
            score, in one forward pass without gradients. The pooled vector is
            ``sum_t a_t e_t`` (``module__pool_values="embeddings"``, the
            default) and the output layer is linear, so the score of class
            ``c`` is ``sum_t a_t (w_c . e_t) + b_c``; the weight of token ``t``
            is ``a_t (w_c . e_t)``, signed. The explained score is the
            predicted class's logit (for two classes: its logit minus the
            other's, so a document's weights plus ``intercept_`` equal
            ``decision_function`` for ``classes_[1]`` and its negative for
            ``classes_[0]``; for more classes ``intercept_[c]`` and column
            ``c`` of ``decision_function``), or the prediction summed over
            targets (regression). A ``ValueError`` where the head is not
            linear in the tokens (``module__pool_values="states"``, a
            masked-token encoder).
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
            (classification) or the prediction, summed over targets
            (regression); they are signed and do not sum to 1.
        classes : None, "all" or a label, default=None
            Classifiers: which class to explain. None: the predicted class (for
            multi-label models: every label, with a ``class`` column). ``"all"``:
            every class, one block of rows each, with a ``class`` column
            (``classes_`` values) after ``sample``; a label: that class only,
            with the column. Every class's own weights are those of its own
            query with ``per_class_attention=True`` (shared otherwise); with
            ``"contribution"``, each class's contributions to its own logit
            (they sum, with ``intercept_[c]``, to the logit of class ``c``).
            Available for ``"attention"`` and ``"contribution"``.
        with_prediction : bool, default=False
            Add each sample's ``prediction`` (and, for classifiers, the
            ``probability`` of the predicted class) as columns after ``sample``.
        residual : bool, default=True
            Rollout only: account for the residual connections as
            ``0.5 * A + 0.5 * I`` per layer. ``False`` takes the pure product
            of the attention weights.
        n_steps : int, default=20
            Integrated gradients only: steps of the path integral.

        Returns
        -------
        %(explain_frame)s
            For ``"attention"`` and ``"rollout"`` the weights sum to 1 over
            each document's tokens.
        """
        check_is_fitted(self, "vectorizer_")
        if method is None:
            method = "contribution" if self._contribution_applies() else "attention"
        texts = check_texts(X)
        tokens = self.vectorizer_.tokenize(texts)
        ids = self.vectorizer_.transform(texts)
        real = ids != PAD_ID
        flat_tokens = [t for doc in tokens for t in doc]
        if classes is None and getattr(self, "objective_", None) == "multilabel":
            classes = "all"
        if classes is None:
            weights = self._token_scores(ids, method, residual=residual, n_steps=n_steps)
            sample, position = np.nonzero(real)
            frame = explanation_frame(
                sample, position, flat_tokens,
                in_vocabulary=ids[real] != UNK_ID, special=False, weight=weights[real],
            )
            return finish_explanation(self, frame, X, texts, with_prediction)
        if not hasattr(self, "classes_"):
            raise ValueError("classes= applies to classifiers, which have classes_.")
        if isinstance(classes, str) and classes == "all":
            chosen = np.arange(len(self.classes_))
        else:
            matches = np.flatnonzero(np.asarray(self.classes_) == classes)
            if not len(matches):
                raise ValueError(
                    f"classes must be None, 'all' or one of {self.classes_.tolist()}, got "
                    f"{classes!r}."
                )
            chosen = matches[:1]
        scores = self._class_token_scores(ids, method)[:, chosen]  # (n, C, T)
        sample, position = np.nonzero(real)
        frames = [
            explanation_frame(
                sample, position, flat_tokens,
                in_vocabulary=ids[real] != UNK_ID, special=False,
                weight=scores[:, j][real],
                **{"class": np.repeat(np.asarray(self.classes_)[[k]], len(sample))},
            )
            for j, k in enumerate(chosen)
        ]
        frame = pd.concat(frames, ignore_index=True)
        # Per document, the classes in the order chosen, each in token order.
        frame = frame.sort_values("sample", kind="stable", ignore_index=True)
        return finish_explanation(self, frame, X, texts, with_prediction)

    def attention_layers(self, X):
        """Per-layer, per-head self-attention weights of the Transformer encoder.

        The layout is Hugging Face's ``output_attentions``, so one document's
        slice can go to ``bertviz.head_view`` unchanged (see
        :func:`skattn.inspection.to_bertviz`). The pretrained estimators'
        ``attention_layers`` return the same layout.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        attention : tuple of ndarray of shape (n_samples, num_heads, T, T)
            One float32 array per layer, first layer first; ``T`` is the
            longest document's token count. Rows are queries, columns keys;
            padding rows and columns of shorter documents are 0.
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
        blocks = self.module_.encoder.blocks
        layers = padded_layers(
            self, ids, ids != PAD_ID, len(blocks), blocks[0].attention.num_heads,
            lambda Xi: self.module_.forward_with_weights(Xi)[1]["self_attention"],
        )
        return layers, tokens

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
