"""Layer normalization that stays finite for any finite input."""

import torch
from torch import nn

__all__ = ["LayerNorm"]

# Rows whose largest magnitude exceeds this are rescaled before normalizing.
_PEAK = 2.0**16


class LayerNorm(nn.LayerNorm):
    """:class:`torch.nn.LayerNorm` that cannot overflow.

    Layer normalization computes the variance, so in float32 an input of
    magnitude 1e20 already squares to infinity and the output is NaN. It is
    invariant to the scale of its input (up to ``eps``), so a row whose largest
    magnitude exceeds 2**16 is divided by that magnitude first; other rows are
    normalized exactly as :class:`torch.nn.LayerNorm` does, bit for bit.
    """

    def forward(self, x):
        """x (..., D) -> (..., D)."""
        peak = x.detach().abs().amax(-1, keepdim=True)  # (..., 1)
        scale = torch.where(peak > _PEAK, peak, torch.ones_like(peak))
        return super().forward(x / scale)
