"""Per-head attention of a Transformer text classifier, in bertviz, and how
faithful its attention is.

Trains a 2-layer, 2-head AttentionTextClassifier(encoder="transformer") on the
bundled movie reviews, exports one review's self-attention with
skattn.inspection.to_bertviz (Hugging Face ``output_attentions`` layout) and,
when bertviz is installed, writes bertviz's head view to an HTML page;
otherwise prints the shapes. Then compares explanation methods on held-out
reviews with a faithfulness report (deletion curves) and rank correlations.

Run: python examples/bertviz_export.py [--output-dir DIR]
"""

import argparse
from pathlib import Path

from sklearn.model_selection import train_test_split

from skattn import AttentionTextClassifier
from skattn.datasets import load_movie_reviews
from skattn.inspection import faithfulness_report, rank_correlation, to_bertviz


def main(output_dir):
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(
        X, y, train_size=6000, test_size=500, random_state=0, stratify=y
    )
    clf = AttentionTextClassifier(
        encoder="transformer", num_layers=2, num_heads=2, embedding_dim=32,
        max_epochs=3, random_state=0,
    ).fit(X_train, y_train)

    text = "a gorgeous , witty , seductive movie ."
    attention, tokens = to_bertviz(clf, text)
    print(f"tokens: {tokens}")
    print(f"{len(attention)} layers, each {tuple(attention[0].shape)} (batch, heads, T, T)")
    try:
        from bertviz import head_view
    except ImportError:
        print("bertviz is not installed (pip install bertviz); shapes above are what head_view takes.")
    else:
        page = head_view(attention, tokens, html_action="return")
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        path = Path(output_dir) / "bertviz_head_view.html"
        path.write_text(page.data, encoding="utf-8")
        print(f"wrote {path}")

    print("\nrollout of the pooling attention for the same review:")
    print(clf.explain([text], method="rollout")[["token", "weight"]].round(3).to_string(index=False))

    methods = ("attention", "rollout", "gradient")
    report = faithfulness_report(clf, X_test, methods=methods, k=(1, 2, 3), random_state=0)
    print("\nprobability drop after deleting the top-k tokens:")
    print(report.round(3).to_string(index=False))
    print("\nrank agreement between methods:")
    print(rank_correlation(clf, X_test, methods=methods).round(3).to_string(index=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(Path(__file__).parent / "output"))
    main(parser.parse_args().output_dir)
