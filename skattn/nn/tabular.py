"""Attention over the features of numeric tables, as plain torch modules.

Each feature of a row becomes a token (FT-Transformer style: a per-feature
linear embedding of its value), optional Transformer blocks let the tokens see
each other, and a learned query pools the tokens into one vector. With
``pool_values="embeddings"`` (the default) the context only decides *where* the
query looks while the pooled vector is a weighted average of the feature tokens
themselves, so the pooling weights say which features the prediction reads.
"""

import math

import torch
from torch import nn

from .attention import AttentionPooling
from .dropout import Dropout
from .norm import LayerNorm
from .text import TransformerBlock

__all__ = ["FeatureTokenizer", "FeatureAttentionModule"]


class FeatureTokenizer(nn.Module):
    """Turn each numeric feature into a token: ``token_j = x_j * W_j + b_j``.

    ``W_j`` and ``b_j`` are learned per feature, so ``b_j`` also tells the
    tokens of different features apart (no position codes needed).

    Parameters
    ----------
    n_features : int
        Number of features ``F``.
    embedding_dim : int
        Token width ``D``.
    """

    def __init__(self, n_features, embedding_dim):
        super().__init__()
        bound = 1.0 / math.sqrt(embedding_dim)
        self.weight = nn.Parameter(torch.empty(n_features, embedding_dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_features, embedding_dim).uniform_(-bound, bound))

    def forward(self, x):
        """Values ``x`` (B, F) -> tokens (B, F, D)."""
        return x.unsqueeze(-1) * self.weight + self.bias  # (B, F, 1) * (F, D) -> (B, F, D)


class FeatureAttentionModule(nn.Module):
    """Feature tokens, optional self-attention, attention pooling, output head.

    ``forward(x)`` returns only the outputs (B, n_outputs), so that training
    and prediction never carry attention weights; :meth:`forward_with_weights`
    returns them.

    Parameters
    ----------
    n_features : int
        Number of input features ``F``.
    n_outputs : int
        Number of classes (logits) or regression targets.
    embedding_dim : int, default=32
        Width ``D`` of the feature tokens and of the pooled vector.
    num_layers : int, default=0
        Pre-norm Transformer blocks over the feature tokens before pooling; 0
        pools the tokens directly (the weight of a feature then depends on its
        own value only).
    num_heads : int, default=2
        Heads of the self-attention (must divide ``embedding_dim``).
    attention : {"additive", "dot", "general", "scaled_dot"}, default="scaled_dot"
        Scoring function of the pooling query.
    ff_dim : int, default=None
        Feed-forward width of the Transformer blocks; ``2 * embedding_dim`` when None.
    hidden_dim : int, default=None
        Width of the hidden layer of the output head; ``embedding_dim`` when
        None, 0 for a linear head.
    dropout : float, default=0.1
    pool_values : {"embeddings", "states"}, default="embeddings"
        What the pooling averages. ``"embeddings"``: the feature tokens, while
        the contextual states (keys) decide where to look, so the prediction
        reads the features only in proportion to their pooling weights.
        ``"states"``: the contextual states (each of which may carry other
        features' information).
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        embedding_dim=32,
        num_layers=0,
        num_heads=2,
        attention="scaled_dot",
        ff_dim=None,
        hidden_dim=None,
        dropout=0.1,
        pool_values="embeddings",
    ):
        super().__init__()
        if pool_values not in ("states", "embeddings"):
            raise ValueError(
                f"pool_values must be 'states' or 'embeddings', got {pool_values!r}."
            )
        self.pool_values = pool_values
        self.tokenizer = FeatureTokenizer(n_features, embedding_dim)
        ff_dim = 2 * embedding_dim if ff_dim is None else ff_dim
        self.blocks = nn.ModuleList(
            TransformerBlock(embedding_dim, num_heads, ff_dim, dropout) for _ in range(num_layers)
        )
        self.norm = LayerNorm(embedding_dim) if num_layers else nn.Identity()
        self.pooling = AttentionPooling(embedding_dim, score=attention)
        self.dropout = Dropout(dropout)
        hidden_dim = embedding_dim if hidden_dim is None else hidden_dim
        if hidden_dim:
            self.head = nn.Sequential(
                nn.Linear(embedding_dim, hidden_dim),
                nn.ReLU(),
                Dropout(dropout),
                nn.Linear(hidden_dim, n_outputs),
            )
        else:
            self.head = nn.Linear(embedding_dim, n_outputs)

    def encode(self, x, need_weights=False):
        """Pool the feature tokens of ``x`` (B, F).

        Returns
        -------
        pooled : Tensor of shape (B, D)
        weights : dict or None
            With ``need_weights``: ``"pooling"`` (B, F) weights over the
            features (rows sum to 1) and ``"self_attention"``: a tuple with one
            (B, H, F, F) tensor per Transformer block.
        """
        tokens = self.tokenizer(x)  # (B, F, D)
        h = tokens
        layer_weights = []
        for block in self.blocks:
            h, w = block(h, need_weights=need_weights)  # (B, F, D)
            layer_weights.append(w)
        h = self.norm(h)
        values = tokens if self.pool_values == "embeddings" else h
        pooled, pool_weights = self.pooling.attend(h, values, need_weights=need_weights)
        if not need_weights:
            return pooled, None
        return pooled, {"pooling": pool_weights, "self_attention": tuple(layer_weights)}

    def forward(self, x):
        """Values (B, F) -> outputs (B, n_outputs)."""
        pooled, _ = self.encode(x)
        return self.head(self.dropout(pooled))

    def forward_with_weights(self, x):
        """Values (B, F) -> (outputs (B, n_outputs), weights dict)."""
        pooled, weights = self.encode(x, need_weights=True)
        return self.head(pooled), weights

    def forward_with_contributions(self, x):
        """Values (B, F) -> (outputs (B, K), contributions (B, F, K), weights dict).

        With a linear head (``hidden_dim=0``) and ``pool_values="embeddings"``,
        ``outputs[b, k] = sum_j contributions[b, j, k] + head.bias[k]`` exactly,
        with ``contributions[b, j, k] = a_j (W_k . t_j)`` for feature token
        ``t_j = x_j W_j + b_j`` (eval mode).
        """
        if not isinstance(self.head, nn.Linear) or self.pool_values != "embeddings":
            raise ValueError(
                "Feature contributions need a linear head (hidden_dim=0) and "
                "pool_values='embeddings'; a hidden layer or pooled states make the "
                "output non-linear in the feature tokens."
            )
        outputs, weights = self.forward_with_weights(x)
        per_token = self.tokenizer(x) @ self.head.weight.T  # (B, F, K)
        return outputs, weights["pooling"].unsqueeze(-1) * per_token, weights
