"""Attention rollout (Abnar & Zuidema, 2020) over stacked self-attention layers.

Plain numpy: the functions take the per-layer weights in the Hugging Face
``output_attentions`` layout (a sequence with one (B, H, T, T) array per layer,
rows = queries, columns = keys) and know nothing of torch or the estimators.
"""

import numpy as np

__all__ = ["attention_rollout", "pooling_rollout"]

_HEAD_FUSIONS = ("mean", "max", "min")


def _as_layers(layers):
    layers = [np.asarray(layer, dtype=np.float64) for layer in layers]
    if not layers:
        raise ValueError("attention_rollout needs at least one layer of weights.")
    shape = layers[0].shape
    if len(shape) != 4 or shape[-1] != shape[-2]:
        raise ValueError(
            "Each layer's weights must be shaped (batch, heads, T, T), got "
            f"{shape}."
        )
    for layer in layers[1:]:
        if layer.shape != shape:
            raise ValueError(
                f"All layers must share one shape; got {shape} and {layer.shape}."
            )
    return layers


def attention_rollout(layers, *, residual=True, head_fusion="mean"):
    """Roll attention out through stacked self-attention layers.

    Each layer's heads are fused into one (T, T) matrix ``A_l``. With
    ``residual=True`` (Abnar & Zuidema's recipe) the residual connection is
    accounted for as ``0.5 * A_l + 0.5 * I``, rows renormalised. The rollout is
    the product ``R = A_L ... A_2 A_1``: row ``i`` says how much of position
    ``i``'s state after the last layer comes from each input token, assuming
    that information mixes linearly along the attention weights.

    Parameters
    ----------
    layers : sequence of array-like of shape (B, H, T, T)
        Self-attention weights, first layer first (queries on rows).
    residual : bool, default=True
        Add the identity for the residual connection. With ``False`` the
        rollout is the pure product of the weights, so for a single layer it is
        the (head-fused) raw attention itself.
    head_fusion : {"mean", "max", "min"}, default="mean"
        How the heads of a layer are combined.

    Returns
    -------
    rollout : ndarray of shape (B, T, T)
        Rows sum to 1; a real position's row is 0 on padding keys (given
        weights that are 0 there). With ``residual`` a padding row keeps its
        own identity mass; real rows never read from padding rows.
    """
    if head_fusion not in _HEAD_FUSIONS:
        raise ValueError(
            f"head_fusion must be one of {_HEAD_FUSIONS}, got {head_fusion!r}."
        )
    layers = _as_layers(layers)
    rollout = None
    for layer in layers:
        fused = getattr(layer, head_fusion)(axis=1)  # (B, H, T, T) -> (B, T, T)
        if residual:
            fused = fused + np.eye(fused.shape[-1])
        total = fused.sum(-1, keepdims=True)
        fused = np.divide(fused, total, out=np.zeros_like(fused), where=total > 0)
        # Later layers act on the outputs of earlier ones: R_l = A_l R_{l-1}.
        rollout = fused if rollout is None else fused @ rollout  # (B, T, T)
    return rollout


def pooling_rollout(pooling, layers=(), *, residual=True, head_fusion="mean"):
    """Flow of a pooling attention back to the input tokens.

    The pooling weights ``p`` (one query over the positions of the last
    layer) are multiplied with the :func:`attention_rollout` ``R`` of the
    self-attention layers below them: ``p R``. Without self-attention layers
    the result is ``p`` itself.

    Parameters
    ----------
    pooling : array-like of shape (B, T)
        Pooling weights over the positions of the last layer.
    layers : sequence of array-like of shape (B, H, T, T), default=()
        Self-attention weights of the layers under the pooling, first first.
    residual, head_fusion
        See :func:`attention_rollout`.

    Returns
    -------
    rollout : ndarray of shape (B, T)
        Sums to 1 wherever ``pooling`` does.
    """
    pooling = np.asarray(pooling, dtype=np.float64)
    if pooling.ndim != 2:
        raise ValueError(f"pooling weights must be shaped (B, T), got {pooling.shape}.")
    if len(layers) == 0:
        return pooling
    rollout = attention_rollout(layers, residual=residual, head_fusion=head_fusion)
    if rollout.shape[::2] != pooling.shape:
        raise ValueError(
            f"pooling weights {pooling.shape} do not match the layers' (B, T) "
            f"{rollout.shape[::2]}."
        )
    return np.einsum("bt,bts->bs", pooling, rollout)  # (B, T) x (B, T, T) -> (B, T)
