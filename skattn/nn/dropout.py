"""Inverted dropout with a mask drawn by ``torch.rand``."""

import torch
from torch import nn

__all__ = ["Dropout"]


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` whose mask comes from uniform draws.

    Same inverted dropout (each element zeroed with probability ``p`` in
    training mode, the rest scaled by ``1 / (1 - p)``; the identity in eval
    mode), but the mask is ``torch.rand_like(x) >= p`` rather than a Bernoulli
    draw: on the CPU torch's Bernoulli sampling is several times slower than its
    uniform one, and dropout on the (B, T, D) embeddings was about 30% of a
    text classifier's training step (``benchmarks/bench_throughput.py``).
    """

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        scale = 1.0 / (1.0 - self.p)
        keep = (torch.rand_like(x) >= self.p).to(x.dtype).mul_(scale)  # 0 or 1/(1-p)
        return x * keep
