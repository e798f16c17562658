"""AttentionSeq2Seq: raw source texts in, generated target texts and alignments out."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import GradientNormClipping
from skorch.dataset import Dataset
from skorch.utils import is_dataset
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions
from .._docstrings import fill_doc
from .._net import AttentionNet
from .._skorch import trim_padding
from ..feature_extraction import SequenceVectorizer
from ..feature_extraction._sequence import PAD_ID
from ..nn.seq2seq import RNNS, SCORES, Seq2SeqModule
from ..utils._validation import check_texts
from ._metrics import corpus_bleu

__all__ = ["AttentionSeq2Seq", "Alignment"]

# Target ids: the target vectorizer's ids (0 pad, 1 unknown, 2.. tokens) shifted
# up by two to make room for BOS and EOS; padding stays 0.
BOS_ID, EOS_ID = 1, 2
_SHIFT = 2
_RESERVED = ("<pad>", "<bos>", "<eos>")
EOS_TOKEN = "<eos>"

_ANALYZER = [StrOptions({"word", "char"}), callable]


class Alignment(NamedTuple):
    """The attention of one generated (or given) output over its source.

    Attributes
    ----------
    source_tokens : list of str
        The source tokens as written (out-of-vocabulary ones included).
    target_tokens : list of str
        The output tokens, ending with ``"<eos>"`` where the output ended.
    weights : ndarray of shape (len(target_tokens), len(source_tokens))
        ``weights[j, i]``: attention of output step ``j`` on source token
        ``i``; each row sums to 1 (rows of an empty source are empty).
    sample : object
        Which input this is: its index label where ``explain``'s ``X`` was a
        pandas Series or DataFrame, else its position in ``X``.
    """

    source_tokens: list
    target_tokens: list
    weights: np.ndarray
    sample: object = None

    def __repr__(self):
        def text(tokens, limit=6):
            shown = " ".join(map(str, tokens[:limit]))
            return shown + (" ..." if len(tokens) > limit else "")

        return (
            f"Alignment(sample={self.sample!r}, {len(self.target_tokens)} target x "
            f"{len(self.source_tokens)} source tokens: {text(self.source_tokens)!r} -> "
            f"{text(self.target_tokens)!r})"
        )

    def to_frame(self):
        """The weights as a DataFrame: one row per output step (index
        ``target``: its token), one column per source token (``source``)."""
        import pandas as pd

        return pd.DataFrame(
            self.weights,
            index=pd.Index(self.target_tokens, name="target"),
            columns=pd.Index(self.source_tokens, name="source"),
        )


class Seq2SeqDataset(Dataset):
    """skorch Dataset of ``{"source": ids, "target": ids}`` (and target ids as
    ``y``), each cut to its batch's longest row. Padding id is 0."""

    def transform(self, X, y):
        X = {key: trim_padding(value, PAD_ID) for key, value in X.items()}
        return X, (torch.zeros(len(X["source"])) if y is None else trim_padding(y, PAD_ID))


@fill_doc
class AttentionSeq2Seq(AttentionNet):
    """Attention encoder-decoder (Bahdanau et al., 2015) on raw texts.

    Learns to map source texts to target texts: a recurrent encoder reads the
    source tokens, and at every output step the decoder attends over them
    (``alpha_ij = softmax_i score(h_{j-1}, x_i)``) and reads the context
    ``c_j = sum_i alpha_ij x_i``. :meth:`predict` generates with greedy or beam
    search, :meth:`score` is corpus BLEU, and :meth:`explain` returns the
    alignment of each output step over the source tokens. Training is skorch's
    loop on a token-level cross-entropy that ignores padding.

    Parameters
    ----------
    source_analyzer, target_analyzer : {"word", "char"} or callable, default="word"
        Tokenization of each side (see
        :class:`~skattn.feature_extraction.SequenceVectorizer`): ``"word"``
        (words and punctuation marks), ``"char"`` (characters), or a callable
        document -> tokens. Outputs are detokenized by joining tokens with
        ``""`` for ``"char"`` and ``" "`` otherwise. Both sides are lowercased
        unless ``source_vectorizer__lowercase=False`` /
        ``target_vectorizer__lowercase=False``.
    embedding_dim : int, default=32
        Width of source and target token embeddings.
    hidden_size : int, default=64
        Width of the annotations and of the decoder state (the bidirectional
        encoder runs ``hidden_size // 2`` units per direction; even values only).
    rnn : {"gru", "lstm"}, default="gru"
        Recurrent cell of the encoder and of the decoder.
    attention : {"additive", "general", "dot"}, default="additive"
        Score of a source annotation ``x`` for the decoder state ``h``:
        Bahdanau's ``v^T tanh(W h + U x)``, Luong's ``h^T W x``, or ``h . x``.
    teacher_forcing_ratio : float in [0, 1], default=1.0
        Probability, per sample and output step, that training feeds the true
        previous token rather than the model's own prediction.
    beam_width : int, default=1
        Beam search width of :meth:`predict`, :meth:`score` and
        :meth:`explain`; 1 is greedy decoding.
    max_output_len : int, default=64
        Most tokens generated per output (the end-of-sequence token included).
    max_epochs : int, default=10
    lr : float, default=0.005
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.Adam
    train_split : callable or None, default=None
        skorch's internal validation split, e.g. ``skorch.dataset.ValidSplit(0.1)``
        (records ``valid_loss``, computed with teacher forcing), a float share
        of the pairs, or a pair ``(X_valid, y_valid)`` of source and target
        texts. None trains on all the data.
    %(early_stopping_params)s
    callbacks : list of skorch callbacks, default=None
        Added to the default ``gradient_clip``
        (:class:`skorch.callbacks.GradientNormClipping` at norm 5; tune with
        ``callbacks__gradient_clip__gradient_clip_value``, remove with
        ``callbacks__gradient_clip=None``).
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, shuffling and teacher forcing draws during
        ``fit`` (torch's global RNG is restored afterwards).
    device : str, default="cpu"
    %(accelerator_param)s
    verbose : int, default=0
        1 prints skorch's per-epoch table.
    **kwargs
        skorch's other parameters, routed by prefix: ``source_vectorizer__*``
        and ``target_vectorizer__*`` (e.g. ``source_vectorizer__min_df=2``,
        ``target_vectorizer__max_len=32``: targets are cut to ``max_len``
        tokens), ``module__*`` (``module__dropout``,
        ``module__bidirectional``, ``module__num_layers``; see
        :class:`skattn.nn.Seq2SeqModule`), ``optimizer__*``,
        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.

    Attributes
    ----------
    source_vectorizer_, target_vectorizer_ : SequenceVectorizer
        The fitted vectorizers of each side.
    n_outputs_ : int
        Number of target ids: the target vocabulary plus padding, BOS and EOS.
    module_ : skattn.nn.Seq2SeqModule
    history_ : skorch.History

    Examples
    --------
    >>> from skattn.datasets import make_dates
    >>> from skattn.seq2seq import AttentionSeq2Seq
    >>> X, y = make_dates(5000, random_state=0)
    >>> model = AttentionSeq2Seq(source_analyzer="char", target_analyzer="char",
    ...                          max_epochs=15, random_state=0)
    >>> model.fit(X, y).predict(["3 March 2021"])  # doctest: +SKIP
    ['2021-03-03']
    >>> alignment = model.explain(["3 March 2021"])[0]  # doctest: +SKIP
    >>> alignment.weights.shape  # doctest: +SKIP
    (11, 12)
    """

    prefixes_ = NeuralNet.prefixes_ + ["source_vectorizer", "target_vectorizer"]

    _parameter_constraints = {
        **AttentionNet._parameter_constraints,
        "source_analyzer": _ANALYZER,
        "target_analyzer": _ANALYZER,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "rnn": [StrOptions(set(RNNS))],
        "attention": [StrOptions(set(SCORES))],
        "teacher_forcing_ratio": [Interval(Real, 0, 1, closed="both")],
        "beam_width": [Interval(Integral, 1, None, closed="left")],
        "max_output_len": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        source_analyzer="word",
        target_analyzer="word",
        embedding_dim=32,
        hidden_size=64,
        rnn="gru",
        attention="additive",
        teacher_forcing_ratio=1.0,
        beam_width=1,
        max_output_len=64,
        max_epochs=10,
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
        **kwargs,
    ):
        self._init_net(
            locals(),
            module=Seq2SeqModule,
            criterion=torch.nn.CrossEntropyLoss,
            criterion__ignore_index=PAD_ID,
            dataset=Seq2SeqDataset,
        )

    def _extra_callbacks(self):
        return [("gradient_clip", GradientNormClipping(gradient_clip_value=5.0))]

    def _check_encoded(self, X):
        if not (is_dataset(X) or isinstance(X, dict)):
            raise TypeError(
                f"{type(self).__name__}'s skorch-level methods (forward, forward_iter, "
                "infer, evaluation_step) take encoded batches; pass texts to fit, "
                f"predict, score or explain instead (got {type(X).__name__})."
            )

    def get_dataset(self, X, y=None):
        """skorch hook: the net's own encoded input only (``{"source": ids,
        "target": ids}``); raw texts go through fit, predict, score or explain."""
        self._check_encoded(X)
        return super().get_dataset(X, y)

    def infer(self, x, **fit_params):
        """skorch hook: the module's forward pass on an encoded batch."""
        self._check_encoded(x)
        return super().infer(x, **fit_params)

    # -- module and loss hooks ----------------------------------------------

    def _module_params(self):
        return dict(
            source_vocab_size=len(self.source_vectorizer_.vocabulary_),
            target_vocab_size=self.n_outputs_,
            embedding_dim=self.embedding_dim,
            hidden_size=self.hidden_size,
            rnn=self.rnn,
            attention=self.attention,
            teacher_forcing_ratio=self.teacher_forcing_ratio,
            padding_idx=PAD_ID,
            bos_idx=BOS_ID,
            eos_idx=EOS_ID,
        )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Token cross-entropy: logits (B, T, V) against target ids (B, T),
        padding ignored; with sample weights, each pair's tokens weighted by
        its weight (all ones: the unweighted loss)."""
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        weights = X.get("sample_weight") if isinstance(X, dict) else None
        if weights is None:
            return self.criterion_(y_pred.transpose(1, 2), y_true)  # (B, V, T) vs (B, T)
        reduction, self.criterion_.reduction = self.criterion_.reduction, "none"
        try:
            per_token = self.criterion_(y_pred.transpose(1, 2), y_true)  # (B, T)
        finally:
            self.criterion_.reduction = reduction
        weights = torch.as_tensor(weights, device=y_pred.device).to(per_token.dtype)
        weights = weights[:, None] * (y_true != PAD_ID)  # (B, T): real target tokens only
        return (weights * per_token).sum() / weights.sum().clamp(min=1e-12)

    # -- hooks of AttentionNet ------------------------------------------------

    def _check_params(self):
        params = self.get_params_for("module")
        if params.get("bidirectional", True) and self.hidden_size % 2:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be even: the bidirectional encoder "
                "runs hidden_size // 2 units per direction (or set "
                "module__bidirectional=False)."
            )

    def _validate_input(self, X, *, training=False, reset=False):
        if X is None:
            raise ValueError("X (source texts) is required, got None.")
        return check_texts(X, name="X (source texts)", allow_empty=not training)

    def _encode_target(self, y, n_samples, *, continuing):
        """The target texts, validated (their ids come with the vectorizers)."""
        return self._check_targets(y, n_samples, allow_empty=False)

    def _check_targets(self, y, n_samples, *, allow_empty):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y (the target texts), got None."
            )
        targets = check_texts(y, name="y (target texts)", allow_empty=allow_empty)
        if len(targets) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} source "
                f"texts and {len(targets)} target texts."
            )
        return targets

    def _check_pairs(self, X, y, *, allow_empty):
        sources = self._validate_input(X, training=not allow_empty)
        return sources, self._check_targets(y, len(sources), allow_empty=allow_empty)

    def _fit_input(self, X, y):
        for side, analyzer, texts in (
            ("source", self.source_analyzer, X),
            ("target", self.target_analyzer, y),
        ):
            vectorizer = SequenceVectorizer(analyzer=analyzer)
            vectorizer.set_params(**self.get_params_for(f"{side}_vectorizer"))
            setattr(self, f"{side}_vectorizer_", vectorizer.fit(texts))
        self.n_outputs_ = len(self.target_vectorizer_.vocabulary_) + _SHIFT

    def _input_fitted(self):
        return hasattr(self, "source_vectorizer_")

    def _encode_input(self, X):
        return self.source_vectorizer_.transform(X)

    def _training_data(self, X, y):
        target_ids = self._target_ids(y)
        return {"source": X, "target": target_ids}, target_ids

    def _target_ids(self, texts):
        """Target texts -> (n, max_len + 1) ids: shifted token ids, then EOS, then padding."""
        ids = self.target_vectorizer_.transform(texts)  # (n, L), 0 pad, 1 unknown
        n, L = ids.shape
        out = np.zeros((n, L + 1), dtype=np.int64)
        out[:, :L] = np.where(ids != PAD_ID, ids + _SHIFT, PAD_ID)
        out[np.arange(n), (ids != PAD_ID).sum(1)] = EOS_ID
        return out

    # -- fitting ----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Learn the vocabularies and train the encoder-decoder.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
            Source texts. None/NaN, non-str items and empty texts are rejected.
        y : list, ndarray or Series of str of shape (n_samples,)
            Target texts, same rules.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each pair: its target tokens count with this weight in
            the token cross-entropy (all ones: the unweighted loss).

        Returns
        -------
        self
        """
        return super().fit(X, y, sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for ``max_epochs`` more epochs without re-initializing; the
        vocabularies stay those learned at the first fit (new tokens are
        unknown)."""
        return super().partial_fit(X, y, classes, sample_weight=sample_weight)

    # -- generation -------------------------------------------------------------

    def _check_sources(self, X):
        check_is_fitted(self, "source_vectorizer_")
        return self._validate_input(X)

    def _generate(self, texts, need_weights=False):
        """Decode source texts: per sample, its output ids (EOS excluded), whether
        it ended with EOS, and the (n_steps, n_source) weights or None."""
        source_ids = self._encode_input(texts)
        results = []
        self._set_training(False)
        for Xi in self._batches({"source": source_ids}):
            source = Xi["source"]
            tokens, weights = self.module_.beam_decode(
                source, self.beam_width, self.max_output_len, need_weights
            )
            tokens = tokens.cpu().numpy()
            lengths = (source != PAD_ID).sum(1).cpu().numpy()
            if need_weights:
                weights = weights.float().cpu().numpy()
            for b, row in enumerate(tokens):
                ends = np.flatnonzero(row == EOS_ID)
                stop = int(ends[0]) if len(ends) else len(row)
                w = weights[b, : stop + len(ends[:1]), : lengths[b]] if need_weights else None
                results.append((row[:stop], bool(len(ends)), w))
        return results

    def _tokens(self, ids):
        return self.target_vectorizer_.index_to_token_[np.asarray(ids) - _SHIFT].tolist()

    def _join(self, tokens):
        return ("" if self.target_analyzer == "char" else " ").join(tokens)

    def predict(self, X):
        """Generate the target text of each source text.

        Greedy decoding when ``beam_width == 1``, else beam search; at most
        ``max_output_len`` tokens. Empty source texts are decoded too.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        y_pred : ndarray of str (dtype object) of shape (n_samples,)
            Tokens joined by ``""`` (character targets) or ``" "``; tokens
            outside the target vocabulary never occur, but the unknown token
            may (as ``"<unk>"``).
        """
        texts = self._check_sources(X)
        out = np.empty(len(texts), dtype=object)
        out[:] = [self._join(self._tokens(ids)) for ids, _, _ in self._generate(texts)]
        return out

    def score(self, X, y, sample_weight=None):
        """Corpus BLEU-4 of the predictions of ``X`` against the references ``y``.

        Predictions and references are tokenized with the target tokenizer
        (words, or characters for ``target_analyzer="char"``) and scored with
        :func:`skattn.seq2seq.corpus_bleu`: modified n-gram precisions for
        n = 1..4 pooled over the corpus, geometric mean, brevity penalty; 0 to 1.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : list, ndarray or Series of str of shape (n_samples,)
        sample_weight : None
            Not supported (BLEU is a corpus statistic).

        Returns
        -------
        bleu : float
        """
        if sample_weight is not None:
            raise ValueError("score does not support sample_weight: BLEU pools the corpus.")
        check_is_fitted(self, "source_vectorizer_")
        sources, targets = self._check_pairs(X, y, allow_empty=True)
        predictions = self.predict(sources)
        tokenize = self.target_vectorizer_.tokenize
        return corpus_bleu(tokenize(targets), tokenize(predictions))

    def explain(self, X, y=None):
        """Alignment of each output step over the source tokens.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
            Source texts (empty ones allowed).
        y : list, ndarray or Series of str of shape (n_samples,), default=None
            Target texts to align (read with teacher forcing). When None, the
            model's own outputs (as :meth:`predict` generates them) are aligned.

        Returns
        -------
        alignments : list of :class:`Alignment`
            Per sample, in order: ``source_tokens``, ``target_tokens`` (ending
            with ``"<eos>"`` when the output ended within ``max_output_len``),
            ``weights`` of shape (n_target_tokens, n_source_tokens) and
            ``sample``, the sample's index label where ``X`` is a pandas Series
            or DataFrame (else its position), as in every estimator's ``explain``.
        """
        texts = self._check_sources(X)
        samples = (np.asarray(X.index) if hasattr(X, "index") and hasattr(X, "iloc")
                   else np.arange(len(texts))).tolist()
        source_tokens = self.source_vectorizer_.tokenize(texts)
        if y is None:
            return [
                Alignment(src, self._tokens(ids) + ([EOS_TOKEN] if ended else []), w, sample)
                for src, (ids, ended, w), sample in zip(
                    source_tokens, self._generate(texts, True), samples)
            ]
        texts, targets = self._check_pairs(texts, y, allow_empty=True)
        target_ids = self._target_ids(targets)
        target_tokens = self.target_vectorizer_.tokenize(targets)
        alignments = []
        self._set_training(False)
        batches = self._batches({"source": self._encode_input(texts), "target": target_ids})
        for Xi in batches:
            weights = self.module_.align(Xi["source"], Xi["target"]).float().cpu().numpy()
            for w in weights:  # (T, S)
                i = len(alignments)
                src, tgt = source_tokens[i], target_tokens[i] + [EOS_TOKEN]
                alignments.append(Alignment(src, tgt, w[: len(tgt), : len(src)], samples[i]))
        return alignments

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags
