"""How AttentionTextClassifier's training defaults were chosen: on validation
splits of the training data only.

For MR and SUBJ the benchmark's training part (stratified 80 %, ``random_state=0``,
as in ``bench_peers.py``) and for TREC-6 its official training split are split
again 80/20 (stratified, ``random_state=1``); every candidate trains on the
inner 80 % and is scored on the inner 20 %. No test document is read. Prints
validation accuracy and fit time per candidate and data set, and the mean.

    python benchmarks/select_defaults.py                      # every candidate, ~4 minutes
    python benchmarks/select_defaults.py TREC-6 --only="8 epochs"   # a subset
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, set_threads  # noqa: E402
from bench_finetune import split  # noqa: E402

from skattn import AttentionTextClassifier, SequenceVectorizer  # noqa: E402

UNIGRAMS = dict(vectorizer=SequenceVectorizer(min_df=2))
BIGRAMS = dict(vectorizer=SequenceVectorizer(min_df=2, ngram_range=(1, 2)))
CANDIDATES = {
    "words, batch 64, lr 0.01, 6 epochs (0.1.0 defaults)": dict(UNIGRAMS),
    "words, batch 128, lr 0.02, 5 epochs": dict(UNIGRAMS, batch_size=128, lr=0.02, max_epochs=5),
    "bigrams, batch 64, lr 0.01, 6 epochs": dict(BIGRAMS),
    "bigrams, batch 128, lr 0.02, 5 epochs": dict(BIGRAMS, batch_size=128, lr=0.02, max_epochs=5),
    "bigrams, batch 128, lr 0.02, 4 epochs": dict(BIGRAMS, batch_size=128, lr=0.02, max_epochs=4),
    "bigrams, batch 256, lr 0.03, 5 epochs": dict(BIGRAMS, batch_size=256, lr=0.03, max_epochs=5),
    "bigrams, batch 128, lr 0.02, 5 epochs, dim 32": dict(
        BIGRAMS, batch_size=128, lr=0.02, max_epochs=5, embedding_dim=32),
    # Second round, after the first showed TREC-6 (5,452 short questions) far
    # behind fastText: more epochs, less dropout.
    "bigrams, batch 256, lr 0.03, 8 epochs": dict(BIGRAMS, batch_size=256, lr=0.03, max_epochs=8),
    "bigrams, batch 256, lr 0.03, 5 epochs, dropout 0.3": dict(
        BIGRAMS, batch_size=256, lr=0.03, max_epochs=5, module__dropout=0.3),
    "bigrams, batch 256, lr 0.05, 5 epochs": dict(BIGRAMS, batch_size=256, lr=0.05, max_epochs=5),
    "words, batch 128, lr 0.02, 8 epochs, dropout 0.3": dict(
        UNIGRAMS, batch_size=128, lr=0.02, max_epochs=8, module__dropout=0.3),
    # Third round: closer to fastText (every bigram, wider, little dropout).
    "all bigrams, batch 256, lr 0.03, 8 epochs, dropout 0.1": dict(
        vectorizer=SequenceVectorizer(ngram_range=(1, 2)), batch_size=256, lr=0.03,
        max_epochs=8, module__dropout=0.1),
    "bigrams, batch 256, lr 0.03, 5 epochs, dim 100": dict(
        BIGRAMS, batch_size=256, lr=0.03, max_epochs=5, embedding_dim=100),
    "bigrams, batch 256, lr 0.03, 5 epochs, dot attention": dict(
        BIGRAMS, batch_size=256, lr=0.03, max_epochs=5, attention="dot"),
}


def main():
    set_threads(2)
    args = [a for a in sys.argv[1:] if not a.startswith("--only=")]
    only = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--only=")]
    names = args or ["MR", "SUBJ", "TREC-6"]
    rows = []
    for data in names:
        X_train, _, y_train, _ = split(data)  # the test part is never used here
        X_fit, X_val, y_fit, y_val = train_test_split(
            X_train, y_train, test_size=0.2, stratify=y_train, random_state=1)
        for label, params in CANDIDATES.items():
            if only and not any(o in label for o in only):
                continue
            clf = AttentionTextClassifier(random_state=0, **params)
            start = time.perf_counter()
            clf.fit(X_fit, y_fit)
            fit_s = time.perf_counter() - start
            rows.append(dict(data=data, candidate=label, accuracy=clf.score(X_val, y_val),
                             fit_s=fit_s))
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows).pivot_table(index="candidate", columns="data",
                                           values=["accuracy", "fit_s"])
    table[("accuracy", "mean")] = table["accuracy"].mean(axis=1)
    print(f"\nValidation accuracy and fit time; {machine()}\n")
    print(table.round(4).sort_values(("accuracy", "mean"), ascending=False).to_markdown())


if __name__ == "__main__":
    main()
