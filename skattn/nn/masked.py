"""Masked-token prediction for self-supervised training of a SequenceEncoder.

A document is corrupted by hiding some of its tokens; the encoder reads the
corrupted document and its pooled vector must predict the hidden tokens. The
pooled vector is the document representation that an encoder exports, so this
objective trains exactly that vector to carry the document's content (close in
spirit to doc2vec's distributed bag of words, with BERT's corruption scheme).
"""

import torch
from torch import nn

from .text import TextAttentionModule

__all__ = ["IGNORE_INDEX", "MaskedTokenLoss", "MaskedTokenModule", "mask_tokens"]

IGNORE_INDEX = -100


def mask_tokens(x, mask_id, vocab_size, rate=0.15, padding_idx=0, first_regular_id=2):
    """Choose tokens to hide in right-padded id rows ``x`` of shape (B, T).

    Each real token is chosen with probability ``rate``, and every row with at
    least one real token gets at least one chosen token. Of the chosen tokens
    80 % become ``mask_id``, 10 % a random id in ``[first_regular_id,
    vocab_size)`` and 10 % stay as they are (BERT's scheme, so that the encoder
    also learns representations of tokens that are not hidden). Uses torch's
    global RNG.

    Returns
    -------
    corrupted : LongTensor (B, T)
    targets : LongTensor (B, T)
        The original id where a token was chosen, ``IGNORE_INDEX`` elsewhere.
    """
    real = x != padding_idx  # (B, T)
    scores = torch.rand(x.shape, device=x.device).masked_fill(~real, -1.0)  # (B, T)
    chosen = scores > 1.0 - rate  # padding scores -1: never chosen
    rows = torch.nonzero(real.any(1)).squeeze(1)  # rows with tokens
    chosen[rows, scores[rows].argmax(1)] = True  # at least one per such row
    targets = torch.where(chosen, x, torch.full_like(x, IGNORE_INDEX))
    action = torch.rand(x.shape, device=x.device)  # (B, T)
    corrupted = x.clone()
    corrupted[chosen & (action < 0.8)] = mask_id
    randomized = chosen & (action >= 0.8) & (action < 0.9)
    corrupted[randomized] = torch.randint(
        first_regular_id, max(vocab_size, first_regular_id + 1),
        (int(randomized.sum()),), device=x.device,
    )
    return corrupted, targets


class MaskedTokenModule(TextAttentionModule):
    """A :class:`TextAttentionModule` whose output layer predicts token ids.

    The embedding table has one extra row, id ``vocab_size``, the mask token;
    ``forward(x)`` returns logits of shape (B, vocab_size) over the vocabulary,
    computed from the pooled document vector.

    Parameters
    ----------
    vocab_size : int
        Number of token ids, padding and unknown included (the mask token not).
    **encoder_params
        Passed to :class:`SequenceEncoder`.
    """

    def __init__(self, vocab_size, **encoder_params):
        super().__init__(vocab_size + 1, vocab_size, **encoder_params)
        self.mask_id = vocab_size


class MaskedTokenLoss(nn.Module):
    """Mean negative log-likelihood of the hidden tokens under the document's logits.

    ``forward(logits, targets)``: logits (B, V) from :class:`MaskedTokenModule`;
    targets (B, T) hidden token ids, ``ignore_index`` elsewhere. Every hidden
    token of a document is scored against that document's distribution.
    """

    def __init__(self, ignore_index=IGNORE_INDEX):
        super().__init__()
        self.ignore_index = ignore_index

    def forward(self, logits, targets):
        log_probs = torch.log_softmax(logits, dim=-1)  # (B, V)
        keep = targets != self.ignore_index  # (B, T)
        picked = log_probs.gather(1, targets.clamp(min=0))  # (B, T)
        return -(picked * keep).sum() / keep.sum().clamp(min=1)
