"""Feature-level views of learned attention over table columns.

Everything here works on a fitted feature attention estimator
(``feature_importances_``, ``explain``) and plain pandas; matplotlib is
imported only when a plot is drawn.
"""

import numpy as np
import pandas as pd

__all__ = ["top_features", "plot_feature_attention"]


def _check_fitted_feature_estimator(estimator):
    if not hasattr(estimator, "feature_importances_") or not hasattr(estimator, "explain"):
        raise TypeError(
            "Expected a fitted FeatureAttentionClassifier or FeatureAttentionRegressor "
            f"(with feature_importances_ and explain), got {type(estimator).__name__}."
        )


def _feature_names(estimator):
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = [f"x{i}" for i in range(len(estimator.feature_importances_))]
    return pd.Index(np.asarray(names, dtype=object), name="feature")


def top_features(estimator, n=None):
    """The features ranked by the mean attention they receive.

    Parameters
    ----------
    estimator : fitted FeatureAttentionClassifier or FeatureAttentionRegressor
    n : int, default=None
        Number of features returned; all when None.

    Returns
    -------
    ranking : pandas.Series
        ``feature_importances_`` indexed by feature name (``feature_names_in_``
        or ``x0``, ``x1``, ...), named ``"attention"``, sorted descending.
    """
    _check_fitted_feature_estimator(estimator)
    series = pd.Series(
        np.asarray(estimator.feature_importances_, dtype=float),
        index=_feature_names(estimator),
        name="attention",
    ).sort_values(ascending=False, kind="stable")
    return series if n is None else series.head(n)


def plot_feature_attention(estimator, X=None, *, n=20, ax=None, cmap="Reds"):
    """Plot which features a fitted feature attention estimator reads.

    Without ``X``: a horizontal bar plot of the ``n`` features with the largest
    ``feature_importances_``. With ``X``: a heatmap of the per-row attention
    weights of ``explain(X)`` (rows: samples of ``X``; columns: those ``n``
    features, most attended first).

    Parameters
    ----------
    estimator : fitted FeatureAttentionClassifier or FeatureAttentionRegressor
    X : array-like or DataFrame of shape (n_samples, n_features), default=None
        Rows to show in a heatmap; keep it to a few dozen rows.
    n : int, default=20
        Number of features shown.
    ax : matplotlib Axes, default=None
        Drawn on a new figure when None.
    cmap : str, default="Reds"
        Colormap of the heatmap.

    Returns
    -------
    ax : matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ranking = top_features(estimator, n)
    if X is None:
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.3 * len(ranking) + 1))
        positions = np.arange(len(ranking))[::-1]
        ax.barh(positions, ranking.to_numpy(), color="#d9402b")
        ax.set_yticks(positions, [str(f) for f in ranking.index])
        ax.set_xlabel("mean attention weight (training set)")
        ax.set_title(f"Top {len(ranking)} attended features")
        return ax

    weights = estimator.explain(X, as_frame=True)[ranking.index]
    if ax is None:
        _, ax = plt.subplots(
            figsize=(0.45 * len(ranking) + 2, 0.3 * len(weights) + 1.5)
        )
    image = ax.imshow(weights.to_numpy(), aspect="auto", cmap=cmap, vmin=0.0)
    ax.set_xticks(np.arange(len(ranking)), [str(f) for f in ranking.index], rotation=90)
    ax.set_yticks(np.arange(len(weights)), [str(i) for i in weights.index])
    ax.set_xlabel("feature")
    ax.set_ylabel("sample")
    ax.set_title("Attention over features per sample")
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax
