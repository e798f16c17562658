"""Scaling out on existing engines: Hugging Face Accelerate (in process, and
2 processes under torchrun) and dask-ml's Incremental on a LocalCluster."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, train_test_split

from skattn import FeatureAttentionClassifier, io
from skattn.datasets import load_movie_reviews
from skattn.feature_extraction import HashingSequenceVectorizer
from skattn.text import AttentionTextClassifier

accelerate = pytest.importorskip("accelerate")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=1200, test_size=400, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def accelerator():
    # One per process (accelerate's state is a process-wide singleton).
    return accelerate.Accelerator(cpu=True)


FAST = dict(max_epochs=2, batch_size=128, random_state=0)


def _weights(estimator):
    return [p.detach().numpy().copy() for p in estimator.module_.parameters()]


def test_one_process_accelerated_fit_is_the_plain_fit(reviews, accelerator):
    X_train, X_test, y_train, _ = reviews
    plain = AttentionTextClassifier(**FAST).fit(X_train, y_train)
    accelerated = AttentionTextClassifier(**FAST, accelerator=accelerator).fit(X_train, y_train)
    for a, b in zip(_weights(plain), _weights(accelerated)):
        np.testing.assert_array_equal(a, b)
    # Unwrapped after training: the plain module and optimizer, nothing left
    # in the accelerator's lists.
    assert type(accelerated.module_) is type(plain.module_)
    assert type(accelerated.optimizer_) is type(plain.optimizer_)
    assert not accelerator._models and not accelerator._dataloaders
    np.testing.assert_array_equal(accelerated.predict_proba(X_test), plain.predict_proba(X_test))
    assert len(accelerated.explain(X_test[:3])) == len(plain.explain(X_test[:3]))


def test_accelerated_early_stopping_and_tabular(reviews, accelerator):
    X_train, _, y_train, _ = reviews
    clf = AttentionTextClassifier(max_epochs=3, batch_size=128, random_state=0,
                                  accelerator=accelerator, early_stopping=True)
    clf.fit(X_train, y_train)
    assert np.isfinite(clf.history[:, "valid_loss"]).all()
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    plain = FeatureAttentionClassifier(max_epochs=30, random_state=0).fit(X, y)
    table = FeatureAttentionClassifier(max_epochs=30, random_state=0, accelerator=accelerator)
    np.testing.assert_array_equal(table.fit(X, y).predict_proba(X), plain.predict_proba(X))
    assert table.score(X, y) > 0.8


def test_a_search_shares_the_accelerator_and_matches_the_plain_search(reviews, accelerator):
    """clone (GridSearchCV's deep copy) must hand every candidate the same
    accelerator, not a copy whose state diverges (skorch issue #944)."""
    X_train, _, y_train, _ = reviews
    estimator = AttentionTextClassifier(**FAST, accelerator=accelerator)
    assert clone(estimator).accelerator is accelerator
    grid = {"lr": [0.005, 0.02]}
    accelerated = GridSearchCV(estimator, grid, cv=2).fit(X_train, y_train)
    plain = GridSearchCV(AttentionTextClassifier(**FAST), grid, cv=2).fit(X_train, y_train)
    np.testing.assert_allclose(accelerated.cv_results_["mean_test_score"],
                               plain.cv_results_["mean_test_score"])
    assert not accelerator._models


def test_device_must_be_the_accelerators(reviews, accelerator):
    X_train, _, y_train, _ = reviews
    with pytest.raises(ValueError, match="accelerator places the model on 'cpu'"):
        AttentionTextClassifier(device="meta", accelerator=accelerator).fit(X_train, y_train)
    with pytest.raises(ValueError, match="accelerator"):
        AttentionTextClassifier(accelerator="not an accelerator").fit(X_train, y_train)


def test_accelerated_estimator_pickles_and_saves_without_the_accelerator(
        reviews, accelerator, tmp_path):
    X_train, X_test, y_train, _ = reviews
    clf = AttentionTextClassifier(**FAST, accelerator=accelerator).fit(X_train, y_train)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))
    io.save(clf, tmp_path / "model")
    loaded = io.load(tmp_path / "model")
    assert loaded.accelerator is None
    np.testing.assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))


def _torchrun(tmp_path, *flags):
    out = tmp_path / "rows.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_distributed.py"), "--nproc", "2",
         "--train-size", "3000", "--max-epochs", "3", "--json", str(out), *flags],
        check=True, cwd=ROOT, capture_output=True, timeout=300,
    )
    return json.loads(out.read_text())


def test_two_processes_end_identical_and_as_accurate_as_one(tmp_path):
    """torchrun --nproc_per_node 2, gloo on CPU: every rank ends with bitwise
    identical parameters, at the accuracy of the 1-process fit within 0.02."""
    one, two = _torchrun(tmp_path)
    assert two["processes"] == 2 and two["ranks_identical"]
    # Each process trains on its own half of every epoch's batches (the same
    # global batch: half the batch size each), not on all of them.
    assert two["batch_size"] * 2 == one["batch_size"]
    assert two["batches_per_epoch"] == one["batches_per_epoch"]
    assert abs(two["accuracy"] - one["accuracy"]) <= 0.02
    assert one["accuracy"] > 0.6  # 3,000 documents, 3 epochs (chance: 0.5)


def test_two_processes_with_bf16_mixed_precision(tmp_path):
    one, two = _torchrun(tmp_path, "--mixed-precision", "bf16")
    assert two["ranks_identical"] and abs(two["accuracy"] - one["accuracy"]) <= 0.03


def test_two_processes_with_early_stopping_score_the_whole_validation_set(tmp_path):
    # Validation is not sharded: both ranks record the same losses (the script
    # exits non-zero otherwise) and stop together, with identical parameters.
    one, two = _torchrun(tmp_path, "--early-stopping")
    assert two["ranks_identical"] and abs(two["accuracy"] - one["accuracy"]) <= 0.03


# -- dask-ml ---------------------------------------------------------------------------------


def test_dask_ml_incremental_fits_block_by_block_on_a_local_cluster(reviews):
    dask_array = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X_train, X_test, y_train, y_test = reviews
    # Documents as one column (n, 1): dask-ml's predict maps over 2-D blocks.
    X = dask_array.from_array(np.asarray(X_train, dtype=object)[:, None], chunks=(300, 1))
    y = dask_array.from_array(np.asarray(y_train, dtype=object), chunks=300)
    assert X.numblocks == (4, 1)  # more data than one block holds
    clf = AttentionTextClassifier(vectorizer=HashingSequenceVectorizer(n_features=2**12),
                                  max_epochs=3, batch_size=64, lr=0.01, random_state=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster, \
            distributed.Client(cluster):
        model = wrappers.Incremental(
            clf, shuffle_blocks=False,
            predict_meta=np.array([], dtype=object), predict_proba_meta=np.zeros((0, 2)))
        model.fit(X, y, classes=["neg", "pos"])
        X_test_dask = dask_array.from_array(np.asarray(X_test, dtype=object)[:, None],
                                            chunks=(200, 1))
        predicted = model.predict(X_test_dask).compute()
        proba = model.predict_proba(X_test_dask).compute()
    fitted = model.estimator_
    assert len(fitted.history) == 4 * 3  # max_epochs on each of the 4 blocks
    np.testing.assert_array_equal(predicted, fitted.predict(X_test))
    assert proba.shape == (len(X_test), 2)
    # Block by block on the cluster is partial_fit over the same blocks here.
    local = clone(clf)
    for start in range(0, len(X_train), 300):
        local.partial_fit(X_train[start:start + 300], y_train[start:start + 300],
                          classes=["neg", "pos"])
    np.testing.assert_allclose(proba, local.predict_proba(X_test), atol=1e-4)
    assert (predicted == np.asarray(y_test)).mean() > 0.55  # 1,200 short reviews: a weak model
