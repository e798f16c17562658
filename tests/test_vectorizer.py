"""SequenceVectorizer: tokenization, vocabulary, padding, round trips, input checks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from skattn.feature_extraction import SequenceVectorizer

DOCS = ["A good film, a GOOD cast!", "a bad film", "bad bad plot"]


def test_vocabulary_reserved_ids_and_frequency_order():
    vec = SequenceVectorizer().fit(DOCS)
    assert vec.vocabulary_["<pad>"] == 0 and vec.vocabulary_["<unk>"] == 1
    # 'a', 'bad' (3 each) before 'film', 'good' (2 each), then singletons.
    assert [vec.index_to_token_[i] for i in (2, 3, 4, 5)] == ["a", "bad", "film", "good"]
    assert vec.token_counts_[vec.vocabulary_["bad"]] == 3


def test_transform_pads_truncates_and_maps_unknown():
    vec = SequenceVectorizer(max_len=4).fit(DOCS)
    ids = vec.transform(["good plot twist", "", "a good film , a good cast"])
    assert ids.shape == (3, 4) and ids.dtype == np.int64
    np.testing.assert_array_equal(
        ids[0], [vec.vocabulary_["good"], vec.vocabulary_["plot"], 1, 0]
    )
    assert (ids[1] == 0).all()
    assert vec.inverse_transform(ids)[2] == ["a", "good", "film", ","]


def test_tokens_agree_with_countvectorizer_analyzer():
    vec = SequenceVectorizer(token_pattern=r"(?u)\b\w\w+\b").fit(DOCS)
    cv = CountVectorizer().fit(DOCS)
    assert set(vec.vocabulary_) - {"<pad>", "<unk>"} == set(cv.vocabulary_)


def test_char_analyzer_and_callable():
    vec = SequenceVectorizer(analyzer="char", max_len=6).fit(["Anna", "Bob"])
    assert vec.tokenize(["Ann  B"]) == [["a", "n", "n", " ", "b"]]
    splitter = SequenceVectorizer(analyzer=str.split, lowercase=False).fit(["A b", "b c"])
    assert "A" in splitter.vocabulary_


def test_min_df_max_df_max_features():
    docs = ["x y z", "x y", "x w"]
    assert set(SequenceVectorizer(min_df=2).fit(docs).vocabulary_) == {"<pad>", "<unk>", "x", "y"}
    assert "x" not in SequenceVectorizer(max_df=0.9).fit(docs).vocabulary_
    assert list(SequenceVectorizer(max_features=1).fit(docs).vocabulary_) == ["<pad>", "<unk>", "x"]
    with pytest.raises(ValueError, match="fewer documents than min_df"):
        SequenceVectorizer(min_df=5).fit(docs)
    with pytest.raises(ValueError, match="Empty vocabulary"):
        SequenceVectorizer(token_pattern=r"\w+").fit(["!!", "? !"])


def test_accepts_list_array_series_and_feature_names():
    vec = SequenceVectorizer(max_len=3)
    a = vec.fit_transform(DOCS)
    np.testing.assert_array_equal(a, vec.fit_transform(np.array(DOCS, dtype=object)))
    np.testing.assert_array_equal(a, vec.fit_transform(pd.Series(DOCS, index=[5, 7, 9])))
    # One text column in 2-D form, as a ColumnTransformer passes it on.
    np.testing.assert_array_equal(a, vec.fit_transform(pd.DataFrame({"text": DOCS})))
    np.testing.assert_array_equal(a, vec.fit_transform(np.array(DOCS, dtype=object)[:, None]))
    assert vec.get_feature_names_out().tolist() == ["token_0", "token_1", "token_2"]


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (["ok", None], ValueError, "missing"),
        (pd.Series(["ok", np.nan]), ValueError, "missing"),
        (["ok", 3], TypeError, "only str"),
        (["ok", b"bytes"], TypeError, "Decode bytes"),
        ("just one string", TypeError, "single str"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "one document per sample"),
        (pd.DataFrame({"a": ["a", "b"], "b": ["c", "d"]}), ValueError, "2 columns"),
        (42, TypeError, "list, numpy array or pandas Series"),
    ],
)
def test_bad_input(bad, error, match):
    with pytest.raises(error, match=match):
        SequenceVectorizer().fit(bad)


def test_invalid_params_and_not_fitted():
    with pytest.raises(ValueError, match="max_len"):
        SequenceVectorizer(max_len=0).fit(DOCS)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SequenceVectorizer().transform(DOCS)
