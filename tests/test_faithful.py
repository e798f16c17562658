"""Faithful explanations: exact token contributions, decision_function, ERASER
metrics and faithfulness scorers."""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from skattn import (
    AttentionEncoder,
    AttentionTextClassifier,
    AttentionTextRegressor,
    FeatureAttentionClassifier,
    FeatureAttentionRegressor,
)
from skattn.datasets import load_movie_reviews
from skattn.inspection import (
    comprehensiveness_scorer,
    delete_tokens,
    eraser_scores,
    keep_tokens,
    sufficiency_scorer,
)
from test_text import FAST, TRIGGERS, make_trigger_task


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    train, test = order[:4000], order[4000:4400]
    return (list(X[train]), y[train]), (list(X[test]), y[test])


@pytest.fixture(scope="module")
def mr_classifier(reviews):
    (X, y), _ = reviews
    return AttentionTextClassifier(random_state=0).fit(X, y)  # the defaults


def _identity_error(estimator, X):
    """Largest |sum of contributions + intercept - explained score| over documents."""
    explanation = estimator.explain(X, method="contribution")
    totals = explanation.groupby("sample")["weight"].sum().reindex(range(len(X)), fill_value=0)
    if not hasattr(estimator, "classes_"):
        score = estimator.predict(X)
        score = score if score.ndim == 1 else score.sum(1)
        return np.abs(totals.to_numpy() + estimator.intercept_.sum() - score).max()
    scores = estimator.decision_function(X)
    predicted = np.searchsorted(estimator.classes_, estimator.predict(X))
    if scores.ndim == 1:  # two classes: +- the score of classes_[1]
        sign = np.where(predicted == 1, 1.0, -1.0)
        return np.abs(totals.to_numpy() + sign * estimator.intercept_[0] - sign * scores).max()
    explained = scores[np.arange(len(X)), predicted]
    return np.abs(totals.to_numpy() + estimator.intercept_[predicted] - explained).max()


@pytest.mark.parametrize("encoder", ["pooling", "gru", "transformer"])
def test_contributions_add_up_to_the_class_score(encoder, reviews):
    (X, y), (X_test, _) = reviews
    clf = AttentionTextClassifier(encoder=encoder, **FAST).fit(X[:800], y[:800])
    assert clf.decision_function(X_test[:40]).shape == (40,)
    np.testing.assert_array_equal(
        clf.decision_function(X_test[:40]) > 0, clf.predict(X_test[:40]) == clf.classes_[1]
    )
    assert _identity_error(clf, X_test[:40] + ["", "zzz unseen"]) < 1e-4


def test_contributions_of_several_classes_and_of_regressors():
    X, y = make_trigger_task(300, 0)
    clf = AttentionTextClassifier(**FAST).fit(X, y)
    scores = clf.decision_function(X[:30])
    assert scores.shape == (30, len(TRIGGERS)) and clf.intercept_.shape == (len(TRIGGERS),)
    np.testing.assert_array_equal(clf.classes_[scores.argmax(1)], clf.predict(X[:30]))
    assert _identity_error(clf, X[:30]) < 1e-4
    # The trigger token carries the predicted class: the largest contribution.
    explanation = clf.explain(X[:30], method="contribution")
    top = explanation.loc[explanation.groupby("sample")["weight"].idxmax(), "token"]
    assert top.isin(TRIGGERS).mean() > 0.9
    target = np.array([float(t.split()[0] in X[i]) for i, t in enumerate(X)]) + np.arange(300) % 3
    reg = AttentionTextRegressor(**FAST).fit(X, np.c_[target, -target])
    assert _identity_error(reg, X[:30]) < 1e-4


def test_contribution_needs_a_head_linear_in_the_tokens(reviews):
    (X, y), _ = reviews
    states = AttentionTextClassifier(**FAST, module__pool_values="states").fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="pool_values='embeddings'"):
        states.explain(X[:2], method="contribution")
    masked = AttentionEncoder(**FAST).fit(X[:200])
    with pytest.raises(ValueError, match="masked-token"):
        masked.explain(X[:2], method="contribution")
    supervised = AttentionEncoder(**FAST).fit(X[:200], y[:200])
    assert _identity_error_encoder(supervised, X[:20]) < 1e-4


def _identity_error_encoder(encoder, X):
    """An encoder trained on labels explains its (discarded) head's score."""
    explanation = encoder.explain(X, method="contribution")
    totals = explanation.groupby("sample")["weight"].sum().to_numpy()
    import torch

    ids = torch.as_tensor(encoder.vectorizer_.transform(X))
    with torch.no_grad():
        logits = encoder.module_(ids).double().numpy()
    bias = encoder.module_.head.bias.detach().double().numpy()
    predicted = logits.argmax(1)
    sign = np.where(predicted == 1, 1.0, -1.0)
    return np.abs(totals + sign * (bias[1] - bias[0]) - sign * (logits[:, 1] - logits[:, 0])).max()


def test_tabular_contributions():
    X, y = load_iris(return_X_y=True)
    clf = FeatureAttentionClassifier(max_epochs=10, random_state=0, module__hidden_dim=0).fit(X, y)
    contributions = clf.explain(X, method="contribution")
    scores = clf.decision_function(X)
    predicted = scores.argmax(1)
    np.testing.assert_allclose(
        contributions.sum(1) + clf.intercept_[predicted], scores[np.arange(len(X)), predicted],
        atol=1e-4,
    )
    frame = clf.explain(X[:3], method="contribution", as_frame=True)
    assert frame.shape == (3, 4)
    reg = FeatureAttentionRegressor(max_epochs=5, random_state=0, module__hidden_dim=0)
    reg.fit(X[:, :3], X[:, 3])
    np.testing.assert_allclose(
        reg.explain(X[:, :3], method="contribution").sum(1) + reg.intercept_.sum(),
        reg.predict(X[:, :3]), atol=1e-4,
    )
    with pytest.raises(ValueError, match="linear head"):
        FeatureAttentionClassifier(max_epochs=1).fit(X, y).explain(X, method="contribution")
    with pytest.raises(AttributeError, match="no linear output layer"):
        FeatureAttentionClassifier(max_epochs=1).fit(X, y).intercept_


# -- ERASER ----------------------------------------------------------------------


def test_keep_and_delete_are_complements():
    ids = np.array([[5, 6, 7, 8, 0], [9, 4, 0, 0, 0]])
    scores = np.array([[0.1, 0.9, 0.5, 0.2, 9.0], [0.3, 0.7, 9.0, 9.0, 9.0]])
    assert keep_tokens(ids, scores, [2, 1]).tolist() == [[6, 7, 0, 0, 0], [4, 0, 0, 0, 0]]
    assert delete_tokens(ids, scores, [2, 1]).tolist() == [[5, 8, 0, 0, 0], [9, 0, 0, 0, 0]]
    assert delete_tokens(ids, scores, 1).tolist() == [[5, 7, 8, 0, 0], [9, 0, 0, 0, 0]]


def test_eraser_scores_on_held_out_reviews(mr_classifier, reviews):
    _, (X_test, _) = reviews
    table = eraser_scores(mr_classifier, X_test, random_state=0)
    assert list(table.index) == [
        "attention", "contribution", "gradient", "integrated_gradients", "rollout", "random"]
    assert {"comprehensiveness", "sufficiency", "explain_seconds", "n_samples"} <= set(table)
    assert (table["n_samples"] == len(X_test)).all()
    comp, suff = table["comprehensiveness"], table["sufficiency"]
    # The exact decomposition is at least as faithful as the gradient methods...
    assert comp["contribution"] >= comp["gradient"] - 1e-3
    assert comp["contribution"] >= comp["integrated_gradients"] - 1e-3
    assert suff["contribution"] <= max(suff["gradient"], suff["integrated_gradients"]) + 0.005
    # ...and every method beats random.
    assert comp.drop("random").min() > 2 * abs(comp["random"])
    assert comp["attention"] >= 2 * max(comp["random"], 0.01)
    # One method by name, a callable beside it.
    custom = eraser_scores(
        mr_classifier, X_test[:50],
        methods={"contribution": "contribution", "length": lambda est, texts, ids: -ids},
    )
    assert list(custom.index) == ["contribution", "length"]
    with pytest.raises(ValueError, match="fractions"):
        eraser_scores(mr_classifier, X_test[:5], fractions=(0.0, 0.5))


def test_faithfulness_scorers_select_models(reviews):
    (X, y), (X_test, y_test) = reviews
    scoring = {
        "accuracy": "accuracy",
        "comprehensiveness": comprehensiveness_scorer(),
        "sufficiency": sufficiency_scorer(),
    }
    search = GridSearchCV(
        AttentionTextClassifier(**FAST),
        {"module__pool_values": ["embeddings"], "embedding_dim": [8, 16]},
        scoring=scoring, refit="comprehensiveness", cv=2,
    ).fit(X[:600], y[:600])
    comp = search.cv_results_["mean_test_comprehensiveness"]
    assert np.isfinite(comp).all() and (comp > 0).all()
    assert search.best_index_ == int(np.argmax(comp))
    assert (search.cv_results_["mean_test_sufficiency"] <= 1).all()
    # On a pipeline, and in cross_validate.
    pipe = make_pipeline(
        ColumnTransformer([("text", "passthrough", [0])]), AttentionTextClassifier(**FAST)
    )
    X_frame = np.array(X[:400], dtype=object)[:, None]
    result = cross_validate(pipe, X_frame, y[:400], cv=2,
                            scoring={"comp": comprehensiveness_scorer("attention")})
    assert np.isfinite(result["test_comp"]).all()
    assert repr(comprehensiveness_scorer()) == "comprehensiveness_scorer(method='contribution')"


# -- attention per class ------------------------------------------------------------

THREE = ["excellent", "awful", "boring"]
# The embedding from N(0, 0.3), as FAST in test_text.py: a larger start than the
# default's for these short fits on tiny data.
LABEL_WISE = dict(per_class_attention=True, embedding_dim=16, max_epochs=8, lr=0.02,
                  batch_size=16, random_state=0, module__dropout=0.1,
                  module__embedding_init_std=0.3)


def _three_trigger_task(n, seed, multilabel=False):
    """Filler tokens plus triggers: one per document (its class), or each label's
    trigger present with probability 0.4 (multi-label)."""
    rng = np.random.RandomState(seed)
    fillers = [f"w{i}" for i in range(40)]
    docs, labels = [], []
    for _ in range(n):
        tokens = list(rng.choice(fillers, rng.randint(6, 12)))
        present = (rng.rand(3) < 0.4).astype(int) if multilabel else np.eye(3, dtype=int)[
            rng.randint(3)]
        for j in np.flatnonzero(present):
            tokens.insert(rng.randint(len(tokens) + 1), THREE[j])
        docs.append(" ".join(tokens))
        labels.append(present if multilabel else THREE[int(present.argmax())].upper())
    return docs, np.array(labels)


def test_each_class_attends_to_its_own_trigger():
    from skattn.inspection import top_tokens

    X, y = _three_trigger_task(300, 0)
    clf = AttentionTextClassifier(**LABEL_WISE).fit(X, y)
    X_test, y_test = _three_trigger_task(100, 1)
    assert clf.score(X_test, y_test) > 0.95
    table = clf.class_token_attention_
    assert list(table.columns) == clf.classes_.tolist() and table.index.equals(
        clf.token_attention_.index)
    for label in clf.classes_:
        assert table[label].idxmax() == label.lower()
    top = top_tokens(clf, 1, by_class=True)
    assert top["token"].tolist() == [c.lower() for c in clf.classes_]
    # explain: the predicted class's own weights by default, every class on request.
    one = clf.explain(X_test[:5], method="attention")
    assert "class" not in one and np.allclose(one.groupby("sample")["weight"].sum(), 1)
    every = clf.explain(X_test[:5], method="attention", classes="all")
    assert every.columns.tolist()[:2] == ["sample", "class"] and len(every) == 3 * len(one)
    predicted = clf.predict(X_test[:5])
    own = every[every["class"] == every["sample"].map(dict(enumerate(predicted)))]
    np.testing.assert_allclose(own["weight"].to_numpy(), one["weight"].to_numpy(), rtol=1e-6)
    awful = clf.explain(X_test[:5], method="attention", classes="AWFUL")
    assert set(awful["class"]) == {"AWFUL"}
    # Every class's contributions add up to its own logit.
    contributions = clf.explain(X_test[:5], method="contribution", classes="all")
    totals = contributions.groupby(["sample", "class"], sort=False)["weight"].sum().unstack()
    np.testing.assert_allclose(
        totals[clf.classes_].to_numpy() + clf.intercept_, clf.decision_function(X_test[:5]),
        atol=1e-4,
    )
    with pytest.raises(ValueError, match="not defined for per-class attention"):
        clf.explain(X_test[:2], method="gradient")
    with pytest.raises(ValueError, match="classes must be"):
        clf.explain(X_test[:2], method="attention", classes="nope")


def test_multilabel_targets_each_label_with_its_own_attention(tmp_path):
    from skattn import io

    X, Y = _three_trigger_task(500, 0, multilabel=True)
    X_test, Y_test = _three_trigger_task(100, 1, multilabel=True)
    clf = AttentionTextClassifier(**LABEL_WISE).fit(X, Y)
    assert clf.classes_.tolist() == [0, 1, 2]
    predicted = clf.predict(X_test)
    assert predicted.shape == Y_test.shape and set(np.unique(predicted)) <= {0, 1}
    assert (predicted == Y_test).all(1).mean() > 0.9  # subset accuracy
    proba = clf.predict_proba(X_test[:5])
    assert proba.dtype == np.float64 and proba.shape == (5, 3)
    np.testing.assert_array_equal(proba >= 0.5, predicted[:5] == 1)
    for k, trigger in enumerate(THREE):
        assert clf.class_token_attention_[k].idxmax() == trigger
    explanation = clf.explain(X_test[:3])  # every label, with a class column
    assert explanation.equals(clf.explain(X_test[:3], method="contribution", classes="all"))
    assert explanation["class"].nunique() == 3
    assert clf.score(X_test, Y_test) > 0.9
    io.save(clf, tmp_path / "ml.safetensors")
    loaded = io.load(tmp_path / "ml.safetensors")
    np.testing.assert_array_equal(loaded.predict(X_test), predicted)
    assert loaded.class_token_attention_.equals(clf.class_token_attention_)
