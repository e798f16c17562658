"""Plumbing shared by the skorch-based estimators: batching and seeding."""

from contextlib import contextmanager

import numpy as np
import torch
from skorch.dataset import Dataset
from sklearn.utils import check_random_state
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

__all__ = ["batch_loader", "PaddedBatchDataset", "seeded", "trim_padding"]


def batch_loader(dataset, batch_size, shuffle=False, drop_last=False, **kwargs):
    """A DataLoader that indexes ``dataset`` with whole batches of indices.

    One ``dataset[indices]`` call per batch replaces one call per sample plus a
    collate step; skorch's :class:`~skorch.dataset.Dataset` supports such
    indexing natively. Pass it as ``iterator_train``/``iterator_valid``; the
    remaining keyword arguments go to :class:`torch.utils.data.DataLoader`.
    """
    sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    if not shuffle:
        # A DataLoader draws a base seed from its generator at every pass; a
        # loader of its own keeps prediction and attention passes off torch's
        # global RNG (shuffled training draws from it, inside seeded()).
        kwargs.setdefault("generator", torch.Generator())
    return DataLoader(
        dataset,
        batch_size=None,
        sampler=BatchSampler(sampler, batch_size, drop_last=drop_last),
        **kwargs,
    )


class PaddedBatchDataset(Dataset):
    """skorch Dataset of right-padded id rows, cut to each batch's longest row.

    Used with :func:`batch_loader`: every batch is as wide as its longest
    document, not as wide as ``max_len``. Padding id is ``pad_id`` (0 unless
    given, e.g. ``dataset__pad_id`` of a net).
    """

    def __init__(self, X, y=None, length=None, pad_id=0):
        super().__init__(X, y, length)
        self.pad_id = pad_id

    def __getitem__(self, i):
        # Arrays are indexed directly by the batch's indices: skorch's generic
        # path (scikit-learn's _safe_indexing, which inspects every index) cost
        # ~0.25 ms a batch, about a quarter of the whole step of a small model.
        if isinstance(self.X, np.ndarray) and isinstance(self.y, (np.ndarray, type(None))):
            i = np.asarray(i)
            return self.transform(self.X[i], None if self.y is None else self.y[i])
        return super().__getitem__(i)

    def transform(self, X, y):
        if isinstance(X, dict):  # ids with sample weights beside them
            X = {k: trim_padding(v, self.pad_id) for k, v in X.items()}
            n = len(next(iter(X.values())))
        else:
            X = trim_padding(X, self.pad_id)
            n = len(X)
        return X, (torch.zeros(n) if y is None else y)


def trim_padding(ids, pad_id=0):
    """Cut right-padded id rows (n, T) to the longest row (at least 1 column)."""
    ids = np.asarray(ids)
    if ids.ndim == 2 and ids.shape[1]:
        real = (ids != pad_id).any(0)
        width = int(real.nonzero()[0].max() + 1) if real.any() else 1
        ids = ids[:, :width]
    return ids


@contextmanager
def seeded(random_state, device="cpu"):
    """Run the block with torch's global RNG seeded from ``random_state``.

    The RNG state outside the block is restored afterwards, so fitting never
    changes the caller's random streams. ``None`` leaves the RNG alone.
    """
    if random_state is None:
        yield
        return
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    cuda = str(device).startswith("cuda") and torch.cuda.is_available()
    devices = list(range(torch.cuda.device_count())) if cuda else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
