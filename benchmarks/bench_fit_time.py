"""Fit time of the default AttentionTextClassifier against fastText, pair by pair.

Fits both on the same training split (``bench_peers.py``'s), alternating,
``--repeat`` times in one process (after one warm-up fit each), and prints each
pair's ratio and the median ratio. Both use ``--threads`` threads (2). Needs
``pip install fasttext``.

    python benchmarks/bench_fit_time.py --datasets MR SUBJ TREC-6 SMS --repeat 5
    python benchmarks/bench_fit_time.py --profile MR     # where one skattn fit spends its time
    python benchmarks/bench_fit_time.py --datasets MR SUBJ --repeat 3 --against-one-lr
                                        # the default against attention_lr=None
    python benchmarks/bench_fit_time.py --datasets MR SUBJ TREC-6 SMS --repeat 3 --against-full-scorer
                                        # the default against attention_dim=None
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, set_threads  # noqa: E402
from bench_finetune import FILES, split  # noqa: E402
from bench_peers import FastText  # noqa: E402

from skattn import AttentionTextClassifier  # noqa: E402


def timed(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["MR"], choices=list(FILES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", choices=list(FILES), default=None,
                        help="instead: cProfile one default fit (after a warm-up fit)")
    parser.add_argument("--against-one-lr", action="store_true",
                        help="pair the default with attention_lr=None instead of fastText")
    parser.add_argument("--against-full-scorer", action="store_true",
                        help="pair the default with attention_dim=None (the scorer as wide as "
                             "the embedding) instead of fastText")
    args = parser.parse_args()
    set_threads(args.threads)
    if args.profile:
        X, _, y, _ = split(args.profile)
        timed(AttentionTextClassifier(random_state=0), X, y)
        profile = cProfile.Profile()
        print(f"fit: {profile.runcall(timed, AttentionTextClassifier(random_state=0), X, y):.2f} s;"
              f" {machine()}")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    if args.against_one_lr:
        other, name = lambda: AttentionTextClassifier(attention_lr=None, random_state=0), \
            "attention_lr=None"
    elif args.against_full_scorer:
        other, name = lambda: AttentionTextClassifier(attention_dim=None, random_state=0), \
            "attention_dim=None"
    else:
        other, name = lambda: FastText(args.threads), "fastText"
    lines = []
    for data in args.datasets:
        X, _, y, _ = split(data)
        timed(AttentionTextClassifier(random_state=0), X, y)
        timed(other(), X, y)
        pairs = [(timed(AttentionTextClassifier(random_state=0), X, y), timed(other(), X, y))
                 for _ in range(args.repeat)]
        ratios = [a / b for a, b in pairs]
        lines.append(
            f"| {data} | {statistics.median(a for a, _ in pairs):.2f} | "
            f"{statistics.median(b for _, b in pairs):.2f} | {statistics.median(ratios):.2f} | "
            f"{min(ratios):.2f}-{max(ratios):.2f} |")
        print(lines[-1], flush=True)
    print(f"\n{args.repeat} alternating pairs per data set; {machine()}\n")
    print(f"| data | skattn default fit (s, median) | {name} fit (s, median) | ratio (median) "
          "| ratio (range) |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
