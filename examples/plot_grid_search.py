"""
Choosing the attention kind with a grid search
==============================================

skattn estimators are scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` tunes them like any other. Here
a cross-validated search compares the four scoring functions of the pooling
attention (``"additive"``, ``"dot"``, ``"general"``, ``"scaled_dot"``) on a
subset of the bundled movie reviews, and the refitted best model is scored on
sentences the search never saw.
"""

# %%
import time

import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, train_test_split

from skattn.datasets import load_movie_reviews
from skattn.text import AttentionTextClassifier

torch.set_num_threads(1)

X, y = load_movie_reviews(return_X_y=True)
# A 3,000-sentence search set keeps the 12 fits quick; 2,000 others are held out.
X_search, X_test, y_search, y_test = train_test_split(
    X, y, train_size=3000, test_size=2000, random_state=0, stratify=y
)

grid = GridSearchCV(
    AttentionTextClassifier(max_epochs=4, random_state=0),
    {"attention": ["additive", "dot", "general", "scaled_dot"]},
    cv=3,
)
start = time.perf_counter()
grid.fit(X_search, y_search)
print(f"12 fits + refit in {time.perf_counter() - start:.0f} s")

# %%
# Cross-validation results
# ------------------------
# ``cv_results_`` as a table, best mean accuracy first. The standard deviation
# over the three folds shows how much of the differences is noise.
results = pd.DataFrame(grid.cv_results_)
table = results[
    ["param_attention", "mean_test_score", "std_test_score", "mean_fit_time", "rank_test_score"]
].sort_values("rank_test_score")
table.columns = ["attention", "mean CV accuracy", "std", "fit (s)", "rank"]
table.style.format({"mean CV accuracy": "{:.3f}", "std": "{:.3f}", "fit (s)": "{:.1f}"}).hide(
    axis="index"
)

# %%
# Held-out score of the best setting
# ----------------------------------
# ``GridSearchCV`` refits the best setting on the whole search set; its score
# on the 2,000 held-out sentences is the honest estimate (the best CV score is
# optimistically biased by the selection).
print("best parameters:", grid.best_params_)
print(f"best mean CV accuracy: {grid.best_score_:.3f}")
print(f"held-out accuracy of the refitted model: {grid.score(X_test, y_test):.3f}")

# %%
# The same results as a plot: mean CV accuracy per attention kind, with the
# standard deviation over the folds. The axis starts at 0.5, chance level on
# these balanced classes.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(results["param_attention"].astype(str), results["mean_test_score"],
       yerr=results["std_test_score"], capsize=4, color="#d9402b")
ax.set_ylim(0.5, results["mean_test_score"].max() + 0.05)
ax.set_xlabel("attention")
ax.set_ylabel("mean CV accuracy (3 folds)")
plt.tight_layout()
