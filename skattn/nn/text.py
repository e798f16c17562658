"""Token-sequence encoders with attention pooling, as plain torch modules.

Input is a (B, T) tensor of token ids, right-padded with ``padding_idx``; the
padding mask (bool, True = real token) is derived from it.
"""

import math
from numbers import Integral

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import AttentionPooling, MultiHeadSelfAttention
from .dropout import Dropout
from .norm import LayerNorm

__all__ = ["TransformerBlock", "SequenceEncoder", "TextAttentionModule", "ENCODERS"]

ENCODERS = ("pooling", "gru", "transformer")


def sinusoidal_positions(T, D, device=None):
    """Fixed sine/cosine position codes of shape (T, D) (Vaswani et al.)."""
    position = torch.arange(T, device=device, dtype=torch.float32)[:, None]  # (T, 1)
    freq = torch.exp(
        torch.arange(0, D, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / D)
    )  # (ceil(D/2),)
    codes = torch.zeros(T, D, device=device)
    codes[:, 0::2] = torch.sin(position * freq)
    codes[:, 1::2] = torch.cos(position * freq[: D // 2])
    return codes


class TransformerBlock(nn.Module):
    """Pre-norm Transformer encoder block: self-attention then a feed-forward layer.

    ``dropout`` applies to the residual branches; ``attention_dropout`` to the
    attention weights. The latter defaults to 0: on the CPU, PyTorch's fused
    ``scaled_dot_product_attention`` has no kernel with dropout and falls back
    to materializing the (B, H, T, T) weights (about 8x slower and quadratic
    memory at 1024 tokens).
    """

    def __init__(self, d_model, num_heads, ff_dim, dropout=0.0, attention_dropout=0.0):
        super().__init__()
        self.norm1 = LayerNorm(d_model)
        self.attention = MultiHeadSelfAttention(d_model, num_heads, dropout=attention_dropout)
        self.norm2 = LayerNorm(d_model)
        self.ff = nn.Sequential(
            nn.Linear(d_model, ff_dim), nn.GELU(), nn.Linear(ff_dim, d_model)
        )
        self.dropout = Dropout(dropout)

    def forward(self, x, mask=None, need_weights=False):
        """x (B, T, D) -> (B, T, D) and weights (B, H, T, T) or None."""
        attended, weights = self.attention(self.norm1(x), mask=mask, need_weights=need_weights)
        x = x + self.dropout(attended)
        x = x + self.dropout(self.ff(self.norm2(x)))
        return x, weights


class SequenceEncoder(nn.Module):
    """Embed token ids, contextualize them, and pool them with attention.

    Parameters
    ----------
    vocab_size : int
        Number of token ids, padding and unknown included.
    encoder : {"pooling", "gru", "transformer"}, default="pooling"
        ``"pooling"``: attention pooling directly over the embeddings.
        ``"gru"``: a bidirectional GRU, then attention pooling over its states.
        ``"transformer"``: ``num_layers`` pre-norm Transformer blocks with
        multi-head self-attention, then attention pooling.
    attention : {"additive", "dot", "general", "scaled_dot"}, default="additive"
        Scoring function of the pooling attention.
    attention_dim : int, default=None
        Width of the additive score's tanh layer, ``v^T tanh(W q + U h_t)``;
        the width of what the pooling scores (``embedding_dim`` for the
        pooling encoder) when None. The other scores have no such layer and
        ignore it.
    embedding_dim : int, default=64
    hidden_size : int, default=None
        GRU width per direction; ``embedding_dim // 2`` when None, so that the
        pooled vector is ``embedding_dim`` wide for every encoder.
    num_heads : int, default=2
    num_layers : int, default=1
        GRU or Transformer layers.
    ff_dim : int, default=None
        Feed-forward width of the Transformer blocks; ``2 * embedding_dim`` when None.
    dropout : float, default=0.1
    pool_values : {"embeddings", "states"}, default="embeddings"
        What the pooling averages. ``"embeddings"``: the token embeddings, so
        the encoder (GRU or Transformer) decides only *where* to look and the
        document vector is a weighted average of the tokens themselves; the
        pooling weights then account faithfully for what the output reads.
        ``"states"``: the contextual states (more capacity; the weights then
        point at positions whose states may carry other tokens' information).
    padding_idx : int, default=0
    n_queries : int, default=1
        Pooling queries; more than one pools the sequence once per query
        (label-wise attention): pooled (B, Q, output_dim), weights (B, Q, T).
    embedding_init_std : float, default=None
        Standard deviation of the normal distribution the embedding is drawn
        from (the padding row stays 0); None keeps torch's ``nn.Embedding``
        default, a standard normal (std 1).
    sparse_embedding : bool, default=False
        Give the embedding table sparse gradients (``nn.Embedding(sparse=True)``:
        only the rows a batch reads), for :class:`~skattn.nn.DeferredAdam`,
        which trains them as dense Adam would at a fraction of the cost on
        large vocabularies. Most other optimizers refuse sparse gradients.

    Attributes
    ----------
    output_dim : int
        Width of the pooled vector.
    """

    def __init__(
        self,
        vocab_size,
        encoder="pooling",
        attention="additive",
        embedding_dim=64,
        hidden_size=None,
        num_heads=2,
        num_layers=1,
        ff_dim=None,
        dropout=0.1,
        pool_values="embeddings",
        padding_idx=0,
        n_queries=1,
        embedding_init_std=None,
        sparse_embedding=False,
        attention_dim=None,
    ):
        super().__init__()
        if embedding_init_std is not None and not (
            isinstance(embedding_init_std, (int, float))
            and not isinstance(embedding_init_std, bool)
            and math.isfinite(embedding_init_std)
            and embedding_init_std > 0
        ):
            raise ValueError(
                "embedding_init_std must be a positive finite number or None, "
                f"got {embedding_init_std!r}."
            )
        if attention_dim is not None and not (
            isinstance(attention_dim, Integral) and not isinstance(attention_dim, bool)
            and attention_dim > 0
        ):
            raise ValueError(
                f"attention_dim must be a positive integer or None, got {attention_dim!r}."
            )
        if pool_values not in ("states", "embeddings"):
            raise ValueError(
                f"pool_values must be 'states' or 'embeddings', got {pool_values!r}."
            )
        self.pool_values = pool_values
        if encoder not in ENCODERS:
            raise ValueError(f"Unknown encoder {encoder!r}; expected one of {ENCODERS}.")
        self.encoder = encoder
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx,
                                      sparse=bool(sparse_embedding))
        if embedding_init_std is not None:
            with torch.no_grad():
                self.embedding.weight.normal_(0.0, embedding_init_std)  # (V, D)
                if padding_idx is not None:
                    self.embedding.weight[padding_idx].zero_()
        self.dropout = Dropout(dropout)
        width = embedding_dim
        if encoder == "gru":
            hidden_size = max(1, embedding_dim // 2) if hidden_size is None else hidden_size
            self.rnn = nn.GRU(
                embedding_dim,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                bidirectional=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )
            width = 2 * hidden_size
        elif encoder == "transformer":
            ff_dim = 2 * embedding_dim if ff_dim is None else ff_dim
            self.blocks = nn.ModuleList(
                TransformerBlock(embedding_dim, num_heads, ff_dim, dropout)
                for _ in range(num_layers)
            )
            self.norm = LayerNorm(embedding_dim)
        self.pooling = AttentionPooling(width, score=attention, n_queries=n_queries,
                                        hidden_dim=attention_dim)
        self.output_dim = embedding_dim if pool_values == "embeddings" else width

    def attention_parameters(self):
        """The parameters that decide *where* the pooling looks: the pooling
        query and scorer and, for the GRU and Transformer encoders, their
        layers; everything but the embedding, which is what is read.

        Returns
        -------
        list of torch.nn.Parameter
        """
        return [p for name, p in self.named_parameters() if not name.startswith("embedding.")]

    def forward(self, x, need_weights=False, embedded=None):
        """Encode token ids ``x`` of shape (B, T).

        ``embedded`` (B, T, D), when given, replaces the embedding lookup of
        ``x`` (``x`` still gives the padding mask): gradient attribution passes
        scaled embeddings in this way instead of hooking the shared embedding.

        Returns
        -------
        pooled : Tensor of shape (B, output_dim), or (B, Q, output_dim)
        weights : dict or None
            With ``need_weights``: ``"pooling"`` (B, T) (or (B, Q, T)) pooling weights and, for
            the Transformer, ``"self_attention"``: a tuple with one
            (B, H, T, T) tensor per layer.
        """
        mask = x != self.padding_idx  # (B, T), True = real token
        embedded = self.dropout(self.embedding(x) if embedded is None else embedded)  # (B, T, D)
        h = embedded
        layer_weights = []
        if self.encoder == "gru":
            lengths = mask.sum(1).clamp(min=1).cpu()
            packed = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
            h, _ = self.rnn(packed)
            h, _ = pad_packed_sequence(h, batch_first=True, total_length=x.size(1))  # (B, T, 2*hidden)
            h = self.dropout(h)  # (B, T, 2 * hidden)
        elif self.encoder == "transformer":
            h = h + sinusoidal_positions(x.size(1), h.size(-1), device=h.device)
            for block in self.blocks:
                h, w = block(h, mask=mask, need_weights=need_weights)
                layer_weights.append(w)
            h = self.norm(h)
        if self.pool_values == "embeddings":
            # Context decides where to look; the tokens themselves are what is read.
            pooled, pool_weights = self.pooling.attend(h, embedded, mask=mask, need_weights=need_weights)
        else:
            pooled, pool_weights = self.pooling(h, mask=mask, need_weights=need_weights)
        if not need_weights:
            return pooled, None
        weights = {"pooling": pool_weights}
        if self.encoder == "transformer":
            weights["self_attention"] = tuple(layer_weights)
        return pooled, weights


class TextAttentionModule(nn.Module):
    """A :class:`SequenceEncoder` followed by a linear output layer.

    ``forward(x)`` returns only the outputs (B, n_outputs), so that training and
    prediction never carry attention weights; :meth:`forward_with_weights`
    returns them.

    Parameters
    ----------
    vocab_size : int
    n_outputs : int
        Number of classes (logits) or regression targets.
    per_class_attention : bool, default=False
        One pooling query per output (label-wise attention, as in CAML/LAAT):
        output ``k`` reads the document through its own weights ``a_k``,
        ``outputs[:, k] = w_k . (sum_t a_kt e_t) + b_k``; the pooling weights
        are (B, n_outputs, T).
    **encoder_params
        Passed to :class:`SequenceEncoder`.
    """

    def __init__(self, vocab_size, n_outputs, per_class_attention=False, **encoder_params):
        super().__init__()
        self.per_class_attention = per_class_attention
        if per_class_attention:
            encoder_params["n_queries"] = n_outputs
        self.encoder = SequenceEncoder(vocab_size, **encoder_params)
        self.head = nn.Linear(self.encoder.output_dim, n_outputs)

    def attention_parameters(self):
        """The encoder's :meth:`SequenceEncoder.attention_parameters` (not the
        embedding, not the output layer)."""
        return self.encoder.attention_parameters()

    def _outputs(self, pooled):
        """Pooled (B, D) or, label-wise, (B, K, D) -> outputs (B, K)."""
        if self.per_class_attention:
            return (pooled * self.head.weight).sum(-1) + self.head.bias  # w_k . pooled_k + b_k
        return self.head(pooled)

    def forward(self, x, embedded=None):
        """Token ids (B, T) -> outputs (B, n_outputs); ``embedded`` (B, T, D)
        replaces the embedding lookup (see :meth:`SequenceEncoder.forward`)."""
        pooled, _ = self.encoder(x, embedded=embedded)
        return self._outputs(self.encoder.dropout(pooled))

    def forward_with_weights(self, x):
        """Token ids (B, T) -> (outputs (B, n_outputs), weights dict), in eval mode
        the same outputs as :meth:`forward`."""
        pooled, weights = self.encoder(x, need_weights=True)
        return self._outputs(pooled), weights

    def forward_with_contributions(self, x):
        """Token ids (B, T) -> (outputs (B, K), contributions (B, T, K), weights dict).

        With ``pool_values="embeddings"`` the pooled vector is
        ``sum_t a_t e_t`` and the head is linear, so each output splits exactly
        into per-token terms: ``outputs[b, k] = sum_t contributions[b, t, k] +
        head.bias[k]`` with ``contributions[b, t, k] = a_t (W_k . e_t)``
        (eval mode; padding contributes 0).
        """
        if self.encoder.pool_values != "embeddings":
            raise ValueError(
                "Token contributions need pool_values='embeddings': with 'states' the "
                "pooled vector mixes tokens through the encoder, so the output does not "
                "split into per-token terms."
            )
        outputs, weights = self.forward_with_weights(x)
        embedded = self.encoder.embedding(x)  # (B, T, D); dropout is off in eval mode
        per_token = embedded @ self.head.weight.T  # (B, T, K): W_k . e_t
        pooling = weights["pooling"]  # (B, T), or (B, K, T) label-wise
        a = pooling.transpose(1, 2) if pooling.dim() == 3 else pooling.unsqueeze(-1)  # (B, T, K|1)
        return outputs, a * per_token, weights
