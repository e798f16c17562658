"""Hostile-user reproductions: each test failed on the code before its fix.

The checks that every estimator runs (safe persistence, the global RNG,
inference from 8 threads, sets/dicts as X, devices, NaN among string labels,
reserved token strings, huge feature values) live in
skattn.utils.estimator_checks and run in test_common.py.
"""

import json
import os
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from skorch.callbacks import Checkpoint, EpochScoring
from skorch.dataset import ValidSplit
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, f1_score

from skattn import (
    AttentionTextClassifier,
    FeatureAttentionClassifier,
    SequenceVectorizer,
    io,
)
from skattn.datasets import load_movie_reviews
from skattn.nn import MultiHeadSelfAttention, make_attention
from skattn.nn.attention import ScaledDotProductAttention
from skattn.utils import estimator_checks as ec

FAST = dict(embedding_dim=16, max_epochs=2, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return list(X[::10]), y[::10]  # 1,067 real sentences


@pytest.fixture(scope="module")
def fitted(reviews):
    return AttentionTextClassifier(**FAST).fit(*reviews)


# -- persistence that runs no code ------------------------------------------------


def _tamper(path, edit):
    """Rewrite the JSON metadata of a skattn.io file."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(path, framework="pt") as f:
        meta = json.loads(f.metadata()["skattn"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(meta)
    save_file(tensors, path, metadata={"skattn": json.dumps(meta)})


@pytest.mark.parametrize(
    "edit, named",
    [
        (lambda m: m["params"].update(optimizer={"__import__": "os:system"}), "os:system"),
        (lambda m: m["params"].update(callbacks=[
            {"__object__": "subprocess:Popen", "params": {"args": "true"}, "state": {}}]),
         "subprocess:Popen"),
        (lambda m: m.update({"class": "builtins:eval"}), "builtins:eval"),
        (lambda m: m["fitted"].update(
            vectorizer_={"__object__": "pickle:loads", "params": {}, "state": {}}),
         "pickle:loads"),
    ],
    ids=["function", "callback", "class", "fitted-object"],
)
def test_a_tampered_file_names_what_it_refuses(fitted, tmp_path, edit, named):
    path = str(tmp_path / "clf.safetensors")
    io.save(fitted, path)
    _tamper(path, edit)
    with ec.no_unpickling(), pytest.raises(ValueError, match=named.replace(":", ":")):
        io.load(path)


def test_save_refuses_what_it_cannot_store_and_load_refuses_other_files(fitted, tmp_path):
    lam = AttentionTextClassifier(**FAST, iterator_train__collate_fn=lambda b: b)
    lam.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    with pytest.raises(TypeError, match="iterator_train__collate_fn.*lambda"):
        io.save(lam, tmp_path / "x.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a file written by skattn.io"):
        io.load(tmp_path / "other.safetensors")
    with pytest.raises(TypeError, match="stores skattn estimators"):
        io.save(object(), tmp_path / "y.safetensors")


def test_loaded_estimator_continues_training(fitted, reviews, tmp_path):
    path = tmp_path / "clf.safetensors"
    io.save(fitted, path)
    loaded = io.load(path)
    assert len(loaded.history) == len(fitted.history)
    loaded.partial_fit(reviews[0][:100], reviews[1][:100])
    assert len(loaded.history) == len(fitted.history) + FAST["max_epochs"]


# -- silent wrong results -----------------------------------------------------------


def test_scoring_callbacks_compare_labels_with_labels(reviews):
    X, y = reviews
    labels = np.where(y == "pos", 2, 1)  # labels {1, 2}: encoded they would be {0, 1}
    split = ValidSplit(0.2, stratified=True, random_state=0)
    clf = AttentionTextClassifier(
        **FAST, train_split=split,
        callbacks=[EpochScoring("accuracy", name="acc"), EpochScoring("f1_macro", name="f1")],
    ).fit(X, labels)
    _, valid = split(clf.get_dataset(np.arange(len(X))), labels)
    idx = np.asarray(valid.indices)
    predicted = clf.predict([X[i] for i in idx])
    assert clf.history[-1, "acc"] == pytest.approx(accuracy_score(labels[idx], predicted))
    assert clf.history[-1, "f1"] == pytest.approx(f1_score(labels[idx], predicted, average="macro"))
    assert clf.history[-1, "acc"] == pytest.approx(clf.history[-1, "valid_acc"])
    assert clf.history[-1, "acc"] > 0.5
    # String labels: the scorers run (they raised before).
    strings = AttentionTextClassifier(
        **FAST, train_split=split, callbacks=[EpochScoring("f1_macro", name="f1")]
    ).fit(X, y)
    assert 0.0 < strings.history[-1, "f1"] <= 1.0


def test_reserved_token_strings_never_share_an_id():
    docs = ["( <pad> ) the movie <unk> was good", "<pad> <pad> bad film", "good film <unk>"]
    vec = SequenceVectorizer(token_pattern=r"\S+").fit(docs)
    assert len(vec.vocabulary_) == len(vec.index_to_token_)
    assert vec.vocabulary_["<pad>"] == 0 and vec.vocabulary_["<unk>"] == 1
    ids = vec.transform(["<pad> good <unk>"])
    assert ids[0, :3].tolist() == [1, vec.vocabulary_["good"], 1]  # never padding
    assert vec.fit_transform(docs)[1, :3].tolist() == [1, 1, vec.vocabulary_["bad"]]
    clf = AttentionTextClassifier(max_epochs=1, vectorizer=SequenceVectorizer(token_pattern=r"\S+"))
    clf.fit(docs * 4, ["a", "b", "a"] * 4)
    explanation = clf.explain(["<pad> good"])
    assert explanation["token"].tolist() == ["<pad>", "good"]
    assert explanation["in_vocabulary"].tolist() == [False, True]


@pytest.mark.parametrize("attention", ["additive", "scaled_dot", "dot", "general"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_huge_finite_features_give_finite_outputs(attention, num_layers):
    X, y = load_wine(return_X_y=True)
    clf = FeatureAttentionClassifier(
        num_layers=num_layers, attention=attention, embedding_dim=8, max_epochs=2, random_state=0
    ).fit(X, y)
    for sigmas in (1e21, 1e30, -1e37):
        X_huge = ec._set_scaled(clf, X[:3], sigmas)
        assert np.isfinite(clf.predict_proba(X_huge)).all(), sigmas
        assert np.isfinite(clf.explain(X_huge)).all(), sigmas
    # Ordinary rows predict as before: the rescaling touches huge rows only.
    np.testing.assert_array_equal(clf.predict_proba(X[:3]), clf.predict_proba(X[:3].copy()))


def test_training_that_ends_on_non_finite_weights_is_loud(reviews):
    X, y = reviews
    clf = AttentionTextClassifier(
        max_epochs=1, batch_size=len(X), lr=1e39, random_state=0,  # one finite loss, one step
    )
    with pytest.raises(FloatingPointError, match="non-finite weights"):
        clf.fit(X, y)


@pytest.mark.parametrize("kind", ["dot", "general", "scaled_dot", "additive"])
def test_float16_attention_stays_finite(kind):
    torch.manual_seed(0)
    layer = make_attention(kind, 64, 64).half()
    x = (torch.randn(2, 5, 64) * 1e4).half()
    out, weights = layer(x, x, x, mask=torch.tensor([[True] * 5, [True] * 3 + [False] * 2]))
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 1, 5))  # (B, 1, T_q)


def test_float16_explicit_and_fused_paths_agree():
    torch.manual_seed(0)
    for magnitude in (300.0, 1e4):
        x = (torch.randn(2, 4, 6, 16) * magnitude).half()  # (B, H, T, d)
        fused, _ = ScaledDotProductAttention()(x, x, x, need_weights=False)
        explicit, weights = ScaledDotProductAttention()(x, x, x, need_weights=True)
        assert torch.isfinite(explicit).all() and torch.isfinite(weights).all()
        torch.testing.assert_close(explicit.float(), fused.float(), rtol=1e-2, atol=1e-2 * magnitude)
    mhsa = MultiHeadSelfAttention(64, 4).half()
    x = (torch.randn(2, 5, 64) * 1e4).half()
    assert torch.isfinite(mhsa(x, need_weights=False)[0]).all()
    assert torch.isfinite(mhsa(x, need_weights=True)[0]).all()


# -- reproducibility -------------------------------------------------------------------


def test_seeded_valid_split_is_reproducible(reviews):
    X, y = reviews
    runs = [
        AttentionTextClassifier(**FAST, train_split=ValidSplit(0.2)).fit(X, y)
        for _ in range(2)
    ]
    assert runs[0].history[:, "valid_loss"] == runs[1].history[:, "valid_loss"]
    np.random.seed(1)  # the split no longer draws from numpy's global RNG
    third = AttentionTextClassifier(**FAST, train_split=ValidSplit(0.2)).fit(X, y)
    assert third.history[:, "valid_loss"] == runs[0].history[:, "valid_loss"]


# -- threads ------------------------------------------------------------------------------


def test_integrated_gradients_and_predict_from_eight_threads(fitted, reviews):
    X = reviews[0][:64]
    serial_ig = fitted.explain(X, method="integrated_gradients")["weight"].to_numpy()
    serial_proba = fitted.predict_proba(X)
    start = threading.Barrier(8)

    def work(i):
        start.wait()
        if i % 2:
            return "ig", fitted.explain(X, method="integrated_gradients")["weight"].to_numpy()
        return "proba", fitted.predict_proba(X)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for kind, value in results:
        expected = serial_ig if kind == "ig" else serial_proba
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


# -- loud faults ------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_checkpoint_that_cannot_be_written_stops_training(reviews):
    X, y = reviews
    clf = AttentionTextClassifier(
        **FAST, train_split=ValidSplit(0.2),
        callbacks=[Checkpoint(f_params="/dev/full", f_optimizer=None, f_criterion=None,
                              f_history=None, dirname="")],
    )
    with pytest.raises(OSError, match="/dev/full"):
        clf.fit(X, y)
    assert len(clf.history) == 1, "stopped at the first failed save"


def test_inverse_transform_and_token_pattern_errors():
    vec = SequenceVectorizer().fit(["a good film", "a bad film"])
    assert vec.inverse_transform(np.array([[2.0, 3.0, 0.0]])) == [["a", "film"]]
    for bad in ([[2.5, 0]], [[np.nan, 2]], [[np.inf, 2]]):
        with pytest.raises(ValueError, match="must be integers"):
            vec.inverse_transform(np.asarray(bad))
    with pytest.raises(ValueError, match=r"token_pattern='\(unclosed' is not a valid regular"):
        SequenceVectorizer(token_pattern="(unclosed").fit(["a b"])


def test_long_documents_are_read_only_to_max_len():
    doc = "word " * 200_000  # 1,000,000 characters
    vec = SequenceVectorizer(max_len=64).fit(["word other"])
    tracemalloc.start()
    tokens = vec.tokenize([doc] * 4)
    ids = vec.transform([doc] * 4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert tokens == [["word"] * 64] * 4 and ids.shape == (4, 64)
    # Reading every token would hold 200,000 str objects (over 10 MB) per document.
    assert peak < 4_000_000, peak
    # The vocabulary is learned from the same first max_len tokens.
    fitted = SequenceVectorizer(max_len=2, min_df=1).fit(["a b c d", "a b"])
    assert set(fitted.vocabulary_) == {"<pad>", "<unk>", "a", "b"}
