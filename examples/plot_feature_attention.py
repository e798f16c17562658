"""
Feature attention on a table: importances and feature selection
================================================================

:class:`~skattn.tabular.FeatureAttentionClassifier` turns each column of a
numeric table into a token and attends over them. On scikit-learn's breast
cancer data (569 tumours, 30 measurements) this example compares its held-out
accuracy with logistic regression, plots ``feature_importances_`` (the mean
attention each feature receives) with
:func:`~skattn.inspection.plot_feature_attention`, shows the per-row attention
of a few held-out tumours, and keeps the most attended features with
:class:`~sklearn.feature_selection.SelectFromModel`.
"""

# %%
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skattn.inspection import plot_feature_attention, top_features
from skattn.tabular import FeatureAttentionClassifier

torch.set_num_threads(1)

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)

clf = FeatureAttentionClassifier(random_state=0).fit(X_train, y_train)
baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X_train, y_train)
print(f"held-out accuracy, FeatureAttentionClassifier: {clf.score(X_test, y_test):.3f}")
print(f"held-out accuracy, StandardScaler + LogisticRegression: {baseline.score(X_test, y_test):.3f}")

# %%
# Mean attention per feature
# --------------------------
# ``feature_importances_`` averages the pooling weights over the training rows;
# they are non-negative and sum to 1. The dashed line is 1/30, the weight of
# every feature under uniform attention: read the bars against it, since
# differences of a few thousandths rank features without separating them much.
ax = plot_feature_attention(clf, n=15)
ax.axvline(1 / X.shape[1], color="black", linestyle="--", linewidth=1, label="uniform (1/30)")
ax.legend(loc="lower right")
plt.tight_layout()

# %%
# Per-row attention
# -----------------
# ``explain(X)`` gives each row's own weights: which features each prediction
# read. With ``X``, :func:`~skattn.inspection.plot_feature_attention` draws them
# as a heatmap (columns: the most attended features overall).
plot_feature_attention(clf, X_test.iloc[:12], n=15)
plt.tight_layout()

# %%
# Feature selection
# -----------------
# :class:`~sklearn.feature_selection.SelectFromModel` reads
# ``feature_importances_``. Keeping the 8 most attended features and refitting
# logistic regression on them alone shows how much of the signal they carry.
selector = SelectFromModel(clf, prefit=True, max_features=8, threshold=-float("inf"))
kept = X.columns[selector.get_support()]
print("kept:", ", ".join(kept))
small = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
small.fit(X_train[kept], y_train)
print(f"held-out accuracy, LogisticRegression on the 8 kept features: "
      f"{small.score(X_test[kept], y_test):.3f}")

# %%
# The ranking as a Series, for a table or a join with other importances:
top_features(clf, 8).to_frame()

# %%
# A large weight means the pooling read that feature for these rows; it does
# not say the feature is causal, nor that a correlated feature with little
# weight is useless (correlated measurements such as radius, perimeter and area
# can stand in for each other). Compare with
# :func:`sklearn.inspection.permutation_importance` on held-out data before
# drawing conclusions.
