"""Do the weights mean anything? ERASER metrics, deletion curves, rank agreement.

:func:`eraser_scores` measures comprehensiveness and sufficiency (DeYoung et
al., 2020) of each explanation method; :func:`comprehensiveness_scorer` and
:func:`sufficiency_scorer` make them scikit-learn scorers, for model
selection. :func:`faithfulness_report` removes each document's top-``k``
tokens and measures the drop of the predicted class probability, next to
removing ``k`` random tokens; :func:`rank_correlation` measures how well two
methods agree on the order of a document's tokens. All work on any fitted
skattn text classifier; matplotlib is imported only to plot.
"""

import time
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "comprehensiveness_scorer",
    "delete_tokens",
    "eraser_scores",
    "faithfulness_report",
    "keep_tokens",
    "plot_faithfulness",
    "rank_correlation",
    "sufficiency_scorer",
]

PAD_ID = 0

#: The fractions of each document's tokens that ERASER's AOPC averages over.
FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.5)


def _top_mask(ids, scores, k, pad_id):
    """(n, T) bool: each row's ``k`` highest-scoring real tokens (``k`` an int
    or one per row); ties go to the earlier position."""
    ids = np.asarray(ids)
    real = ids != pad_id
    ranked = np.where(real, np.asarray(scores, dtype=np.float64), -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")  # best first, ties by position
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(ids.shape[1])[None, :].repeat(len(ids), 0), axis=1)
    k = np.broadcast_to(np.asarray(k), (len(ids),))[:, None]
    return real & (rank < k)


def _compact(ids, keep, pad_id):
    """The kept ids of each row moved left in order, the rest padding."""
    # Stable sort of "dropped" flags moves the kept ids to the front, in order.
    gather = np.argsort(~keep, axis=1, kind="stable")
    out = np.take_along_axis(np.asarray(ids), gather, axis=1)
    out[~np.take_along_axis(keep, gather, axis=1)] = pad_id
    return out


def keep_tokens(ids, scores, k, *, pad_id=PAD_ID):
    """Keep only the ``k`` highest-scoring real tokens of every id row.

    The complement of :func:`delete_tokens`: the kept tokens keep their order
    and move left, as if the documents had been written with them alone.

    Parameters
    ----------
    ids : ndarray of int of shape (n_samples, T)
    scores : ndarray of shape (n_samples, T)
    k : int or ndarray of int of shape (n_samples,)
        Tokens kept per row (one number for all rows, or one per row).
    pad_id : int, default=0

    Returns
    -------
    ids : ndarray of shape (n_samples, T)
    """
    return _compact(ids, _top_mask(ids, scores, k, pad_id), pad_id)


def delete_tokens(ids, scores, k, *, pad_id=PAD_ID):
    """Remove the ``k`` highest-scoring real tokens of every id row.

    The remaining tokens keep their order and move left over the gaps, so the
    result is a valid right-padded id matrix, as if the documents had been
    written without those tokens.

    Parameters
    ----------
    ids : ndarray of int of shape (n_samples, T)
        Right-padded token ids.
    scores : ndarray of shape (n_samples, T)
        Score of each position; ties go to the earlier position.
    k : int or ndarray of int of shape (n_samples,)
        Tokens removed per row (all of them in rows with fewer).
    pad_id : int, default=0

    Returns
    -------
    ids : ndarray of shape (n_samples, T)
    """
    ids = np.asarray(ids)
    keep = (ids != pad_id) & ~_top_mask(ids, scores, k, pad_id)
    return _compact(ids, keep, pad_id)


def _check_classifier(estimator, caller="faithfulness_report"):
    check_is_fitted(estimator, "vectorizer_")
    if not hasattr(estimator, "predict_proba") or not hasattr(estimator, "classes_"):
        raise TypeError(
            f"{caller} measures drops in the predicted class probability and "
            f"needs a fitted text classifier; got {type(estimator).__name__}."
        )


def _score_matrix(estimator, texts, ids, method, explain_params):
    """explain()'s tidy scores back on the (n_samples, T) grid of ``ids``."""
    explanation = estimator.explain(texts, method=method, **explain_params)
    scores = np.zeros(ids.shape, dtype=np.float64)
    scores[explanation["sample"].to_numpy(), explanation["position"].to_numpy()] = (
        explanation["weight"].to_numpy()
    )
    return scores


def _proba(estimator, ids):
    return estimator.predict_proba(estimator.get_dataset(ids))


def _prepare(estimator, X, caller):
    """Documents with at least one token, their ids, and the probability the
    classifier gives its predicted class: (texts, ids, predicted, base)."""
    from ..utils._validation import check_texts

    _check_classifier(estimator, caller)
    texts = check_texts(X)
    ids_all = estimator.vectorizer_.transform(texts)
    has_tokens = (ids_all != PAD_ID).any(1)
    texts = [t for t, keep in zip(texts, has_tokens) if keep]
    ids = ids_all[has_tokens]
    if len(ids) == 0:
        raise ValueError("None of the documents in X has a token to delete.")
    proba = _proba(estimator, ids)
    predicted = proba.argmax(1)
    return texts, ids, predicted, proba[np.arange(len(ids)), predicted]


def _method_scores(estimator, texts, ids, method, rng, explain_params):
    """(scores on the ids grid, seconds): ``"random"`` draws uniform scores; a
    callable is called as ``method(estimator, texts, ids)``."""
    start = time.perf_counter()
    if callable(method):
        scores = np.asarray(method(estimator, texts, ids), dtype=np.float64)
        if scores.shape != ids.shape:
            raise ValueError(f"a scoring callable returned {scores.shape}, expected {ids.shape}.")
    elif method == "random":
        scores = rng.random_sample(ids.shape)
    else:
        scores = _score_matrix(estimator, texts, ids, method, explain_params)
    return scores, time.perf_counter() - start


def eraser_scores(
    estimator,
    X,
    methods=("attention", "contribution", "gradient", "integrated_gradients", "rollout", "random"),
    fractions=FRACTIONS,
    *,
    random_state=None,
    explain_params=None,
):
    """ERASER faithfulness of explanation methods (DeYoung et al., 2020).

    For each document, method and fraction ``f``, the top ``k = ceil(f * n)``
    of the document's ``n`` tokens by the method's scores are removed
    (*comprehensiveness*: how much the probability of the predicted class
    drops without them; higher is more faithful) or kept alone
    (*sufficiency*: how much it drops with only them; lower is more
    faithful). Each is averaged over the fractions (the area over the
    perturbation curve, AOPC) and over the documents. All perturbed documents
    are scored in one batched ``predict_proba`` pass.

    Parameters
    ----------
    estimator : fitted AttentionTextClassifier
    X : list, ndarray or Series of str of shape (n_samples,)
        Held-out documents; those without tokens are left out.
    methods : sequence of str, or dict, default=("attention", "contribution", \
            "gradient", "integrated_gradients", "rollout", "random")
        ``explain`` methods, and ``"random"`` (uniform random scores, the
        baseline). A dict maps names to such methods or to callables
        ``f(estimator, texts, ids)`` returning (n_samples, T) token scores on
        the grid of ``ids = estimator.vectorizer_.transform(texts)``, to score
        other explainers the same way.
    fractions : sequence of float in (0, 1], default=(0.01, 0.05, 0.1, 0.2, 0.5)
    random_state : int, RandomState instance or None, default=None
        Seeds the ``"random"`` baseline.
    explain_params : dict, default=None
        Extra keyword arguments of ``explain`` (e.g. ``n_steps``).

    Returns
    -------
    scores : pandas.DataFrame
        Indexed by method (name ``"method"``), with columns
        ``comprehensiveness``, ``sufficiency``, their standard errors over
        documents (``comprehensiveness_sem``, ``sufficiency_sem``),
        ``explain_seconds`` (time to compute the method's scores) and
        ``n_samples``.

    Examples
    --------
    >>> from skattn.inspection import eraser_scores
    >>> eraser_scores(clf, X_test, methods=("contribution", "random"))  # doctest: +SKIP
    """
    if isinstance(methods, str):
        methods = {methods: methods}
    elif not isinstance(methods, dict):
        methods = {m: m for m in methods}
    fractions = np.asarray(fractions, dtype=np.float64).ravel()
    if not len(methods):
        raise ValueError("methods must name at least one method.")
    if not len(fractions) or not ((fractions > 0) & (fractions <= 1)).all():
        raise ValueError(f"fractions must lie in (0, 1], got {fractions.tolist()}.")
    explain_params = {} if explain_params is None else dict(explain_params)
    rng = check_random_state(random_state)
    texts, ids, predicted, base = _prepare(estimator, X, "eraser_scores")
    n = len(ids)
    lengths = (ids != PAD_ID).sum(1)
    ks = [np.maximum(1, np.ceil(f * lengths - 1e-9)).astype(np.int64) for f in fractions]
    variants, seconds = [], {}
    for name, method in methods.items():
        scores, seconds[name] = _method_scores(estimator, texts, ids, method, rng, explain_params)
        for k in ks:
            top = _top_mask(ids, scores, k, PAD_ID)
            variants.append(_compact(ids, (ids != PAD_ID) & ~top, PAD_ID))  # removed
            variants.append(_compact(ids, top, PAD_ID))  # kept alone
    proba = _proba(estimator, np.concatenate(variants))  # (n_variants * n, n_classes)
    after = proba[np.arange(len(proba)), np.tile(predicted, len(variants))]
    drops = base[None, :] - after.reshape(len(methods), len(ks), 2, n)  # (M, F, 2, n)
    aopc = drops.mean(axis=1)  # (M, 2, n): averaged over the fractions
    rows = []
    for m, method in enumerate(methods):
        comp, suff = aopc[m]
        rows.append({
            "method": method,
            "comprehensiveness": float(comp.mean()),
            "sufficiency": float(suff.mean()),
            "comprehensiveness_sem": float(comp.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
            "sufficiency_sem": float(suff.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
            "explain_seconds": seconds[method],
            "n_samples": n,
        })
    return pd.DataFrame(rows).set_index("method")


class _EraserScorer:
    """A scikit-learn scorer ``scorer(estimator, X, y)`` of one ERASER metric."""

    def __init__(self, metric, method, fractions, random_state, explain_params):
        self.metric = metric
        self.method = method
        self.fractions = fractions
        self.random_state = random_state
        self.explain_params = explain_params

    def __call__(self, estimator, X, y=None):
        if hasattr(estimator, "steps"):  # a Pipeline: its last step explains
            X = estimator[:-1].transform(X) if len(estimator.steps) > 1 else X
            estimator = estimator[-1]
        table = eraser_scores(
            estimator, X, methods=(self.method,), fractions=self.fractions,
            random_state=self.random_state, explain_params=self.explain_params,
        )
        value = float(table.loc[self.method, self.metric])
        return value if self.metric == "comprehensiveness" else -value

    def __repr__(self):
        name = "comprehensiveness_scorer" if self.metric == "comprehensiveness" else "sufficiency_scorer"
        return f"{name}(method={self.method!r})"


def comprehensiveness_scorer(method="contribution", fractions=FRACTIONS, *, random_state=0,
                             explain_params=None):
    """A scikit-learn scorer: ERASER comprehensiveness of ``method`` (greater is better).

    For model selection by faithfulness, e.g.
    ``GridSearchCV(clf, grid, scoring={"accuracy": "accuracy",
    "comprehensiveness": comprehensiveness_scorer()}, refit="accuracy")``,
    or :func:`~sklearn.model_selection.cross_validate`. Works on a text
    classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one. See
    :func:`eraser_scores`.

    Parameters
    ----------
    method : str, default="contribution"
        The ``explain`` method whose explanations are scored.
    fractions : sequence of float, default=(0.01, 0.05, 0.1, 0.2, 0.5)
    random_state : int, default=0
        Seeds the ``"random"`` method, if that is the one scored.
    explain_params : dict, default=None

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None)`` -> float.
    """
    return _EraserScorer("comprehensiveness", method, fractions, random_state, explain_params)


def sufficiency_scorer(method="contribution", fractions=FRACTIONS, *, random_state=0,
                       explain_params=None):
    """A scikit-learn scorer: ERASER sufficiency of ``method``, negated.

    Sufficiency is lower-is-better; scikit-learn's scorers are
    greater-is-better, so this returns ``-sufficiency`` (as
    ``neg_mean_squared_error`` does for the squared error). Parameters as in
    :func:`comprehensiveness_scorer`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None)`` -> float.
    """
    return _EraserScorer("sufficiency", method, fractions, random_state, explain_params)


def faithfulness_report(
    estimator,
    X,
    methods=("attention", "gradient"),
    k=(1, 2, 3),
    *,
    n_random=5,
    random_state=None,
    explain_params=None,
):
    """Deletion curves: how much removing each method's top tokens hurts.

    For every method and every ``k``, the ``k`` tokens of each document that
    the method scores highest are removed (the document is re-encoded without
    them) and the probability the classifier gave its originally predicted
    class is measured again. A faithful explanation points at tokens whose
    removal hurts: its drop should be far above that of removing ``k`` random
    tokens (method ``"random"``, averaged over ``n_random`` draws).

    Parameters
    ----------
    estimator : fitted AttentionTextClassifier
    X : list, ndarray or Series of str of shape (n_samples,)
    methods : sequence of str, default=("attention", "gradient")
        Any ``method`` of the estimator's ``explain``.
    k : int or sequence of int, default=(1, 2, 3)
        Numbers of tokens removed.
    n_random : int, default=5
        Random deletions averaged for the baseline.
    random_state : int, RandomState instance or None, default=None
        Seeds the random baseline.
    explain_params : dict, default=None
        Extra keyword arguments of ``explain`` (e.g. ``residual``, ``n_steps``).

    Returns
    -------
    report : pandas.DataFrame
        One row per (method, k), ``"random"`` rows included, with columns
        ``method``, ``k``, ``drop`` (mean drop of the predicted class
        probability), ``drop_sem`` (its standard error over documents),
        ``flipped`` (share of documents whose prediction changes) and
        ``n_samples``. Documents without tokens are left out.
    """
    ks = [int(v) for v in np.atleast_1d(k)]
    if not ks or min(ks) < 1:
        raise ValueError(f"k must hold positive integers, got {k!r}.")
    methods = [methods] if isinstance(methods, str) else list(methods)
    if "random" in methods:
        raise ValueError("'random' is always reported as the baseline; leave it out of methods.")
    if int(n_random) < 1:
        raise ValueError(f"n_random must be a positive integer, got {n_random!r}.")
    explain_params = {} if explain_params is None else dict(explain_params)
    rng = check_random_state(random_state)
    texts, ids, predicted, base = _prepare(estimator, X, "faithfulness_report")
    n = len(ids)

    score_sets = {m: [_score_matrix(estimator, texts, ids, m, explain_params)] for m in methods}
    score_sets["random"] = [rng.random_sample(ids.shape) for _ in range(int(n_random))]

    # One predict_proba call over every deleted variant.
    variants, keys = [], []
    for method, score_list in score_sets.items():
        for kk in ks:
            for scores in score_list:
                variants.append(delete_tokens(ids, scores, kk))
                keys.append((method, kk))
    after = _proba(estimator, np.concatenate(variants))
    rows = []
    for i, (method, kk) in enumerate(keys):
        chunk = after[i * n:(i + 1) * n]
        rows.append(
            {
                "method": method,
                "k": kk,
                "drop": base - chunk[np.arange(n), predicted],
                "flipped": chunk.argmax(1) != predicted,
            }
        )
    frame = pd.DataFrame(rows)
    # Random draws: average per document first, then over documents.
    out = []
    for (method, kk), group in frame.groupby(["method", "k"], sort=False):
        drop = np.mean(np.stack(group["drop"].to_list()), axis=0)  # (n,)
        flipped = np.mean(np.stack(group["flipped"].to_list()), axis=0)
        out.append(
            {
                "method": method,
                "k": kk,
                "drop": float(drop.mean()),
                "drop_sem": float(drop.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                "flipped": float(flipped.mean()),
                "n_samples": n,
            }
        )
    return pd.DataFrame(out)


def rank_correlation(estimator, X, methods=("attention", "gradient"), *, explain_params=None):
    """Agreement of explanation methods on the order of each document's tokens.

    For each pair of methods and each document with at least two tokens, the
    Spearman and Kendall rank correlations (scipy) of the two methods' token
    scores; then their mean over documents.

    Parameters
    ----------
    estimator : fitted text estimator with ``explain``
    X : list, ndarray or Series of str of shape (n_samples,)
    methods : sequence of str, default=("attention", "gradient")
        At least two ``explain`` methods.
    explain_params : dict, default=None
        Extra keyword arguments of ``explain``.

    Returns
    -------
    correlation : pandas.DataFrame
        One row per pair of methods with columns ``method_a``, ``method_b``,
        ``spearman``, ``kendall`` (means over documents; documents where a
        method scores every token alike are left out) and ``n_samples``.
    """
    from scipy.stats import kendalltau, spearmanr

    methods = list(methods)
    if len(methods) < 2:
        raise ValueError(f"rank_correlation needs at least two methods, got {methods!r}.")
    explain_params = {} if explain_params is None else dict(explain_params)
    frames = {m: estimator.explain(X, method=m, **explain_params) for m in methods}
    explanations = {m: frame["weight"].to_numpy() for m, frame in frames.items()}
    samples = frames[methods[0]]["sample"].to_numpy()
    bounds = np.flatnonzero(np.diff(samples)) + 1
    rows = []
    for a, b in combinations(methods, 2):
        spearman, kendall = [], []
        for xa, xb in zip(np.split(explanations[a], bounds), np.split(explanations[b], bounds)):
            if len(xa) < 2 or np.ptp(xa) == 0 or np.ptp(xb) == 0:
                continue
            spearman.append(spearmanr(xa, xb).statistic)
            kendall.append(kendalltau(xa, xb).statistic)
        rows.append(
            {
                "method_a": a,
                "method_b": b,
                "spearman": float(np.mean(spearman)) if spearman else np.nan,
                "kendall": float(np.mean(kendall)) if kendall else np.nan,
                "n_samples": len(spearman),
            }
        )
    return pd.DataFrame(rows)


def plot_faithfulness(report, ax=None):
    """Deletion curves of a :func:`faithfulness_report`, one line per method.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`faithfulness_report`.
    ax : matplotlib Axes, default=None
        Drawn on a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
    """
    required = {"method", "k", "drop", "drop_sem"}
    if not isinstance(report, pd.DataFrame) or not required <= set(report.columns):
        raise TypeError(
            f"Expected the DataFrame of faithfulness_report(), with columns {sorted(required)}; "
            f"got {type(report).__name__}."
        )
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for method, group in report.groupby("method", sort=False):
        group = group.sort_values("k")
        style = dict(linestyle="--", color="grey") if method == "random" else {}
        ax.errorbar(
            group["k"], group["drop"], yerr=group["drop_sem"], marker="o", capsize=3,
            label=method, **style,
        )
    ax.set_xlabel("tokens removed (k)")
    ax.set_ylabel("drop in predicted class probability")
    ax.set_xticks(sorted(report["k"].unique()))
    ax.set_title("Deletion curves")
    ax.legend()
    return ax
