"""Attention text classifier and regressor: raw documents in, attention out."""

import torch
from sklearn.base import ClassifierMixin, RegressorMixin

from .._docstrings import fill_doc
from .._targets import is_multilabel
from .._skorch import PaddedBatchDataset
from .._text_net import TextAttentionNet
from ..nn.optim import DeferredAdam
from ..nn.text import TextAttentionModule

__all__ = ["AttentionTextClassifier", "AttentionTextRegressor"]


@fill_doc
class AttentionTextClassifier(ClassifierMixin, TextAttentionNet):
    """Text classifier that learns which tokens to attend to.

    Takes raw documents, learns a vocabulary, trains an attention encoder with
    skorch, and exposes the learned attention per token (``token_attention_``)
    and per document (:meth:`explain`). Labels may be of any type (strings too).
    A 2-D 0/1 indicator ``y`` (as :class:`~sklearn.preprocessing.MultiLabelBinarizer`
    gives) trains a multi-label model: one sigmoid output per label,
    ``predict`` returns the indicator matrix.

    Parameters
    ----------
    %(text_model_params)s
    per_class_attention : bool, default=False
        Learn one pooling query per class (label-wise attention, as in
        CAML/LAAT): each class reads the document through its own weights,
        and class ``c``'s score is ``w_c . (sum_t a_ct e_t) + b_c``.
        :meth:`explain` then shows the predicted class's weights (every
        class's with ``classes="all"``) and ``class_token_attention_`` the
        mean weight of each token for each class. Recommended for
        multi-label targets, where each label attends to its own evidence.
    max_epochs : int, default=3
        Passes over the training data. In batches of 64, 5 epochs instead of
        3 left the validation accuracy on TREC-6's short questions as it was
        (0.860 both) and lost 1.2 points on MR (0.754 against 0.766), which
        overfits by then (seeds 0-2; ``docs/benchmarks.md``, "How the
        classifier's defaults were chosen").
    lr : float, default=0.05
        The learning rate at the start of training. A lower one makes the raw
        attention weights more comprehensive (ERASER) at a cost in accuracy;
        ``explain``'s contributions are faithful either way
        (``docs/interpretation.md``).
    lr_schedule : {"linear", "constant"}, default="linear"
        %(lr_schedule_values)s
    attention_lr : float or None, default=0.001
        %(attention_lr_values)s
        0.001 (Adam's own default rate) was chosen on validation splits
        (round 12, ``docs/benchmarks.md``): at one rate for everything the
        pooling scorer of every encoder saturates, and the Transformer's
        pooling weights end exactly uniform; at 0.001 they rank tokens, the
        raw weights are about twice as comprehensive (ERASER) on MR and SUBJ,
        and the validation mean gains 0.2 points (pooling), 0.4
        (Transformer) and 0.7 (GRU).
    batch_size : int, default=64
    optimizer : torch optimizer class, default=skattn.nn.DeferredAdam
        Its arguments go through ``optimizer__*``. The default is Adam, step
        for step, on an embedding table with sparse gradients: each batch
        reads and updates only the rows of its tokens, and the steps dense
        Adam would take on the other rows are applied in closed form when
        they are next read (:class:`skattn.nn.DeferredAdam`); with every word
        and bigram in the vocabulary (10^5 rows on MR) it fits in less time
        than dense Adam on the rows of the words and bigrams seen twice.
        Any other optimizer (``torch.optim.Adam``) trains a dense embedding,
        and so does this one with ``optimizer__weight_decay`` or
        ``optimizer__amsgrad`` (which move every row at every step: it then
        steps as torch's Adam) or with an ``accelerator`` in several
        processes.
    %(training_params)s
    %(class_weight_param)s
    classes : array-like, default=None
        The labels, if they should not be inferred from ``y``.
    %(text_kwargs)s
        The classifier sets ``module__dropout=0.5`` and
        ``module__embedding_init_std=0.03`` (the embedding drawn from
        N(0, 0.03)) unless given; the module's own defaults are 0.1 and None (torch's
        N(0, 1)).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels; for multi-label ``y``, the column indices ``0 .. n_labels-1``.
    %(text_attributes)s
    class_token_attention_ : pandas.DataFrame
        With ``per_class_attention=True``: for each vocabulary token seen in
        training (index, in ``token_attention_``'s order) and each class
        (columns, ``classes_``), the mean weight that class's query gives the
        token over its occurrences in the training documents of that class
        (0 for tokens that never occur in them).

    Notes
    -----
    The defaults (every word and bigram of the training documents, trained
    by :class:`~skattn.nn.DeferredAdam`, batches of 64 drawn in length
    buckets, lr 0.05 decaying linearly to 0 over 3 epochs, the attention
    layers at 0.001, an embedding drawn from N(0, 0.03), dropout 0.5) were
    chosen by validation accuracy on 80/20 splits of the training parts of
    MR, SUBJ and TREC-6 (SMS too from the fourth round), never their test
    parts (``benchmarks/select_defaults.py``, eighteen rounds): in the
    eleventh round the training choices tied the best validation mean
    (0.8826 over five seeds, against 0.8805 for the earlier defaults and
    for fastText) with the smallest shortfall to fastText on any one data
    set; in the twelfth, ``attention_lr=0.001`` raised the mean to 0.8845;
    in the fifteenth, every word and bigram instead of those seen in two
    documents or more raised it from 0.8840 to 0.8898 (its sparse
    embedding gradients keep the fit within 1.3-1.6x the earlier
    defaults' time, where dense Adam took 2x); in the sixteenth, the
    additive scorer 8 units wide (``attention_dim="auto"``) tied the
    64-unit one on two validation splits and fits 9-14 % faster; the
    seventeenth and eighteenth kept them all. Earlier choices: 0.1.0's
    words only, batch 64, lr 0.01, 6 epochs; then a constant lr 0.03 on
    plainly shuffled batches of 256; then lr 0.1 decaying linearly over 5
    epochs, an embedding from N(0, 1) and dropout 0.5; then (round 6) from
    N(0, 0.3) with dropout 0.6. ``docs/benchmarks.md`` compares them with fastText,
    TF-IDF + LR and pretrained models.

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
    >>> attention = clf.explain(["a gorgeous , witty , seductive movie ."], method="attention")
    >>> attention.columns.tolist()
    ['sample', 'position', 'token', 'in_vocabulary', 'special', 'weight']
    >>> round(float(attention["weight"].sum()), 3)
    1.0

    By default ``explain`` gives each token's exact contribution to the
    predicted class's score; with ``intercept_`` they add up to
    ``decision_function``:

    >>> text = ["a gorgeous , witty , seductive movie ."]
    >>> contributions = clf.explain(text)
    >>> sign = 1 if clf.predict(text)[0] == clf.classes_[1] else -1
    >>> total = contributions["weight"].sum() + sign * clf.intercept_[0]
    >>> bool(abs(total - sign * clf.decision_function(text)[0]) < 1e-4)
    True
    """

    _task = "classification"
    _default_vectorizer = {"ngram_range": (1, 2)}

    def __init__(
        self,
        *,
        vectorizer=None,
        encoder="pooling",
        attention="additive",
        attention_dim="auto",
        embedding_dim=64,
        num_heads=2,
        num_layers=1,
        per_class_attention=False,
        max_epochs=3,
        lr=0.05,
        lr_schedule="linear",
        attention_lr=0.001,
        batch_size=64,
        optimizer=DeferredAdam,
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
        # criterion=None: cross-entropy, or BCE-with-logits for multi-label y.
        self._init_net(
            locals(),
            module=TextAttentionModule,
            criterion=None,
            dataset=PaddedBatchDataset,
            iterator_train__bucket_batches=8,
            module__dropout=0.5,
            module__embedding_init_std=0.03,
        )

    _parameter_constraints = {
        **TextAttentionNet._parameter_constraints,
        "per_class_attention": ["boolean"],
    }

    def _target_task(self, y):
        return "multilabel" if is_multilabel(y) else "classification"

    def _module_params(self):
        return dict(super()._module_params(), per_class_attention=self.per_class_attention)

    def _one_query(self):
        return not self.per_class_attention


@fill_doc
class AttentionTextRegressor(RegressorMixin, TextAttentionNet):
    """Text regressor that learns which tokens to attend to.

    Same model as :class:`AttentionTextClassifier` with a mean squared error
    loss; ``y`` may be 1-D or 2-D (several targets).

    Parameters
    ----------
    %(text_model_params)s
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
    %(standardize_target)s
    %(text_kwargs)s

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    %(target_attributes)s
    %(text_attributes)s
    """

    _task = "regression"

    _parameter_constraints = {
        **TextAttentionNet._parameter_constraints,
        "standardize_target": ["boolean"],
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
        standardize_target=True,
        **kwargs,
    ):
        self._init_net(
            locals(),
            module=TextAttentionModule,
            criterion=torch.nn.MSELoss,
            dataset=PaddedBatchDataset,
            iterator_train__bucket_batches=8,
        )
