"""Feature attention on small tables, side by side with standard baselines.

Measures, in one run and on one machine:

* 5-fold cross-validated accuracy and mean fit time on scikit-learn's bundled
  ``load_breast_cancer`` and ``load_wine``;
* precision@4 of each model's feature importances on
  ``make_classification(n_features=20, n_informative=4, n_redundant=0,
  shuffle=False)`` (the informative features are the first 4), averaged over
  seeds;

for ``FeatureAttentionClassifier`` (default parameters), ``LogisticRegression``
(after a ``StandardScaler``; importances: mean ``|coef_|`` over classes),
``RandomForestClassifier`` and, where the package is installed,
pytorch-tabnet's ``TabNetClassifier``. It prints a Markdown table and writes it
to ``docs/benchmarks_tabular.md`` with a description of the machine.

Run from the repository root::

    python benchmarks/bench_tabular.py            # full run
    python benchmarks/bench_tabular.py --quick    # smoke run, nothing written

pytorch-tabnet is optional and never a dependency of skattn; install it with
``pip install --no-deps pytorch-tabnet`` where its requirements (torch, numpy,
scipy, scikit-learn, tqdm) are already present.
"""

import argparse
import datetime
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_breast_cancer, load_wine, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skattn
from skattn import FeatureAttentionClassifier

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks_tabular.md"


class TabNetAdapter:
    """Fit/predict/feature_importances_ around pytorch-tabnet's TabNetClassifier
    (its fit takes training options as arguments, not constructor parameters).

    Inputs are standardized first. TabNet's default batch_size=1024 with
    drop_last=True would give no batch at all on these small tables (the loss
    stays 0 and nothing is learned), hence batch_size=64, virtual_batch_size=32.
    """

    def __init__(self, max_epochs, seed=0):
        self.max_epochs = max_epochs
        self.seed = seed

    def fit(self, X, y):
        from pytorch_tabnet.tab_model import TabNetClassifier

        self.scaler_ = StandardScaler().fit(X)
        self.model_ = TabNetClassifier(seed=self.seed, verbose=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_.fit(
                self.scaler_.transform(X).astype(np.float32), np.asarray(y),
                max_epochs=self.max_epochs, batch_size=64, virtual_batch_size=32,
            )
        self.feature_importances_ = self.model_.feature_importances_
        return self

    def predict(self, X):
        return self.model_.predict(self.scaler_.transform(X).astype(np.float32))


def tabnet_status():
    try:
        import pytorch_tabnet
    except ImportError as exc:
        return None, f"pytorch-tabnet not installed ({exc})"
    from importlib.metadata import version

    return pytorch_tabnet, f"pytorch-tabnet {version('pytorch-tabnet')}"


def models(tabnet_available, tabnet_epochs):
    out = {
        "FeatureAttentionClassifier": lambda seed: FeatureAttentionClassifier(random_state=seed),
        "LogisticRegression": lambda seed: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=5000)
        ),
        "RandomForestClassifier": lambda seed: RandomForestClassifier(random_state=seed, n_jobs=1),
    }
    if tabnet_available:
        out["TabNetClassifier"] = lambda seed: TabNetAdapter(tabnet_epochs, seed)
    return out


def importances(model):
    if hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_)
    coef = model[-1].coef_  # LogisticRegression in a pipeline
    return np.abs(coef).mean(axis=0)


def cross_validate(make, X, y, folds):
    accs, times = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        model = make(0)
        start = time.perf_counter()
        model.fit(X[train], y[train])
        times.append(time.perf_counter() - start)
        accs.append(float(np.mean(model.predict(X[test]) == y[test])))
    return np.mean(accs), np.std(accs), np.mean(times)


def precision_at_k(make, seeds, n_samples, k=4):
    precisions, times = [], []
    for seed in seeds:
        X, y = make_classification(
            n_samples=n_samples, n_features=20, n_informative=k, n_redundant=0,
            shuffle=False, random_state=seed,
        )
        model = make(seed)
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
        top = np.argsort(importances(model))[::-1][:k]
        precisions.append(float(np.mean(top < k)))
    return np.mean(precisions), np.mean(times)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return (
        f"{os.cpu_count()}-core CPU ({cpu}), no GPU; torch {torch.__version__} on "
        f"{torch.get_num_threads()} thread(s), scikit-learn {sklearn.__version__}, "
        f"skattn {skattn.__version__}, Python {platform.python_version()}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; writes nothing")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: fastest for these small models)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the synthetic task")
    parser.add_argument("--samples", type=int, default=1000, help="rows of the synthetic task")
    parser.add_argument("--tabnet-epochs", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folds, seeds, n_samples = 5, range(args.seeds), args.samples
    if args.quick:
        folds, seeds, n_samples, args.tabnet_epochs = 2, range(1), 200, 2

    tabnet, tabnet_line = tabnet_status()
    print(tabnet_line)
    load_before = os.getloadavg()
    rows = []
    for name, make in models(tabnet is not None, args.tabnet_epochs).items():
        row = {"model": name}
        for label, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
            X, y = loader(return_X_y=True)
            row[label] = cross_validate(make, X, y, folds)
        row["synthetic"] = precision_at_k(make, seeds, n_samples)
        rows.append(row)
        print(f"done: {name}", flush=True)

    header = (
        "| model | breast_cancer accuracy | fit s | wine accuracy | fit s | "
        f"precision@4 (synthetic, {len(seeds)} seeds) | fit s |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in rows:
        (bc, bcs, bct), (w, ws, wt), (p, pt) = row["breast_cancer"], row["wine"], row["synthetic"]
        lines.append(
            f"| {row['model']} | {bc:.3f} ± {bcs:.3f} | {bct:.2f} | {w:.3f} ± {ws:.3f} | "
            f"{wt:.2f} | {p:.2f} | {pt:.2f} |"
        )
    table = header + "\n".join(lines) + "\n"
    load_after = os.getloadavg()
    print()
    print(table)
    if args.quick:
        return
    tabnet_note = (
        f"TabNetClassifier: {tabnet_line}, default architecture, {args.tabnet_epochs} "
        "epochs without early stopping, batch_size=64, virtual_batch_size=32 (the "
        "default batch of 1024 with drop_last leaves these tables without a single "
        "batch), after a `StandardScaler`; importances: its `feature_importances_`."
        if tabnet is not None
        else f"TabNetClassifier: not measured, {tabnet_line}."
    )
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(
        "# Feature attention on small tables\n\n"
        "Written by `python benchmarks/bench_tabular.py` on "
        f"{datetime.date.today().isoformat()}.\n\n"
        f"Machine: {machine()}. Load average (1, 5, 15 min) "
        f"{', '.join(f'{v:.2f}' for v in load_before)} at the start and "
        f"{', '.join(f'{v:.2f}' for v in load_after)} at the end (the benchmark "
        "itself is one busy thread); all models ran in the same run.\n\n"
        f"Accuracy: mean ± std over {folds}-fold stratified cross-validation "
        "(shuffled, `random_state=0`); fit s: mean seconds per fit. "
        "precision@4: share of the 4 informative features among each model's 4 "
        "largest importances on `make_classification(n_samples="
        f"{n_samples}, n_features=20, n_informative=4, n_redundant=0, shuffle=False)`, "
        f"mean over seeds 0-{len(seeds) - 1}.\n\n"
        + table
        + "\nModels: `FeatureAttentionClassifier(random_state=seed)` with its defaults "
        "(attention pooling over linear feature tokens, 50 epochs; importances: mean "
        "attention over the training rows); `StandardScaler` + "
        "`LogisticRegression(max_iter=5000)` (importances: mean |coef| over classes); "
        "`RandomForestClassifier(random_state=seed)` (impurity importances). "
        + tabnet_note
        + "\n"
    )
    print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
