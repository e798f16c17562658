"""FeatureAttentionClassifier / FeatureAttentionRegressor: feature attention finds the
informative features, sklearn tooling reads it, per-row explanations, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_wine, make_classification, make_regression
from sklearn.feature_selection import SelectFromModel
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skattn import FeatureAttentionClassifier, FeatureAttentionRegressor
from skattn.inspection import plot_feature_attention, top_features

FAST = dict(embedding_dim=16, max_epochs=30, batch_size=32, random_state=0)


# Tiny models train fastest on one thread (and do not fight other processes).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def informative_task(seed, n_samples=200):
    """20 features, the first 4 informative, the other 16 pure noise."""
    return make_classification(
        n_samples=n_samples, n_features=20, n_informative=4, n_redundant=0,
        shuffle=False, random_state=seed,
    )


def precision_at_4(importances):
    return float(np.mean(np.argsort(importances)[::-1][:4] < 4))


@pytest.fixture(scope="module")
def synthetic_fits():
    fits = []
    for seed in range(4):
        X, y = informative_task(seed)
        fits.append((FeatureAttentionClassifier(**{**FAST, "random_state": seed}).fit(X, y), X, y))
    return fits


@pytest.fixture(scope="module")
def wine_fit():
    X, y = load_wine(return_X_y=True, as_frame=True)
    labels = np.array(["barolo", "grignolino", "barbera"], dtype=object)[y]
    return FeatureAttentionClassifier(**FAST).fit(X, labels), X, labels


def test_informative_features_take_top_places(synthetic_fits):
    precisions = [precision_at_4(clf.feature_importances_) for clf, _, _ in synthetic_fits]
    assert np.mean(precisions) >= 0.75, precisions
    for clf, X, y in synthetic_fits:
        assert clf.score(X, y) >= 0.8


@pytest.mark.slow
def test_informative_features_with_default_parameters():
    precisions = []
    for seed in range(5):
        X, y = informative_task(seed, n_samples=500)
        precisions.append(
            precision_at_4(FeatureAttentionClassifier(random_state=seed).fit(X, y).feature_importances_)
        )
    assert np.mean(precisions) >= 0.75, precisions


def test_feature_importances_are_a_distribution(synthetic_fits):
    clf, X, _ = synthetic_fits[0]
    importances = clf.feature_importances_
    assert importances.shape == (20,) and (importances >= 0).all()
    assert importances.sum() == pytest.approx(1.0)
    # The mean of the per-row weights over the training rows.
    np.testing.assert_allclose(importances, clf.explain(X).mean(0), rtol=1e-4, atol=1e-6)


def test_select_from_model_keeps_informative_features(synthetic_fits):
    clf, X, y = synthetic_fits[0]
    selector = SelectFromModel(clf, prefit=True, threshold=-np.inf, max_features=4)
    kept = np.flatnonzero(selector.get_support())
    assert len(kept) == 4 and np.mean(kept < 4) >= 0.75
    assert selector.transform(X).shape == (len(X), 4)


def test_explain_rows_sum_to_one_and_frame_keeps_names(wine_fit):
    clf, X, _ = wine_fit
    weights = clf.explain(X.iloc[:7])
    assert weights.shape == (7, 13) and (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(1), 1.0, rtol=1e-5)
    frame = clf.explain(X.iloc[10:15], as_frame=True)
    assert list(frame.columns) == list(X.columns) and frame.columns.name == "feature"
    assert frame.index.tolist() == list(range(10, 15))
    # Rows depend on their own values: different wines, different weights.
    assert np.ptp(frame.to_numpy(), axis=0).max() > 1e-3


def test_dataframe_input_and_string_labels(wine_fit):
    clf, X, labels = wine_fit
    assert clf.n_features_in_ == 13
    assert clf.feature_names_in_.tolist() == list(X.columns)
    assert sorted(clf.classes_.tolist()) == ["barbera", "barolo", "grignolino"]
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.score(X, labels) >= 0.9
    proba = clf.predict_proba(X.to_numpy()[:5])
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)


def test_internal_scaling_matches_a_scaler_in_front():
    X, y = informative_task(3, n_samples=120)
    X = X * np.logspace(-3, 4, 20)  # features on wildly different scales
    inside = FeatureAttentionClassifier(embedding_dim=8, max_epochs=3, random_state=0).fit(X, y)
    outside = make_pipeline(
        StandardScaler(),
        FeatureAttentionClassifier(embedding_dim=8, max_epochs=3, standardize=False, random_state=0),
    ).fit(X, y)
    np.testing.assert_allclose(
        inside.predict_proba(X), outside.predict_proba(X), rtol=1e-4, atol=1e-5
    )
    assert outside[-1].scaler_ is None


def test_regressor_multi_output_reads_the_informative_features():
    X, y = make_regression(
        n_samples=200, n_features=10, n_informative=3, n_targets=2, shuffle=False,
        noise=1.0, random_state=0,
    )
    y = y / y.std(0)
    reg = FeatureAttentionRegressor(**FAST).fit(X, y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2)
    assert r2_score(y, reg.predict(X)) >= 0.8
    # The 3 informative features (of 10) rank first, above the uniform 0.1 each.
    assert set(np.argsort(reg.feature_importances_)[::-1][:3]) == {0, 1, 2}
    assert reg.feature_importances_[:3].sum() >= 0.4
    assert not hasattr(reg, "predict_proba")
    one = FeatureAttentionRegressor(embedding_dim=8, max_epochs=1, random_state=0).fit(X, y[:, 0])
    assert one.predict(X[:4]).shape == (4,) and one.predict(X[:4]).dtype == np.float64


def test_self_attention_layers():
    X, y = informative_task(1, n_samples=100)
    clf = FeatureAttentionClassifier(
        embedding_dim=8, num_layers=1, num_heads=2, max_epochs=2, random_state=0
    ).fit(X, y)
    np.testing.assert_allclose(clf.explain(X[:3]).sum(1), 1.0, rtol=1e-5)
    _, weights = clf.module_.forward_with_weights(torch.as_tensor(X[:3], dtype=torch.float32))
    assert [tuple(w.shape) for w in weights["self_attention"]] == [(3, 2, 20, 20)]
    with pytest.raises(ValueError, match="divisible"):
        FeatureAttentionClassifier(embedding_dim=9, num_layers=1, num_heads=2).fit(X, y)


def test_reproducible_and_partial_fit_continues():
    X, y = informative_task(2, n_samples=100)
    a = FeatureAttentionClassifier(embedding_dim=8, max_epochs=2, random_state=5).fit(X, y)
    b = FeatureAttentionClassifier(embedding_dim=8, max_epochs=2, random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.feature_importances_, b.feature_importances_)
    a.partial_fit(X, y)
    assert len(a.history) == 4
    assert not np.array_equal(a.feature_importances_, b.feature_importances_)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.nan, "NaN"),
        (np.inf, "infinity"),
    ],
)
def test_non_finite_values_are_rejected(bad, match):
    X, y = informative_task(0, n_samples=40)
    X_bad = X.copy()
    X_bad[3, 5] = bad
    with pytest.raises(ValueError, match=match):
        FeatureAttentionClassifier(max_epochs=1).fit(X_bad, y)


def test_bad_input_at_predict(wine_fit):
    clf, X, _ = wine_fit
    with pytest.raises(ValueError, match="13 features"):
        clf.predict(X.to_numpy()[:, :5])
    X_nan = X.iloc[:3].copy()
    X_nan.iloc[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.explain(X_nan)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.iloc[:3].rename(columns={"alcohol": "ALCOHOL"}))


def test_non_numeric_columns_are_named():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "colour": ["red", "blue", "red", "blue"],
                      "b": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(ValueError, match=r"non-numeric column\(s\): \['colour'\]"):
        FeatureAttentionClassifier(max_epochs=1).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="must hold numbers"):
        FeatureAttentionClassifier(max_epochs=1).fit(X.to_numpy().astype(str), [0, 1, 0, 1])


def test_bad_targets_and_unfitted():
    X, y = informative_task(0, n_samples=40)
    with pytest.raises(ValueError, match="at least 2 classes"):
        FeatureAttentionClassifier(max_epochs=1).fit(X, np.zeros(40))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FeatureAttentionRegressor(max_epochs=1).fit(X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        FeatureAttentionRegressor(max_epochs=1).fit(X, None)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FeatureAttentionClassifier().explain(X)


def test_top_features_and_plots(wine_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clf, X, _ = wine_fit
    ranking = top_features(clf)
    assert ranking.is_monotonic_decreasing and ranking.name == "attention"
    assert set(ranking.index) == set(X.columns) and ranking.sum() == pytest.approx(1.0)
    assert top_features(clf, 3).index.tolist() == ranking.index[:3].tolist()

    ax = plot_feature_attention(clf, n=5)
    by_height = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]))
    assert [label for _, label in by_height][::-1] == ranking.index[:5].tolist()  # top first
    heat = plot_feature_attention(clf, X.iloc[:6], n=4)
    image = heat.get_images()[0].get_array()
    assert image.shape == (6, 4)
    np.testing.assert_allclose(image, clf.explain(X.iloc[:6], as_frame=True)[ranking.index[:4]])
    plt.close("all")
    with pytest.raises(TypeError, match="FeatureAttention"):
        top_features(object())


def test_partial_fit_keeps_the_classes_of_the_first_call():
    X, y = load_wine(return_X_y=True)
    labels = np.array(["barolo", "grignolino", "barbera"])[y]
    clf = FeatureAttentionClassifier(embedding_dim=8, max_epochs=1, random_state=0)
    # First call sees two classes only: classes= names all three.
    clf.partial_fit(X[y < 2], labels[y < 2], classes=["barbera", "barolo", "grignolino"])
    assert clf.classes_.tolist() == ["barbera", "barolo", "grignolino"]
    assert clf.predict_proba(X[:2]).shape == (2, 3)
    # A later batch of one class keeps the label indices (no re-encoding).
    before = clf.predict_proba(X).argmax(1)
    clf.partial_fit(X[y == 2], labels[y == 2])
    assert clf.classes_.tolist() == ["barbera", "barolo", "grignolino"]
    assert len(clf.history) == 2
    assert set(clf.predict(X[y == 2])) <= set(clf.classes_)
    assert (clf.predict_proba(X[y == 2]).argmax(1) == 0).mean() >= (before[y == 2] == 0).mean()
    with pytest.raises(ValueError, match=r"labels not in classes .*\['nebbiolo'\]"):
        clf.partial_fit(X[:3], ["nebbiolo", "barolo", "barolo"])
    with pytest.raises(TypeError, match="regressor"):
        FeatureAttentionRegressor(max_epochs=1).partial_fit(X, y * 1.0, classes=[0, 1, 2])
