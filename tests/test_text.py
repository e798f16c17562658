"""AttentionTextClassifier / AttentionTextRegressor: learning, attention, sklearn fit, bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skattn import AttentionTextClassifier, AttentionTextRegressor
from skattn.datasets import load_movie_reviews

TRIGGERS = ["excellent", "awful", "boring", "moving"]
# Tiny trigger-task models: light dropout (the classifier's default 0.5 suits real
# text trained for more steps), words only (the label is one word; the bigrams
# of random filler around it are noise), a constant small lr in batches of 16,
# and the embedding drawn from N(0, 0.3): from the default's N(0, 0.03) the 65
# steps of these fits leave the Transformer's ranking of the triggers unsettled.
# One rate for every parameter (attention_lr=None): the default 0.001 of the
# attention layers moves their weights by at most 0.065 in 65 steps.
FAST = dict(embedding_dim=16, max_epochs=5, lr=0.02, lr_schedule="constant", batch_size=16,
            random_state=0, module__dropout=0.1, vectorizer__ngram_range=(1, 1),
            module__embedding_init_std=0.3, attention_lr=None)


def make_trigger_task(n, seed):
    """Each document: 6-13 random filler tokens and one trigger; the trigger is the label."""
    rng = np.random.RandomState(seed)
    fillers = [f"w{i}" for i in range(40)]
    docs, labels = [], []
    for _ in range(n):
        tokens = list(rng.choice(fillers, rng.randint(6, 14)))
        label = rng.randint(len(TRIGGERS))
        tokens.insert(rng.randint(len(tokens) + 1), TRIGGERS[label])
        docs.append(" ".join(tokens))
        labels.append(TRIGGERS[label].upper())
    return docs, np.array(labels, dtype=object)


@pytest.fixture(scope="module")
def trigger_data():
    return make_trigger_task(200, 0), make_trigger_task(100, 1)


@pytest.fixture(scope="module", params=["pooling", "gru", "transformer"])
def fitted_trigger(request, trigger_data):
    (X, y), _ = trigger_data
    return AttentionTextClassifier(encoder=request.param, **FAST).fit(X, y)


def test_attention_lands_on_trigger_token(fitted_trigger, trigger_data):
    _, (X_test, y_test) = trigger_data
    assert (fitted_trigger.predict(X_test) == y_test).mean() >= 0.95
    explanation = fitted_trigger.explain(X_test, method="attention")
    trigger_mass = explanation.loc[explanation["token"].isin(TRIGGERS), "weight"]
    assert len(trigger_mass) == len(X_test)
    assert trigger_mass.mean() >= 0.5, fitted_trigger.encoder


def test_token_attention_ranks_triggers_first(fitted_trigger):
    ranking = fitted_trigger.token_attention_
    assert isinstance(ranking, pd.Series) and ranking.name == "attention"
    assert ranking.is_monotonic_decreasing
    assert "<pad>" not in ranking.index
    assert set(ranking.index[:4]) == set(TRIGGERS)


def test_explain_is_tidy_and_normalised(fitted_trigger):
    docs = ["w1 excellent w2", "unseenword awful", ""]
    explanation = fitted_trigger.explain(docs, method="attention")
    assert list(explanation.columns) == [
        "sample", "position", "token", "in_vocabulary", "special", "weight"]
    assert not explanation["special"].any(), "skattn's vocabularies have no special tokens"
    np.testing.assert_allclose(explanation.groupby("sample")["weight"].sum(), 1.0, rtol=1e-5)
    assert set(explanation["sample"]) == {0, 1}, "an empty document has no token rows"
    oov = explanation[explanation["token"] == "unseenword"]
    assert len(oov) == 1 and not oov["in_vocabulary"].item()
    assert explanation.loc[explanation["sample"] == 0, "token"].tolist() == ["w1", "excellent", "w2"]


def test_string_labels_probabilities_and_degenerate_documents(fitted_trigger):
    assert fitted_trigger.classes_.tolist() == sorted(t.upper() for t in TRIGGERS)
    proba = fitted_trigger.predict_proba(["excellent w3", "", "zzz qqq", "!!!"])
    assert proba.shape == (4, 4) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert fitted_trigger.predict(["w5 moving w6"])[0] == "MOVING"
    assert set(fitted_trigger.predict(["", "zzz"])) <= set(fitted_trigger.classes_)


@pytest.fixture(scope="module")
def movie_reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=6000, test_size=2000, random_state=0, stratify=y)


def test_movie_reviews_accuracy_above_070(movie_reviews):
    X_train, X_test, y_train, y_test = movie_reviews
    clf = AttentionTextClassifier(random_state=0)  # the defaults
    clf.fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    assert accuracy > 0.70, accuracy


@pytest.fixture(scope="module")
def small_reviews(movie_reviews):
    X_train, _, y_train, _ = movie_reviews
    return pd.DataFrame({"text": X_train[:240], "length": [len(t) for t in X_train[:240]]}), y_train[:240]


TINY = dict(embedding_dim=8, max_epochs=1, batch_size=32, random_state=0)


def test_pipeline_after_column_transformer(small_reviews):
    frame, y = small_reviews
    select = ColumnTransformer([("text", "passthrough", ["text"])])  # hands on an (n, 1) column
    pipe = make_pipeline(select, AttentionTextClassifier(**TINY)).fit(frame, y)
    assert set(pipe.predict(frame.head(5))) <= {"neg", "pos"}
    pandas_out = make_pipeline(clone(select).set_output(transform="pandas"), AttentionTextClassifier(**TINY))
    np.testing.assert_array_equal(pandas_out.fit(frame, y).predict(frame), pipe.predict(frame))


def test_grid_search_and_cross_val_score(small_reviews):
    frame, y = small_reviews
    grid = GridSearchCV(
        AttentionTextClassifier(**TINY),
        {
            "attention": ["additive", "dot"],
            "embedding_dim": [8, 16],
            "module__dropout": [0.0, 0.3],
            "lr": [0.01],
            "vectorizer__max_len": [16],
        },
        cv=2,
    ).fit(frame["text"], y)
    assert set(grid.cv_results_["param_attention"]) == {"additive", "dot"}
    assert grid.best_estimator_.vectorizer_.max_len == 16
    assert grid.best_estimator_.module_.encoder.dropout.p in (0.0, 0.3)
    scores = cross_val_score(AttentionTextClassifier(**TINY), frame["text"], y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_clone_params_pickle_and_reproducibility(small_reviews):
    frame, y = small_reviews
    X = frame["text"]
    clf = AttentionTextClassifier(encoder="gru", module__dropout=0.2, **TINY)
    params = clf.get_params()
    assert params["encoder"] == "gru" and params["module__dropout"] == 0.2
    twin = clone(clf)
    assert twin.get_params()["module__dropout"] == 0.2
    assert clf.set_params(embedding_dim=12) is clf and clf.embedding_dim == 12

    clf.fit(X, y)
    proba = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(clone(clf).fit(X, y).predict_proba(X), proba)
    other_seed = clone(clf).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(other_seed, proba)


def test_regressor_learns_trigger_scores():
    docs, labels = make_trigger_task(200, 2)
    value = {"EXCELLENT": 2.0, "MOVING": 1.0, "BORING": -1.0, "AWFUL": -2.0}
    y = np.array([value[label] for label in labels])
    reg = AttentionTextRegressor(**{**FAST, "max_epochs": 10}).fit(docs[:150], y[:150])
    pred = reg.predict(docs[150:])
    assert pred.shape == (50,)
    assert reg.score(docs[150:], y[150:]) > 0.8
    two = AttentionTextRegressor(**{**FAST, "max_epochs": 1}).fit(docs, np.c_[y, -y])
    assert two.predict(docs[:3]).shape == (3, 2) and two.n_outputs_ == 2
    explanation = reg.explain(docs[150:], method="attention")
    trigger_mass = explanation.loc[explanation["token"].isin(TRIGGERS), "weight"].mean()
    assert trigger_mass >= 0.5


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (["good", None, "bad"], ["a", "b", "a"], ValueError, "missing"),
        (pd.Series(["good", np.nan, "bad"]), ["a", "b", "a"], ValueError, "missing"),
        (["good", 3, "bad"], ["a", "b", "a"], TypeError, "only str"),
        (["good", "", "bad"], ["a", "b", "a"], ValueError, "empty document"),
        (np.array([["a", "b"], ["c", "d"]]), ["a", "b"], ValueError, "one document per sample"),
        (["good", "bad", "meh"], ["a", "b"], ValueError, "inconsistent numbers of samples"),
        (["good", "bad", "meh"], ["a", "a", "a"], ValueError, "at least 2 classes"),
        (["good", "bad"], ["a", None], ValueError, "missing label"),
        ("good movie", ["a"], TypeError, "single str"),
    ],
)
def test_bad_input_at_fit(X, y, error, match):
    with pytest.raises(error, match=match):
        AttentionTextClassifier(**TINY).fit(X, y)


def test_bad_params_unseen_labels_and_not_fitted():
    X, y = ["good film", "bad film", "fine film"], ["pos", "neg", "pos"]
    with pytest.raises(ValueError, match="encoder"):
        AttentionTextClassifier(encoder="lstm", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="divisible"):
        AttentionTextClassifier(encoder="transformer", num_heads=3, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="embedding_init_std must be a positive"):
        AttentionTextClassifier(module__embedding_init_std=-1.0, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        AttentionTextClassifier(classes=["pos", "neg"], **TINY).fit(X, ["pos", "neg", "meh"])
    for method in ("predict", "predict_proba", "explain"):
        with pytest.raises(NotFittedError):
            getattr(AttentionTextClassifier(**TINY), method)(X)
    with pytest.raises(TypeError, match="unexpected keyword"):
        AttentionTextClassifier(**TINY).fit(X, y, weights=[1, 1, 1])
    # sample_weight is a fit parameter (tests/test_sklearn_behaviour.py).
    AttentionTextClassifier(**TINY).fit(X, y, sample_weight=[1, 2, 1])
    with pytest.raises(ValueError, match="dim 3"):
        AttentionTextRegressor(**TINY).fit(X, np.zeros((3, 2, 2)))


def test_embedding_init_std_reaches_the_module(movie_reviews):
    X, _, y, _ = movie_reviews
    model = AttentionTextClassifier(**dict(TINY, lr=1e-6))
    model.set_params(module__embedding_init_std=0.05).fit(X, y)
    weight = model.module_.encoder.embedding.weight.detach()  # (V, D)
    assert weight.shape[0] > 1000  # enough rows for a stable standard deviation
    assert abs(weight[1:].std().item() - 0.05) < 0.005  # one step of 1e-6 moves nothing
    assert clone(model).get_params()["module__embedding_init_std"] == 0.05


def test_attention_dim_reaches_the_module(movie_reviews):
    X, X_test, y, _ = movie_reviews
    X, y = X[:300], y[:300]
    model = AttentionTextClassifier(**TINY).set_params(module__attention_dim=4).fit(X, y)
    assert model.module_.encoder.pooling.attention.U.out_features == 4
    np.testing.assert_allclose(model.predict_proba(X_test[:3]).sum(1), 1.0, rtol=1e-6)
    assert set(model.explain(X_test[:3])["sample"]) == {0, 1, 2}
    assert clone(model).get_params()["module__attention_dim"] == 4
    with pytest.raises(ValueError, match="attention_dim must be a positive integer"):
        clone(model).set_params(module__attention_dim=0).fit(X, y)


def test_attention_dim_auto_narrows_only_the_pooling_scorer(movie_reviews):
    X, _, y, _ = movie_reviews
    widths = {}
    for encoder in ("pooling", "gru", "transformer"):
        model = AttentionTextClassifier(encoder=encoder, **TINY).fit(X[:80], y[:80])
        widths[encoder] = model.module_.encoder.pooling.attention.U.out_features
    # TINY's embeddings are 8 wide: the GRU's two directions of 4 score 8 states.
    assert widths == {"pooling": 8, "gru": 8, "transformer": 8}
    wide = dict(TINY, embedding_dim=16)
    widths = {encoder: AttentionTextClassifier(encoder=encoder, **wide).fit(X[:80], y[:80])
              .module_.encoder.pooling.attention.U.out_features
              for encoder in ("pooling", "gru", "transformer")}
    assert widths == {"pooling": 8, "gru": 16, "transformer": 16}
    assert AttentionTextClassifier(per_class_attention=True, **wide).fit(X[:80], y[:80]) \
        .module_.encoder.pooling.attention.U.out_features == 16  # one query per class
    assert AttentionTextClassifier(attention_dim=None, **wide).fit(X[:80], y[:80]) \
        .module_.encoder.pooling.attention.U.out_features == 16
    assert AttentionTextClassifier(attention_dim=3, **wide).fit(X[:80], y[:80]) \
        .module_.encoder.pooling.attention.U.out_features == 3
    # module__attention_dim, skorch's route to the module, wins over the estimator's.
    assert AttentionTextClassifier(module__attention_dim=5, **wide).fit(X[:80], y[:80]) \
        .module_.encoder.pooling.attention.U.out_features == 5
    assert AttentionTextRegressor(**wide).fit(X[:80], np.arange(80.0)) \
        .module_.encoder.pooling.attention.U.out_features == 16  # regressor: None
    for bad in (0, "wide", 2.5):
        with pytest.raises(ValueError, match="attention_dim"):
            AttentionTextClassifier(attention_dim=bad, **TINY).fit(X[:50], y[:50])


def _lr_groups(net):
    """{lr: set of parameter ids} of a fitted net's optimizer."""
    groups = {}
    for group in net.optimizer_.param_groups:
        groups.setdefault(group["lr"], set()).update(id(p) for p in group["params"])
    return groups


def test_attention_lr_gives_where_to_look_a_group_of_its_own(small_reviews):
    frame, y = small_reviews
    X = frame["text"]
    clf = AttentionTextClassifier(encoder="transformer", attention_lr=0.002, **TINY).fit(X, y)
    module = clf.module_
    looking = {id(p) for p in module.attention_parameters()}
    read = {id(p) for p in (module.encoder.embedding.weight, module.head.weight, module.head.bias)}
    assert looking and not looking & read
    assert looking | read == {id(p) for p in module.parameters()}
    assert _lr_groups(clf) == {clf.lr: read, 0.002: looking}

    # A fitted net's new lr (skorch sets it on every group) leaves attention_lr's
    # group at its own rate; a new attention_lr reaches that group.
    clf.set_params(lr=0.03)
    assert _lr_groups(clf) == {0.03: read, 0.002: looking}
    clf.set_params(attention_lr=0.004)
    assert _lr_groups(clf) == {0.03: read, 0.004: looking}
    epochs = len(clf.history)
    clf.partial_fit(X, y)
    assert len(clf.history) == epochs + 1 and _lr_groups(clf) == {0.03: read, 0.004: looking}

    # Groups the user gives with an lr of their own keep it; None: one group.
    custom = clone(clf).set_params(optimizer__param_groups=[("encoder.blocks.*", {"lr": 0.2})])
    custom.fit(X, y)
    blocks = {id(p) for p in custom.module_.encoder.blocks.parameters()}
    rest = {id(p) for p in custom.module_.attention_parameters()} - blocks
    assert _lr_groups(custom)[0.2] == blocks and _lr_groups(custom)[0.004] == rest
    plain = clone(clf).set_params(attention_lr=None).fit(X, y)
    assert len(plain.optimizer_.param_groups) == 1
    with pytest.raises(ValueError, match="attention_lr"):
        clone(clf).set_params(attention_lr=-1.0).fit(X, y)


def test_function_transformer_front_and_partial_fit(small_reviews):
    frame, y = small_reviews
    pipe = make_pipeline(FunctionTransformer(lambda s: s.str.lower()), AttentionTextClassifier(**TINY))
    pipe.fit(frame["text"], y)
    clf = pipe[-1]
    epochs = len(clf.history)
    vocabulary = clf.vectorizer_.vocabulary_
    clf.partial_fit(frame["text"], y)
    assert len(clf.history) == epochs + 1 and clf.vectorizer_.vocabulary_ is vocabulary


def _peak_over_uniform(clf, X):
    """Each document's largest pooling weight times its token count: 1 where
    every token gets 1/T."""
    weights = clf.explain(X, method="attention").groupby("sample")["weight"]
    return weights.max() * weights.size()


def test_transformer_pooling_weights_rank_tokens_on_movie_reviews():
    # At one learning rate for every parameter (lr=0.05, right for the sparse
    # embedding) Adam pushes the dense Transformer and pooling-scorer weights
    # by about lr a step until the scorer's tanh saturates and every token
    # gets 1/T; attention_lr (default 0.001) keeps those layers learning.
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(
        X, y, train_size=2000, test_size=200, random_state=0, stratify=y)
    params = dict(encoder="transformer", embedding_dim=16, num_layers=1, random_state=0)
    one_rate = AttentionTextClassifier(attention_lr=None, **params).fit(X_train, y_train)
    assert _peak_over_uniform(one_rate, X_test).median() < 1.01
    default = AttentionTextClassifier(**params).fit(X_train, y_train)
    assert _peak_over_uniform(default, X_test).median() > 1.3


@pytest.mark.slow
def test_transformer_pooling_weights_vary_on_movie_reviews():
    # examples/bertviz_export.py's model: 2 layers, 2 heads, embedding_dim=32, 3 epochs.
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(
        X, y, train_size=6000, test_size=200, random_state=0, stratify=y)
    clf = AttentionTextClassifier(encoder="transformer", num_layers=2, num_heads=2,
                                  embedding_dim=32, max_epochs=3, random_state=0)
    clf.fit(X_train, y_train)
    assert (_peak_over_uniform(clf, X_test) > 1.5).mean() > 0.9
