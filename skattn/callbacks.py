"""skorch callbacks that skattn's estimators use."""

import math

import torch
from skorch.callbacks import Callback

__all__ = ["LinearLRDecay", "StopOnNonFiniteLoss"]


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


class LinearLRDecay(Callback):
    """Decay the learning rate linearly, batch by batch, from its set value
    to 0 over the ``max_epochs`` epochs of each ``fit`` (or ``partial_fit``)
    call, as fastText and Hugging Face's trainer do.

    The number of steps is filled in when the first epoch starts, from the
    training set's size, ``batch_size`` and the number of processes that
    share every epoch's batches (distributed training). Every parameter
    group decays from its own value, which is restored when training ends,
    so the next ``partial_fit`` starts from the set ``lr`` again. The
    estimators' ``lr_schedule="linear"`` adds it; with a scheduler of one's
    own (skorch's ``LRScheduler``), use ``lr_schedule="constant"``.
    """

    def initialize(self):
        self.steps_, self.step_, self.base_lrs_ = None, 0, None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.initialize()

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.steps_ is not None or dataset_train is None:
            return
        drop_last = net.get_params_for("iterator_train").get("drop_last", False)
        batches = len(dataset_train) // net.batch_size if drop_last else math.ceil(
            len(dataset_train) / net.batch_size)
        accelerator = getattr(net, "accelerator", None)
        if accelerator is not None and getattr(accelerator, "num_processes", 1) > 1:
            batches = math.ceil(batches / accelerator.num_processes)  # one shard each
        self.steps_ = max(1, net.max_epochs * batches)
        self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training or self.base_lrs_ is None:
            return
        factor = max(0.0, 1.0 - self.step_ / self.steps_)
        for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = base * factor
        self.step_ += 1

    def on_train_end(self, net, **kwargs):
        if self.base_lrs_ is not None:
            for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
                group["lr"] = base
