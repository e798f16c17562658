"""Attention encoder-decoder (Bahdanau et al., 2015) as plain torch modules.

This module knows nothing of scikit-learn or skorch.

The encoder reads the source ids into annotations ``x_i`` (a recurrent state
per source position). At each target step ``j`` the decoder scores every source
position with ``s_ij = score(h_{j-1}, x_i)``, softmaxes the scores over the real
source positions into ``alpha_ij``, reads the context ``c_j = sum_i alpha_ij x_i``
and updates its state ``h_j = RNN([emb(y_{j-1}); c_j], h_{j-1})``; the next
token's logits come from ``[h_j; c_j; emb(y_{j-1})]``.

Id conventions: source and target ids are right-padded with ``padding_idx``
(the padding mask, bool True = real token, is derived from them). Target rows
hold the output tokens followed by ``eos_idx``; the decoder starts from
``bos_idx``, which is never a target.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import make_attention
from .dropout import Dropout

__all__ = ["Seq2SeqModule", "RNNS", "SCORES"]

RNNS = ("gru", "lstm")
# Scores of a source annotation for the decoder state (see make_attention).
SCORES = ("additive", "general", "dot")


class Seq2SeqModule(nn.Module):
    """Recurrent encoder-decoder with attention over the source annotations.

    ``forward(source, target)`` returns the logits of every target position
    (teacher forcing with probability ``teacher_forcing_ratio`` in training
    mode, always in evaluation mode), never attention weights;
    :meth:`greedy_decode` and :meth:`beam_decode` generate under ``no_grad`` and
    return the alignment on request.

    Parameters
    ----------
    source_vocab_size, target_vocab_size : int
        Number of source / target ids, reserved ids included.
    embedding_dim : int, default=32
        Width of the source and target token embeddings.
    hidden_size : int, default=64
        Width ``D`` of the annotations and of the decoder state. A bidirectional
        encoder runs ``hidden_size // 2`` units per direction (``hidden_size``
        must then be even), so that ``"dot"`` attention compares vectors of
        equal width.
    rnn : {"gru", "lstm"}, default="gru"
        Recurrent cell of the encoder and of the decoder.
    attention : {"additive", "general", "dot"}, default="additive"
        Score ``s_ij``: Bahdanau's ``v^T tanh(W h + U x)``, Luong's bilinear
        ``h^T W x``, or the dot product ``h . x``
        (see :func:`skattn.nn.make_attention`).
    bidirectional : bool, default=True
        Bidirectional encoder.
    num_layers : int, default=1
        Encoder layers.
    dropout : float, default=0.0
        Dropout on the embeddings and before the output layer.
    teacher_forcing_ratio : float in [0, 1], default=1.0
        Probability, per sample and step, that training feeds the true previous
        token rather than the model's own prediction.
    padding_idx, bos_idx, eos_idx : int, default=0, 1, 2
    """

    def __init__(
        self,
        source_vocab_size,
        target_vocab_size,
        embedding_dim=32,
        hidden_size=64,
        rnn="gru",
        attention="additive",
        bidirectional=True,
        num_layers=1,
        dropout=0.0,
        teacher_forcing_ratio=1.0,
        padding_idx=0,
        bos_idx=1,
        eos_idx=2,
    ):
        super().__init__()
        if rnn not in RNNS:
            raise ValueError(f"Unknown rnn {rnn!r}; expected one of {RNNS}.")
        if bidirectional and hidden_size % 2:
            raise ValueError(
                f"hidden_size={hidden_size} must be even for a bidirectional encoder "
                "(it runs hidden_size // 2 units per direction)."
            )
        if not 0.0 <= teacher_forcing_ratio <= 1.0:
            raise ValueError(
                f"teacher_forcing_ratio must lie in [0, 1], got {teacher_forcing_ratio}."
            )
        self.rnn = rnn
        self.teacher_forcing_ratio = teacher_forcing_ratio
        self.padding_idx, self.bos_idx, self.eos_idx = padding_idx, bos_idx, eos_idx
        self.target_vocab_size = target_vocab_size

        D = hidden_size
        rnn_class = nn.GRU if rnn == "gru" else nn.LSTM
        self.source_embedding = nn.Embedding(source_vocab_size, embedding_dim, padding_idx=padding_idx)
        self.encoder = rnn_class(
            embedding_dim,
            D // 2 if bidirectional else D,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.init_state = nn.Linear(D, D)
        self.target_embedding = nn.Embedding(target_vocab_size, embedding_dim, padding_idx=padding_idx)
        self.attention = make_attention(attention, D, D)
        cell_class = nn.GRUCell if rnn == "gru" else nn.LSTMCell
        self.cell = cell_class(embedding_dim + D, D)
        self.output = nn.Sequential(
            nn.Linear(2 * D + embedding_dim, D), nn.Tanh(), nn.Linear(D, target_vocab_size)
        )
        self.dropout = Dropout(dropout)

    # -- building blocks ---------------------------------------------------

    def encode(self, source):
        """Source ids (B, S) -> annotations (B, S, D), mask (B, S), initial decoder state.

        The initial state is ``tanh(W mean_i x_i)`` over the real positions; a
        source without tokens gets annotations of zeros and still decodes.
        """
        mask = source != self.padding_idx  # (B, S), True = real token
        embedded = self.dropout(self.source_embedding(source))  # (B, S, E)
        lengths = mask.sum(1)
        packed = pack_padded_sequence(
            embedded, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        annotations, _ = self.encoder(packed)
        annotations, _ = pad_packed_sequence(
            annotations, batch_first=True, total_length=source.size(1)
        )  # (B, S, D)
        annotations = annotations * mask.unsqueeze(-1)  # zero on padding (and empty sources)
        mean = annotations.sum(1) / lengths.clamp(min=1).unsqueeze(-1).to(annotations.dtype)
        h0 = torch.tanh(self.init_state(mean))  # (B, D)
        state = h0 if self.rnn == "gru" else (h0, torch.zeros_like(h0))
        return annotations, mask, state

    def step(self, previous, state, annotations, mask, need_weights=False):
        """One decoder step.

        Parameters
        ----------
        previous : Tensor of shape (B,)
            Previous target ids (``bos_idx`` at the first step).
        state : Tensor (B, D), or (h, c) for the LSTM
        annotations : Tensor of shape (B, S, D)
        mask : bool Tensor of shape (B, S)

        Returns
        -------
        logits : Tensor of shape (B, V)
        state : the new decoder state
        weights : Tensor of shape (B, S) (alpha_j over the source), or None
        """
        h = state if self.rnn == "gru" else state[0]
        context, weights = self.attention(
            h.unsqueeze(1), annotations, mask=mask, need_weights=need_weights
        )  # (B, 1, D), (B, 1, 1, S)
        context = context.squeeze(1)  # (B, D)
        embedded = self.dropout(self.target_embedding(previous))  # (B, E)
        state = self.cell(torch.cat([embedded, context], dim=-1), state)
        h = state if self.rnn == "gru" else state[0]
        features = self.dropout(torch.cat([h, context, embedded], dim=-1))  # (B, 2D + E)
        logits = self.output(features)  # (B, V)
        return logits, state, (weights[:, 0, 0, :] if need_weights else None)

    # -- training ----------------------------------------------------------

    def forward(self, source, target):
        """Logits of every target position.

        Parameters
        ----------
        source : Tensor of int64 of shape (B, S)
        target : Tensor of int64 of shape (B, T)
            Output ids followed by ``eos_idx``, right-padded.

        Returns
        -------
        logits : Tensor of shape (B, T, V)
            ``logits[:, j]`` predicts ``target[:, j]`` from the source and the
            previous tokens.
        """
        annotations, mask, state = self.encode(source)
        B, T = target.shape
        previous = torch.full((B,), self.bos_idx, dtype=torch.long, device=source.device)
        ratio = self.teacher_forcing_ratio if self.training else 1.0
        logits = []
        for j in range(T):
            step_logits, state, _ = self.step(previous, state, annotations, mask)
            logits.append(step_logits)
            truth = target[:, j]
            if ratio >= 1.0:
                previous = truth
            else:
                guess = step_logits.detach().argmax(-1)  # (B,)
                use_truth = torch.rand(B, device=source.device) < ratio
                previous = torch.where(use_truth, truth, guess)
        return torch.stack(logits, dim=1)  # T x (B, V) -> (B, T, V)

    # -- decoding ----------------------------------------------------------

    def _log_probs(self, logits):
        """Log-probabilities of the next token; padding and BOS are never generated."""
        logits = logits.clone()
        logits[:, [self.padding_idx, self.bos_idx]] = float("-inf")
        return F.log_softmax(logits, dim=-1)

    @torch.no_grad()
    def greedy_decode(self, source, max_len, need_weights=False):
        """Generate with the most likely token at each step.

        Parameters
        ----------
        source : Tensor of int64 of shape (B, S)
        max_len : int
            Most tokens generated per sample, ``eos_idx`` included.
        need_weights : bool

        Returns
        -------
        tokens : Tensor of int64 of shape (B, T), T <= max_len
            Generated ids; ``eos_idx`` ends a sample, padding follows it.
        weights : Tensor of shape (B, T, S), or None
            ``weights[b, j]``: the attention of output step ``j`` over the source.
        """
        annotations, mask, state = self.encode(source)
        B = source.size(0)
        previous = torch.full((B,), self.bos_idx, dtype=torch.long, device=source.device)
        finished = torch.zeros(B, dtype=torch.bool, device=source.device)
        tokens, weights = [], []
        for _ in range(max_len):
            logits, state, w = self.step(previous, state, annotations, mask, need_weights)
            previous = self._log_probs(logits).argmax(-1)  # (B,)
            previous = previous.masked_fill(finished, self.padding_idx)
            tokens.append(previous)
            weights.append(w)
            finished = finished | (previous == self.eos_idx)
            if finished.all():
                break
        tokens = torch.stack(tokens, dim=1)  # (B, T)
        return tokens, (torch.stack(weights, dim=1) if need_weights else None)  # (B, T, S)

    @torch.no_grad()
    def beam_decode(self, source, beam_width, max_len, need_weights=False):
        """Generate with beam search.

        Each sample keeps the ``beam_width`` partial outputs of highest total
        log-probability; a hypothesis ends at ``eos_idx``. The returned output
        is the finished hypothesis (or, failing one, the longest) of highest
        mean log-probability per token, so that long outputs are not
        penalized for their length.

        Parameters and returns as :meth:`greedy_decode`.
        """
        if beam_width == 1:
            return self.greedy_decode(source, max_len, need_weights)
        K = beam_width
        annotations, mask, state = self.encode(source)
        B, S, _ = annotations.shape
        device = source.device
        # Every beam of a sample starts from the same encoding: (B, ...) -> (B * K, ...)
        annotations = annotations.repeat_interleave(K, dim=0)  # (B*K, S, D)
        mask = mask.repeat_interleave(K, dim=0)  # (B*K, S)
        state = _map_state(state, lambda s: s.repeat_interleave(K, dim=0))
        scores = torch.full((B, K), float("-inf"), device=device)
        scores[:, 0] = 0.0  # only the first beam is live at the first step
        previous = torch.full((B * K,), self.bos_idx, dtype=torch.long, device=device)
        finished = torch.zeros(B * K, dtype=torch.bool, device=device)
        lengths = torch.zeros(B * K, device=device)
        history = torch.empty(B * K, 0, dtype=torch.long, device=device)
        weight_history = torch.empty(B * K, 0, S, device=device)
        # A finished hypothesis continues with padding at no cost.
        stay = torch.full((self.target_vocab_size,), float("-inf"), device=device)
        stay[self.padding_idx] = 0.0
        offsets = (torch.arange(B, device=device) * K).unsqueeze(1)  # (B, 1)
        V = self.target_vocab_size
        for _ in range(max_len):
            logits, state, w = self.step(previous, state, annotations, mask, need_weights)
            log_probs = torch.where(finished.unsqueeze(1), stay, self._log_probs(logits))  # (B*K, V)
            candidates = (scores.reshape(B * K, 1) + log_probs).reshape(B, K * V)
            scores, index = candidates.topk(K, dim=1)  # (B, K)
            parent = (offsets + torch.div(index, V, rounding_mode="floor")).reshape(-1)  # (B*K,)
            token = (index % V).reshape(-1)  # (B*K,)
            history = torch.cat([history[parent], token.unsqueeze(1)], dim=1)
            if need_weights:
                weight_history = torch.cat([weight_history[parent], w[parent].unsqueeze(1)], dim=1)
            was_finished = finished[parent]
            lengths = lengths[parent] + (~was_finished).float()
            finished = was_finished | (token == self.eos_idx)
            state = _map_state(state, lambda s: s[parent])
            previous = token
            if finished.all():
                break
        # Prefer finished hypotheses, then the best mean log-probability per token.
        mean_score = scores.reshape(-1) / lengths.clamp(min=1)
        mean_score = mean_score.masked_fill(~finished, float("-inf")).reshape(B, K)
        fallback = scores.argmax(1)  # no finished hypothesis: best total score
        best = torch.where(torch.isinf(mean_score).all(1), fallback, mean_score.argmax(1))
        chosen = offsets.squeeze(1) + best  # (B,)
        tokens = history[chosen]  # (B, T)
        return tokens, (weight_history[chosen] if need_weights else None)

    @torch.no_grad()
    def align(self, source, target):
        """Attention weights while reading a given ``target`` (teacher forcing).

        Returns
        -------
        weights : Tensor of shape (B, T, S)
        """
        annotations, mask, state = self.encode(source)
        previous = torch.full((source.size(0),), self.bos_idx, dtype=torch.long, device=source.device)
        weights = []
        for j in range(target.size(1)):
            _, state, w = self.step(previous, state, annotations, mask, need_weights=True)
            weights.append(w)
            previous = target[:, j]
        return torch.stack(weights, dim=1)  # (B, T, S)


def _map_state(state, fn):
    """Apply ``fn`` to a GRU state or to both tensors of an LSTM state."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)
