"""The estimator layer: one base net, declared hooks, shared docstrings, one
explain schema for every text-like estimator."""

import importlib
import inspect
import re

import numpy as np
import pytest
import torch

import skattn
from skattn._net import AttentionNet
from skattn._text_net import EXPLAIN_COLUMNS
from skattn.datasets import load_movie_reviews

ESTIMATORS = [
    getattr(skattn, name) for name in skattn.__all__
    if inspect.isclass(getattr(skattn, name)) and issubclass(getattr(skattn, name), AttentionNet)
]


def test_every_estimator_is_one_attention_net():
    assert len(ESTIMATORS) == 8
    for cls in ESTIMATORS:
        assert issubclass(cls, AttentionNet)
        # One fit template: no estimator writes its own training entry point
        # beside the base's (seq2seq only narrows the signature).
        assert "_fit" not in vars(cls) and "_train" not in vars(cls)
        # Constraints inherit the base's.
        assert set(AttentionNet._parameter_constraints) <= set(cls._parameter_constraints)


class _Bare(AttentionNet):
    def __init__(self, *, max_epochs=1, lr=0.01, batch_size=8, random_state=None, **kwargs):
        self._init_net(locals(), module=torch.nn.Linear, criterion=torch.nn.MSELoss)


@pytest.mark.parametrize(
    "hook, args",
    [
        ("_validate_input", ([[1.0]],)),
        ("_fit_input", (None, None)),
        ("_input_fitted", ()),
        ("_encode_input", (None,)),
        ("_module_params", ()),
    ],
)
def test_base_declares_every_hook_it_calls(hook, args):
    with pytest.raises(NotImplementedError, match=f"_Bare must define {hook}"):
        getattr(_Bare(), hook)(*args)


def test_fit_of_an_incomplete_subclass_names_the_missing_hook():
    with pytest.raises(NotImplementedError, match="_validate_input"):
        _Bare().fit([[1.0], [2.0]], [1.0, 2.0])


def test_shared_docstring_sections_are_filled():
    for cls in ESTIMATORS:
        for obj in [cls] + [getattr(cls, m) for m in ("explain", "fit") if hasattr(cls, m)]:
            assert "%(" not in (obj.__doc__ or ""), f"{cls.__name__}: unfilled placeholder"
    doc = skattn.AttentionTextClassifier.__doc__
    # The shared sections land indented as the class's own lines.
    assert "\n    train_split : None, float, (X_valid, y_valid) or callable, default=None\n" in doc
    assert "\n    max_epochs : int, default=3\n" in doc
    assert "\n    max_epochs : int, default=10\n" in skattn.AttentionTextRegressor.__doc__
    assert "\n        explanation : pandas.DataFrame\n" in skattn.AttentionTextClassifier.explain.__doc__


PUBLIC_MODULES = ["skattn", "skattn.nn", "skattn.feature_extraction", "skattn.callbacks",
                  "skattn.inspection"]
DOCUMENTED_DEFAULT = re.compile(r"^    (\w+) : .*default=(.+)$")


def _public_classes():
    found = {}
    for module in map(importlib.import_module, PUBLIC_MODULES):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj.__module__.startswith("skattn."):
                found[obj] = None
    return list(found)


def _same_default(documented, actual):
    if inspect.isclass(actual) or callable(actual):
        return documented is actual
    return type(documented) is type(actual) and documented == actual


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda cls: cls.__name__)
def test_documented_defaults_are_the_signatures(cls):
    """Every ``name : type, default=X`` line of a public class's docstring
    names the value its constructor really uses: a default changed in code
    without its docstring fails here."""
    signature = inspect.signature(cls.__init__).parameters
    documented = dict(
        match.groups() for match in map(DOCUMENTED_DEFAULT.match, (cls.__doc__ or "").splitlines())
        if match)
    checked = 0
    for name, text in documented.items():
        if name not in signature:
            continue
        value = eval(text, {"torch": torch, "skattn": skattn})  # docstring defaults are Python literals
        assert _same_default(value, signature[name].default), (
            f"{cls.__name__}({name}=...): documented default={text}, "
            f"signature default={signature[name].default!r}")
        checked += 1
    assert checked or not documented, f"{cls.__name__}: no documented default is a parameter"


def test_documented_default_check_catches_a_drift():
    class Drifted(skattn.AttentionTextClassifier):
        __doc__ = skattn.AttentionTextClassifier.__doc__.replace(
            "    lr : float, default=0.05", "    lr : float, default=0.2")

    with pytest.raises(AssertionError, match=r"lr=.*default=0.2.*default=0.05"):
        test_documented_defaults_are_the_signatures(Drifted)


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return X[::20], y[::20]


@pytest.mark.parametrize("make", [
    lambda: skattn.AttentionTextClassifier(max_epochs=1, random_state=0),
    lambda: skattn.AttentionTextRegressor(max_epochs=1, random_state=0),
    lambda: skattn.AttentionEncoder(max_epochs=1, random_state=0),
], ids=["classifier", "regressor", "encoder"])
def test_one_explain_schema(make, reviews):
    X, y = reviews
    estimator = make()
    target = (y == "pos").astype(np.float32) if "Regressor" in type(estimator).__name__ else y
    estimator.fit(X, target)
    for method in ("attention", "gradient"):
        explanation = estimator.explain([X[0], "zzzunseen " + X[1]], method=method)
        assert tuple(explanation.columns) == EXPLAIN_COLUMNS
        assert explanation["in_vocabulary"].dtype == bool
        assert explanation["special"].dtype == bool and not explanation["special"].any()
        unseen = explanation[explanation["token"] == "zzzunseen"]
        assert len(unseen) == 1 and not unseen["in_vocabulary"].item()


def test_predict_is_offered_by_task():
    assert hasattr(skattn.AttentionTextClassifier(), "predict_proba")
    assert not hasattr(skattn.AttentionTextRegressor(), "predict_proba")
    assert not hasattr(skattn.AttentionEncoder(), "predict")
    assert not hasattr(skattn.AttentionSeq2Seq(), "predict_proba")
    assert hasattr(skattn.AttentionSeq2Seq(), "predict")
