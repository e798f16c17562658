"""skattn quickstart: an attention text classifier on the bundled movie reviews.

Trains AttentionTextClassifier on 80% of the sentence-polarity data, compares it
with TF-IDF + LogisticRegression trained in the same run on the same split,
prints the tokens the model attends to, and writes an HTML page that highlights
the attention on a few held-out reviews.

Run: python examples/quickstart.py [--output-dir DIR]
"""

import argparse
import time
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skattn import AttentionTextClassifier
from skattn.datasets import load_movie_reviews
from skattn.inspection import highlight_html, top_tokens


def main(output_dir):
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    print(f"movie reviews: {len(X_train)} training / {len(X_test)} held-out sentences")

    start = time.perf_counter()
    clf = AttentionTextClassifier(random_state=0).fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    accuracy = clf.score(X_test, y_test)

    start = time.perf_counter()
    baseline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000))
    baseline.fit(X_train, y_train)
    baseline_fit_s = time.perf_counter() - start
    baseline_accuracy = baseline.score(X_test, y_test)

    print(f"\n{'model':<42}{'accuracy':>9}{'fit (s)':>9}")
    print(f"{'AttentionTextClassifier (pooling)':<42}{accuracy:>9.3f}{fit_s:>9.1f}")
    print(f"{'TF-IDF (1-2 grams) + LogisticRegression':<42}{baseline_accuracy:>9.3f}{baseline_fit_s:>9.1f}")

    print("\nMost attended tokens (seen at least 20 times in training):")
    print(top_tokens(clf, 15, min_count=20).to_string(float_format="{:.3f}".format))

    samples = list(range(8))
    explanation = clf.explain(X_test[samples], method="attention")
    predicted = clf.predict(X_test[samples])
    captions = [f"true: {t} / predicted: {p}" for t, p in zip(y_test[samples], predicted)]
    output_dir.mkdir(parents=True, exist_ok=True)
    path = highlight_html(explanation, captions=captions).save(output_dir / "quickstart_attention.html")
    print(f"\nAttention highlighting of {len(samples)} held-out reviews written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "output")
    main(parser.parse_args().output_dir)
