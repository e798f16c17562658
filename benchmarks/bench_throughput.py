"""Training throughput: skattn's skorch-driven classifier vs a plain PyTorch loop.

The same :class:`skattn.nn.TextAttentionModule` (same sizes, same seed, same
fused Adam, same batches trimmed to their longest document) is trained on the
MR sentences (``mr_sentence_polarity.csv``, ids from one ``SequenceVectorizer``)

* by :class:`skattn.text.AttentionTextClassifier` (skorch's training loop),
* by a hand-written PyTorch loop (shuffle, slice, forward, backward, step),

for the ``pooling`` and ``transformer`` encoders. For the Transformer the plain
loop also trains a copy whose self-attention is the naive ``bmm`` + masked
softmax (the explicit weights) instead of the fused
``scaled_dot_product_attention``. The figure is the training time per epoch
(skorch: the epoch durations of ``history_``, so vectorizing and the
``token_attention_`` pass after training are not counted; the full ``fit``
wall time is shown too): median over epochs 2.., of ``--repeat`` runs.

Run from the repository root::

    python benchmarks/bench_throughput.py            # full run, writes benchmarks/results/
    python benchmarks/bench_throughput.py --quick    # smoke run, nothing written
"""

import argparse
import math
import os
import statistics
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from _common import DATA, add_common_args, set_threads, write
from skattn.feature_extraction import SequenceVectorizer
from skattn.nn import TextAttentionModule
from skattn.nn.attention import masked_softmax
from skattn.text import AttentionTextClassifier

SEED = 0
DROPOUT = 0.5


class NaiveSelfAttention(nn.Module):
    """Multi-head self-attention written with bmm + masked softmax (explicit weights).

    Shares the ``qkv``/``out`` projections of the module it replaces.
    """

    def __init__(self, fused):
        super().__init__()
        self.num_heads, self.qkv, self.out = fused.num_heads, fused.qkv, fused.out

    def forward(self, x, mask=None, need_weights=False):
        B, T, D = x.shape
        H = self.num_heads
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (t.reshape(B, T, H, D // H).transpose(1, 2).reshape(B * H, T, D // H)
                   for t in (q, k, v))
        scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(D // H)  # (B*H, T, T)
        key_mask = mask.repeat_interleave(H, dim=0)[:, None, :]  # (B*H, 1, T)
        weights = masked_softmax(scores, key_mask)
        out = torch.bmm(weights, v).reshape(B, H, T, D // H).transpose(1, 2).reshape(B, T, D)
        return self.out(out), weights.reshape(B, H, T, T)


def make_module(vocab_size, encoder, embedding_dim):
    return TextAttentionModule(
        vocab_size, 2, encoder=encoder, embedding_dim=embedding_dim, dropout=DROPOUT,
        padding_idx=0,
    )


def plain_loop(module, X, y, epochs, batch_size, lr):
    """The hand-written loop; returns the duration of each epoch."""
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, fused=True)
    criterion = nn.CrossEntropyLoss()
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    lengths = (X != 0).sum(1)
    module.train()
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        for idx in torch.randperm(len(X)).split(batch_size):
            width = max(int(lengths[idx].max()), 1)
            xb, yb = X[idx, :width], y[idx]
            optimizer.zero_grad()
            loss = criterion(module(xb), yb)
            loss.backward()
            optimizer.step()
        durations.append(time.perf_counter() - start)
    return durations


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    set_threads(args.threads)
    data = pd.read_csv(DATA / "mr_sentence_polarity.csv")
    texts, labels = data["text"].tolist(), data["label"].to_numpy()
    epochs, repeat = (2, 1) if args.quick else (args.epochs, args.repeat)
    if args.quick:
        texts, labels = texts[::5], labels[::5]
    y = (labels == "pos").astype(np.int64)
    vectorizer = SequenceVectorizer(min_df=2)
    X = vectorizer.fit_transform(texts)
    vocab_size = len(vectorizer.vocabulary_)
    lr, bs, dim = 0.005, args.batch_size, 64
    print(f"{len(X)} sentences, vocabulary {vocab_size}, load average {os.getloadavg()[0]:.2f}, "
          f"{torch.get_num_threads()} torch thread(s)", flush=True)

    rows = []
    for encoder in ("pooling", "transformer"):
        runs = {"skattn (skorch loop)": [], "plain PyTorch loop": [], "fit wall (s)": []}
        if encoder == "transformer":
            runs["plain loop, naive bmm+softmax attention"] = []
        for r in range(repeat):
            clf = AttentionTextClassifier(
                encoder=encoder, embedding_dim=dim, max_epochs=epochs, lr=lr, batch_size=bs,
                vectorizer=SequenceVectorizer(min_df=2), random_state=SEED + r,
                module__dropout=DROPOUT,
            )
            start = time.perf_counter()
            clf.fit(texts, labels)
            runs["fit wall (s)"].append(time.perf_counter() - start)
            runs["skattn (skorch loop)"] += clf.history_[1:, "dur"]
            torch.manual_seed(SEED + r)
            module = make_module(vocab_size, encoder, dim)
            runs["plain PyTorch loop"] += plain_loop(module, X, y, epochs, bs, lr)[1:]
            if encoder == "transformer":
                torch.manual_seed(SEED + r)
                module = make_module(vocab_size, encoder, dim)
                for block in module.encoder.blocks:
                    block.attention = NaiveSelfAttention(block.attention)
                runs["plain loop, naive bmm+softmax attention"] += plain_loop(
                    module, X, y, epochs, bs, lr)[1:]
        plain = statistics.median(runs["plain PyTorch loop"])
        fit_wall = statistics.median(runs.pop("fit wall (s)"))
        for name, durations in runs.items():
            epoch_s = statistics.median(durations)
            rows.append({
                "encoder": encoder,
                "training": name,
                "s/epoch": round(epoch_s, 3),
                "samples/s": round(len(X) / epoch_s),
                "ms/batch": round(1000 * epoch_s / math.ceil(len(X) / bs), 2),
                "time vs plain loop": round(epoch_s / plain, 3),
                "full fit (s)": round(fit_wall, 2) if name.startswith("skattn") else None,
            })
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    notes = (
        f"{len(X)} MR sentences, embedding_dim={dim}, dropout={DROPOUT}, batch_size={bs}, "
        f"Adam(lr={lr}, fused=True), {epochs} epochs per run, {repeat} run(s); s/epoch is the "
        "median "
        "over epochs 2.. of all runs (epoch 1 is the warm-up). `time vs plain loop` "
        "divides by the plain loop of the same encoder (1.0 = as fast). `full fit` is "
        "the median wall time of `AttentionTextClassifier.fit` on the raw texts "
        f"(vectorizing, {epochs} epochs, and the `token_attention_` pass)."
    )
    write("throughput", table, "Training throughput: skorch loop vs plain PyTorch loop",
          notes, "python benchmarks/bench_throughput.py", not (args.quick or args.no_write))


if __name__ == "__main__":
    main()
