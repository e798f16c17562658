"""Attention layers: masking properties and agreement with direct formulas."""

import math

import pytest
import torch

from skattn.nn import (
    AdditiveAttention,
    AttentionPooling,
    DotAttention,
    GeneralAttention,
    MultiHeadSelfAttention,
    ScaledDotProductAttention,
    masked_softmax,
)

B, T_Q, T_K, D = 3, 4, 6, 8


@pytest.fixture
def tensors():
    g = torch.Generator().manual_seed(0)
    query = torch.randn(B, T_Q, D, generator=g)
    key = torch.randn(B, T_K, D, generator=g)
    value = torch.randn(B, T_K, D, generator=g)
    # Row 0: all real; row 1: last 2 padded; row 2: entirely padding.
    mask = torch.ones(B, T_K, dtype=torch.bool)
    mask[1, -2:] = False
    mask[2] = False
    return query, key, value, mask


def _layers():
    torch.manual_seed(0)
    return {
        "additive": AdditiveAttention(D, D, hidden_dim=5),
        "dot": DotAttention(),
        "general": GeneralAttention(D, D),
        "scaled_dot": ScaledDotProductAttention(),
    }


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled_dot"])
def test_weights_masked_normalised_and_finite(kind, tensors):
    query, key, value, mask = tensors
    layer = _layers()[kind]
    output, weights = layer(query, key, value, mask=mask)
    assert weights.shape == (B, 1, T_Q, T_K)
    assert output.shape == (B, T_Q, D)
    assert torch.isfinite(output).all() and torch.isfinite(weights).all()
    sums = weights.sum(-1)
    torch.testing.assert_close(sums[:2], torch.ones_like(sums[:2]))
    assert (weights[1, ..., -2:] == 0).all(), "padding must get exactly zero weight"
    assert (weights[2] == 0).all() and (output[2] == 0).all(), "fully padded row -> zeros"


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled_dot"])
def test_gradients_finite_with_fully_padded_row(kind, tensors):
    query, key, value, mask = tensors
    query = query.clone().requires_grad_()
    output, _ = _layers()[kind](query, key, value, mask=mask)
    output.sum().backward()
    assert torch.isfinite(query.grad).all()


def _reference(scores, value, mask):
    """softmax over real keys written out explicitly, one row at a time."""
    out = torch.zeros(scores.shape[0], scores.shape[1], value.shape[-1])
    weights = torch.zeros_like(scores)
    for b in range(scores.shape[0]):
        real = mask[b].nonzero().ravel()
        if len(real) == 0:
            continue
        for i in range(scores.shape[1]):
            e = torch.exp(scores[b, i, real] - scores[b, i, real].max())
            weights[b, i, real] = e / e.sum()
            out[b, i] = weights[b, i] @ value[b]
    return out, weights


def test_additive_matches_bahdanau_formula(tensors):
    query, key, value, mask = tensors
    layer = _layers()["additive"]
    W, U, bU, v = layer.W.weight, layer.U.weight, layer.U.bias, layer.v.weight[0]
    scores = torch.empty(B, T_Q, T_K)
    for b in range(B):
        for i in range(T_Q):
            for j in range(T_K):  # v^T tanh(W q + U k)
                scores[b, i, j] = v @ torch.tanh(W @ query[b, i] + U @ key[b, j] + bU)
    expected_out, expected_w = _reference(scores, value, mask)
    output, weights = layer(query, key, value, mask=mask)
    torch.testing.assert_close(weights[:, 0], expected_w)
    torch.testing.assert_close(output, expected_out)


@pytest.mark.parametrize("kind", ["dot", "general", "scaled_dot"])
def test_multiplicative_scores_match_formula(kind, tensors):
    query, key, value, mask = tensors
    layer = _layers()[kind]
    if kind == "dot":
        scores = torch.einsum("bid,bjd->bij", query, key)
    elif kind == "general":  # q^T W k
        scores = torch.einsum("bid,de,bje->bij", query, layer.W.weight, key)
    else:
        scores = torch.einsum("bid,bjd->bij", query, key) / math.sqrt(D)
    expected_out, expected_w = _reference(scores, value, mask)
    output, weights = layer(query, key, value, mask=mask)
    torch.testing.assert_close(weights[:, 0], expected_w)
    torch.testing.assert_close(output, expected_out)


def test_sdpa_fast_path_equals_explicit_weights(tensors):
    query, key, value, mask = tensors
    layer = ScaledDotProductAttention()
    fast, none = layer(query, key, value, mask=mask, need_weights=False)
    slow, weights = layer(query, key, value, mask=mask, need_weights=True)
    assert none is None and weights is not None
    torch.testing.assert_close(fast, slow)
    assert (fast[2] == 0).all()


def test_multi_head_self_attention(tensors):
    _, x, _, mask = tensors
    torch.manual_seed(0)
    layer = MultiHeadSelfAttention(D, num_heads=2)
    out_fast, none = layer(x, mask=mask, need_weights=False)
    out, weights = layer(x, mask=mask)
    assert none is None
    assert out.shape == (B, T_K, D) and weights.shape == (B, 2, T_K, T_K)
    torch.testing.assert_close(out_fast, out)
    torch.testing.assert_close(weights[:2].sum(-1), torch.ones(2, 2, T_K))
    assert (weights[1, ..., -2:] == 0).all()
    assert torch.isfinite(out).all()
    # Head h of the explicit formula: softmax(q_h k_h^T / sqrt(d)) with masked keys.
    q, k, _ = layer.qkv(x).split(D, dim=-1)
    d = D // 2
    scores = q[0, :, :d] @ k[0, :, :d].T / math.sqrt(d)
    torch.testing.assert_close(weights[0, 0], torch.softmax(scores, -1))


def test_multi_head_rejects_indivisible_width():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadSelfAttention(10, num_heads=3)


@pytest.mark.parametrize("score", ["additive", "dot", "general", "scaled_dot"])
def test_attention_pooling(score, tensors):
    _, x, _, mask = tensors
    torch.manual_seed(0)
    pool = AttentionPooling(D, score=score)
    pooled, weights = pool(x, mask=mask)
    assert pooled.shape == (B, D) and weights.shape == (B, T_K)
    torch.testing.assert_close(weights[:2].sum(-1), torch.ones(2))
    assert (weights[1, -2:] == 0).all() and (weights[2] == 0).all()
    torch.testing.assert_close(pooled[:2], torch.einsum("bt,btd->bd", weights, x)[:2])
    _, none = pool(x, mask=mask, need_weights=False)
    assert none is None


def test_masked_softmax_without_mask_is_softmax():
    scores = torch.randn(2, 5)
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, -1))


def test_unknown_kind_and_width_mismatch():
    with pytest.raises(ValueError, match="Unknown attention"):
        AttentionPooling(4, score="cosine")
    from skattn.nn import make_attention

    with pytest.raises(ValueError, match="equal width"):
        make_attention("dot", 4, 6)


def test_dropout_is_inverted_dropout():
    from skattn.nn import Dropout

    torch.manual_seed(0)
    x = torch.ones(200, 50, 64, requires_grad=True)
    layer = Dropout(0.3)
    y = layer(x)
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.01  # zeroed with probability p
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / 0.7))  # rest scaled
    y.sum().backward()
    torch.testing.assert_close(x.grad, (kept / 0.7).float())  # gradient through the mask
    layer.eval()
    assert layer(x) is x
    assert Dropout(0.0).train()(x) is x and (Dropout(1.0).train()(x) == 0).all()
    assert isinstance(layer, torch.nn.Dropout) and layer.p == 0.3


def test_attention_dim_sets_the_additive_scorer_width():
    from skattn.nn.text import SequenceEncoder

    torch.manual_seed(0)
    x = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])  # (B, T), right-padded
    narrow = SequenceEncoder(20, embedding_dim=12, attention_dim=3)
    scorer = narrow.pooling.attention
    assert (scorer.W.out_features, scorer.U.out_features, scorer.v.in_features) == (3, 3, 3)
    pooled, weights = narrow.eval()(x, need_weights=True)
    assert pooled.shape == (2, 12)
    torch.testing.assert_close(weights["pooling"].sum(1), torch.ones(2))
    assert (weights["pooling"][x == 0] == 0).all()
    # None: as wide as what the pooling scores (the embeddings, or the GRU's states).
    assert SequenceEncoder(20, embedding_dim=12).pooling.attention.U.out_features == 12
    gru = SequenceEncoder(20, embedding_dim=12, encoder="gru", hidden_size=5)
    assert gru.pooling.attention.U.out_features == 10
    # Scores without a tanh layer ignore it.
    assert SequenceEncoder(20, attention="dot", attention_dim=3)(x)[0].shape == (2, 64)
    for bad in (0, -2, 2.0, "8", True):
        with pytest.raises(ValueError, match="attention_dim must be a positive integer"):
            SequenceEncoder(10, attention_dim=bad)


def test_embedding_init_std_sets_the_starting_scale():
    from skattn.nn.text import SequenceEncoder

    torch.manual_seed(0)
    default = SequenceEncoder(2000, embedding_dim=32).embedding.weight.detach()
    small = SequenceEncoder(2000, embedding_dim=32, embedding_init_std=0.1).embedding.weight
    small = small.detach()
    assert abs(default[1:].std().item() - 1.0) < 0.02  # torch's N(0, 1)
    assert abs(small[1:].std().item() - 0.1) < 0.002
    assert abs(small[1:].mean().item()) < 0.002
    assert (default[0] == 0).all() and (small[0] == 0).all()  # padding row stays 0
    for bad in (0, -0.1, float("nan"), float("inf"), "0.1", True):
        with pytest.raises(ValueError, match="embedding_init_std"):
            SequenceEncoder(10, embedding_init_std=bad)
