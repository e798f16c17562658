"""Scaling with sequence length: time and peak memory of one training step.

For batches of ``--batch`` (32) documents of T = 64 .. 4096 tokens (no
padding), one training step (forward, cross-entropy, backward, Adam step) of
:class:`skattn.nn.TextAttentionModule` with ``embedding_dim=64``:

* ``pooling``: attention pooling over the token embeddings (``encoder="pooling"``),
* ``self-attention (SDPA)``: one Transformer block, 2 heads, fused
  ``scaled_dot_product_attention`` (the path used in training), then pooling,
* ``self-attention (explicit weights)``: the same block computing the (B, H, T, T)
  weights explicitly (matmul + masked softmax, the path ``need_weights=True``
  takes for ``explain``/``attention_layers``).

Every (model, T) runs in a fresh subprocess: the step time is the median of
several steps after one warm-up step, the peak memory is the growth of the
process's maximum resident set size (``ru_maxrss``) over the steps, compared
with the process before its first step, and the minor page faults per step
(``ru_minflt``) are reported. glibc's allocator is pinned in the children
(``MALLOC_MMAP_MAX_=0``, ``MALLOC_TRIM_THRESHOLD_=2**40``): by default it
returns big blocks to the system and faults them in again at every step, which
adds page-fault time that grows with T (``--allocator default`` measures that). A
configuration whose explicit (B, H, T, T) weights alone would exceed
``--max-weights-gb`` is skipped rather than run out of memory. The growth
exponent is the slope of log(time) and log(memory) against log(T) over the
three longest lengths of at least 256 measured for that model (fixed costs
dominate short batches).

Run from the repository root::

    python benchmarks/bench_scaling.py            # full run, writes benchmarks/results/
    python benchmarks/bench_scaling.py --quick    # smoke run, nothing written
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from _common import add_common_args, set_threads, write

MODELS = ("pooling", "self-attention (SDPA)", "self-attention (explicit weights)")
HEADS, DIM, VOCAB = 2, 64, 5000


def _explicit(attention):
    import torch

    class ExplicitWeights(torch.nn.Module):
        """Calls the wrapped self-attention with ``need_weights=True``."""

        def __init__(self, attention):
            super().__init__()
            self.inner = attention

        def forward(self, x, mask=None, need_weights=False):
            return self.inner(x, mask=mask, need_weights=True)

    return ExplicitWeights(attention)


def child(model, T, batch, repeat, threads):
    import torch

    from skattn.nn import TextAttentionModule

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    encoder = "pooling" if model == "pooling" else "transformer"
    module = TextAttentionModule(VOCAB, 2, encoder=encoder, embedding_dim=DIM, num_heads=HEADS,
                                 padding_idx=0)
    if model.endswith("(explicit weights)"):
        for block in module.encoder.blocks:
            block.attention = _explicit(block.attention)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=True)
    x = torch.randint(2, VOCAB, (batch, T))
    y = torch.randint(0, 2, (batch,))

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(x), y)
        loss.backward()
        optimizer.step()

    before = resource.getrusage(resource.RUSAGE_SELF)
    step()  # warm-up
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "time_s": statistics.median(times),
        "peak_mb": max(after.ru_maxrss - before.ru_maxrss, 0) / 1024,  # KiB on Linux
        "faults_per_step": (after.ru_minflt - faults) / repeat,
    }))


# glibc malloc without mmap for big blocks and without trimming: memory freed by
# one step is reused by the next instead of being unmapped and faulted in again.
PINNED = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}


def estimator_child(T, batch, threads):
    """Fit the text classifier (pooling encoder) on 2 batches of T-token documents."""
    import torch

    from skattn.feature_extraction import SequenceVectorizer
    from skattn.text import AttentionTextClassifier

    if threads:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(VOCAB)])
    texts = [" ".join(rng.choice(words, T)) for _ in range(2 * batch)]
    labels = np.arange(2 * batch) % 2
    clf = AttentionTextClassifier(
        vectorizer=SequenceVectorizer(max_len=T), max_epochs=1, batch_size=batch,
        random_state=0,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    clf.fit(texts, labels)
    fit_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"time_s": fit_s, "peak_mb": peak / 1024, "width": clf.vectorizer_.transform(
        texts[:1]).shape[1]}))


def run_child(model, T, batch, repeat, threads, pinned=True):
    env = {**os.environ, **PINNED} if pinned else None
    out = subprocess.run(
        [sys.executable, __file__, "--child", model, str(T), str(batch), str(repeat),
         str(threads or 0)],
        capture_output=True, text=True, env=env,
    )
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["killed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def slope(lengths, values):
    """Slope of log(values) vs log(lengths) over the 3 longest measured lengths >= 256."""
    lengths, values = np.asarray(lengths, float), np.asarray(values, float)
    keep = np.isfinite(values) & (values > 0) & (lengths >= 256)
    lengths, values = lengths[keep][-3:], values[keep][-3:]
    if len(lengths) < 2:
        return float("nan")
    return float(np.polyfit(np.log(lengths), np.log(values), 1)[0])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--estimator-child":
        estimator_child(*map(int, sys.argv[2:5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        model, T, batch, repeat, threads = sys.argv[2:7]
        child(model, int(T), int(batch), int(repeat), int(threads))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024, 2048, 4096])
    parser.add_argument("--max-weights-gb", type=float, default=0.6,
                        help="skip explicit-weight runs whose (B, H, T, T) tensor is larger")
    parser.add_argument("--allocator", choices=["pinned", "default"], default="pinned",
                        help="glibc malloc pinned (no mmap, no trim; default) or as is")
    args = parser.parse_args()
    set_threads(args.threads)
    lengths = [64, 256, 1024] if args.quick else args.lengths
    print(f"load average {os.getloadavg()[0]:.2f}, {args.threads or 'default'} torch thread(s)",
          flush=True)
    rows = []
    for model in MODELS:
        for T in lengths:
            weights_gb = args.batch * HEADS * T * T * 4 / 1e9
            row = {"model": model, "T": T}
            if model != "pooling" and model.endswith("(explicit weights)") and (
                    weights_gb > args.max_weights_gb):
                row["note"] = f"skipped: weights alone {weights_gb:.1f} GB"
            else:
                repeat = 1 if args.quick else (5 if T <= 256 or model == "pooling" else 3)
                if model != "pooling" and T >= 2048:
                    repeat = 1
                result = run_child(model, T, args.batch, repeat, args.threads,
                                   args.allocator == "pinned")
                if "error" in result:
                    row["note"] = result["error"]
                else:
                    row.update({
                        "step (ms)": round(1000 * result["time_s"], 1),
                        "peak memory (MB)": round(result["peak_mb"], 1),
                        "page faults/step": round(result["faults_per_step"]),
                    })
            rows.append(row)
            print(row, flush=True)
    table = pd.DataFrame(rows)
    for column in ("step (ms)", "peak memory (MB)", "page faults/step", "note"):
        if column not in table:
            table[column] = np.nan
    table = table[["model", "T", "step (ms)", "peak memory (MB)", "page faults/step", "note"]]
    table["note"] = table["note"].astype(object).fillna("")
    exponents = pd.DataFrame([
        {
            "model": model,
            "time exponent": round(slope(g["T"], g["step (ms)"]), 2),
            "memory exponent": round(slope(g["T"], g["peak memory (MB)"]), 2),
        }
        for model, g in table.groupby("model", sort=False)
    ])
    print()
    print(exponents.to_markdown(index=False))
    notes = (
        f"Batch of {args.batch}, embedding_dim={DIM}, {HEADS} heads, vocabulary {VOCAB}, "
        "every token real (no padding). Step = forward + backward + fused Adam step, median "
        "of 5 steps (self-attention: 3 at T = 1024, 1 from T = 2048) after one warm-up step. "
        "Peak memory = growth of ru_maxrss over the steps in a fresh process. "
        + ("glibc malloc pinned (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=2**40): "
           "freed memory is reused, not unmapped and faulted in again. "
           if args.allocator == "pinned" else
           "glibc's default allocator, not pinned: big tensors are mmap-ed and faulted "
           "in again at each step (page faults/step). ")
        + "Growth exponents (slope of log value vs log T "
        "over the 3 longest lengths >= 256 run; 1 = linear, 2 = quadratic):\n\n"
        + exponents.to_markdown(index=False)
    )
    T = max(lengths)
    out = subprocess.run(
        [sys.executable, __file__, "--estimator-child", str(T), str(args.batch),
         str(args.threads or 0)],
        capture_output=True, text=True,
        env={**os.environ, **PINNED} if args.allocator == "pinned" else None,
    )
    if out.returncode:
        estimator = f"failed: {(out.stderr.strip().splitlines() or ['killed'])[-1][:120]}"
    else:
        result = json.loads(out.stdout.strip().splitlines()[-1])
        estimator = (
            f"fit {result['time_s']:.1f} s (vectorizing, 1 epoch = 2 training batches, "
            f"the token_attention_ pass), peak memory +{result['peak_mb']:.0f} MB, "
            f"id rows {result['width']} wide"
        )
    print(f"\nAttentionTextClassifier on {2 * args.batch} documents of {T} tokens: {estimator}")
    notes += (
        f"\n\nEnd to end: `AttentionTextClassifier(vectorizer=SequenceVectorizer(max_len={T}), "
        f"max_epochs=1, batch_size={args.batch})` (pooling encoder) fitted on "
        f"{2 * args.batch} random documents of {T} tokens in a fresh process: {estimator}."
    )
    write("scaling", table, "Scaling with sequence length", notes,
          "python benchmarks/bench_scaling.py", not (args.quick or args.no_write))
    if not (args.quick or args.no_write):
        exponents.to_csv(os.path.join(os.path.dirname(__file__), "results",
                                      "scaling_exponents.csv"), index=False)


if __name__ == "__main__":
    main()
