"""Inverted dropout with a mask cut from 64-bit random words."""

import torch
from torch import nn

__all__ = ["Dropout"]

#: Uniform 16-bit draws per 64-bit random word.
_DRAWS_PER_WORD = 4


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` whose mask comes from 16-bit uniform draws.

    Same inverted dropout (each element zeroed with probability ``p`` in
    training mode, the rest scaled by ``1 / (1 - p)``; the identity in eval
    mode), but the mask compares 16-bit uniform integers, four cut from each
    64-bit word of torch's generator, with ``p`` rounded to a multiple of
    ``2**-16`` (between ``2**-16`` and ``1 - 2**-16``), rather than drawing a
    Bernoulli variable or a float per element: on the CPU torch's Bernoulli
    sampling is several times slower than its uniform one, a uniform float
    per element about twice as slow as these words, and dropout on the
    (B, T, D) embeddings was about 30% of a text classifier's training step
    (``benchmarks/bench_throughput.py``).
    """

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        n = x.numel()
        words = torch.randint(-2**63, 2**63 - 1, (-(-n // _DRAWS_PER_WORD),),
                              dtype=torch.int64, device=x.device)
        draws = words.view(torch.int16)[:n].view(x.shape)  # uniform on [-2**15, 2**15)
        # Dropped where draws < threshold: round(p * 2**16) of the 2**16 values.
        threshold = min(max(round(self.p * 65536), 1), 65535) - 32768
        keep = (draws >= threshold).to(x.dtype).mul_(1.0 / (1.0 - self.p))  # 0 or 1/(1-p)
        return x * keep
