"""
Seq2seq alignment: where does the decoder look?
===============================================

Trains a small character-level :class:`~skattn.seq2seq.AttentionSeq2Seq`
(Bahdanau attention) to rewrite dates written in many human formats as ISO
8601, using :func:`~skattn.datasets.make_dates`. It measures exact-match
accuracy on dates never seen in training, checks whether the attention of each
output field (year, month, day) peaks on the source characters that write it,
and draws alignments with :func:`~skattn.inspection.plot_alignment`.

The model is kept small so the example runs in well under a minute;
``examples/seq2seq_dates.py`` trains a larger one to exact match 1.000.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from skattn.datasets import make_dates
from skattn.inspection import plot_alignment
from skattn.seq2seq import AttentionSeq2Seq, exact_match_score

torch.set_num_threads(1)  # a small recurrent model: one thread is fastest on CPU

X, y = make_dates(2000, random_state=0)
X_test, y_test, spans = make_dates(600, random_state=123, return_spans=True)
unseen = ~np.isin(y_test, y)  # evaluate on dates absent from training
X_test, y_test = X_test[unseen], y_test[unseen]
spans = [s for s, keep in zip(spans, unseen) if keep]
print(f"{len(X)} training pairs, {len(X_test)} held-out dates, e.g. {X[0]!r} -> {y[0]!r}")

model = AttentionSeq2Seq(
    source_analyzer="char", target_analyzer="char", max_epochs=8, lr=0.01, random_state=0
)
start = time.perf_counter()
model.fit(X, y)
print(f"fit: {time.perf_counter() - start:.0f} s")

predictions = model.predict(X_test)
print(f"held-out exact match: {exact_match_score(y_test, predictions):.3f}")
print(f"held-out character BLEU: {model.score(X_test, y_test):.3f}")

# %%
# Does each output field attend to the right part of the source?
# ----------------------------------------------------------------
# :func:`~skattn.datasets.make_dates` can return where the year, month and day
# are written in each source. For each held-out date, sum the attention of the
# output characters of a field (rows ``YYYY``, ``MM``, ``DD`` of the output)
# and check whether it peaks inside that field's source span.
FIELDS = {"year": [0, 1, 2, 3], "month": [5, 6], "day": [8, 9]}
hits = {field: [] for field in FIELDS}
for alignment, span in zip(model.explain(X_test, y_test), spans):
    for field, rows in FIELDS.items():
        peak = alignment.weights[rows].sum(0).argmax()
        hits[field].append(span[field][0] <= peak < span[field][1])
for field, h in hits.items():
    print(f"{field}: attention peaks on the right source characters for {np.mean(h):.1%}")

# %%
# Alignment heatmaps
# ------------------
# Rows: the generated characters (ending with ``<eos>``); columns: the source
# characters. Each row sums to 1.
examples = ["3 March 2021", "Wed 3 Mar 21", "2021/03/03"]
for text, out in zip(examples, model.predict(examples)):
    print(f"{text!r:16} -> {out}")
fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
for ax, alignment in zip(axes, model.explain(examples)):
    plot_alignment(alignment, ax=ax, title="".join(alignment.source_tokens))
fig.tight_layout()

# %%
# Where a month is written as a name, the month digits spread their attention
# over its letters (no single letter determines the month); where it is
# written in digits, they sit on those digits. The century of a two-digit year
# ("21" -> "2021") is written nowhere in the source, and its rows attend more
# diffusely. An alignment shows what the decoder read at each step; it is not
# by itself proof that the output depends on nothing else.
