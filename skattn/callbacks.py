"""skorch callbacks that skattn's estimators use."""

import math

from skorch.callbacks import Callback

__all__ = ["StopOnNonFiniteLoss"]


class StopOnNonFiniteLoss(Callback):
    """Stop training with a clear error as soon as a batch loss is NaN or infinite.

    Without it a diverged model would go on training on NaN weights and then
    predict garbage. Part of every skattn estimator's default callbacks; disable
    it with ``callbacks__stop_on_nonfinite_loss=None``.
    """

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if training and loss is not None and not math.isfinite(loss.item()):
            epoch = len(net.history)
            raise FloatingPointError(
                f"{type(net).__name__}: the training loss became {loss.item()} in epoch "
                f"{epoch}. Training stopped; lower lr, or scale the inputs/targets."
            )
