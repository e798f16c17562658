"""``lr_schedule``: linear decay of the learning rate, batch by batch."""

import math

import numpy as np
import pytest
from skorch.callbacks import Callback
from sklearn.model_selection import train_test_split

from skattn import AttentionTextClassifier, AttentionTextRegressor
from skattn.callbacks import LinearLRDecay
from skattn.datasets import load_movie_reviews


class RecordLR(Callback):
    """The learning rate each training batch ran with."""

    def initialize(self):
        self.lrs = []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.lrs.append(net.optimizer_.param_groups[0]["lr"])


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=1000, test_size=500, random_state=0, stratify=y)


def test_linear_decay_from_lr_to_zero_over_the_fit(reviews):
    X, _, y, _ = reviews
    record = RecordLR()
    clf = AttentionTextClassifier(max_epochs=3, batch_size=64, embedding_dim=16,
                                  random_state=0, callbacks=[record]).fit(X, y)
    steps = 3 * math.ceil(len(X) / 64)
    assert len(record.lrs) == steps
    lr = clf.lr
    np.testing.assert_allclose(record.lrs, lr * (1 - np.arange(steps) / steps), rtol=1e-12)
    # Restored when training ends: the next partial_fit decays from lr again.
    assert clf.optimizer_.param_groups[0]["lr"] == lr
    record.lrs.clear()
    clf.partial_fit(X[:128], y[:128])
    np.testing.assert_allclose(record.lrs, lr * (1 - np.arange(6) / 6))


def test_validation_split_and_constant_schedule(reviews):
    X, _, y, _ = reviews
    record = RecordLR()
    AttentionTextClassifier(max_epochs=2, batch_size=100, embedding_dim=16, random_state=0,
                            train_split=0.2, callbacks=[record]).fit(X, y)
    # 800 training documents after the split: 8 batches an epoch.
    lr = AttentionTextClassifier().lr
    np.testing.assert_allclose(record.lrs, lr * (1 - np.arange(16) / 16))
    record = RecordLR()
    AttentionTextClassifier(max_epochs=2, batch_size=100, embedding_dim=16, random_state=0,
                            lr=0.02, lr_schedule="constant", callbacks=[record]).fit(X, y)
    assert record.lrs == [0.02] * 20
    # The regressor keeps a constant lr unless asked.
    assert AttentionTextRegressor().lr_schedule == "constant"


def test_linear_schedule_at_least_matches_constant_on_movie_reviews():
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=4000, test_size=2000, random_state=0, stratify=y)
    scores = {
        schedule: np.mean([
            AttentionTextClassifier(lr_schedule=schedule, lr=lr, random_state=seed)
            .fit(X_train, y_train).score(X_test, y_test) for seed in (0, 1)])
        for schedule, lr in (("linear", AttentionTextClassifier().lr), ("constant", 0.03))
    }
    # The chosen default against the previous one (lr 0.03, constant), mean of 2 seeds.
    assert scores["linear"] > 0.70 and scores["linear"] >= scores["constant"] - 0.01, scores


def test_bad_schedule_is_a_clear_error(reviews):
    X, _, y, _ = reviews
    with pytest.raises(ValueError, match="lr_schedule"):
        AttentionTextClassifier(lr_schedule="cosine").fit(X, y)
    assert LinearLRDecay().initialize().on_batch_begin(None, training=True) is None  # no epoch yet
