"""
Which words does a text classifier attend to?
=============================================

Trains :class:`~skattn.text.AttentionTextClassifier` on the bundled movie
review sentences (Pang & Lee, 2005), scores it on held-out sentences next to a
TF-IDF + logistic regression baseline trained on the same split, and shows what
the attention pooling learned: the most attended vocabulary tokens
(``token_attention_`` through :func:`~skattn.inspection.plot_top_tokens`) and
held-out sentences highlighted token by token
(:func:`~skattn.inspection.highlight_html`).
"""

# %%
# Data and model
# --------------
# 10,662 sentences labelled ``"neg"`` or ``"pos"``; 80% train, 20% held out.
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skattn.datasets import load_movie_reviews
from skattn.inspection import highlight_html, plot_top_tokens, top_tokens
from skattn.text import AttentionTextClassifier

torch.set_num_threads(1)

X, y = load_movie_reviews(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, random_state=0, stratify=y
)

clf = AttentionTextClassifier(random_state=0).fit(X_train, y_train)
baseline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000))
baseline.fit(X_train, y_train)

print(f"held-out accuracy, AttentionTextClassifier: {clf.score(X_test, y_test):.3f}")
print(f"held-out accuracy, TF-IDF + LogisticRegression: {baseline.score(X_test, y_test):.3f}")

# %%
# The most attended tokens
# ------------------------
# ``token_attention_`` is the mean pooling weight of each vocabulary token over
# its occurrences in the training sentences. Rare tokens in short sentences
# rank high by chance, so :func:`~skattn.inspection.top_tokens` keeps tokens
# seen at least ``min_count`` times.
top_tokens(clf, 10, min_count=20)

# %%
import matplotlib.pyplot as plt

ax = plot_top_tokens(clf, 20, min_count=20)
plt.tight_layout()

# %%
# Highlighted held-out sentences
# ------------------------------
# ``explain(method="attention")`` returns one row per token; the weights of a
# sentence sum to 1. Each token is shaded by its weight relative to the
# sentence's largest weight (hover a token for its weight).
samples = list(range(8))
explanation = clf.explain(X_test[samples], method="attention")
explanation.head(8)

# %%
predicted = clf.predict(X_test[samples])
captions = [f"true: {t} / predicted: {p}" for t, p in zip(y_test[samples], predicted)]
highlight_html(explanation, captions=captions)

# %%
# Attention says where the pooling looked, in a model trained to predict the
# label. It is not, by itself, evidence of which words the prediction depends
# on, nor of the direction they push it in. ``explain``'s default,
# ``method="contribution"``, is: each token's exact, signed share of the
# predicted class's score (red: towards it, blue: against it). See
# :doc:`/interpretation` for how faithful each method is.
highlight_html(clf.explain(X_test[samples]), captions=captions)
