"""A pretrained Hugging Face encoder model as a plain torch module.

``transformers`` is an optional dependency (``pip install 'skattn[hf]'``),
imported only when a model is built, never when ``skattn.nn`` is imported.
Models load offline only (``local_files_only=True``): from a local directory,
or by id from the local Hugging Face cache.
"""

import threading
from contextlib import contextmanager

from torch import nn

__all__ = ["PretrainedTextModule", "POOLINGS", "import_transformers", "load_failed"]

POOLINGS = ("mean", "cls")


def import_transformers():
    try:
        import transformers
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Pretrained text models need the optional dependency 'transformers': "
            "pip install 'skattn[hf]'."
        ) from exc
    return transformers


def load_failed(model, exc):
    return ValueError(
        f"Could not load a Hugging Face model offline from model={model!r}: give the "
        "path of a local model directory (config.json, tokenizer files and weights) "
        f"or the id of a model already in the local Hugging Face cache. ({exc})"
    )


class _SharedExclusiveLock:
    """Many holders in shared mode, or one in exclusive mode."""

    def __init__(self):
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False

    @contextmanager
    def shared(self):
        with self._condition:
            while self._exclusive:
                self._condition.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                self._shared -= 1
                self._condition.notify_all()

    @contextmanager
    def exclusive(self):
        with self._condition:
            while self._exclusive or self._shared:
                self._condition.wait()
            self._exclusive = True
        try:
            yield
        finally:
            with self._condition:
                self._exclusive = False
                self._condition.notify_all()


# The attention implementation is a model-wide switch that a forward pass
# reads layer by layer: forward passes share this lock, and the switch to the
# eager kernel (the one that returns weights) holds it alone, so no pass ever
# runs half on one kernel and half on the other.
_ATTENTION_SWITCH = _SharedExclusiveLock()


@contextmanager
def _quiet(transformers, quiet):
    """Within the block, no Hugging Face progress bars or info messages."""
    if not quiet:
        yield
        return
    logging = transformers.utils.logging
    bars, level = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def _build_transformer(transformers, model_path, transformer_config):
    """The Hugging Face model: from a stored configuration (untrained weights,
    to be replaced), or loaded offline from ``model_path``."""
    if transformer_config is not None:
        config = dict(transformer_config)
        config = transformers.AutoConfig.for_model(config.pop("model_type"), **config)
        return transformers.AutoModel.from_config(config)
    try:
        return transformers.AutoModel.from_pretrained(model_path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise load_failed(model_path, exc) from exc


@contextmanager
def _eager_attention(model):
    """Run the block with the model's plain ("eager") attention, the only one
    that returns attention weights; the faster SDPA kernels come back after.
    Holds the attention switch exclusively (see ``_ATTENTION_SWITCH``)."""
    setter = getattr(model, "set_attn_implementation", None)

    def switch(impl):
        if setter is not None:
            setter(impl)
        else:  # transformers < 5 reads the config at every forward
            model.config._attn_implementation = impl

    with _ATTENTION_SWITCH.exclusive():
        previous = getattr(model.config, "_attn_implementation", None)
        if previous in (None, "eager"):
            yield
            return
        switch("eager")
        try:
            yield
        finally:
            switch(previous)


class PretrainedTextModule(nn.Module):
    """A Hugging Face encoder model, pooled, with an optional linear output layer.

    Input is a (B, T) tensor of the tokenizer's ids, right-padded with
    ``pad_token_id``; the attention mask (True = real token) is derived from it.

    Parameters
    ----------
    model_path : str
        Local model directory or id in the local Hugging Face cache.
    pooling : {"mean", "cls"}, default="mean"
        Mean of the last hidden states over real tokens, or the state of the
        first ([CLS]) token.
    n_outputs : int or None, default=None
        Width of a linear output layer on the pooled vector; None: ``forward``
        returns the pooled vector.
    dropout : float, default=0.1
        Dropout before the output layer.
    pad_token_id : int, default=0
    freeze_transformer : bool, default=False
        Keep the pretrained weights fixed (and its dropout off), so that only
        the output layer learns.
    show_progress : bool, default=False
        Show Hugging Face's progress bars and messages while the model loads.
    transformer_config : dict, default=None
        Build the model from this configuration (``config.to_dict()``) with
        untrained weights instead of loading ``model_path``; how a saved model
        is rebuilt before its weights are loaded (:func:`skattn.io.load`).
    """

    def __init__(self, model_path, pooling="mean", n_outputs=None, dropout=0.1, pad_token_id=0,
                 freeze_transformer=False, transformer_config=None, show_progress=False):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        transformers = import_transformers()
        with _quiet(transformers, not show_progress):
            self.transformer = _build_transformer(transformers, model_path, transformer_config)
        self.pooling = pooling
        self.pad_token_id = pad_token_id
        self.freeze_transformer = freeze_transformer
        self.output_dim = self.transformer.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = None if n_outputs is None else nn.Linear(self.output_dim, n_outputs)
        if freeze_transformer:
            self.transformer.requires_grad_(False)

    def __getstate__(self):
        # Hugging Face models carry forward hooks that cannot be pickled; keep
        # their configuration and weights instead and rebuild them on unpickling.
        state = self.__dict__.copy()
        modules = dict(state["_modules"])
        transformer = modules.pop("transformer")
        state["_modules"] = modules
        state["_transformer"] = (transformer.config, transformer.state_dict())
        return state

    def __setstate__(self, state):
        config, weights = state.pop("_transformer")
        super().__setstate__(state)
        transformer = import_transformers().AutoModel.from_config(config)
        transformer.load_state_dict(weights)
        transformer.requires_grad_(not self.freeze_transformer)
        self._modules = {"transformer": transformer, **self._modules}
        self.train(self.training)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_transformer:
            self.transformer.eval()
        return self

    def embed(self, x, output_attentions=False):
        """Token ids (B, T) -> (pooled (B, D), attentions: tuple of (B, H, T, T) per layer or None).

        With ``output_attentions`` the model runs its eager kernel (see
        :meth:`forward_with_weights`); otherwise whichever it was loaded with.
        """
        if output_attentions:
            with _eager_attention(self.transformer):
                return self._embed(x, output_attentions=True)
        with _ATTENTION_SWITCH.shared():
            return self._embed(x)

    def _embed(self, x, output_attentions=False):
        mask = x != self.pad_token_id  # (B, T), True = real token
        out = self.transformer(
            input_ids=x, attention_mask=mask.long(), output_attentions=output_attentions
        )
        states = out.last_hidden_state  # (B, T, D)
        if self.pooling == "cls":
            pooled = states[:, 0]  # (B, D)
        else:
            weights = mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (B, D)
        return pooled, (out.attentions if output_attentions else None)

    def _output(self, pooled):
        return pooled if self.head is None else self.head(self.dropout(pooled))

    def forward(self, x):
        """Token ids (B, T) -> outputs (B, n_outputs), or pooled (B, D) without a head."""
        pooled, _ = self.embed(x)
        return self._output(pooled)

    def forward_with_weights(self, x):
        """Token ids (B, T) -> (outputs, {"self_attention": tuple of (B, H, T, T) per layer})."""
        pooled, attentions = self.embed(x, output_attentions=True)
        return self._output(pooled), {"self_attention": tuple(attentions)}
