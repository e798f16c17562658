"""Export of per-layer, per-head attention for bertviz."""

__all__ = ["to_bertviz"]


def to_bertviz(estimator, text):
    """One document's self-attention, ready for ``bertviz.head_view``.

    Parameters
    ----------
    estimator : fitted estimator with ``attention_layers``
        E.g. an :class:`~skattn.text.AttentionTextClassifier` with
        ``encoder="transformer"``.
    text : str
        The document.

    Returns
    -------
    attention : tuple of torch.Tensor of shape (1, num_heads, T, T)
        One tensor per layer, first layer first, in the layout of Hugging
        Face's ``output_attentions`` (rows are queries, columns keys), cut to
        the document's ``T`` tokens.
    tokens : list of str
        The document's ``T`` tokens, as written.

    Examples
    --------
    >>> from bertviz import head_view  # doctest: +SKIP
    >>> head_view(*to_bertviz(clf, "a gorgeous , witty movie ."))  # doctest: +SKIP
    """
    import torch

    if not isinstance(text, str):
        raise TypeError(
            f"to_bertviz explains one document: pass a str, got {type(text).__name__}."
        )
    layers, tokens = estimator.attention_layers([text])
    tokens = list(tokens[0])
    if not tokens:
        raise ValueError("The document has no tokens to show.")
    T = len(tokens)
    attention = tuple(torch.from_numpy(layer[:, :, :T, :T].copy()) for layer in layers)
    return attention, tokens
