"""skorch callbacks that skattn's estimators use."""

import math

import torch
from skorch.callbacks import Callback

__all__ = ["StopOnNonFiniteLoss"]


class StopOnNonFiniteLoss(Callback):
    """Stop training with a clear error as soon as a batch loss is NaN or
    infinite, or when training ends with non-finite weights.

    Without it a diverged model would go on training on NaN weights and then
    predict garbage. The weights are checked once more when training ends: the
    last optimizer step can make them non-finite after a finite loss (a huge
    ``lr`` on one batch). Part of every skattn estimator's default callbacks;
    disable it with ``callbacks__stop_on_nonfinite_loss=None``.
    """

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if training and loss is not None and not math.isfinite(loss.item()):
            epoch = len(net.history)
            raise FloatingPointError(
                f"{type(net).__name__}: the training loss became {loss.item()} in epoch "
                f"{epoch}. Training stopped; lower lr, or scale the inputs/targets."
            )

    def on_train_end(self, net, **kwargs):
        module = getattr(net, "module_", None)
        if module is None:
            return
        bad = [
            name for name, param in module.named_parameters()
            if param.requires_grad and not torch.isfinite(param).all()
        ]
        if bad:
            raise FloatingPointError(
                f"{type(net).__name__}: training ended with non-finite weights in "
                f"{len(bad)} parameter(s) ({', '.join(bad[:3])}). Lower lr, or scale the "
                "inputs/targets."
            )
