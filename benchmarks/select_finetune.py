"""How PretrainedTextClassifier's training defaults were chosen: on validation
splits of the training parts only.

A data set's benchmark training part (MR, SUBJ, SMS: stratified 80 %,
``random_state=0``; TREC-6: its official training split) is split again 80/20
(``random_state=1``); MiniLM is fine-tuned on the inner 80 % for ``--epochs``
epochs (batch 32, AdamW, ``--lr`` and ``--lr-schedule``; the script's defaults
are the estimator's earlier ones, one epoch aside: lr 5e-5 constant) and the
accuracy on the inner 20 % is recorded after every epoch, with the epoch's time.

    python benchmarks/select_finetune.py --epochs 2     # ~16 minutes on 2 CPU cores
    python benchmarks/select_finetune.py --epochs 1 --lr-schedule linear --bucket-batches 8
    python benchmarks/select_finetune.py --epochs 2 --data D --lr 1e-4 --lr-schedule linear  # the defaults
"""

import argparse
import sys
from pathlib import Path

from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, set_threads  # noqa: E402
from bench_finetune import split  # noqa: E402

from skattn import PretrainedTextClassifier  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data", default="MR")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--lr-schedule", default="constant", choices=["constant", "linear"])
    parser.add_argument("--bucket-batches", type=int, default=1,
                        help="iterator_train__bucket_batches (1: plain shuffling)")
    args = parser.parse_args()
    set_threads(2)
    X_train, _, y_train, _ = split(args.data)  # the test part is never used here
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.2, stratify=y_train, random_state=1)
    # With a validation set, skattn records its accuracy per epoch (valid_acc).
    clf = PretrainedTextClassifier(max_epochs=args.epochs, random_state=0,
                                   train_split=(X_val, y_val), lr=args.lr,
                                   lr_schedule=args.lr_schedule,
                                   iterator_train__bucket_batches=args.bucket_batches)
    clf.fit(X_fit, y_fit)
    print(f"\n{args.data}, {len(X_fit)} training / {len(X_val)} validation documents; lr "
          f"{args.lr} ({args.lr_schedule}), bucket_batches {args.bucket_batches}; {machine()}\n")
    print("| epoch | validation accuracy | epoch time (s) |")
    print("|---|---|---|")
    for row in clf.history:
        print(f"| {row['epoch']} | {row['valid_acc']:.4f} | {row['dur']:.0f} |")


if __name__ == "__main__":
    main()
