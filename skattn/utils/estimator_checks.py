"""Reliability checks for skattn estimators, next to scikit-learn's own.

scikit-learn's :func:`~sklearn.utils.estimator_checks.check_estimator` feeds
estimators synthetic numeric arrays, which text and sequence-to-sequence
estimators cannot take. The checks here run on data of the estimator's own
kind and cover what users of trained networks rely on: ``clone`` and
``get_params``, reproducible fits with ``random_state``, pickle and joblib
round trips, a :mod:`skattn.io` round trip that runs no unpickler, loading a
model saved on a GPU onto a CPU-only machine, torch's global RNG left alone by
seeded fits and by inference, inference from 8 threads at once equal to serial
inference, ``GridSearchCV(n_jobs=2)``, and a matrix of bad inputs that must
give a clear ``ValueError``/``TypeError`` (or a documented result), never a
torch error nor NaN outputs.

Use :func:`check_estimator` to run them all, or :func:`estimator_checks` to
run them one by one (e.g. to parametrize a test). The bad inputs are listed in
:data:`BAD_INPUTS`; :func:`bad_input_cases` says which apply to an estimator
and :func:`check_bad_input` runs one.

>>> from sklearn.datasets import load_wine
>>> from skattn.tabular import FeatureAttentionClassifier
>>> from skattn.utils.estimator_checks import check_estimator
>>> X, y = load_wine(return_X_y=True)
>>> check_estimator(FeatureAttentionClassifier(max_epochs=1, random_state=0),
...                 X[::3], y[::3])  # doctest: +SKIP
"""

import io
import os
import pickle
import re
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from unittest import mock
from typing import Callable, NamedTuple

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

__all__ = [
    "BAD_INPUTS",
    "bad_input_cases",
    "check_bad_input",
    "check_clone",
    "check_cpu_load_of_gpu_model",
    "check_estimator",
    "check_fit_reproducible",
    "check_grid_search_n_jobs",
    "check_global_rng_untouched",
    "check_pickle_joblib",
    "check_safe_persistence",
    "check_threaded_inference",
    "estimator_checks",
    "no_unpickling",
    "outputs",
    "saved_as_cuda",
]


def _kind(estimator):
    if is_classifier(estimator):
        return "classifier"
    if is_regressor(estimator):
        return "regressor"
    if hasattr(estimator, "transform"):
        return "transformer"
    return "seq2seq"


def _takes_text(estimator):
    return estimator.__sklearn_tags__().input_tags.string


def outputs(estimator, X):
    """What a fitted estimator returns for ``X``: probabilities (classifiers),
    predictions (regressors, sequence-to-sequence) or the transform (encoders)."""
    kind = _kind(estimator)
    if kind == "classifier":
        return estimator.predict_proba(X)
    if kind == "transformer":
        return estimator.transform(X)
    return np.asarray(estimator.predict(X), dtype=object if kind == "seq2seq" else None)


def _assert_finite(out, what):
    if out.dtype != object and not np.isfinite(out).all():
        raise AssertionError(f"{what}: outputs hold NaN or inf.")


def _assert_same(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or not (a == b).all():
        raise AssertionError(f"{what}: outputs differ.")


def _with_seed(estimator):
    if getattr(estimator, "random_state", None) is None:
        estimator = clone(estimator).set_params(random_state=0)
    return estimator


def check_clone(estimator, X, y):
    """``clone`` copies every parameter; ``set_params(**get_params())`` changes nothing."""
    params = estimator.get_params(deep=False)
    cloned = clone(estimator)
    for name, value in cloned.get_params(deep=False).items():
        if value is not params[name] and not _equal(value, params[name]):
            raise AssertionError(
                f"clone changed parameter {name!r}: {params[name]!r} -> {value!r}"
            )
    again = clone(estimator).set_params(**params).get_params(deep=False)
    if again.keys() != params.keys():
        raise AssertionError("set_params(**get_params()) changed the parameter names.")
    repr(cloned)


def _equal(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and other values without a truth value
        return False


def check_fit_reproducible(estimator, X, y):
    """With an int ``random_state``, fitting twice (the same instance, or a
    clone) gives the same model."""
    estimator = _with_seed(estimator)
    first = clone(estimator).fit(X, y)
    expected = outputs(first, X)
    _assert_finite(expected, "fit")
    _assert_same(outputs(first.fit(X, y), X), expected, "fit twice on the same instance")
    _assert_same(outputs(clone(estimator).fit(X, y), X), expected, "fit of a clone")


def check_pickle_joblib(estimator, X, y):
    """A pickle or joblib round trip of a fitted estimator predicts the same."""
    fitted = clone(_with_seed(estimator)).fit(X, y)
    expected = outputs(fitted, X)
    _assert_same(outputs(pickle.loads(pickle.dumps(fitted)), X), expected, "pickle round trip")
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    _assert_same(outputs(joblib.load(buffer), X), expected, "joblib round trip")


@contextmanager
def no_unpickling():
    """Within the block, every unpickler (pickle, joblib, ``torch.load``) raises.

    :func:`skattn.io.load` must run inside it: its files hold no pickled object.
    """

    def refuse(*args, **kwargs):
        raise AssertionError("an unpickler ran")

    targets = [
        (pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (pickle, "_Unpickler"),
        (joblib, "load"), (torch, "load"),
    ]
    with ExitStack() as stack:
        for owner, name in targets:
            stack.enter_context(mock.patch.object(owner, name, refuse))
        yield


def check_safe_persistence(estimator, X, y):
    """:func:`skattn.io.save` then :func:`skattn.io.load`, with every
    unpickler disabled, gives an estimator whose outputs equal the original's."""
    from .. import io as skattn_io

    fitted = clone(_with_seed(estimator)).fit(X, y)
    expected = outputs(fitted, X)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.safetensors")
        skattn_io.save(fitted, path)
        with no_unpickling():
            loaded = skattn_io.load(path)
    if type(loaded) is not type(fitted):
        raise AssertionError(f"loaded a {type(loaded).__name__}, saved a {type(fitted).__name__}")
    _assert_same(outputs(loaded, X), expected, "skattn.io round trip")


def _explain_or_none(estimator, X):
    if not hasattr(estimator, "explain"):
        return None
    explained = estimator.explain(X)
    if isinstance(explained, pd.DataFrame):
        return explained["weight"].to_numpy()
    if isinstance(explained, list):  # seq2seq alignments
        return np.concatenate([a.weights.ravel() for a in explained])
    return np.asarray(explained)


def check_global_rng_untouched(estimator, X, y):
    """A fit with an int ``random_state``, and predictions and explanations,
    leave torch's global random state as they found it."""
    estimator = _with_seed(estimator)
    state = torch.get_rng_state()
    fitted = clone(estimator).fit(X, y)
    if not torch.equal(state, torch.get_rng_state()):
        raise AssertionError("a seeded fit changed torch's global RNG.")
    outputs(fitted, X)
    _explain_or_none(fitted, X)
    if not torch.equal(state, torch.get_rng_state()):
        raise AssertionError("predict/explain changed torch's global RNG.")


def check_threaded_inference(estimator, X, y, n_threads=8):
    """Predictions (or transforms) and explanations computed from
    ``n_threads`` threads at once on one fitted estimator equal serial ones.

    Fitting is not run concurrently here: fits in threads of one process
    share torch's global RNG, so they are reproducible in processes only.
    """
    fitted = clone(_with_seed(estimator)).fit(X, y)
    expected_out = outputs(fitted, X)
    expected_explain = _explain_or_none(fitted, X)

    def work(_):
        return outputs(fitted, X), _explain_or_none(fitted, X)

    with ThreadPoolExecutor(n_threads) as pool:
        results = list(pool.map(work, range(n_threads)))
    for out, explained in results:
        _assert_close(out, expected_out, f"outputs from {n_threads} threads")
        if expected_explain is not None:
            _assert_close(explained, expected_explain, f"explain from {n_threads} threads")


@contextmanager
def saved_as_cuda():
    """Within the block, ``torch.save`` records CPU tensors as CUDA tensors.

    A file written so is what a model trained on a GPU leaves behind: loading
    it without a ``map_location`` fails on a machine without CUDA. Lets a
    CPU-only machine test the GPU-to-CPU loading path.
    """

    def tagger(obj):
        return "cuda:0" if obj.device.type == "cpu" else None

    def deserializer(obj, location):
        return None  # leave restoring to torch's own deserializers

    torch.serialization.register_package(0, tagger, deserializer)
    try:
        yield
    finally:
        registry = torch.serialization._package_registry
        registry[:] = [entry for entry in registry if entry[1] is not tagger]


def check_cpu_load_of_gpu_model(estimator, X, y):
    """A model fitted on a GPU loads and predicts on a CPU-only machine.

    Two ways: unpickling (skorch maps the tensors to the CPU and sets
    ``device="cpu"``, with a ``DeviceWarning``), and ``save_params`` on the
    GPU then ``load_params`` into a net with ``device="cpu"``.

    Without CUDA the GPU side is simulated: the model is fitted on the CPU,
    its ``device`` set to ``"cuda"``, and its tensors are saved as CUDA tensors
    (:func:`saved_as_cuda`), so the files are those of a GPU model. With CUDA
    the model is fitted on the GPU for real.
    """
    cuda = torch.cuda.is_available()
    fitted = clone(_with_seed(estimator)).set_params(device="cuda" if cuda else "cpu").fit(X, y)
    expected = outputs(fitted, X)
    # A net of the same architecture on the CPU, to load the parameters into.
    cpu_copy = pickle.loads(pickle.dumps(fitted))
    cpu_copy.device = "cpu"
    cpu_copy.module_.to("cpu")
    params = io.BytesIO()
    with saved_as_cuda() if not cuda else _nothing():
        fitted.device = "cuda"  # what a net fitted on a GPU holds
        fitted.save_params(f_params=params)
        pickled = pickle.dumps(fitted)
    if not cuda:
        params.seek(0)
        try:
            torch.load(params)
        except RuntimeError:
            pass  # the saved tensors really are CUDA tensors
        else:
            raise AssertionError("saved_as_cuda() did not record CUDA tensors.")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requested to load data to CUDA")
            warnings.filterwarnings("ignore", "Setting self.device")
            unpickled = pickle.loads(pickled)
        if str(unpickled.device) != "cpu":
            raise AssertionError(f"unpickled on a CPU-only machine: device={unpickled.device!r}")
        _assert_close(outputs(unpickled, X), expected, "unpickled GPU model on the CPU")
    params.seek(0)
    cpu_copy.load_params(f_params=params)
    _assert_close(outputs(cpu_copy, X), expected, "GPU parameters loaded with device='cpu'")


@contextmanager
def _nothing():
    yield


def _assert_close(a, b, what):
    if np.asarray(b).dtype == object:
        return _assert_same(a, b, what)
    if not np.allclose(a, b, rtol=1e-4, atol=1e-5):
        raise AssertionError(f"{what}: outputs differ.")


def check_grid_search_n_jobs(estimator, X, y):
    """``GridSearchCV(n_jobs=2)`` (worker processes) fits, scores and refits.

    Encoders are searched as the first step of a pipeline with a
    :class:`~sklearn.linear_model.LogisticRegression` on class labels ``y``.
    """
    estimator = _with_seed(estimator)
    if _kind(estimator) == "transformer":
        estimator = make_pipeline(estimator, LogisticRegression())
        name = type(estimator.steps[0][1]).__name__.lower() + "__max_epochs"
    else:
        name = "max_epochs"
    epochs = estimator.get_params()[name]
    search = GridSearchCV(
        estimator, {name: [1, max(epochs, 2)]}, cv=2, n_jobs=2, error_score="raise"
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    if len(scores) != 2 or not np.isfinite(scores).all():
        raise AssertionError(f"GridSearchCV scores: {scores}")
    if len(search.predict(X)) != len(X):
        raise AssertionError("the refitted GridSearchCV does not predict every sample.")


# -- bad input ---------------------------------------------------------------


class BadInput(NamedTuple):
    """One bad input: how to make it from valid ``(X, y)``, and what must happen.

    ``stage`` is ``"fit"`` (the call gets an unfitted clone) or ``"predict"``
    (a fitted estimator). ``error`` is ``(exception type, message regex)``, or
    None where the input is valid and must give finite outputs. ``applies``
    says which estimators it concerns; ``changes_model`` marks calls that
    change a fitted estimator (they run on a copy).
    """

    stage: str
    call: Callable
    error: tuple
    applies: Callable
    doc: str
    changes_model: bool = False


def _table(est):
    return not _takes_text(est)


def _supervised(est):
    return est.__sklearn_tags__().target_tags.required


def _set(X, i, value):
    X = list(X)
    X[i] = value
    return X


def _predict_all(est, X):
    out = outputs(est, X)
    _assert_finite(out, "bad input")
    if len(out) != len(X):
        raise AssertionError(f"{len(out)} outputs for {len(X)} samples.")
    return out


def _fit(est, X, y, **kw):
    return est.fit(X, **({} if y is None else {"y": y}), **kw)


LONG_DOCUMENT = ("a very long document " * 5000)[:100_000]
UNICODE_DOCUMENTS = ["naïve café — déjà vu 😀🔥", "日本語のテキスト 🎉", "Привет, мир! ✨🤖"]

#: The bad-input matrix: case name -> ``BadInput(stage, call, error, applies,
#: changes_model)``: how to make the bad input from valid ``(X, y)``, whether it
#: goes to ``fit`` or to a fitted estimator, and the ``(exception type, message
#: regex)`` it must raise (None: valid input that must give finite outputs).
BAD_INPUTS = {
    # text: invalid documents at fit
    "none_document": BadInput(
        "fit", lambda e, X, y: _fit(e, _set(X, 1, None), y), (ValueError, "missing document"),
        _takes_text, "None among the documents"),
    "nan_document": BadInput(
        "fit", lambda e, X, y: _fit(e, _set(X, 1, float("nan")), y),
        (ValueError, "missing document"), _takes_text, "NaN among the documents"),
    "float_document": BadInput(
        "fit", lambda e, X, y: _fit(e, _set(X, 1, 1.5), y), (TypeError, "only str documents"),
        _takes_text, "a float among the documents"),
    "bytes_document": BadInput(
        "fit", lambda e, X, y: _fit(e, _set(X, 1, b"bytes"), y), (TypeError, "Decode bytes"),
        _takes_text, "bytes among the documents"),
    "single_string": BadInput(
        "predict", lambda e, X, y: outputs(e, "one document"), (TypeError, "single str"),
        _takes_text, "one str instead of a list of documents"),
    "several_text_columns": BadInput(
        "predict", lambda e, X, y: outputs(e, np.asarray([list(X)[:3]] * 2).T),
        (ValueError, "one document per sample"), _takes_text, "a 2-D array of several columns"),
    "empty_documents_at_fit": BadInput(
        "fit", lambda e, X, y: _fit(e, [""] * len(X), y), (ValueError, "empty document"),
        lambda e: _takes_text(e) and not _embeds_empty(e), "only empty documents at fit"),
    # text: valid but unusual documents
    "empty_documents_at_predict": BadInput(
        "predict", lambda e, X, y: _predict_all(e, ["", "   ", "\n"]), None, _takes_text,
        "empty documents at predict: outputs of a document without tokens"),
    "long_document": BadInput(
        "predict", lambda e, X, y: _predict_all(e, [LONG_DOCUMENT, list(X)[0]]), None,
        _takes_text,
        "a 100,000-character document: cut to the first max_len tokens"),
    "unicode_and_emoji": BadInput(
        "predict", lambda e, X, y: _predict_all(e, UNICODE_DOCUMENTS), None, _takes_text,
        "non-ASCII text and emoji at predict"),
    "unicode_and_emoji_at_fit": BadInput(
        "fit",
        lambda e, X, y: _predict_all(
            _fit(e, [f"{d} {UNICODE_DOCUMENTS[i % 3]}" for i, d in enumerate(X)], y),
            UNICODE_DOCUMENTS,
        ),
        None, _takes_text, "non-ASCII text and emoji at fit"),
    # tables
    "nan_in_X": BadInput(
        "fit", lambda e, X, y: _fit(e, _set_cell(X, np.nan), y), (ValueError, "NaN"), _table,
        "NaN in X at fit"),
    "inf_in_X": BadInput(
        "predict", lambda e, X, y: outputs(e, _set_cell(X, np.inf)), (ValueError, "infinity"),
        _table, "inf in X at predict"),
    "too_large_for_float32": BadInput(
        "predict", lambda e, X, y: outputs(e, _set_cell(X, 1e300)), (ValueError, "too large"),
        _table, "a value beyond float32 at predict"),
    "wrong_feature_count": BadInput(
        "predict", lambda e, X, y: outputs(e, np.asarray(X)[:, :-1]),
        (ValueError, "features"), _table, "one feature fewer than at fit"),
    "one_dimensional_X": BadInput(
        "fit", lambda e, X, y: _fit(e, np.asarray(X)[:, 0], y), (ValueError, "2D array"),
        _table, "1-D X"),
    "string_column": BadInput(
        "fit",
        lambda e, X, y: _fit(e, pd.DataFrame(np.asarray(X)).assign(city="paris"), y),
        (ValueError, "non-numeric column"), _table, "a DataFrame with a str column"),
    # any input
    "empty_X": BadInput(
        "fit", lambda e, X, y: _fit(e, X[:0], None if y is None else y[:0]),
        (ValueError, "0 (document|sample)"), lambda e: True, "no samples at all"),
    "X_y_length_mismatch": BadInput(
        "fit", lambda e, X, y: _fit(e, X, y[:-1]), (ValueError, "inconsistent numbers of samples"),
        lambda e: _supervised(e) or (_kind(e) == "transformer" and not _embeds_empty(e)),
        "one target fewer than samples"),
    "y_none": BadInput(
        "fit", lambda e, X, y: e.fit(X, None), (ValueError, "requires y|y is required"),
        _supervised, "y=None for a supervised estimator"),
    "sample_weight_in_fit": BadInput(
        "fit", lambda e, X, y: _predict_all(_fit(e, X, y, sample_weight=np.linspace(0.5, 2, len(X))), X),
        None, lambda e: not _embeds_empty(e),
        "sample_weight in fit: weighted training, finite outputs"),
    "negative_sample_weight": BadInput(
        "fit", lambda e, X, y: _fit(e, X, y, sample_weight=-np.ones(len(X))),
        (ValueError, "[Nn]egative"), lambda e: not _embeds_empty(e) and _trains_supervised(e),
        "negative sample weights"),
    # targets
    "one_class": BadInput(
        "fit", lambda e, X, y: _fit(e, X, np.full_like(np.asarray(y), np.asarray(y)[0])),
        (ValueError, "only one class"), lambda e: _kind(e) == "classifier",
        "all samples of one class"),
    "missing_label": BadInput(
        "fit", lambda e, X, y: _fit(e, X, _set(y, 1, None)), (ValueError, "missing label"),
        lambda e: _kind(e) == "classifier", "None among the labels"),
    "unseen_label_in_score": BadInput(
        "predict", lambda e, X, y: _score_with_unseen(e, X, y), None,
        lambda e: _kind(e) == "classifier",
        "score on labels never seen at fit: they count as errors"),
    "unseen_label_in_partial_fit": BadInput(
        "predict", lambda e, X, y: e.partial_fit(X[:4], [_unseen_label(y)] * 4),
        (ValueError, "labels not in classes"),
        lambda e: _kind(e) == "classifier" and hasattr(e, "partial_fit"),
        "partial_fit with labels outside classes_", changes_model=True),
    "nan_in_y": BadInput(
        "fit", lambda e, X, y: _fit(e, X, _set_value(y, np.nan)), (ValueError, "NaN"),
        lambda e: _kind(e) == "regressor", "NaN among regression targets"),
    "inf_in_y": BadInput(
        "fit", lambda e, X, y: _fit(e, X, _set_value(y, np.inf)), (ValueError, "infinity"),
        lambda e: _kind(e) == "regressor", "inf among regression targets"),
    "sample_weight_in_score": BadInput(
        "predict", lambda e, X, y: _weighted_score(e, X, y), None,
        lambda e: _kind(e) in ("classifier", "regressor"), "score with sample_weight"),
    # containers without sample order
    "set_X": BadInput(
        "fit", lambda e, X, y: _fit(e, _as_set(X), y), (TypeError, "ordered sequence"),
        lambda e: True, "X given as a set (no order: predictions would be shuffled)"),
    "dict_X": BadInput(
        "predict", lambda e, X, y: outputs(e, {i: v for i, v in enumerate(_rows(X))}),
        (TypeError, "ordered sequence"), lambda e: True, "X given as a dict"),
    # devices
    "bogus_device": BadInput(
        "fit", lambda e, X, y: _fit(e.set_params(device="bogus"), X, y),
        (ValueError, "device='bogus' is not available"), lambda e: True,
        "device='bogus': a ValueError naming the devices there are"),
    "cuda_without_cuda": BadInput(
        "fit", lambda e, X, y: _fit(e.set_params(device="cuda"), X, y),
        (ValueError, "device='cuda' is not available"), lambda e: not torch.cuda.is_available(),
        "device='cuda' on a machine without CUDA"),
    # labels
    "nan_among_string_labels": BadInput(
        "fit", lambda e, X, y: _fit(e, X, _set(np.asarray(y).astype(str).astype(object), 1, np.nan)),
        (ValueError, "missing label"), lambda e: _kind(e) == "classifier",
        "NaN among string labels (numpy would make it the class 'nan')"),
    # documents that spell the reserved tokens
    "reserved_token_strings": BadInput(
        "fit",
        lambda e, X, y: _predict_all(
            _fit(e, [f"<pad> {d} <unk>" for d in X], y), ["<pad> <unk>", "<pad>"]
        ),
        None, lambda e: _takes_text(e) and hasattr(e, "vectorizer"),
        "documents that contain '<pad>' and '<unk>': read as unknown tokens"),
    # huge but finite values
    "huge_finite_values": BadInput(
        "predict", lambda e, X, y: _predict_all(e, _set_scaled(e, X, 1e30)), None, _table,
        "a feature 1e30 standard deviations out: finite outputs"),
    "none_target_text": BadInput(
        "fit", lambda e, X, y: _fit(e, X, _set(y, 1, None)), (ValueError, "missing document"),
        lambda e: _kind(e) == "seq2seq", "None among the target texts"),
}


def _trains_supervised(estimator):
    """Masked-token encoders (fit(X) without y) take no sample weights."""
    return _supervised(estimator) or _kind(estimator) == "transformer"


def _embeds_empty(estimator):
    """Frozen pretrained encoders embed any document, empty ones included."""
    return _kind(estimator) == "transformer" and getattr(estimator, "fine_tune", True) is False


def _set_cell(X, value):
    X = np.array(X, dtype=np.float64)
    X[1, 0] = value
    return X


def _rows(X):
    return list(X) if _is_texts(X) else [np.asarray(row) for row in np.asarray(X)]


def _is_texts(X):
    return isinstance(np.asarray(X, dtype=object).ravel()[0], str)


def _as_set(X):
    return set(X) if _is_texts(X) else {tuple(row) for row in np.asarray(X).tolist()}


def _set_scaled(estimator, X, sigmas):
    """``X`` with one value ``sigmas`` standard deviations from its feature's mean."""
    X = np.array(X, dtype=np.float64)
    scaler = getattr(estimator, "scaler_", None)
    mean, scale = (0.0, 1.0) if scaler is None else (scaler.mean_[0], scaler.scale_[0])
    X[1, 0] = mean + sigmas * scale
    return X


def _set_value(y, value):
    y = np.array(y, dtype=np.float64)
    y[1] = value
    return y


def _unseen_label(y):
    y = np.asarray(y)
    return y.max() + 1 if y.dtype.kind in "iuf" else "never seen"


def _score_with_unseen(estimator, X, y):
    y = np.asarray(y).copy()
    y = y.astype(object) if y.dtype.kind in "USO" else y
    y[:2] = _unseen_label(y)
    score = estimator.score(X, y)
    expected = accuracy_score(y, estimator.predict(X))
    if not np.isclose(score, expected):
        raise AssertionError(f"score {score} != accuracy {expected}")


def _weighted_score(estimator, X, y):
    weights = np.linspace(0.1, 1.0, len(X))
    metric = accuracy_score if _kind(estimator) == "classifier" else r2_score
    expected = metric(y, estimator.predict(X), sample_weight=weights)
    score = estimator.score(X, y, sample_weight=weights)
    if not np.isclose(score, expected):
        raise AssertionError(f"weighted score {score} != {expected}")


def bad_input_cases(estimator):
    """Names of the :data:`BAD_INPUTS` that apply to ``estimator``."""
    return [name for name, case in BAD_INPUTS.items() if case.applies(estimator)]


def check_bad_input(estimator, X, y, case, *, fitted=None):
    """Run bad input ``case`` (a key of :data:`BAD_INPUTS`).

    ``X, y`` are valid training data. Fit-stage cases run on an unfitted clone
    of ``estimator``; predict-stage ones on ``fitted`` (``estimator`` fitted on
    ``X, y`` when None). The case's error must be raised with its message; a
    case without error must give finite outputs. Any other exception, a torch
    error in particular, fails the check.
    """
    spec = BAD_INPUTS[case]
    if spec.stage == "fit":
        target = clone(estimator)
    else:
        target = fitted if fitted is not None else clone(_with_seed(estimator)).fit(X, y)
        if spec.changes_model:
            target = pickle.loads(pickle.dumps(target))
    if spec.error is None:
        spec.call(target, X, y)
        return
    error, pattern = spec.error
    try:
        spec.call(target, X, y)
    except error as exc:
        if not re.search(pattern, str(exc)):
            raise AssertionError(
                f"{case}: {type(exc).__name__} does not say {pattern!r}: {exc}"
            ) from exc
    else:
        raise AssertionError(f"{case}: no {error.__name__} raised ({spec.doc}).")


# -- all checks --------------------------------------------------------------

_CHECKS = (
    check_clone,
    check_fit_reproducible,
    check_pickle_joblib,
    check_safe_persistence,
    check_cpu_load_of_gpu_model,
    check_global_rng_untouched,
    check_threaded_inference,
    check_grid_search_n_jobs,
)


def estimator_checks(estimator, X, y=None, *, grid_search=True, bad_input=True):
    """Yield ``(name, check)`` pairs; ``check()`` runs one check on ``estimator``.

    Parameters
    ----------
    estimator : skattn estimator (unfitted)
        Use small settings (few epochs, small widths): every check fits it.
    X, y : valid training data of the estimator's kind
        Text estimators need at least a few dozen short documents; ``y`` of a
        classifier must hold at least two classes.
    grid_search : bool, default=True
        Include ``check_grid_search_n_jobs`` (starts two worker processes).
    bad_input : bool, default=True
        Include one ``check_bad_input`` per applicable case of :data:`BAD_INPUTS`.
    """
    for check in _CHECKS:
        if check is check_grid_search_n_jobs and not grid_search:
            continue
        yield check.__name__, partial(check, estimator, X, y)
    if bad_input:
        for case in bad_input_cases(estimator):
            yield f"check_bad_input[{case}]", partial(check_bad_input, estimator, X, y, case)


def check_estimator(estimator, X, y=None, **kwargs):
    """Run all :func:`estimator_checks` on ``estimator``; the first failure raises.

    Returns
    -------
    names : list of str
        The checks that ran.
    """
    names = []
    for name, check in estimator_checks(estimator, X, y, **kwargs):
        check()
        names.append(name)
    return names
