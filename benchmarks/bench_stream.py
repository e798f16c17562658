"""Out-of-core training on MR: one fit, a partial_fit stream, dask-ml's Incremental.

MR, stratified 80/20 split (``random_state=0``). Rows: the default classifier
(learned vocabulary of words and bigrams); one ``fit`` with
``HashingSequenceVectorizer`` (``n_features=2**16`` and ``2**18``); the same
vectorizer through 5 ``partial_fit`` chunks, at a constant lr 0.03 for every
layer (``attention_lr=None``; the default schedule would decay to 0 and start
afresh in every call), in batches of 256 and of the default 64, and with the
attention layers at the default ``attention_lr``; and, with dask-ml
and distributed installed, ``dask_ml.wrappers.Incremental`` over 5 blocks on a
one-worker ``LocalCluster`` on loopback. Prints held-out accuracy and fit time.

    python benchmarks/bench_stream.py            # ~1 minute on 2 CPU cores
"""

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, set_threads  # noqa: E402

from skattn import AttentionTextClassifier, HashingSequenceVectorizer  # noqa: E402
from skattn.datasets import load_movie_reviews  # noqa: E402

CLASSES = ["neg", "pos"]
STREAM = dict(lr=0.03, lr_schedule="constant", batch_size=256, attention_lr=None)


def timed(fn):
    start = time.perf_counter()
    model = fn()
    return model, time.perf_counter() - start


def stream(X, y, chunks, **params):
    clf = AttentionTextClassifier(vectorizer=HashingSequenceVectorizer(), random_state=0,
                                  **params)
    for part in np.array_split(np.arange(len(X)), chunks):
        clf.partial_fit([X[i] for i in part], np.asarray(y)[part], classes=CLASSES)
    return clf


def dask_incremental(X, y, blocks):
    import dask.array as da
    import distributed
    from dask_ml.wrappers import Incremental

    clf = AttentionTextClassifier(vectorizer=HashingSequenceVectorizer(), random_state=0,
                                  **STREAM)
    size = -(-len(X) // blocks)
    X_dask = da.from_array(np.asarray(X, dtype=object)[:, None], chunks=(size, 1))
    y_dask = da.from_array(np.asarray(y, dtype=object), chunks=size)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster, \
            distributed.Client(cluster):
        model = Incremental(clf, shuffle_blocks=False, predict_meta=np.array([], dtype=object),
                            predict_proba_meta=np.zeros((0, 2)))
        start = time.perf_counter()
        model.fit(X_dask, y_dask, classes=CLASSES)
        fit_s = time.perf_counter() - start
    return model.estimator_, fit_s


def main():
    set_threads(2)
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    rows = []
    model, s = timed(lambda: AttentionTextClassifier(random_state=0).fit(X_train, y_train))
    rows.append(("default (learned vocabulary: words + bigrams), one fit", model, s))
    for bits in (16, 18):
        model, s = timed(lambda: AttentionTextClassifier(
            vectorizer=HashingSequenceVectorizer(n_features=2**bits), random_state=0,
        ).fit(X_train, y_train))
        rows.append((f"HashingSequenceVectorizer(n_features=2**{bits}), one fit", model, s))
    model, s = timed(lambda: stream(X_train, y_train, 5, **STREAM))
    rows.append(("hashing (2**16), 5 partial_fit chunks, lr 0.03 constant for every layer, "
                 "batch 256", model, s))
    model, s = timed(lambda: stream(X_train, y_train, 5, **dict(STREAM, batch_size=64)))
    rows.append(("... batch 64", model, s))
    model, s = timed(lambda: stream(X_train, y_train, 5, **dict(STREAM, attention_lr=0.001)))
    rows.append(("... batch 256, the attention layers at 0.001 (the default attention_lr)",
                 model, s))
    if all(importlib.util.find_spec(m) for m in ("dask_ml", "distributed")):
        model, s = dask_incremental(X_train, y_train, 5)
        rows.append(("hashing (2**16), dask-ml Incremental, 5 blocks, 1 worker", model, s))
    print(f"\nMR, {len(X_train)} training / {len(X_test)} test documents; {machine()}\n")
    print("| model | accuracy | fit (s) |")
    print("|---|---|---|")
    for label, model, s in rows:
        print(f"| {label} | {model.score(X_test, y_test):.4f} | {s:.1f} |")


if __name__ == "__main__":
    main()
