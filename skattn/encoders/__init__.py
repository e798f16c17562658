"""Attention-based sequence encoders as scikit-learn transformers.

:class:`AttentionEncoder` trains an attention encoder from scratch;
:class:`PretrainedTextEncoder` and :class:`PretrainedTextClassifier` wrap a
pretrained Hugging Face Transformer model (optional dependency
``transformers``, imported only when a model is loaded; the torch module is
:class:`skattn.nn.PretrainedTextModule`).
"""

from ._attention import AttentionEncoder
from ._pretrained import PretrainedTextClassifier, PretrainedTextEncoder

__all__ = [
    "AttentionEncoder",
    "PretrainedTextClassifier",
    "PretrainedTextEncoder",
]
