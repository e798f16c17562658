"""Alignment heatmaps of sequence-to-sequence attention (matplotlib imported lazily)."""

import numpy as np

__all__ = ["plot_alignment"]


def _label(token):
    """Tick label of a token; a space shows as an open box."""
    return token.replace(" ", "\u2423") if token.isspace() else token


def plot_alignment(alignment, *, ax=None, cmap="Greys", annotate=False, title=None):
    """Draw an alignment matrix as a heatmap: output steps down, source tokens across.

    Parameters
    ----------
    alignment : Alignment
        One element of :meth:`skattn.seq2seq.AttentionSeq2Seq.explain`'s
        output, or any object with ``weights`` (n_target, n_source),
        ``source_tokens`` and ``target_tokens``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    cmap : str, default="Greys"
    annotate : bool, default=False
        Write each weight (two decimals) in its cell.
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    try:
        weights = np.asarray(alignment.weights, dtype=float)
        source, target = list(alignment.source_tokens), list(alignment.target_tokens)
    except AttributeError as exc:
        raise TypeError(
            "plot_alignment expects an element of AttentionSeq2Seq.explain(...) (with "
            f"weights, source_tokens and target_tokens); got {type(alignment).__name__}."
        ) from exc
    if weights.ndim != 2 or weights.shape != (len(target), len(source)):
        raise ValueError(
            f"weights of shape {weights.shape} do not match {len(target)} target and "
            f"{len(source)} source tokens."
        )
    import matplotlib.pyplot as plt

    created = ax is None
    if ax is None:
        width = 2.0 + 0.35 * max(len(source), 1)
        height = 1.5 + 0.3 * max(len(target), 1)
        _, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(weights, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)))
    ax.set_xticklabels([_label(t) for t in source], rotation=90)
    ax.set_yticks(range(len(target)))
    ax.set_yticklabels([_label(t) for t in target])
    ax.set_xlabel("source tokens")
    ax.set_ylabel("output steps")
    if annotate:
        for (j, i), w in np.ndenumerate(weights):
            ax.text(i, j, f"{w:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if w > 0.5 else "black")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention")
    if title is not None:
        ax.set_title(title)
    if created:
        # Room for the tick labels and the y-label, which the default margins clip.
        ax.figure.tight_layout()
    return ax
