"""Token-level views of learned attention: tables, HTML highlighting, bar plots.

Everything here works on the outputs of a fitted text estimator
(``token_attention_``, ``explain``) and plain pandas; matplotlib is imported
only when a plot is drawn.
"""

import html

import numpy as np
import pandas as pd

__all__ = ["top_tokens", "highlight_html", "HighlightedText", "plot_top_tokens"]

_EXPLAIN_COLUMNS = ("sample", "position", "token", "weight")


def top_tokens(estimator, n=20, *, min_count=5, by_class=False):
    """The tokens that receive the most attention, with how often they occur.

    Parameters
    ----------
    estimator : fitted AttentionTextClassifier or AttentionTextRegressor
    n : int, default=20
        Number of tokens returned (per class with ``by_class``).
    min_count : int, default=5
        Ignore tokens seen fewer times in the training documents: a token seen
        once in a short document gets a high mean weight by chance.
    by_class : bool, default=False
        Per class, from ``class_token_attention_`` (a classifier with
        ``per_class_attention=True``): each class's top ``n`` tokens.

    Returns
    -------
    table : pandas.DataFrame
        Index ``token``; columns ``attention`` (mean weight over occurrences)
        and ``count`` (occurrences in the training documents), sorted by
        ``attention`` descending. With ``by_class``: columns ``class``,
        ``token``, ``attention`` (the class's mean weight over the token's
        occurrences in that class's documents) and ``count``, sorted by class
        (in ``classes_`` order), then attention.
    """
    counts = estimator.token_counts_
    if by_class:
        per_class = getattr(estimator, "class_token_attention_", None)
        if per_class is None:
            raise ValueError(
                "top_tokens(by_class=True) reads class_token_attention_: fit an "
                "AttentionTextClassifier with per_class_attention=True."
            )
        frames = []
        for label in per_class.columns:
            table = pd.DataFrame({
                "token": per_class.index, "attention": per_class[label].to_numpy(),
                "count": counts.reindex(per_class.index).to_numpy(),
            })
            table = table[table["count"] >= min_count]
            table = table.sort_values("attention", ascending=False, kind="stable").head(n)
            frames.append(table.assign(**{"class": label})[["class", "token", "attention", "count"]])
        return pd.concat(frames, ignore_index=True)
    attention = estimator.token_attention_
    table = pd.DataFrame({"attention": attention, "count": counts.reindex(attention.index)})
    table = table[table["count"] >= min_count]
    return table.head(n)


def _check_explanation(explanation):
    if not isinstance(explanation, pd.DataFrame) or not set(_EXPLAIN_COLUMNS) <= set(
        explanation.columns
    ):
        raise TypeError(
            "Expected the DataFrame returned by explain(), with columns "
            f"{list(_EXPLAIN_COLUMNS)}; got {type(explanation).__name__}."
        )


class HighlightedText(str):
    """HTML markup (a ``str``) that renders as highlighted text in Jupyter."""

    def _repr_html_(self):
        return str(self)

    def save(self, path):
        """Write a standalone HTML page to ``path``."""
        page = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            "<title>skattn attention</title></head>\n<body>\n" + self + "\n</body></html>\n"
        )
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return path


def highlight_html(explanation, *, samples=None, captions=None, color=(220, 50, 32),
                   negative_color=(33, 102, 172), hide_special=False, merge_pieces=False):
    """Highlight each token by its weight (attention or a signed score), as HTML.

    Parameters
    ----------
    explanation : pandas.DataFrame
        The output of an estimator's ``explain(X)``.
    samples : list of int, default=None
        Which documents (values of the ``sample`` column) to show; all when None.
    captions : dict or list of str, default=None
        A caption per shown document (e.g. true and predicted label), by sample
        number (dict) or in the order of ``samples`` (list).
    color : tuple of 3 int, default=(220, 50, 32)
        RGB of the highlight of positive weights; its opacity is the weight
        divided by the document's largest absolute weight.
    negative_color : tuple of 3 int, default=(33, 102, 172)
        RGB of negative weights (signed methods such as ``"contribution"`` or
        ``"gradient"``: tokens that push against the explained class), on the
        same scale; a legend then says which colour is which.
    hide_special : bool, default=False
        Leave out tokens marked ``special`` (a pretrained model's [CLS] and
        [SEP]), which would otherwise take much of the scale.
    merge_pieces : bool, default=False
        Join WordPiece continuations (``"##"`` tokens) to the token before
        them, shown as one word whose weight is the sum of its pieces'.

    Returns
    -------
    HighlightedText
        A ``str`` of HTML that Jupyter renders, with ``.save(path)``.
    """
    _check_explanation(explanation)
    if samples is None:
        samples = list(pd.unique(explanation["sample"]))
    if captions is not None and not isinstance(captions, dict):
        captions = dict(zip(samples, captions))
    if hide_special and "special" in explanation:
        explanation = explanation[~explanation["special"].astype(bool)]
    groups = dict(tuple(explanation.groupby("sample", sort=False)))
    signed = bool((explanation["weight"] < 0).any())
    blocks = []
    if signed:
        blocks.append(
            '<div class="skattn-legend" style="font-size: 0.8em; color: #555">'
            f"{_swatch(color)} pushes towards the explained class "
            f"{_swatch(negative_color)} pushes against it; shade: share of the "
            "document's largest absolute weight</div>"
        )
    for sample in samples:
        rows = groups.get(sample)
        spans = []
        if rows is not None:
            rows = rows.sort_values("position")
            pairs = list(zip(rows["token"].astype(str), rows["weight"].astype(float)))
            if merge_pieces:
                pairs = _merge_word_pieces(pairs)
            top = max((abs(w) for _, w in pairs), default=0.0)
            for token, weight in pairs:
                alpha = 0.0 if top <= 0 else abs(float(weight)) / float(top)
                r, g, b = color if weight >= 0 else negative_color
                spans.append(
                    f'<span title="{weight:.3f}" style="background-color: '
                    f'rgba({r}, {g}, {b}, {alpha:.3f}); padding: 1px 2px; border-radius: 3px">'
                    f"{html.escape(str(token))}</span>"
                )
        caption = ""
        if captions is not None and sample in captions:
            caption = f'<div style="font-size: 0.8em; color: #555">{html.escape(str(captions[sample]))}</div>'
        body = " ".join(spans) if spans else "<em>(no tokens)</em>"
        blocks.append(
            f'<div class="skattn-doc" style="margin: 0.4em 0; line-height: 1.8">{caption}{body}</div>'
        )
    return HighlightedText("\n".join(blocks))


def _merge_word_pieces(pairs):
    """(token, weight) pairs with "##" continuations joined to the token before."""
    merged = []
    for token, weight in pairs:
        if token.startswith("##") and merged:
            previous, total = merged[-1]
            merged[-1] = (previous + token[2:], total + weight)
        else:
            merged.append((token, weight))
    return merged


def _swatch(rgb):
    r, g, b = rgb
    return (f'<span style="background-color: rgb({r}, {g}, {b}); display: inline-block; '
            'width: 0.8em; height: 0.8em"></span>')


def plot_top_tokens(estimator, n=20, *, min_count=5, ax=None):
    """Horizontal bar plot of the most attended tokens (see :func:`top_tokens`).

    Parameters
    ----------
    estimator : fitted text estimator
    n : int, default=20
    min_count : int, default=5
    ax : matplotlib Axes, default=None
        Drawn on a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
    """
    import matplotlib.pyplot as plt

    table = top_tokens(estimator, n, min_count=min_count)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.25 * len(table) + 1))
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, table["attention"].to_numpy(), color="#d9402b")
    ax.set_yticks(positions, table.index.tolist())
    ax.set_xlabel("mean attention weight")
    ax.set_title(f"Top {len(table)} attended tokens (seen at least {min_count} times)")
    return ax
