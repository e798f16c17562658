"""Explanation algorithms: attention rollout and gradient attribution.

These sit below the estimators, which call them from ``explain``, and above
nothing but numpy (torch is imported inside the gradient functions, so that
``skattn.inspection``, which re-exports them, loads without torch):

- :func:`attention_rollout` and :func:`pooling_rollout` (Abnar & Zuidema, 2020)
  take per-layer weights in the Hugging Face ``output_attentions`` layout (one
  (B, H, T, T) array per layer, rows = queries, columns = keys).
- :func:`embedding_attribution` scores every token position of a batch by how
  much it contributes to a scalar output per sample, through the output of an
  ``nn.Embedding`` inside the model: gradient x input, or integrated gradients
  (Sundararajan et al., 2017) from an all-zero embedding baseline, as a
  midpoint Riemann sum over ``n_steps`` scaled copies of the embeddings.
"""

import contextlib

import numpy as np

__all__ = [
    "ATTRIBUTION_METHODS",
    "attention_rollout",
    "attribute_embeddings",
    "embedding_attribution",
    "pooling_rollout",
]

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


ATTRIBUTION_METHODS = ("gradient", "integrated_gradients")


def _path_points(method, n_steps):
    if method not in ATTRIBUTION_METHODS:
        raise ValueError(
            f"method must be one of {ATTRIBUTION_METHODS}, got {method!r}."
        )
    if method == "gradient":
        return [1.0]
    if int(n_steps) < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}.")
    return [(step + 0.5) / int(n_steps) for step in range(int(n_steps))]


def attribute_embeddings(forward, embedded, target, *, method="gradient", n_steps=20):
    """Per-token attribution of ``target(forward(embedded))`` over ``embedded``.

    The embeddings are passed in, not caught by a hook, so several threads can
    explain with one shared model at once.

    Parameters
    ----------
    forward : callable
        ``forward(e)`` -> outputs, for embeddings ``e`` of shape (B, T, D);
        e.g. ``lambda e: module(x, embedded=e)``.
    embedded : Tensor of shape (B, T, D)
        The embeddings of the input (zero on padding).
    target : callable
        ``target(outputs)`` -> Tensor of shape (B,): the scalar explained for
        each sample. Each sample's value must depend on that sample only.
    method, n_steps
        See :func:`embedding_attribution`.

    Returns
    -------
    scores : Tensor of shape (B, T)
    """
    import torch

    alphas = _path_points(method, n_steps)
    embedded = embedded.detach()
    total = None
    with torch.enable_grad(), _no_cudnn_rnn(embedded):
        for alpha in alphas:
            leaf = (embedded * alpha).requires_grad_(True)
            value = target(forward(leaf))  # (B,)
            (grad,) = torch.autograd.grad(value.sum(), leaf)  # (B, T, D)
            total = grad if total is None else total + grad
    mean_grad = total / len(alphas)  # (B, T, D)
    return (mean_grad * embedded).sum(-1).detach()  # (B, T)


def embedding_attribution(model, embedding, x, target, *, method="gradient", n_steps=20):
    """Per-token attribution of ``target(model(x))`` over ``embedding``'s output.

    For any model: the embeddings are swapped in through a forward hook on
    ``embedding`` (so one model must not be explained from several threads at
    once this way; skattn's estimators pass the embeddings in explicitly with
    :func:`attribute_embeddings`).

    Parameters
    ----------
    model : callable
        ``model(x)`` -> outputs; typically a ``torch.nn.Module`` in eval mode.
    embedding : torch.nn.Module
        The module (inside ``model``) whose output (B, T, D) is attributed.
    x : Tensor of shape (B, T)
        Model input (token ids).
    target : callable
        ``target(outputs)`` -> Tensor of shape (B,): the scalar explained for
        each sample. Each sample's value must depend on that sample only.
    method : {"gradient", "integrated_gradients"}, default="gradient"
        ``"gradient"``: gradient x input, ``sum_d e_td * d target / d e_td``.
        ``"integrated_gradients"``: the input times the gradient averaged
        along the straight path from the zero embedding to ``e``; the scores
        of a sample sum (up to the Riemann error) to
        ``target(e) - target(0)``.
    n_steps : int, default=20
        Steps of the integral (integrated gradients only).

    Returns
    -------
    scores : Tensor of shape (B, T)
        Signed: positive where a token raises the target. Zero where the
        embedding is zero (padding).
    """
    import torch

    _path_points(method, n_steps)
    with torch.no_grad():
        embedded = embedding(x)
    swapped = {}
    handle = embedding.register_forward_hook(lambda module, args, output: swapped["e"])

    def forward(e):
        swapped["e"] = e
        return model(x)

    try:
        return attribute_embeddings(forward, embedded, target, method=method, n_steps=n_steps)
    finally:
        handle.remove()


def _no_cudnn_rnn(x):
    """cuDNN's RNN backward needs training mode; fall back to native kernels
    (``x``: any tensor on the model's device)."""
    import torch

    if x.is_cuda:
        return torch.backends.cudnn.flags(enabled=False)
    return contextlib.nullcontext()
