"""n-gram tokens in the sequence (SequenceVectorizer(ngram_range=...)) and the
stateless HashingSequenceVectorizer, alone and inside the text estimators."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.utils import murmurhash3_32

from skattn import io
from skattn.datasets import load_movie_reviews
from skattn.feature_extraction import HashingSequenceVectorizer, SequenceVectorizer
from skattn.inspection import top_tokens
from skattn.text import AttentionTextClassifier

DOCS = ["a good film", "a good book", "a bad film"]


@pytest.mark.parametrize("vectorizer", [HashingSequenceVectorizer(n_features=64, ngram_range=(1, 2)),
                                        SequenceVectorizer(ngram_range=(1, 2))])
def test_clone_repr_and_pickle(vectorizer):
    twin = clone(vectorizer)
    assert twin.get_params() == vectorizer.get_params()
    assert repr(twin).endswith("(ngram_range=(1, 2))") or "n_features=64" in repr(twin)
    fitted = vectorizer.fit(DOCS)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(DOCS), fitted.transform(DOCS))


# -- n-grams ---------------------------------------------------------------------------------


def test_bigrams_follow_the_word_that_ends_them():
    vec = SequenceVectorizer(ngram_range=(1, 2)).fit(DOCS)
    assert vec.tokenize(["a good film"]) == [["a", "good", "a good", "film", "good film"]]
    ids = vec.transform(["a good film"])
    assert vec.inverse_transform(ids) == [["a", "good", "a good", "film", "good film"]]
    # Trigrams after the bigram; (2, 3) leaves the words out.
    tri = SequenceVectorizer(ngram_range=(1, 3)).fit(DOCS)
    assert tri.tokenize(["a good film"]) == [
        ["a", "good", "a good", "film", "good film", "a good film"]]
    only = SequenceVectorizer(ngram_range=(2, 3)).fit(DOCS)
    assert only.tokenize(["a good film"]) == [["a good", "good film", "a good film"]]


def test_rare_ngrams_leave_the_sequence_rare_words_are_unknown():
    vec = SequenceVectorizer(ngram_range=(1, 2), min_df=2).fit(DOCS)
    assert set(vec.vocabulary_) == {"<pad>", "<unk>", "a", "good", "film", "a good"}
    # "bad" (once) is unknown, "a bad" and "bad film" (once each) are absent;
    # their positions go to the tokens after them.
    assert vec.tokenize(["a bad film"]) == [["a", "bad", "film"]]
    np.testing.assert_array_equal(vec.transform(["a bad film"])[0, :4],
                                  [vec.vocabulary_["a"], 1, vec.vocabulary_["film"], 0])
    # fit_transform gives what fit then transform give, also where a document
    # cut at max_len loses an n-gram and takes in the token after the cut.
    np.testing.assert_array_equal(vec.fit_transform(DOCS), vec.fit(DOCS).transform(DOCS))
    for max_len in (3, 4, 5):
        short = SequenceVectorizer(ngram_range=(1, 2), min_df=2, max_len=max_len)
        np.testing.assert_array_equal(short.fit_transform(DOCS), short.fit(DOCS).transform(DOCS))
    # At max_len=3 "a bad film" is cut to "a", "bad", "a bad" when counting;
    # "a bad" leaves, and "film" (unknown: beyond every cut) takes its place.
    short.set_params(max_len=3)
    assert short.fit_transform(DOCS)[2].tolist() == [short.vocabulary_["a"], 1, 1]


def test_max_len_counts_ngram_positions():
    vec = SequenceVectorizer(ngram_range=(1, 2), max_len=4).fit(DOCS)
    assert vec.tokenize(["a good film"]) == [["a", "good", "a good", "film"]]
    assert vec.transform(["a good film"]).shape == (1, 4)


@pytest.mark.parametrize("bad", [(0, 1), (2, 1), (1,), [1, 2], (1.0, 2.0), "1,2"])
def test_invalid_ngram_range_is_named(bad):
    with pytest.raises(ValueError, match="ngram_range"):
        SequenceVectorizer(ngram_range=bad).fit(DOCS)
    with pytest.raises(ValueError, match="ngram_range"):
        HashingSequenceVectorizer(ngram_range=bad).transform(DOCS)


# -- hashing -------------------------------------------------------------------------------


def test_hashing_ids_are_murmurhash_buckets_after_the_reserved_ids():
    vec = HashingSequenceVectorizer(n_features=1000, max_len=5)
    ids = vec.transform(["A good film", ""])
    expected = [murmurhash3_32(t, seed=0, positive=True) % 1000 + 2 for t in ("a", "good", "film")]
    np.testing.assert_array_equal(ids[0], expected + [0, 0])
    assert (ids[1] == 0).all()
    # Stateless: no fit needed, fit changes nothing, reserved spellings are tokens.
    np.testing.assert_array_equal(vec.fit(["unrelated text"]).transform(["A good film", ""]), ids)
    assert vec.n_ids_ == 1002
    assert vec.transform(["<pad> <unk>"])[0, :2].min() >= 2


def test_hashing_shares_tokenization_with_the_vocabulary_vectorizer():
    params = dict(ngram_range=(1, 2), max_len=7, token_pattern=r"\S+", lowercase=False)
    hashing = HashingSequenceVectorizer(**params)
    vocab = SequenceVectorizer(**params).fit(DOCS)
    assert hashing.tokenize(["A good film !"]) == vocab.fit(["A good film !"]).tokenize(["A good film !"])
    assert hashing.get_feature_names_out().tolist() == [f"token_{i}" for i in range(7)]


# -- in the estimators -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews(one_torch_thread):
    X, y = load_movie_reviews(return_X_y=True)
    return train_test_split(X, y, train_size=1500, test_size=500, stratify=y, random_state=0)


FAST = dict(max_epochs=4, batch_size=128, random_state=0)


@pytest.fixture(scope="module")
def bigram_model(reviews):
    X_train, _, y_train, _ = reviews
    return AttentionTextClassifier(vectorizer=SequenceVectorizer(ngram_range=(1, 2), min_df=2),
                                   **FAST).fit(X_train, y_train)


def test_bigrams_are_attended_and_explained_like_words(bigram_model, reviews):
    _, X_test, _, y_test = reviews
    assert bigram_model.score(X_test, y_test) > 0.6
    assert any(" " in t for t in bigram_model.token_attention_.index)
    frame = bigram_model.explain(["the film is funny ."], method="attention")
    tokens = frame["token"].tolist()
    assert tokens[:5] == ["the", "film", "the film", "is", "film is"]
    assert "is funny" in bigram_model.vectorizer_.vocabulary_ and "is funny" in tokens
    assert abs(frame["weight"].sum() - 1) < 1e-5
    contributions = bigram_model.explain(["the film is funny ."])
    assert len(contributions) == len(frame)


@pytest.fixture(scope="module")
def hashing_model(reviews):
    X_train, _, y_train, _ = reviews
    vec = HashingSequenceVectorizer(n_features=2**12)
    return AttentionTextClassifier(vectorizer=vec, **FAST).fit(X_train, y_train)


def test_hashing_estimator_explains_the_documents_own_tokens(hashing_model, reviews):
    X_train, X_test, _, y_test = reviews
    assert hashing_model.score(X_test, y_test) > 0.6
    assert hashing_model.module_.encoder.embedding.num_embeddings == 2**12 + 2
    frame = hashing_model.explain(["an utterly unforgettable zzyzx film"])
    assert frame["token"].tolist() == ["an", "utterly", "unforgettable", "zzyzx", "film"]
    assert frame["in_vocabulary"].all()
    # token_attention_ is keyed by the token strings, with their counts.
    attention, counts = hashing_model.token_attention_, hashing_model.token_counts_
    assert attention.index.equals(counts.index) and attention.index.is_unique
    tokens = [t for doc in hashing_model.vectorizer_.tokenize(X_train) for t in doc]
    assert counts.sum() == len(tokens) and counts["the"] == tokens.count("the")
    assert "count" in top_tokens(hashing_model, 5)


def test_colliding_tokens_keep_their_own_names():
    vec = HashingSequenceVectorizer(n_features=1)  # every token in one bucket
    X = ["good film", "bad film", "good plot", "bad plot"] * 4
    y = ["pos", "neg", "pos", "neg"] * 4
    clf = AttentionTextClassifier(vectorizer=vec, max_epochs=1, random_state=0).fit(X, y)
    assert set(clf.token_attention_.index) == {"good", "bad", "film", "plot"}
    assert (clf.token_counts_ == 8).all()
    assert clf.explain(["good film"])["token"].tolist() == ["good", "film"]


def test_hashing_estimator_round_trips_through_skattn_io(hashing_model, reviews, tmp_path):
    _, X_test, _, _ = reviews
    path = tmp_path / "model"
    io.save(hashing_model, path)
    loaded = io.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_test[:50]), hashing_model.predict_proba(X_test[:50]))
    pd.testing.assert_series_equal(loaded.token_counts_, hashing_model.token_counts_)
    assert clone(hashing_model).get_params()["vectorizer"].n_features == 2**12


def test_partial_fit_learns_tokens_first_seen_in_a_later_chunk():
    """A word absent from the first chunk still gets its own id (and is learned)
    with the hashing vectorizer; the vocabulary vectorizer reads it as unknown."""
    first = ["good film", "bad film", "fine film", "awful film"] * 8
    first_y = ["pos", "neg", "pos", "neg"] * 8
    later = ["superb film", "dreadful film"] * 16
    later_y = ["pos", "neg"] * 16
    for vec, learns in [(HashingSequenceVectorizer(n_features=2**10), True),
                        (SequenceVectorizer(), False)]:
        clf = AttentionTextClassifier(vectorizer=vec, max_epochs=20, lr=0.05, random_state=0)
        clf.partial_fit(first, first_y)
        clf.partial_fit(later, later_y)
        predicted = clf.predict(["superb film", "dreadful film"]).tolist()
        assert (predicted == ["pos", "neg"]) == learns
        assert ("superb" in clf.token_attention_.index) == learns


def test_a_stream_of_five_chunks_reaches_one_fit_on_all_the_data():
    """Issue 18's bar: 5 partial_fit chunks with the hashing vectorizer within
    0.02 accuracy of one fit on all the training data (MR, held-out 20%),
    on the mean over seeds 0-2."""
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    wholes, streams = [], []
    # Over three seeds: one seed's gap ranges from 0.005 to 0.026 (seeds 0-3).
    for seed in range(3):
        whole, stream = _whole_and_stream(X_train, X_test, y_train, y_test, seed)
        wholes.append(whole)
        streams.append(stream)
    assert np.mean(wholes) > 0.73
    assert np.mean(streams) >= np.mean(wholes) - 0.02


def _whole_and_stream(X_train, X_test, y_train, y_test, seed):
    make = lambda **params: AttentionTextClassifier(
        vectorizer=HashingSequenceVectorizer(), random_state=seed, **params)
    whole = make().fit(X_train, y_train).score(X_test, y_test)
    # A stream keeps one constant lr: the default schedule would decay to 0
    # and start afresh in every partial_fit call. Batches of 256 take a chunk's
    # epochs in fewer steps than the default 64, which pull the model toward
    # each chunk in turn (0.742 against 0.763 on this split, bench_stream.py).
    # One rate for every layer: at a constant attention_lr of 0.001 the
    # attention layers learn too little in five chunks (0.748, bench_stream.py).
    stream = make(lr=0.03, lr_schedule="constant", batch_size=256, attention_lr=None)
    for chunk in np.array_split(np.arange(len(X_train)), 5):
        stream.partial_fit([X_train[i] for i in chunk], np.asarray(y_train)[chunk],
                           classes=["neg", "pos"])
    return whole, stream.score(X_test, y_test)
