"""Attention layers as plain torch modules.

This module knows nothing of scikit-learn or skorch.

Conventions shared by every layer here
--------------------------------------
Dimension letters: ``B`` batch, ``H`` heads, ``T_q`` query positions, ``T_k`` key
positions, ``D`` model width, ``d`` width of one head.

Masks are boolean tensors of shape (B, T_k), ``True`` marking a real token and
``False`` padding. A ``None`` mask means every position is real.

Weights are always returned shaped (B, H, T_q, T_k) (``H == 1`` for the single
head layers) by the query/key layers and (B, T) by :class:`AttentionPooling`.
They sum to 1 over the real keys, are exactly 0 on padding, and a row whose keys
are all padding gets all-zero weights and a zero output, never NaN.

Scores and softmax are computed in float32 whatever the input dtype (a
float16 dot product of width 64 overflows once inputs reach about 30), so
weights are float32; outputs keep the dtype of the values.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "masked_softmax",
    "AdditiveAttention",
    "DotAttention",
    "GeneralAttention",
    "ScaledDotProductAttention",
    "MultiHeadSelfAttention",
    "AttentionPooling",
    "make_attention",
    "SCORES",
]


def masked_softmax(scores, mask=None):
    """Softmax over the last axis that ignores padded keys.

    Parameters
    ----------
    scores : Tensor of shape (..., T_k)
    mask : bool Tensor broadcastable to ``scores``, or None
        True for real keys.

    Returns
    -------
    weights : float32 Tensor shaped like ``scores``; 0 on padding; all-zero rows
        where every key is padding.
    """
    scores = scores.float()
    if mask is None:
        return torch.softmax(scores, dim=-1)
    scores = scores.masked_fill(~mask, float("-inf"))
    # A row with no real key would be softmax(-inf, ...) = NaN: give it finite
    # scores, then zero it through the mask below.
    empty = ~mask.any(dim=-1, keepdim=True)
    scores = scores.masked_fill(empty, 0.0)
    return torch.softmax(scores, dim=-1) * mask


def _key_mask(mask):
    """(B, T_k) padding mask -> (B, 1, 1, T_k), broadcastable to 4-D scores."""
    return None if mask is None else mask[:, None, None, :]


class _QueryKeyAttention(nn.Module):
    """Single-head attention ``softmax(score(q, k)) @ v``; subclasses define ``score``."""

    def score(self, query, key):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, query, key, value=None, mask=None, need_weights=True):
        """Attend from ``query`` (B, T_q, D_q) over ``key`` (B, T_k, D_k).

        Parameters
        ----------
        query : Tensor of shape (B, T_q, D_q)
        key : Tensor of shape (B, T_k, D_k)
        value : Tensor of shape (B, T_k, D_v), default ``key``
        mask : bool Tensor of shape (B, T_k), True = real token
        need_weights : bool
            Return the weights (they are computed anyway for these layers).

        Returns
        -------
        output : Tensor of shape (B, T_q, D_v)
        weights : Tensor of shape (B, 1, T_q, T_k), or None
        """
        value = key if value is None else value
        scores = self.score(query, key)  # (B, T_q, T_k)
        weights = masked_softmax(scores, None if mask is None else mask[:, None, :])
        output = weights.to(value.dtype) @ value  # (B, T_q, D_v)
        return output, (weights.unsqueeze(1) if need_weights else None)


class AdditiveAttention(_QueryKeyAttention):
    """Bahdanau attention: ``score(q, k) = v^T tanh(W q + U k)``.

    Parameters
    ----------
    query_dim, key_dim : int
        Widths of queries and keys.
    hidden_dim : int, default=None
        Width of the tanh layer; ``key_dim`` when None.
    """

    def __init__(self, query_dim, key_dim, hidden_dim=None):
        super().__init__()
        hidden_dim = key_dim if hidden_dim is None else hidden_dim
        self.W = nn.Linear(query_dim, hidden_dim, bias=False)
        self.U = nn.Linear(key_dim, hidden_dim, bias=True)
        self.v = nn.Linear(hidden_dim, 1, bias=False)

    def score(self, query, key):
        # (B, T_q, 1, A) + (B, 1, T_k, A) -> (B, T_q, T_k, A) -> (B, T_q, T_k), in float32
        W, U, v = self.W.weight.float(), self.U.weight.float(), self.v.weight.float()
        projected_q = F.linear(query.float(), W)
        projected_k = F.linear(key.float(), U, self.U.bias.float())
        hidden = torch.tanh(projected_q.unsqueeze(2) + projected_k.unsqueeze(1))
        return F.linear(hidden, v).squeeze(-1)


class DotAttention(_QueryKeyAttention):
    """Luong dot attention: ``score(q, k) = q^T k`` (queries and keys of equal width)."""

    def score(self, query, key):
        return query.float() @ key.float().transpose(-2, -1)  # (B, T_q, T_k), float32


class GeneralAttention(_QueryKeyAttention):
    """Luong general (bilinear) attention: ``score(q, k) = q^T W k``."""

    def __init__(self, query_dim, key_dim):
        super().__init__()
        self.W = nn.Linear(key_dim, query_dim, bias=False)

    def score(self, query, key):
        keys = F.linear(key.float(), self.W.weight.float())  # (B, T_k, D_q)
        return query.float() @ keys.transpose(-2, -1)  # (B, T_q, T_k), float32


class ScaledDotProductAttention(nn.Module):
    """``softmax(q k^T / sqrt(d)) v`` over one or several heads.

    Without weights requested this runs
    :func:`torch.nn.functional.scaled_dot_product_attention` (the fused fast
    path); with ``need_weights=True`` it computes the weights explicitly.

    Parameters
    ----------
    dropout : float, default=0.0
        Dropout on the attention weights, active in training mode only.
    """

    def __init__(self, dropout=0.0):
        super().__init__()
        self.dropout = dropout

    def forward(self, query, key, value=None, mask=None, need_weights=True):
        """Attend from ``query`` over ``key``.

        Parameters
        ----------
        query : Tensor of shape (B, H, T_q, d) or (B, T_q, d)
        key : Tensor of shape (B, H, T_k, d) or (B, T_k, d)
        value : Tensor shaped like ``key`` (last axis may differ), default ``key``
        mask : bool Tensor of shape (B, T_k), True = real token
        need_weights : bool

        Returns
        -------
        output : Tensor of shape (B, H, T_q, d_v) (or (B, T_q, d_v) for 3-D input)
        weights : Tensor of shape (B, H, T_q, T_k) (H = 1 for 3-D input), or None
        """
        value = key if value is None else value
        three_d = query.dim() == 3
        if three_d:  # (B, T, d) -> (B, 1, T, d)
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        dropout_p = self.dropout if self.training else 0.0
        key_mask = _key_mask(mask)  # (B, 1, 1, T_k)

        if need_weights:
            # float32 scores: the fused kernel below is stable in half
            # precision, an explicit float16 product is not.
            scores = query.float() @ key.float().transpose(-2, -1) / math.sqrt(query.size(-1))
            weights = masked_softmax(scores, key_mask)  # (B, H, T_q, T_k), float32
            attended = F.dropout(weights, dropout_p, training=self.training)
            output = attended.to(value.dtype) @ value
        else:
            weights = None
            half_on_cpu = query.dtype == torch.float16 and query.device.type == "cpu"
            if half_on_cpu:
                # The CPU kernel accumulates float16 scores in float16, which
                # overflows; GPU kernels accumulate in float32 already.
                dtype, query, key, value = query.dtype, query.float(), key.float(), value.float()
            if key_mask is None:
                output = F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p)
            else:
                # Older torch releases return NaN for rows with no real key: let
                # such rows attend everywhere, then zero their output.
                empty = ~key_mask.any(dim=-1, keepdim=True)  # (B, 1, 1, 1)
                output = F.scaled_dot_product_attention(
                    query, key, value, attn_mask=key_mask | empty, dropout_p=dropout_p
                )
                output = output.masked_fill(empty, 0.0)
            if half_on_cpu:
                output = output.to(dtype)
        if three_d:
            output = output.squeeze(1)  # (B, T_q, d_v)
        return output, weights


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with a fused SDPA fast path.

    Parameters
    ----------
    d_model : int
        Width ``D`` of the input and output.
    num_heads : int
        Number of heads ``H``; must divide ``d_model``.
    dropout : float, default=0.0
        Dropout on the attention weights.
    bias : bool, default=True
        Bias in the input and output projections.
    """

    def __init__(self, d_model, num_heads, dropout=0.0, bias=True):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(
                f"d_model={d_model} must be divisible by num_heads={num_heads}."
            )
        self.num_heads = num_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)
        self.attention = ScaledDotProductAttention(dropout)

    def forward(self, x, mask=None, need_weights=True):
        """Self-attend over ``x`` of shape (B, T, D).

        Returns
        -------
        output : Tensor of shape (B, T, D)
        weights : Tensor of shape (B, H, T, T), or None
        """
        B, T, D = x.shape
        H = self.num_heads
        q, k, v = self.qkv(x).split(D, dim=-1)  # 3 x (B, T, D)
        # (B, T, D) -> (B, T, H, d) -> (B, H, T, d)
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))
        output, weights = self.attention(q, k, v, mask=mask, need_weights=need_weights)
        output = output.transpose(1, 2).reshape(B, T, D)  # (B, H, T, d) -> (B, T, D)
        return self.out(output), weights


# The scoring functions of make_attention, AttentionPooling and the encoders.
SCORES = ("additive", "dot", "general", "scaled_dot")


def make_attention(kind, query_dim, key_dim, dropout=0.0, hidden_dim=None):
    """Build a single-head query/key attention layer by name.

    ``kind`` is one of ``"additive"``, ``"dot"``, ``"general"``, ``"scaled_dot"``;
    ``hidden_dim`` is the width of the additive score's tanh layer (``key_dim``
    when None; the other scores have no such layer).
    """
    if kind == "additive":
        return AdditiveAttention(query_dim, key_dim, hidden_dim)
    if kind == "general":
        return GeneralAttention(query_dim, key_dim)
    if kind in ("dot", "scaled_dot"):
        if query_dim != key_dim:
            raise ValueError(
                f"{kind!r} attention needs queries and keys of equal width, got "
                f"{query_dim} and {key_dim}."
            )
        return DotAttention() if kind == "dot" else ScaledDotProductAttention(dropout)
    raise ValueError(f"Unknown attention kind {kind!r}; expected one of {SCORES}.")


class AttentionPooling(nn.Module):
    """Pool a sequence into one vector with a learned query.

    ``weights = softmax(score(q, x_t))`` over the real positions ``t``, then
    ``output = sum_t weights_t x_t``.

    Parameters
    ----------
    input_dim : int
        Width ``D`` of the sequence.
    score : {"additive", "dot", "general", "scaled_dot"}, default="additive"
        How the learned query scores each position.
    n_queries : int, default=1
        Learned queries ``Q``. With more than one (one per class, for
        label-wise attention) each query pools the sequence on its own:
        outputs (B, Q, D_v), weights (B, Q, T).
    hidden_dim : int, default=None
        Width ``A`` of the additive score's tanh layer, ``input_dim`` when
        None (the other scores have no such layer).
    """

    def __init__(self, input_dim, score="additive", n_queries=1, hidden_dim=None):
        super().__init__()
        shape = (input_dim,) if n_queries == 1 else (n_queries, input_dim)
        self.n_queries = n_queries
        self.query = nn.Parameter(torch.randn(shape) / math.sqrt(input_dim))
        self.attention = make_attention(score, input_dim, input_dim, hidden_dim=hidden_dim)

    def forward(self, x, mask=None, need_weights=True):
        """Pool ``x`` of shape (B, T, D).

        Returns
        -------
        output : Tensor of shape (B, D)
        weights : Tensor of shape (B, T), or None
        """
        return self.attend(x, x, mask=mask, need_weights=need_weights)

    def attend(self, keys, values, mask=None, need_weights=True):
        """Score ``keys`` (B, T, D) with the learned query and average ``values`` (B, T, D_v).

        Returns
        -------
        output : Tensor of shape (B, D_v), or (B, Q, D_v) with several queries
        weights : Tensor of shape (B, T) or (B, Q, T), or None
        """
        Q = self.n_queries
        query = self.query.reshape(Q, -1).expand(keys.size(0), Q, -1)  # (B, Q, D)
        output, weights = self.attention(query, keys, values, mask=mask, need_weights=need_weights)
        if weights is not None:
            weights = weights[:, 0]  # (B, 1, Q, T) -> (B, Q, T)
        if Q == 1:
            output = output.squeeze(1)  # (B, 1, D) -> (B, D)
            weights = None if weights is None else weights[:, 0]  # (B, T)
        return output, weights
