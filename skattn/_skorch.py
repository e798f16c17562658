"""Plumbing shared by the skorch-based estimators: batching and seeding."""

from contextlib import contextmanager

import numpy as np
import torch
from skorch.dataset import Dataset
from sklearn.utils import check_random_state
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, Subset

__all__ = [
    "batch_loader", "LengthBucketSampler", "PaddedBatchDataset", "seeded", "trim_padding",
]


def batch_loader(dataset, batch_size, shuffle=False, drop_last=False, bucket_batches=1,
                 **kwargs):
    """A DataLoader that indexes ``dataset`` with whole batches of indices.

    One ``dataset[indices]`` call per batch replaces one call per sample plus a
    collate step; skorch's :class:`~skorch.dataset.Dataset` supports such
    indexing natively. Pass it as ``iterator_train``/``iterator_valid``; the
    remaining keyword arguments go to :class:`torch.utils.data.DataLoader`.

    ``bucket_batches`` > 1 (with ``shuffle``) draws the batches from a
    :class:`LengthBucketSampler`: documents of similar length share a batch, so
    batches cut to their longest row carry less padding. The dataset must then
    say how long each row is (``dataset.lengths()``, as
    :class:`PaddedBatchDataset` does).
    """
    if isinstance(bucket_batches, bool) or not isinstance(bucket_batches, (int, np.integer)) \
            or bucket_batches < 1:
        raise ValueError(
            f"iterator_train__bucket_batches must be an int >= 1 (1: no bucketing), "
            f"got {bucket_batches!r}."
        )
    if shuffle and bucket_batches > 1:
        lengths = _row_lengths(dataset)
        if lengths is None:
            raise TypeError(
                f"iterator_train__bucket_batches={bucket_batches} sorts batches by length, "
                f"but the dataset {type(dataset).__name__} has no lengths() method; set "
                "iterator_train__bucket_batches=1."
            )
        batches = LengthBucketSampler(lengths, batch_size, bucket_batches, drop_last=drop_last)
    else:
        sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        batches = BatchSampler(sampler, batch_size, drop_last=drop_last)
    if not shuffle:
        # A DataLoader draws a base seed from its generator at every pass; a
        # loader of its own keeps prediction and attention passes off torch's
        # global RNG (shuffled training draws from it, inside seeded()).
        kwargs.setdefault("generator", torch.Generator())
    return DataLoader(dataset, batch_size=None, sampler=batches, **kwargs)


def _row_lengths(dataset):
    """``dataset.lengths()``, through torch Subsets (skorch's validation split
    trains on one); None if the dataset cannot say."""
    if isinstance(dataset, Subset):
        lengths = _row_lengths(dataset.dataset)
        return None if lengths is None else lengths[np.asarray(dataset.indices, dtype=np.int64)]
    lengths = getattr(dataset, "lengths", None)
    return np.asarray(lengths()) if callable(lengths) else None


class LengthBucketSampler(BatchSampler):
    """Shuffled batches of indices, each of documents of similar length.

    Every pass shuffles the indices, cuts them into pools of ``bucket_batches
    * batch_size``, sorts each pool by length (ties keep the shuffled order),
    cuts the pool into batches and shuffles the order of all the full
    batches; the short batch, if any, comes last, as from a
    :class:`~torch.utils.data.BatchSampler`. A
    batch padded to its longest document then pads little, while which
    documents meet in a batch stays random across passes (up to
    ``bucket_batches`` batches' worth of neighbours by length).

    Randomness comes from torch's global RNG, as for
    :class:`~torch.utils.data.RandomSampler`, so a seeded fit repeats itself
    and processes seeded alike (distributed training) draw the same batches,
    which the accelerator then shards.

    Parameters
    ----------
    lengths : array-like of int, shape (n_samples,)
        Length of each row (e.g. its token count).
    batch_size : int
    bucket_batches : int
        Batches sorted together; 1 is plain shuffling.
    drop_last : bool, default=False
        Drop the batch of the pass that is smaller than ``batch_size``.
    """

    def __init__(self, lengths, batch_size, bucket_batches, drop_last=False):
        self.lengths = np.asarray(lengths)
        super().__init__(RandomSampler(range(len(self.lengths))), batch_size, drop_last)
        self.bucket_batches = int(bucket_batches)

    def __iter__(self):
        order = np.fromiter(iter(self.sampler), dtype=np.int64, count=len(self.lengths))
        pool = self.batch_size * self.bucket_batches
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start:start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + self.batch_size] for i in range(0, len(chunk),
                                                                         self.batch_size))
        # As for a BatchSampler, only the last batch may be short (accelerate's
        # sharding relies on it): the full batches in random order, then the
        # short one, if any and unless drop_last.
        full = [b for b in batches if len(b) == self.batch_size]
        short = [] if self.drop_last else [b for b in batches if len(b) < self.batch_size]
        for i in torch.randperm(len(full)).tolist():
            yield full[i].tolist()
        for batch in short:
            yield batch.tolist()


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

    def lengths(self):
        """Length of each row up to its last non-padding id, shape (n_samples,);
        for a dict of arrays, the longest over its 2-D arrays."""
        arrays = self.X.values() if isinstance(self.X, dict) else [self.X]
        lengths = np.zeros(len(self), dtype=np.int64)
        for ids in arrays:
            ids = np.asarray(ids)
            if ids.ndim == 2 and ids.shape[1]:
                real = ids != self.pad_id
                last = ids.shape[1] - np.argmax(real[:, ::-1], axis=1)  # after the last real id
                lengths = np.maximum(lengths, np.where(real.any(1), last, 0))
        return lengths

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
