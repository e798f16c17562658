"""
An attention encoder as a pipeline step
=======================================

:class:`~skattn.encoders.AttentionEncoder` is a scikit-learn transformer: it
maps raw text to attention-pooled vectors, so it can be the first step of a
:class:`~sklearn.pipeline.Pipeline` whose last step is any estimator. Here it
feeds :class:`~sklearn.linear_model.LogisticRegression` on the bundled movie
reviews, trained once on the labels (supervised) and once without them
(masked-token prediction), next to a TF-IDF baseline; all three are scored on
the same held-out sentences.
"""

# %%
import time

import pandas as pd
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skattn.datasets import load_movie_reviews
from skattn.encoders import AttentionEncoder

torch.set_num_threads(1)

X, y = load_movie_reviews(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, random_state=0, stratify=y
)

pipelines = {
    "TF-IDF (1-2 grams) + LR": make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)
    ),
    "AttentionEncoder (supervised) + LR": make_pipeline(
        AttentionEncoder(max_epochs=4, random_state=0), LogisticRegression(max_iter=1000)
    ),
    "AttentionEncoder (masked tokens, no labels) + LR": make_pipeline(
        AttentionEncoder(task="masked_tokens", max_epochs=2, random_state=0),
        LogisticRegression(max_iter=1000),
    ),
}
rows = []
for name, pipe in pipelines.items():
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    rows.append({"pipeline": name, "held-out accuracy": pipe.score(X_test, y_test),
                 "fit (s)": time.perf_counter() - start})
scores = pd.DataFrame(rows)
scores.style.format({"held-out accuracy": "{:.3f}", "fit (s)": "{:.1f}"}).hide(axis="index")

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(scores["pipeline"][::-1], scores["held-out accuracy"][::-1], color="#d9402b")
ax.axvline(0.5, color="black", linestyle="--", linewidth=1)  # chance: balanced classes
ax.set_xlim(0.4, 1.0)
ax.set_xlabel("held-out accuracy (dashed: chance)")
plt.tight_layout()

# %%
# The masked-token encoder never sees a label: it learns to predict hidden
# tokens, and only the logistic regression uses the labels. With two short
# epochs here it stays far behind; :doc:`/benchmarks_encoders` compares the
# same pipelines, trained longer, on another data set.
#
# The encoder's output
# --------------------
# ``transform`` returns one ``embedding_dim``-wide vector per document;
# ``set_output(transform="pandas")`` names the columns.
encoder = pipelines["AttentionEncoder (supervised) + LR"][0]
encoder.set_output(transform="pandas")
encoder.transform(X_test[:3]).iloc[:, :6]

# %%
# What the encoder's pooling attends to, for one held-out sentence (the same
# tidy table as the text estimators' ``explain``):
encoder.explain(X_test[:1], method="attention").sort_values("weight", ascending=False).head(6)
