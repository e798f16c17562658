"""Data-parallel training through Hugging Face Accelerate: 1 process vs N.

Fits the default ``AttentionTextClassifier`` on a stratified 80 % split of MR
(``random_state=0``) with ``accelerator=Accelerator(cpu=True)`` in 1 process
(torch with all threads) and in ``--nproc`` processes started by ``torchrun``
(gloo; each with ``cores / nproc`` threads), with the same global batch
(``batch_size`` is per process: each of N processes gets ``--batch-size / N``,
so that N processes take the steps one process takes), then reports held-out accuracy,
fit time and time per epoch, and checks that every rank ended with bitwise
identical parameters. Needs ``pip install "skattn[distributed]"``.

    python benchmarks/bench_distributed.py                 # 1 vs 2 CPU processes
    python benchmarks/bench_distributed.py --mixed-precision bf16
    python benchmarks/bench_distributed.py --gpu           # one process per GPU
    python benchmarks/bench_distributed.py --train-size 3000 --max-epochs 3   # quick

The worker (what each process runs) is this file with ``--worker``; it writes
one JSON record per rank into ``--out``.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def worker(args):
    import torch
    from accelerate import Accelerator
    from sklearn.model_selection import train_test_split

    from skattn import AttentionTextClassifier
    from skattn.datasets import load_movie_reviews

    accelerator = Accelerator(cpu=not args.gpu, mixed_precision=args.mixed_precision)
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    params = dict(random_state=0, accelerator=accelerator, device=accelerator.device,
                  batch_size=max(1, args.batch_size // accelerator.num_processes))
    if args.max_epochs:
        params["max_epochs"] = args.max_epochs
    if args.early_stopping:
        params["early_stopping"] = True
    clf = AttentionTextClassifier(**params)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    weights = np.concatenate(
        [p.detach().float().cpu().numpy().ravel() for p in clf.module_.parameters()])
    record = dict(
        rank=accelerator.process_index, world_size=accelerator.num_processes,
        threads=torch.get_num_threads(), fit_s=fit_s,
        epoch_s=[float(d) for d in clf.history[:, "dur"]],
        train_loss=[float(v) for v in clf.history[:, "train_loss"]],
        accuracy=float(clf.score(X_test, y_test)),
        params_sha256=hashlib.sha256(weights.tobytes()).hexdigest(),
        n_train=len(X_train), mixed_precision=args.mixed_precision,
        batch_size=clf.batch_size,
        batches_per_epoch=[int(n) for n in clf.history[:, "train_batch_count"]],
        valid_loss=[float(v) for v in clf.history[:, "valid_loss"]] if args.early_stopping
        else None,
    )
    Path(args.out, f"rank{record['rank']}.json").write_text(json.dumps(record))


def launch(nproc, args, out, threads):
    """Run the worker in ``nproc`` processes under torchrun; return the records."""
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc_per_node={nproc}", __file__, "--worker", "--out", str(out),
        "--mixed-precision", args.mixed_precision,
    ]
    for flag in ("train_size", "max_epochs", "batch_size"):
        if getattr(args, flag):
            command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    if args.gpu:
        command.append("--gpu")
    if args.early_stopping:
        command.append("--early-stopping")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run(command, check=True, env=env)
    return [json.loads(Path(out, f"rank{r}.json").read_text()) for r in range(nproc)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--mixed-precision", default="no", choices=["no", "bf16", "fp16"])
    parser.add_argument("--train-size", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64,
                        help="global batch, split over the processes (default: the "
                             "classifier's default batch_size, 64)")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--early-stopping", action="store_true",
                        help="early_stopping=True: every rank must stop at the same epoch")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    sys.path.insert(0, str(Path(__file__).parent))
    from _common import machine

    cores = os.cpu_count()
    rows = []
    for nproc in (1, args.nproc):
        with tempfile.TemporaryDirectory() as out:
            threads = cores if args.gpu else max(1, cores // nproc)
            records = launch(nproc, args, out, threads)
        digests = {r["params_sha256"] for r in records}
        if args.early_stopping and len({json.dumps(r["valid_loss"]) for r in records}) != 1:
            raise SystemExit(f"ranks recorded different validation losses: {records}")
        first = records[0]
        rows.append((nproc, threads, first["accuracy"], first["fit_s"],
                     float(np.median(first["epoch_s"])), len(digests) == 1,
                     first["batch_size"], first["batches_per_epoch"][0]))
    print(f"\nMR, default AttentionTextClassifier, global batch {args.batch_size}, "
          f"mixed_precision={args.mixed_precision!r}; "
          f"{machine()}\n")
    print("| processes | threads each | batch per process | batches per process and epoch "
          "| accuracy | fit (s) | median epoch (s) | ranks identical |")
    print("|---|---|---|---|---|---|---|---|")
    for nproc, threads, acc, fit_s, epoch_s, same, batch, batches in rows:
        print(f"| {nproc} | {threads} | {batch} | {batches} | {acc:.4f} | {fit_s:.1f} "
              f"| {epoch_s:.2f} | {same} |")
    print(f"\naccuracy difference ({args.nproc} processes - 1): {rows[1][2] - rows[0][2]:+.4f}")
    if args.json:
        keys = ("processes", "threads", "accuracy", "fit_s", "epoch_s", "ranks_identical",
                "batch_size", "batches_per_epoch")
        Path(args.json).write_text(json.dumps([dict(zip(keys, row)) for row in rows]))


if __name__ == "__main__":
    main()
