"""English -> French translation of short sentences, with word alignments.

Trains AttentionSeq2Seq (word level, Bahdanau attention) on the bundled Tatoeba
pairs, holding out 10% of the English sentences (all their translations go to
the same side of the split), reports corpus BLEU-4 and exact match on them,
prints a few translations with the attribution of their pair, and draws the
attention alignment of some held-out sentences.

Data: tatoeba.org, CC BY 2.0 FR; every pair's contributors are in
``load_tatoeba_en_fr().attribution``.

Run: python examples/seq2seq_tatoeba.py [--output-dir DIR]
"""

import argparse
import time
from pathlib import Path

import torch
from sklearn.model_selection import GroupShuffleSplit

from skattn import AttentionSeq2Seq
from skattn.datasets import load_tatoeba_en_fr
from skattn.inspection import plot_alignment
from skattn.seq2seq import exact_match_score


def main(output_dir):
    torch.set_num_threads(1)  # a small recurrent model: one thread is fastest on CPU
    pairs = load_tatoeba_en_fr()
    X, y, attribution = pairs.data, pairs.target, pairs.attribution
    split = GroupShuffleSplit(n_splits=1, test_size=0.1, random_state=0)
    train, test = next(split.split(X, y, groups=X))
    print(f"tatoeba en->fr: {len(train)} training / {len(test)} held-out pairs "
          f"({len(set(X[test]))} held-out English sentences)")

    model = AttentionSeq2Seq(
        embedding_dim=64, hidden_size=128, max_epochs=15, lr=0.008, batch_size=64,
        module__dropout=0.2, max_output_len=16, random_state=0,
    )
    start = time.perf_counter()
    model.fit(X[train], y[train])
    print(f"fit: {time.perf_counter() - start:.0f} s, vocabularies "
          f"{len(model.source_vectorizer_.vocabulary_)} en / "
          f"{len(model.target_vectorizer_.vocabulary_)} fr tokens")

    predictions = model.predict(X[test])
    references = [" ".join(t) for t in model.target_vectorizer_.tokenize(y[test])]
    print(f"held-out corpus BLEU-4 {model.score(X[test], y[test]):.3f}, "
          f"exact match {exact_match_score(references, predictions):.3f} (greedy)")
    model.set_params(beam_width=4)
    print(f"held-out corpus BLEU-4 {model.score(X[test], y[test]):.3f} (beam_width=4)")
    model.set_params(beam_width=1)

    # A few held-out English sentences, each with all its reference translations.
    for source in list(dict.fromkeys(X[test]))[:8]:
        rows = test[X[test] == source]
        print(f"  {source!r:22} -> {model.predict([source])[0]!r:30} references "
              + " | ".join(y[rows]))
        for i in rows:
            print(f"      [{attribution[i]}]")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir.mkdir(parents=True, exist_ok=True)
    shown = ["I lost my keys.", "We are very happy.", "Tom is a good man."]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, alignment in zip(axes, model.explain(shown)):
        plot_alignment(alignment, ax=ax, annotate=True)
    fig.tight_layout()
    path = output_dir / "seq2seq_tatoeba_alignment.png"
    fig.savefig(path, dpi=110)
    print(f"alignment heatmaps: {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "output")
    main(parser.parse_args().output_dir)
