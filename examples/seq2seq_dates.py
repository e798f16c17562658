"""Date normalisation with an attention encoder-decoder, and its alignment.

Trains AttentionSeq2Seq (character level, Bahdanau attention) to rewrite dates
written in many human formats ("3 March 2021", "Wed 3 Mar 21", "03/03/2021",
...) as ISO 8601, measures exact-match accuracy on dates never seen in
training, checks where the attention of each output field (year, month, day)
peaks, and draws the alignment of a few inputs as heatmaps.

Run: python examples/seq2seq_dates.py [--output-dir DIR] [--n-train N]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from skattn import AttentionSeq2Seq
from skattn.datasets import make_dates
from skattn.inspection import plot_alignment
from skattn.seq2seq import exact_match_score

FIELDS = {"year": [0, 1, 2, 3], "month": [5, 6], "day": [8, 9]}  # rows of YYYY-MM-DD


def main(output_dir, n_train):
    torch.set_num_threads(1)  # a small recurrent model: one thread is fastest on CPU
    X, y = make_dates(n_train, random_state=0)
    X_test, y_test, spans = make_dates(1200, random_state=123, return_spans=True)
    unseen = ~np.isin(y_test, y)  # evaluate on dates absent from training
    X_test, y_test = X_test[unseen][:1000], y_test[unseen][:1000]
    spans = [s for s, keep in zip(spans, unseen) if keep][:1000]
    print(f"dates: {len(X)} training pairs, {len(X_test)} held-out dates")

    model = AttentionSeq2Seq(
        source_analyzer="char", target_analyzer="char", max_epochs=10, lr=0.01, random_state=0
    )
    start = time.perf_counter()
    model.fit(X, y)
    print(f"fit: {time.perf_counter() - start:.0f} s (final training loss "
          f"{model.history[-1, 'train_loss']:.4f})")

    for beam_width in (1, 3):
        model.set_params(beam_width=beam_width)
        start = time.perf_counter()
        predictions = model.predict(X_test)
        print(f"beam_width={beam_width}: exact match {exact_match_score(y_test, predictions):.3f}, "
              f"character BLEU {model.score(X_test, y_test):.3f} "
              f"(predict {time.perf_counter() - start:.1f} s)")
    model.set_params(beam_width=1)

    # Where does each output field look? Share of held-out dates whose summed
    # attention for that field peaks on the source characters that write it.
    hits = {field: [] for field in FIELDS}
    for alignment, span in zip(model.explain(X_test, y_test), spans):
        for field, rows in FIELDS.items():
            peak = alignment.weights[rows].sum(0).argmax()
            hits[field].append(span[field][0] <= peak < span[field][1])
    print("attention peak on the right source field: "
          + ", ".join(f"{field} {np.mean(h):.3f}" for field, h in hits.items()))

    examples = ["3 March 2021", "Wed 3 Mar 21", "March 3, 2021", "2021/03/03",
                "Saturday, July 4, 1976", "12.10.1999"]
    for text, out in zip(examples, model.predict(examples)):
        print(f"  {text!r:28} -> {out}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    for ax, alignment in zip(axes, model.explain(examples[:3])):
        plot_alignment(alignment, ax=ax, title="".join(alignment.source_tokens))
    fig.tight_layout()
    path = output_dir / "seq2seq_dates_alignment.png"
    fig.savefig(path, dpi=110)
    print(f"alignment heatmaps: {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "output")
    parser.add_argument("--n-train", type=int, default=10000)
    args = parser.parse_args()
    main(args.output_dir, args.n_train)
