"""Do the weights mean anything? Deletion curves and rank agreement.

:func:`faithfulness_report` removes each document's top-``k`` tokens by an
explanation method and measures how much the predicted class probability
drops, next to removing ``k`` random tokens; :func:`rank_correlation` measures
how well two methods agree on the order of a document's tokens. Both work on
any fitted skattn text classifier; matplotlib is imported only to plot.
"""

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["delete_tokens", "faithfulness_report", "plot_faithfulness", "rank_correlation"]

PAD_ID = 0


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
    k : int
        Tokens removed per row (all of them in rows with fewer).
    pad_id : int, default=0

    Returns
    -------
    ids : ndarray of shape (n_samples, T)
    """
    ids = np.asarray(ids)
    real = ids != pad_id
    ranked = np.where(real, np.asarray(scores, dtype=np.float64), -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")  # best first, ties by position
    removed = np.zeros_like(real)
    np.put_along_axis(removed, order[:, :k], True, axis=1)
    keep = real & ~removed
    # Stable sort of "dropped" flags moves the kept ids to the front, in order.
    gather = np.argsort(~keep, axis=1, kind="stable")
    out = np.take_along_axis(ids, gather, axis=1)
    out[~np.take_along_axis(keep, gather, axis=1)] = pad_id
    return out


def _check_classifier(estimator):
    check_is_fitted(estimator, "vectorizer_")
    if not hasattr(estimator, "predict_proba") or not hasattr(estimator, "classes_"):
        raise TypeError(
            "faithfulness_report measures drops in the predicted class probability and "
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
    _check_classifier(estimator)
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

    from ..utils._validation import check_texts

    texts = check_texts(X)
    ids_all = estimator.vectorizer_.transform(texts)
    has_tokens = (ids_all != PAD_ID).any(1)
    texts = [t for t, keep in zip(texts, has_tokens) if keep]
    ids = ids_all[has_tokens]
    n = len(ids)
    if n == 0:
        raise ValueError("None of the documents in X has a token to delete.")
    proba = _proba(estimator, ids)
    predicted = proba.argmax(1)
    base = proba[np.arange(n), predicted]

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
