"""Property-based tests (hypothesis): vectorizer and attention layers on random input."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skattn.feature_extraction import SequenceVectorizer
from skattn.nn import AttentionPooling, MultiHeadSelfAttention, make_attention

texts = st.lists(st.text(max_size=40), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None)
@given(train=texts, test=texts, max_len=st.integers(1, 12))
def test_vectorizer_on_random_text(train, test, max_len):
    vec = SequenceVectorizer(max_len=max_len, analyzer="char")
    if not any(" ".join(t.split()) for t in train):
        return  # no characters at all: fit rightly refuses (empty vocabulary)
    ids = vec.fit(train).transform(test)
    assert ids.shape == (len(test), max_len) and ids.dtype == np.int64
    assert ids.min() >= 0 and ids.max() < len(vec.vocabulary_)
    # Padding only at the end of a row.
    real = ids != 0
    assert (np.sort(real, axis=1)[:, ::-1] == real).all()
    # Known characters survive the round trip.
    for tokens, row in zip(vec.tokenize(test), vec.inverse_transform(ids)):
        assert len(tokens) == len(row)
        assert all(r == t or r == "<unk>" for t, r in zip(tokens, row))


# Few distinct words, so that some n-grams recur (and pass min_df) and others do not.
words = st.lists(st.sampled_from(["a", "b", "ab", "c", "<pad>", "<unk>", "a b", ""]),
                 max_size=12).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(train=st.lists(words, min_size=1, max_size=10), max_len=st.integers(1, 12),
       ngram_range=st.sampled_from([(1, 1), (1, 2), (1, 3), (2, 2), (2, 3)]),
       min_df=st.integers(1, 3), analyzer=st.sampled_from(["word", "char", str.split]))
def test_fit_transform_is_fit_then_transform(train, max_len, ngram_range, min_df, analyzer):
    """fit_transform reuses its counting pass (n-grams outside the vocabulary
    dropped, documents cut at max_len refilled); it must give exactly the rows
    of fit then transform, "<pad>"/"<unk>" spelled in the text included."""
    def make():
        return SequenceVectorizer(max_len=max_len, ngram_range=ngram_range, min_df=min_df,
                                  analyzer=analyzer)
    try:
        expected = make().fit(train).transform(train)
    except ValueError:  # empty vocabulary: fit_transform must refuse too
        try:
            make().fit_transform(train)
        except ValueError:
            return
        raise AssertionError("fit refused, fit_transform did not")
    np.testing.assert_array_equal(make().fit_transform(train), expected)


@st.composite
def masked_batches(draw):
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 9))
    lengths = draw(st.lists(st.integers(0, T), min_size=B, max_size=B))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0]))
    seed = draw(st.integers(0, 2**16))
    x = torch.randn(B, T, 8, generator=torch.Generator().manual_seed(seed)) * scale
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    return x, mask


@settings(max_examples=40, deadline=None)
@given(batch=masked_batches(), kind=st.sampled_from(["additive", "dot", "general", "scaled_dot"]))
def test_pooling_weights_properties(batch, kind):
    x, mask = batch
    torch.manual_seed(0)
    pooled, weights = AttentionPooling(8, score=kind)(x, mask=mask)
    assert torch.isfinite(pooled).all() and torch.isfinite(weights).all()
    assert (weights[~mask] == 0).all()
    has_real = mask.any(1)
    torch.testing.assert_close(weights[has_real].sum(1), torch.ones(int(has_real.sum())))
    assert (weights[~has_real] == 0).all() and (pooled[~has_real] == 0).all()


@settings(max_examples=40, deadline=None)
@given(batch=masked_batches(), need_weights=st.booleans())
def test_self_attention_properties(batch, need_weights):
    x, mask = batch
    torch.manual_seed(0)
    out, weights = MultiHeadSelfAttention(8, 2)(x, mask=mask, need_weights=need_weights)
    assert torch.isfinite(out).all()
    if need_weights:
        assert (weights * ~mask[:, None, None, :] == 0).all()
        rows = weights.sum(-1)  # (B, H, T)
        has_real = mask.any(1)
        torch.testing.assert_close(rows[has_real], torch.ones_like(rows[has_real]))


@settings(max_examples=30, deadline=None)
@given(batch=masked_batches(), kind=st.sampled_from(["additive", "dot", "general"]))
def test_cross_attention_gradients_finite(batch, kind):
    x, mask = batch
    torch.manual_seed(0)
    query = torch.randn(x.size(0), 2, 8, requires_grad=True)
    out, _ = make_attention(kind, 8, 8)(query, x, x, mask=mask)
    out.sum().backward()
    assert torch.isfinite(query.grad).all()
