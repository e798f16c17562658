"""Attention layers and encoders as plain torch modules (no scikit-learn here).

:class:`PretrainedTextModule` wraps a Hugging Face model; ``transformers`` is
imported only when one is built. :class:`DeferredAdam` trains sparse embedding
gradients as dense Adam would.
"""

from .attention import (
    AdditiveAttention,
    AttentionPooling,
    DotAttention,
    GeneralAttention,
    MultiHeadSelfAttention,
    ScaledDotProductAttention,
    make_attention,
    masked_softmax,
)
from .dropout import Dropout
from .norm import LayerNorm
from .optim import DeferredAdam
from .pretrained import PretrainedTextModule
from .seq2seq import Seq2SeqModule
from .tabular import FeatureAttentionModule, FeatureTokenizer
from .text import SequenceEncoder, TextAttentionModule, TransformerBlock

__all__ = [
    "AdditiveAttention",
    "AttentionPooling",
    "DeferredAdam",
    "DotAttention",
    "Dropout",
    "FeatureAttentionModule",
    "FeatureTokenizer",
    "GeneralAttention",
    "LayerNorm",
    "MultiHeadSelfAttention",
    "PretrainedTextModule",
    "ScaledDotProductAttention",
    "Seq2SeqModule",
    "SequenceEncoder",
    "TextAttentionModule",
    "TransformerBlock",
    "make_attention",
    "masked_softmax",
]
