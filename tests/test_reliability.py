"""Training robustness: divergence, interruption, checkpoints with a validation split."""

import numpy as np
import pytest
from skorch.callbacks import Callback, Checkpoint, EarlyStopping
from skorch.dataset import ValidSplit

from skattn import AttentionTextClassifier, AttentionTextRegressor

DOCS = ["good fine film", "bad awful film", "fine good cast", "awful bad plot"] * 15
LABELS = ["pos", "neg", "pos", "neg"] * 15
TINY = dict(embedding_dim=8, batch_size=16, random_state=0)


def test_nonfinite_loss_stops_with_clear_error():
    y = np.full(len(DOCS), 1e30)  # finite in float32, but its square is not
    with pytest.raises(FloatingPointError, match="loss became inf"):
        # Unstandardized: a standardized target would be 0 here.
        AttentionTextRegressor(max_epochs=2, standardize_target=False, **TINY).fit(DOCS, y)


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_usable_estimator():
    clf = AttentionTextClassifier(max_epochs=10, callbacks=[_InterruptAt(2)], **TINY)
    clf.fit(DOCS, LABELS)
    assert len(clf.history) == 2
    assert set(clf.predict(DOCS)) <= {"pos", "neg"}
    assert len(clf.token_attention_) > 0


def test_checkpoint_best_epoch_with_validation_split(tmp_path):
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor="valid_loss_best")
    clf = AttentionTextClassifier(
        max_epochs=6,
        lr=0.05,
        train_split=ValidSplit(0.25, stratified=True, random_state=0),
        callbacks=[checkpoint, EarlyStopping(patience=3)],
        **TINY,
    ).fit(DOCS, LABELS)
    history = clf.history
    assert {"valid_loss", "valid_acc"} <= set(history[-1])
    assert all(0.0 <= acc <= 1.0 for acc in history[:, "valid_acc"])
    assert history[-1, "valid_acc"] > 0.9, "valid_acc must compare encoded labels"
    best = int(np.argmin(history[:, "valid_loss"]))
    assert history[best, "event_cp"] is True
    clf.load_params(checkpoint=checkpoint)
    assert (clf.predict(DOCS) == np.array(LABELS)).mean() > 0.9
