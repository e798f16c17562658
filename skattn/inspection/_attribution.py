"""Gradient attribution over token embeddings, for torch modules.

``embedding_attribution`` scores every token position of a batch by how much
it contributes to a scalar output per sample, through the output of an
``nn.Embedding`` inside the model: gradient x input, or integrated gradients
(Sundararajan et al., 2017) from an all-zero embedding baseline. No extra
dependency: the integral is a midpoint Riemann sum over ``n_steps`` scaled
copies of the embeddings, one forward/backward pass of the whole batch each.
torch is imported when the function runs, so that ``skattn.inspection`` loads
without it.
"""

import contextlib

__all__ = ["embedding_attribution", "ATTRIBUTION_METHODS"]

ATTRIBUTION_METHODS = ("gradient", "integrated_gradients")


def embedding_attribution(model, embedding, x, target, *, method="gradient", n_steps=20):
    """Per-token attribution of ``target(model(x))`` over ``embedding``'s output.

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

    if method not in ATTRIBUTION_METHODS:
        raise ValueError(
            f"method must be one of {ATTRIBUTION_METHODS}, got {method!r}."
        )
    if method == "gradient":
        alphas = [1.0]
    else:
        if int(n_steps) < 1:
            raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}.")
        alphas = [(step + 0.5) / int(n_steps) for step in range(int(n_steps))]
    state = {}

    def scale_embeddings(module, args, output):
        # Replace the embeddings by a scaled, detached leaf to differentiate against.
        state["input"] = output.detach()
        leaf = (output.detach() * state["alpha"]).requires_grad_(True)
        state["leaf"] = leaf
        return leaf

    handle = embedding.register_forward_hook(scale_embeddings)
    total = None
    try:
        with torch.enable_grad(), _no_cudnn_rnn(x):
            for alpha in alphas:
                state["alpha"] = alpha
                value = target(model(x))  # (B,)
                (grad,) = torch.autograd.grad(value.sum(), state["leaf"])  # (B, T, D)
                total = grad if total is None else total + grad
    finally:
        handle.remove()
    mean_grad = total / len(alphas)  # (B, T, D)
    return (mean_grad * state["input"]).sum(-1).detach()  # (B, T)


def _no_cudnn_rnn(x):
    """cuDNN's RNN backward needs training mode; fall back to native kernels."""
    import torch

    if x.is_cuda:
        return torch.backends.cudnn.flags(enabled=False)
    return contextlib.nullcontext()
