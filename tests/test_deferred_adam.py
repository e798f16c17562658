"""DeferredAdam: sparse embedding gradients trained as dense Adam trains them."""

import contextlib
import io
import pickle

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback
from torch import nn

from skattn import AttentionTextClassifier, SequenceVectorizer
from skattn.datasets import load_movie_reviews
from skattn.nn import DeferredAdam


def _train(optimizer_class, sparse, *, steps=60, eps=1e-8, maximize=False, schedule=False,
           reads=None, **kwargs):
    """An embedding and a linear head trained on batches of a few rows each
    (most rows wait many steps between reads); returns the final weights and,
    if ``reads`` is a list, appends what each forward pass read."""
    torch.manual_seed(0)
    embedding = nn.Embedding(50, 4, sparse=sparse, padding_idx=0)
    head = nn.Linear(4, 1)
    optimizer = optimizer_class(
        [{"params": embedding.parameters()}, {"params": head.parameters(), "lr": 0.003}],
        lr=0.05, eps=eps, maximize=maximize, **kwargs)
    generator = torch.Generator().manual_seed(1)
    tracking = (optimizer.track(embedding) if isinstance(optimizer, DeferredAdam)
                else contextlib.nullcontext())
    with tracking:
        for step in range(steps):
            if schedule:
                optimizer.param_groups[0]["lr"] = 0.05 * (1 - step / steps)
            ids = torch.randint(0, 50, (3, 2), generator=generator)  # (B, T)
            optimizer.zero_grad()
            embedded = embedding(ids)  # (B, T, D)
            if reads is not None:
                reads.append(embedded.detach().clone())
            loss = head(embedded).pow(2).mean() - head(embedded).mean()
            loss.backward()
            optimizer.step()
    return embedding.weight.detach().clone(), head.weight.detach().clone()


@pytest.mark.parametrize("schedule", [False, True])
def test_it_follows_dense_adam_step_for_step(schedule):
    dense_reads, sparse_reads = [], []
    dense = _train(torch.optim.Adam, False, eps=1e-12, schedule=schedule, reads=dense_reads)
    sparse = _train(DeferredAdam, True, eps=1e-12, schedule=schedule, reads=sparse_reads)
    # Every forward pass reads the rows dense Adam would have there...
    for a, b in zip(dense_reads, sparse_reads):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)
    # ...and after the last step every row is where dense Adam put it.
    torch.testing.assert_close(sparse[0], dense[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(sparse[1], dense[1], rtol=1e-5, atol=1e-6)


def test_with_the_default_eps_and_maximize_it_stays_within_a_tenth_of_a_percent():
    for maximize in (False, True):
        dense = _train(torch.optim.Adam, False, maximize=maximize)[0]
        sparse = _train(DeferredAdam, True, maximize=maximize)[0]
        assert float((sparse - dense).abs().max() / dense.abs().max()) < 1e-3


def test_a_lazy_adam_would_not_follow_dense_adam():
    # The property above is not trivial: moving only the rows read (torch's
    # SparseAdam) ends far from dense Adam on the same batches.
    torch.manual_seed(0)
    embedding = nn.Embedding(50, 4, sparse=True, padding_idx=0)
    head = nn.Linear(4, 1)
    lazy = torch.optim.SparseAdam(embedding.parameters(), lr=0.05)
    dense_head = torch.optim.Adam(head.parameters(), lr=0.003)
    generator = torch.Generator().manual_seed(1)
    for _ in range(60):
        ids = torch.randint(0, 50, (3, 2), generator=generator)
        lazy.zero_grad()
        dense_head.zero_grad()
        embedded = embedding(ids)
        (head(embedded).pow(2).mean() - head(embedded).mean()).backward()
        lazy.step()
        dense_head.step()
    dense = _train(torch.optim.Adam, False)[0]
    assert float((embedding.weight.detach() - dense).abs().max() / dense.abs().max()) > 0.05


def test_rows_never_read_stay_as_drawn_and_nothing_is_nan():
    torch.manual_seed(0)
    embedding = nn.Embedding(1000, 8, sparse=True, padding_idx=0)
    start = embedding.weight.detach().clone()
    optimizer = DeferredAdam(embedding.parameters(), lr=0.1)
    with optimizer.track(embedding):
        for _ in range(30):
            optimizer.zero_grad()
            embedding(torch.tensor([[1, 2, 0]])).sum().backward()
            optimizer.step()
    weight = embedding.weight.detach()
    assert torch.isfinite(weight).all()
    torch.testing.assert_close(weight[3:], start[3:], rtol=0, atol=0)
    assert not torch.equal(weight[1:3], start[1:3])
    state = optimizer.state[embedding.weight]
    assert (state["last"] == 30).all()  # the block's end brought every row up to date


def test_state_dict_round_trip_continues_the_same_trajectory():
    def model():
        torch.manual_seed(0)
        embedding = nn.Embedding(40, 4, sparse=True)
        return embedding, DeferredAdam(embedding.parameters(), lr=0.05)

    def steps(embedding, optimizer, generator, n):
        with optimizer.track(embedding):
            for _ in range(n):
                optimizer.zero_grad()
                embedding(torch.randint(0, 40, (2, 2), generator=generator)).pow(2).sum().backward()
                optimizer.step()

    embedding, optimizer = model()
    generator = torch.Generator().manual_seed(3)
    steps(embedding, optimizer, generator, 20)
    buffer = io.BytesIO()
    torch.save({"module": embedding.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    steps(embedding, optimizer, generator, 20)

    resumed, resumed_optimizer = model()
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    resumed.load_state_dict(saved["module"])
    resumed_optimizer.load_state_dict(saved["optimizer"])
    state = resumed_optimizer.state[resumed.weight]
    assert state["last"].dtype == torch.long and state["deferred"].dtype == torch.float64
    generator = torch.Generator().manual_seed(3)
    torch.randint(0, 40, (20, 2, 2), generator=generator)  # the draws of the first 20 steps
    steps(resumed, resumed_optimizer, generator, 20)
    torch.testing.assert_close(resumed.weight, embedding.weight, rtol=0, atol=0)


def test_a_gradient_that_turns_dense_continues_as_torch_adam():
    torch.manual_seed(0)
    embedding = nn.Embedding(30, 4, sparse=True)
    reference = nn.Embedding(30, 4)
    reference.load_state_dict(embedding.state_dict())
    optimizer = DeferredAdam(embedding.parameters(), lr=0.05, eps=1e-12)
    dense = torch.optim.Adam(reference.parameters(), lr=0.05, eps=1e-12)
    generator = torch.Generator().manual_seed(2)
    with optimizer.track(embedding):
        for step in range(20):
            if step == 10:
                embedding.sparse = False
            ids = torch.randint(0, 30, (2, 3), generator=generator)
            for module, opt in ((embedding, optimizer), (reference, dense)):
                opt.zero_grad()
                module(ids).pow(2).sum().backward()
                opt.step()
    torch.testing.assert_close(embedding.weight, reference.weight, rtol=1e-5, atol=1e-6)
    assert "last" not in optimizer.state[embedding.weight]


@pytest.mark.parametrize("setting, message", [
    ({"weight_decay": 0.01}, "weight_decay"),
    ({"amsgrad": True}, "amsgrad"),
    ({"betas": (0.99, 0.9)}, "betas"),
])
def test_settings_it_cannot_defer_are_refused_by_name(setting, message):
    embedding = nn.Embedding(10, 2, sparse=True)
    optimizer = DeferredAdam(embedding.parameters(), **setting)
    embedding(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(ValueError, match=message):
        optimizer.step()


def test_it_pickles_with_its_settings():
    embedding = nn.Embedding(10, 2, sparse=True)
    optimizer = DeferredAdam(embedding.parameters(), tol=1e-6)
    embedding(torch.tensor([1, 2])).sum().backward()
    optimizer.step()
    copy = pickle.loads(pickle.dumps(optimizer))
    assert copy.param_groups[0]["tol"] == 1e-6
    with pytest.raises(ValueError, match="tol"):
        DeferredAdam(embedding.parameters(), tol=0)


# -- in the classifier -----------------------------------------------------------


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=1500, test_size=500, stratify=y, random_state=0)


class _RowsUpToDate(Callback):
    """Records, at each epoch's end, whether every embedding row has taken
    every step."""

    def on_train_begin(self, net, **kwargs):
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        state = net.optimizer_.state[net.module_.encoder.embedding.weight]
        self.seen.append(bool((state["last"] == int(state["step"])).all()))


def test_the_default_classifier_trains_a_sparse_embedding_as_dense_adam_does(reviews):
    X_train, X_test, y_train, _ = reviews
    recorder = _RowsUpToDate()
    default = AttentionTextClassifier(max_epochs=2, random_state=0, callbacks=[recorder])
    default.fit(X_train, y_train)
    assert isinstance(default.optimizer_, DeferredAdam)
    assert default.module_.encoder.embedding.sparse
    assert recorder.seen == [True, True]  # callbacks see every row up to date
    # Every word and bigram, including those seen once.
    assert default.vectorizer_.n_ids_ > SequenceVectorizer(
        min_df=2, ngram_range=(1, 2)).fit(X_train).n_ids_
    dense = AttentionTextClassifier(max_epochs=2, random_state=0, optimizer=torch.optim.Adam)
    dense.fit(X_train, y_train)
    assert not dense.module_.encoder.embedding.sparse
    # The same model to float rounding and Adam's eps, left out of the deferred steps.
    gap = np.abs(default.predict_proba(X_test) - dense.predict_proba(X_test))
    assert gap.max() < 0.05 and gap.mean() < 0.005, (gap.max(), gap.mean())
    assert np.mean(default.predict(X_test) == dense.predict(X_test)) > 0.98


def test_several_processes_train_a_dense_embedding():
    class Processes:
        num_processes = 2

    clf = AttentionTextClassifier(accelerator=Processes())
    assert not clf._sparse_embedding()
    Processes.num_processes = 1
    assert clf._sparse_embedding()
    assert not AttentionTextClassifier(optimizer=torch.optim.Adam)._sparse_embedding()


def test_weight_decay_on_the_default_optimizer_trains_a_dense_embedding(reviews):
    # Weight decay moves every row at every step: nothing to defer, so the
    # embedding is dense and DeferredAdam steps as torch's Adam.
    X_train, X_test, y_train, _ = reviews
    clf = AttentionTextClassifier(max_epochs=1, optimizer__weight_decay=1e-4, random_state=0)
    clf.fit(X_train[:300], y_train[:300])
    assert not clf.module_.encoder.embedding.sparse
    assert isinstance(clf.optimizer_, DeferredAdam)
    reference = AttentionTextClassifier(max_epochs=1, optimizer=torch.optim.Adam,
                                        optimizer__weight_decay=1e-4, random_state=0)
    reference.fit(X_train[:300], y_train[:300])
    np.testing.assert_allclose(clf.predict_proba(X_test), reference.predict_proba(X_test),
                               rtol=0, atol=1e-6)
