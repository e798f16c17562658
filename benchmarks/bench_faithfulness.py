"""Faithfulness of skattn's explanations: ERASER comprehensiveness and sufficiency.

For MR, SUBJ and SMS (``../shared/data``): the default ``AttentionTextClassifier``
is trained on a stratified 80 % split (``random_state=0``), and every
explanation method is scored on the first ``--docs`` held-out documents with
:func:`skattn.inspection.eraser_scores` (fractions 0.01, 0.05, 0.1, 0.2, 0.5):
attention, contribution, gradient x input, integrated gradients (20 steps),
rollout and random, and, where captum installs (``pip install captum``), its
``IntegratedGradients`` (same path, same baseline, 20 midpoint steps) and a
leave-one-token-out occlusion (captum's ``FeatureAblation`` over each token's
embedding). It prints a Markdown table and writes it to
``docs/benchmarks_faithfulness.md`` with the machine and the load average.

With ``--tasc`` it also trains the classifier with TaSc-lin score scaling
(Chrysostomou & Aletras, 2021), a training option meant to make the attention
weights themselves more faithful: the pooling weights ``a_t`` are scaled by a
learned, non-contextual score of each token, ``s_t = u . e_t``, and the
document vector is ``sum_t a_t s_t e_t``; the explanation is ``a_t s_t``. It
reports that model's accuracy and the faithfulness of its scaled weights, to
decide whether the option is worth shipping (it is defined here, not in skattn).

    python benchmarks/bench_faithfulness.py            # about 2 minutes on 2 cores
    python benchmarks/bench_faithfulness.py --tasc     # and the TaSc-lin evaluation
    python benchmarks/bench_faithfulness.py --tasc --lrs 0.03 0.05 0.1   # and lr's effect
    python benchmarks/bench_faithfulness.py --attention-lrs none 0.01 0.001   # attention_lr's
    python benchmarks/bench_faithfulness.py --attention-dims auto none 16   # the scorer's width

``--lrs`` refits the classifier at each starting learning rate (decaying
linearly, the default schedule) and reports its accuracy with the
comprehensiveness of attention, contribution and random: how much the raw
weights explain depends on the learning rate. ``--attention-lrs`` does the same
for ``attention_lr`` ("none": one rate for every layer), ``--attention-dims``
for ``attention_dim`` (the additive scorer's width; "none": the embedding's).
    python benchmarks/bench_faithfulness.py --quick    # smoke run, writes nothing
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from _common import DATA, ROOT, machine, set_threads
from skattn import AttentionTextClassifier
from skattn.inspection import eraser_scores
from skattn.nn import TextAttentionModule

DOCS = ROOT / "docs" / "benchmarks_faithfulness.md"
DATASETS = {"MR": "mr_sentence_polarity.csv", "SUBJ": "subjectivity.csv", "SMS": "sms_spam.csv"}
METHODS = ("attention", "contribution", "gradient", "integrated_gradients", "rollout", "random")


class TaScTextModule(TextAttentionModule):
    """TaSc-lin: pooling weights scaled by a learned score of each token's
    embedding, ``s_t = u . e_t``; the scaled weights ``a_t s_t`` are the
    module's "pooling" weights (what ``explain(method="attention")`` shows)."""

    def __init__(self, vocab_size, n_outputs, **params):
        super().__init__(vocab_size, n_outputs, **params)
        self.scale = torch.nn.Linear(self.encoder.embedding.embedding_dim, 1, bias=False)

    def _pool(self, x, embedded=None):
        _, weights = self.encoder(x, need_weights=True, embedded=embedded)  # a_t: (B, T)
        e = self.encoder.embedding(x) if embedded is None else embedded  # (B, T, D)
        scaled = weights["pooling"] * self.scale(e).squeeze(-1)  # a_t s_t
        return (scaled.unsqueeze(-1) * self.encoder.dropout(e)).sum(1), {"pooling": scaled}

    def forward(self, x, embedded=None):
        pooled, _ = self._pool(x, embedded)
        return self.head(self.encoder.dropout(pooled))

    def forward_with_weights(self, x):
        pooled, weights = self._pool(x)
        return self.head(pooled), weights


def _captum_methods():
    """captum's integrated gradients and occlusion as scoring callables, or {}."""
    try:
        from captum.attr import FeatureAblation, IntegratedGradients
    except ImportError:
        return {}

    def batches(estimator, ids):
        """Encoded batches, their embeddings and the predicted class."""
        module = estimator.module_
        for start in range(0, len(ids), estimator.batch_size):
            x = torch.as_tensor(ids[start:start + estimator.batch_size])
            with torch.no_grad():
                predicted = module(x).argmax(-1)
                embedded = module.encoder.embedding(x)
            yield start, x, embedded, predicted

    def log_prob(module, x):
        return lambda e: module(x, embedded=e).log_softmax(-1)

    def captum_ig(estimator, texts, ids):
        estimator.module_.eval()
        scores = np.zeros(ids.shape)
        for start, x, embedded, predicted in batches(estimator, ids):
            ig = IntegratedGradients(log_prob(estimator.module_, x))
            attr = ig.attribute(embedded, baselines=torch.zeros_like(embedded), target=predicted,
                                n_steps=20, method="riemann_middle", internal_batch_size=len(x))
            scores[start:start + len(x)] = attr.sum(-1).detach().numpy()
        return scores

    def captum_occlusion(estimator, texts, ids):
        estimator.module_.eval()
        scores = np.zeros(ids.shape)
        for start, x, embedded, predicted in batches(estimator, ids):
            mask = torch.arange(x.shape[1])[None, :, None].expand_as(embedded)  # one group a token
            ablation = FeatureAblation(log_prob(estimator.module_, x))
            attr = ablation.attribute(embedded, baselines=0.0, target=predicted, feature_mask=mask)
            scores[start:start + len(x)] = attr[..., 0].detach().numpy()
        return scores

    return {"captum IntegratedGradients": captum_ig, "captum occlusion": captum_occlusion}


def _fit(name, max_epochs=None, **params):
    """The classifier fitted on the stratified 80 % split of data set ``name``:
    (classifier, held-out texts, held-out accuracy, fit seconds)."""
    frame = pd.read_csv(DATA / DATASETS[name])
    X_train, X_test, y_train, y_test = train_test_split(
        frame["text"].tolist(), frame["label"].to_numpy(), test_size=0.2, random_state=0,
        stratify=frame["label"],
    )
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    start = time.perf_counter()
    clf = AttentionTextClassifier(random_state=0, **params).fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    return clf, X_test, float(np.mean(clf.predict(X_test) == y_test)), fit_seconds


def run_tasc(name, n_docs, max_epochs=None):
    """Accuracy of the TaSc-lin classifier and the faithfulness of its scaled weights."""
    clf, X_test, accuracy, _ = _fit(name, max_epochs, module=TaScTextModule)
    table = eraser_scores(clf, X_test[:n_docs], methods=("attention", "random"), random_state=0)
    return table.loc["attention"], accuracy


def run(name, n_docs, max_epochs=None):
    clf, X_test, accuracy, fit_seconds = _fit(name, max_epochs)
    methods = {m: m for m in METHODS} | _captum_methods()
    table = eraser_scores(clf, X_test[:n_docs], methods=methods, random_state=0)
    table.insert(0, "data", name)
    return table, accuracy, fit_seconds


def _refit_rows(names, n_docs, quick, param, values):
    """Table rows: the default classifier refitted with ``param`` at each of
    ``values``; its accuracy and the comprehensiveness of attention,
    contribution and random."""
    rows = [f"| data | {param} | accuracy | attention comp. | contribution comp. | random comp. |",
            "|---|---|---|---|---|---|"]
    for name in names:
        for value in values:
            clf, X_test, accuracy, _ = _fit(name, 1 if quick else None, **{param: value})
            scores = eraser_scores(clf, X_test[:n_docs], random_state=0,
                                   methods=("attention", "contribution", "random"))
            comp = scores["comprehensiveness"]
            shown = "none" if value is None else value if isinstance(value, str) else f"{value:g}"
            rows.append(f"| {name} | {shown} | {accuracy:.3f} | {comp['attention']:.3f} | "
                        f"{comp['contribution']:.3f} | {comp['random']:.3f} |")
            print(rows[-1], flush=True)
    return rows


def _section(title, intro, rows):
    """A Markdown section: heading, one paragraph, a table given as its rows."""
    return f"\n## {title}\n\n{intro}\n\n" + "\n".join(rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=400, help="held-out documents scored")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke run; writes nothing")
    parser.add_argument("--tasc", action="store_true", help="also evaluate TaSc-lin training")
    parser.add_argument("--lrs", type=float, nargs="*", default=[],
                        help="also refit at these learning rates (see above)")
    parser.add_argument("--attention-lrs", nargs="*", default=[], metavar="RATE",
                        help="also refit at these attention_lr values ('none': one lr)")
    parser.add_argument("--attention-dims", nargs="*", default=[], metavar="WIDTH",
                        help="also refit at these attention_dim values ('auto', 'none' or a "
                             "width)")
    args = parser.parse_args()
    set_threads(args.threads)
    names = ["MR"] if args.quick else list(DATASETS)
    n_docs = 40 if args.quick else args.docs
    tables, notes = [], []
    for name in names:
        table, accuracy, fit_seconds = run(name, n_docs, max_epochs=1 if args.quick else None)
        tables.append(table)
        notes.append(f"{name}: held-out accuracy {accuracy:.3f}, fit {fit_seconds:.1f} s")
        print(notes[-1], flush=True)
    result = pd.concat(tables).reset_index()
    lines = [
        "| data | method | comprehensiveness (higher: more faithful) | sufficiency (lower: more faithful) | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in result.itertuples():
        lines.append(
            f"| {row.data} | {row.method} | {row.comprehensiveness:.3f} ± "
            f"{row.comprehensiveness_sem:.3f} | {row.sufficiency:.3f} ± {row.sufficiency_sem:.3f} "
            f"| {row.explain_seconds:.2f} |"
        )
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    tasc = ""
    if args.tasc:
        rows = [
            "| data | default: accuracy | TaSc-lin: accuracy | default attention: comp. / suff. "
            "| TaSc-lin scaled weights: comp. / suff. | contribution (default model): comp. / suff. |",
            "|---|---|---|---|---|---|",
        ]
        for name, note in zip(names, notes):
            scores, accuracy = run_tasc(name, n_docs, max_epochs=1 if args.quick else None)
            default = result[result["data"] == name].set_index("method")
            rows.append(
                f"| {name} | {note.split('accuracy ')[1].split(',')[0]} | {accuracy:.3f} | "
                f"{default.loc['attention', 'comprehensiveness']:.3f} / "
                f"{default.loc['attention', 'sufficiency']:.3f} | "
                f"{scores['comprehensiveness']:.3f} / {scores['sufficiency']:.3f} | "
                f"{default.loc['contribution', 'comprehensiveness']:.3f} / "
                f"{default.loc['contribution', 'sufficiency']:.3f} |"
            )
            print(rows[-1], flush=True)
        tasc = _section(
            "TaSc-lin score scaling, evaluated",
            "`--tasc`: the same classifier trained with TaSc-lin (attention weights scaled "
            "by a learned score of each token's embedding; the explanation is the scaled "
            "weights), same split and documents:", rows)
    by_lr = ""
    if args.lrs:
        by_lr = _section(
            "The learning rate and the raw weights",
            "`--lrs`: the default classifier refitted at each starting learning rate (decaying "
            "linearly to 0, the default schedule), same split and documents; comprehensiveness "
            "as above:", _refit_rows(names, n_docs, args.quick, "lr", args.lrs))
    if args.attention_lrs:
        by_lr += _section(
            "The attention layers' learning rate and the raw weights",
            "`--attention-lrs`: the default classifier refitted at each `attention_lr` (the "
            "rate of the pooling query and scorer; none: `lr` for every layer), same split "
            "and documents; comprehensiveness as above:",
            _refit_rows(names, n_docs, args.quick, "attention_lr",
                        [None if a == "none" else float(a) for a in args.attention_lrs]))
    if args.attention_dims:
        by_lr += _section(
            "The scorer's width and the raw weights",
            "`--attention-dims`: the default classifier refitted at each `attention_dim` (the "
            "width of the additive scorer's tanh layer; auto: 8 units for the pooling encoder, "
            "none: as wide as the embedding, 64), same split and documents; comprehensiveness "
            "as above:",
            _refit_rows(names, n_docs, args.quick, "attention_dim",
                        [None if a == "none" else a if a == "auto" else int(a)
                         for a in args.attention_dims]))
    if args.quick:
        return
    DOCS.write_text(
        "# Faithfulness of the explanations (ERASER)\n\n"
        "Written by `python benchmarks/bench_faithfulness.py`.\n\n"
        f"Machine: {machine()}.\n\n"
        "Protocol: the default `AttentionTextClassifier(random_state=0)` trained on a "
        "stratified 80 % split (`random_state=0`) of each data set; every method scored on "
        f"the first {n_docs} held-out documents by `skattn.inspection.eraser_scores` "
        "(fractions 0.01, 0.05, 0.1, 0.2, 0.5 of each document's tokens, AOPC; mean ± "
        "standard error over documents). Comprehensiveness: drop of the predicted class's "
        "probability when the top tokens are removed; sufficiency: the drop when only they "
        "are kept. Seconds: time to compute the method's scores for all documents. "
        "captum rows: captum's `IntegratedGradients` over the token embeddings (zero "
        "baseline, 20 `riemann_middle` steps, as skattn's) and leave-one-token-out "
        "occlusion (`FeatureAblation`, one group per token), both explaining the predicted "
        "class's log-probability.\n\n"
        + "; ".join(notes) + ".\n\n" + table + tasc + by_lr
    )
    print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
