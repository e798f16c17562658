"""Behaving like a scikit-learn estimator: target scaling, MLP-style early
stopping, validation sets given as a share or as raw inputs."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score, train_test_split

from skattn import (
    AttentionTextClassifier,
    AttentionTextRegressor,
    FeatureAttentionClassifier,
    FeatureAttentionRegressor,
    io,
)
from skattn.datasets import load_movie_reviews


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(list(X), y, train_size=3000, test_size=500, random_state=0, stratify=y)


def test_regressors_standardize_the_target():
    X, y = load_diabetes(return_X_y=True)
    scaled = cross_val_score(FeatureAttentionRegressor(random_state=0), X, y, cv=5).mean()
    raw = cross_val_score(
        FeatureAttentionRegressor(random_state=0, standardize_target=False), X, y, cv=5).mean()
    ridge = cross_val_score(Ridge(), X, y, cv=5).mean()
    assert scaled > raw and scaled > ridge, (scaled, raw, ridge)
    reg = FeatureAttentionRegressor(random_state=0, max_epochs=5).fit(X, np.c_[y, 1000 + 10 * y])
    np.testing.assert_allclose(reg.target_mean_, [y.mean(), 1000 + 10 * y.mean()], rtol=1e-5)
    assert reg.predict(X).shape == (len(X), 2) and abs(reg.predict(X)[:, 1].mean() - 1000 - 10
                                                        * y.mean()) < 10 * y.std()


def test_text_regressor_on_an_unscaled_target(reviews):
    X, X_test, y, y_test = reviews
    target, target_test = np.where(y == "pos", 5000.0, 4000.0), np.where(y_test == "pos", 5000.0, 4000.0)
    scaled = AttentionTextRegressor(random_state=0).fit(X, target)
    raw = AttentionTextRegressor(random_state=0, standardize_target=False).fit(X, target)
    # Unscaled, training stalls far from the target (R^2 about -50); standardized
    # it reaches the level of a constant predictor or better (a weak model of
    # sentiment as a number, but no longer a failure of scale).
    assert raw.score(X_test, target_test) < -10
    assert scaled.score(X_test, target_test) > -0.1
    # Contributions stay exact in the units of y.
    explanation = scaled.explain(X_test[:20], method="contribution")
    totals = explanation.groupby("sample")["weight"].sum().to_numpy()
    np.testing.assert_allclose(totals + scaled.intercept_.sum(), scaled.predict(X_test[:20]),
                               rtol=1e-4)


def test_early_stopping_restores_the_best_epoch(reviews, tmp_path):
    X, X_test, y, y_test = reviews
    clf = AttentionTextClassifier(
        random_state=0, early_stopping=True, n_iter_no_change=2, max_epochs=30
    ).fit(X, y)
    losses = clf.history[:, "valid_loss"]
    assert len(losses) < 30, "stopped early"
    best = int(np.argmin(losses))
    assert len(losses) - 1 - best == 2, "stopped n_iter_no_change epochs after the best"
    # The restored weights are the best epoch's: the validation loss recomputed
    # on the same held-out share matches it.
    assert clf.history[best, "valid_loss_best"]
    again = AttentionTextClassifier(
        random_state=0, early_stopping=True, n_iter_no_change=2, max_epochs=30
    ).fit(X, y)
    assert again.history[:, "valid_loss"] == losses, "the split is seeded by random_state"
    # Stratified: both classes in the held-out tenth, in proportion.
    _, valid = clf._resolved_split()(clf.get_dataset(np.arange(len(X))), y)
    held_out = y[np.asarray(valid.indices)]
    assert len(held_out) == 300 and abs((held_out == "pos").mean() - (y == "pos").mean()) < 0.01
    with pytest.raises(ValueError, match="leave train_split=None"):
        AttentionTextClassifier(early_stopping=True, train_split=0.2).fit(X[:50], y[:50])
    io.save(clf, tmp_path / "es.safetensors")
    np.testing.assert_array_equal(io.load(tmp_path / "es.safetensors").predict(X_test), clf.predict(X_test))


def test_validation_as_a_share_or_as_raw_documents(reviews):
    X, X_test, y, y_test = reviews
    share = AttentionTextClassifier(random_state=0, max_epochs=2, train_split=0.2).fit(X, y)
    assert len(share.history[:, "valid_acc"]) == 2
    given = AttentionTextClassifier(random_state=0, max_epochs=2, train_split=(X_test, y_test))
    given.fit(X, y)
    assert given.history[-1, "valid_acc"] == pytest.approx(given.score(X_test, y_test))
    with pytest.raises(ValueError, match="pair"):
        AttentionTextClassifier(max_epochs=1, train_split=(X_test,)).fit(X[:50], y[:50])


# -- class and sample weights ---------------------------------------------------------


def test_weights_of_ones_give_the_same_model(reviews):
    from sklearn.datasets import load_wine

    X, X_test, y, _ = reviews
    plain = AttentionTextClassifier(random_state=0, max_epochs=2).fit(X[:600], y[:600])
    ones = AttentionTextClassifier(random_state=0, max_epochs=2).fit(
        X[:600], y[:600], sample_weight=np.ones(600))
    np.testing.assert_allclose(ones.predict_proba(X_test), plain.predict_proba(X_test), atol=1e-6)
    Xw, yw = load_wine(return_X_y=True)
    plain = FeatureAttentionRegressor(random_state=0, max_epochs=5).fit(Xw, yw * 1.0)
    ones = FeatureAttentionRegressor(random_state=0, max_epochs=5).fit(
        Xw, yw * 1.0, sample_weight=[1] * len(Xw))
    np.testing.assert_allclose(ones.predict(Xw), plain.predict(Xw), atol=1e-5)
    balanced = AttentionTextClassifier(random_state=0, max_epochs=2, class_weight="balanced")
    balanced.fit(X[:600], y[:600])  # balanced classes: weights of 1
    np.testing.assert_allclose(balanced.class_weight_, [1.0, 1.0], atol=0.05)


def test_sample_and_class_weights_shift_the_decision():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    base = dict(random_state=0, max_epochs=30, embedding_dim=8)
    plain = FeatureAttentionClassifier(**base).fit(X, y)
    heavy = FeatureAttentionClassifier(**base).fit(X, y, sample_weight=np.where(y == 2, 20.0, 1.0))
    favoured = FeatureAttentionClassifier(**base, class_weight={0: 1.0, 1: 1.0, 2: 20.0}).fit(X, y)
    share = lambda clf: np.mean(clf.predict(X) == 2)  # noqa: E731
    assert share(heavy) > share(plain) and share(favoured) > share(plain)
    np.testing.assert_array_equal(favoured.class_weight_, [1.0, 1.0, 20.0])
    weighted = FeatureAttentionClassifier(**base, criterion__weight=[1.0, 1.0, 20.0]).fit(X, y)
    assert weighted.criterion_.weight.tolist() == [1.0, 1.0, 20.0]
    with pytest.raises(ValueError, match="one weight per class"):
        FeatureAttentionClassifier(**base, criterion__weight=[1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="[Nn]egative"):
        FeatureAttentionClassifier(**base).fit(X, y, sample_weight=-np.ones(len(X)))


def test_string_labels_class_weight_and_metadata_routing(reviews):
    import sklearn
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, _, y, _ = reviews
    clf = AttentionTextClassifier(max_epochs=1, class_weight={"neg": 3.0, "pos": 1.0}).fit(X[:200], y[:200])
    assert clf.class_weight_.tolist() == [3.0, 1.0]  # classes_ order
    with pytest.raises(ValueError, match="class_weight applies to single-label"):
        AttentionTextClassifier(max_epochs=1, class_weight="balanced").fit(
            X[:50], np.eye(2, dtype=int)[np.arange(50) % 2])  # multi-label indicator
    with sklearn.config_context(enable_metadata_routing=True):
        weights = np.where(np.asarray(y[:200]) == "pos", 2.0, 1.0)
        pipe = make_pipeline(
            FunctionTransformer(),
            AttentionTextClassifier(max_epochs=1, random_state=0).set_fit_request(sample_weight=True),
        )
        pipe.fit(X[:200], y[:200], sample_weight=weights)
        direct = AttentionTextClassifier(max_epochs=1, random_state=0).fit(
            X[:200], y[:200], sample_weight=weights)
        np.testing.assert_allclose(pipe.predict_proba(X[:20]), direct.predict_proba(X[:20]), atol=1e-6)
        search = GridSearchCV(
            AttentionTextClassifier(max_epochs=1, random_state=0)
            .set_fit_request(sample_weight=True).set_score_request(sample_weight=True),
            {"embedding_dim": [8]}, cv=2,
        ).fit(X[:200], y[:200], sample_weight=weights)
        assert search.best_score_ > 0


# -- types users expect ----------------------------------------------------------------


def test_types_users_expect(reviews):
    from sklearn.datasets import load_wine
    from sklearn.exceptions import NotFittedError

    import skattn
    from skattn import AttentionSeq2Seq
    from skattn.datasets import make_dates

    assert {"PretrainedTextEncoder", "PretrainedTextClassifier"} <= set(skattn.__all__)
    from skattn.encoders import PretrainedTextEncoder

    assert skattn.PretrainedTextEncoder is PretrainedTextEncoder
    for estimator, name in [(AttentionTextClassifier(), "token_attention_"),
                            (AttentionTextClassifier(), "classes_"),
                            (FeatureAttentionClassifier(), "feature_importances_")]:
        with pytest.raises(NotFittedError, match=f"{name} is set by fit"):
            getattr(estimator, name)
        assert not hasattr(estimator, name)
    X, _, y, _ = reviews
    proba = AttentionTextClassifier(max_epochs=1).fit(X[:100], y[:100]).predict_proba(X[:5])
    Xw, yw = load_wine(return_X_y=True)
    tab = FeatureAttentionClassifier(max_epochs=1).fit(Xw, yw).predict_proba(Xw[:5])
    assert proba.dtype == np.float64 and tab.dtype == np.float64
    np.testing.assert_allclose(proba.sum(1), 1.0) and np.testing.assert_allclose(tab.sum(1), 1.0)
    Xd, yd = make_dates(60, random_state=0)
    model = AttentionSeq2Seq(max_epochs=1, random_state=0, max_output_len=12).fit(Xd, yd)
    out = model.predict(Xd[:3])
    assert isinstance(out, np.ndarray) and out.dtype == object and out.shape == (3,)
    alignment = model.explain(Xd[:1])[0]
    text = repr(alignment)
    assert text.startswith("Alignment(") and len(text) < 160 and "source tokens" in text
    frame = alignment.to_frame()
    assert frame.shape == alignment.weights.shape
    # explain keeps the caller's index here too (positions for lists).
    import pandas as pd
    sources = pd.Series(list(Xd[:2]), index=["x", "y"])
    assert [a.sample for a in model.explain(sources)] == ["x", "y"]
    assert [a.sample for a in model.explain(sources, y=list(yd[:2]))] == ["x", "y"]
    assert [a.sample for a in model.explain(list(Xd[:2]))] == [0, 1]
    assert frame.index.name == "target" and list(frame.columns) == alignment.source_tokens


def test_explain_keeps_the_callers_index(reviews):
    import pandas as pd

    from skattn import AttentionEncoder

    X, X_test, y, _ = reviews
    clf = AttentionTextClassifier(max_epochs=1, random_state=0).fit(X[:300], y[:300])
    series = pd.Series(X_test[:3], index=["a", "b", "c"])
    explanation = clf.explain(series, with_prediction=True)
    assert list(pd.unique(explanation["sample"])) == ["a", "b", "c"]
    assert explanation.columns[:3].tolist() == ["sample", "prediction", "probability"]
    by_label = explanation.groupby("sample")[["prediction", "probability"]].first()
    np.testing.assert_array_equal(by_label.loc[["a", "b", "c"], "prediction"], clf.predict(series))
    np.testing.assert_allclose(by_label.loc[["a", "b", "c"], "probability"],
                               clf.predict_proba(series).max(1))
    frame = pd.DataFrame({"text": X_test[:2]}, index=[10, 20])
    assert set(clf.explain(frame)["sample"]) == {10, 20}
    assert set(clf.explain(list(X_test[:2]))["sample"]) == {0, 1}  # positions for lists
    encoder = AttentionEncoder(max_epochs=1).fit(X[:100])
    with pytest.raises(ValueError, match="with_prediction=True needs"):
        encoder.explain(X_test[:2], with_prediction=True)


def test_verbose_levels(reviews, capsys):
    X, _, y, _ = reviews
    AttentionTextClassifier(max_epochs=1, verbose=0).fit(X[:200], y[:200])
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    AttentionTextClassifier(max_epochs=2, verbose=1).fit(X[:200], y[:200])
    table = capsys.readouterr()
    assert "train_loss" in table.out and "dur" in table.out and "batches" not in table.err
    AttentionTextClassifier(max_epochs=1, verbose=2, batch_size=32).fit(X[:200], y[:200])
    bar = capsys.readouterr()
    assert "train_loss" in bar.out
    assert "/7 [" in bar.err, "a per-batch progress bar over the 7 batches (200 / 32)"


def test_scikit_learn_repr():
    import re

    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    assert repr(AttentionTextClassifier(max_epochs=2)) == "AttentionTextClassifier(max_epochs=2)"
    assert repr(FeatureAttentionRegressor()) == "FeatureAttentionRegressor()"
    changed = AttentionTextClassifier(max_epochs=2, module__dropout=0.3)
    assert "module__dropout=0.3" in repr(changed) and "iterator_train" not in repr(changed)
    pipe = repr(make_pipeline(AttentionTextClassifier(max_epochs=2)))
    assert "_params_to_validate" not in pipe and "AttentionTextClassifier(max_epochs=2)" in pipe
    html = changed._repr_html_()
    cells = re.findall(r'<tr class="user-set">.*?<td class="param">(.*?)</td>', html, re.S)
    # Each name links to its entry of the API page (a tooltip with its docs).
    names = [re.sub(r"<[^>]+>", "", re.sub(r"<span.*?</span>", "", c, flags=re.S)).strip()
             for c in cells]
    assert names == ["max_epochs", "module__dropout"]
    assert "max_epochs: int, default=3" in cells[0]
    # The "?" opens skattn's API page of the estimator (public module path).
    assert changed._get_doc_link() == (
        "https://skattn.readthedocs.io/en/latest/generated/"
        "skattn.text.AttentionTextClassifier.html")
    assert changed._get_doc_link() in html
    from skattn import HashingSequenceVectorizer
    assert HashingSequenceVectorizer()._get_doc_link().endswith(
        "skattn.feature_extraction.HashingSequenceVectorizer.html")
    # get_params still holds everything clone needs.
    params = changed.get_params()
    assert {"module", "criterion", "iterator_train", "module__dropout"} <= set(params)
    assert clone(changed).get_params()["module__dropout"] == 0.3
