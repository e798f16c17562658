"""class_weight="balanced" on an imbalanced data set: SMS spam (13.4 % spam).

The default AttentionTextClassifier with ``class_weight=None`` and
``"balanced"`` on a stratified 80/20 split (``random_state=0``), for seeds 0,
1 and 2: spam recall and macro-F1 on the held-out 20 %.

    python benchmarks/bench_class_weight.py        # ~1 minute on 2 cores
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, recall_score

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, set_threads  # noqa: E402
from bench_finetune import split  # noqa: E402

from skattn import AttentionTextClassifier  # noqa: E402


def main():
    set_threads(2)
    X_train, X_test, y_train, y_test = split("SMS")
    print("| class_weight | spam recall (seeds 0, 1, 2) | macro-F1 (seeds 0, 1, 2) | means |")
    print("|---|---|---|---|")
    for weight in (None, "balanced"):
        recall, f1 = [], []
        for seed in (0, 1, 2):
            clf = AttentionTextClassifier(class_weight=weight, random_state=seed).fit(X_train, y_train)
            predicted = clf.predict(X_test)
            recall.append(recall_score(y_test, predicted, pos_label="spam"))
            f1.append(f1_score(y_test, predicted, average="macro"))
        print(f"| {weight} | {', '.join(f'{r:.3f}' for r in recall)} | "
              f"{', '.join(f'{v:.3f}' for v in f1)} | {np.mean(recall):.3f}, {np.mean(f1):.3f} |",
              flush=True)
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
