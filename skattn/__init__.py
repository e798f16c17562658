"""skattn: scikit-learn compatible attention estimators."""

from .encoders import AttentionEncoder, PretrainedTextClassifier, PretrainedTextEncoder
from .feature_extraction import HashingSequenceVectorizer, SequenceVectorizer
from .seq2seq import AttentionSeq2Seq
from .tabular import FeatureAttentionClassifier, FeatureAttentionRegressor
from .text import AttentionTextClassifier, AttentionTextRegressor

__version__ = "0.1.0"

__all__ = [
    "AttentionEncoder",
    "AttentionSeq2Seq",
    "AttentionTextClassifier",
    "AttentionTextRegressor",
    "FeatureAttentionClassifier",
    "FeatureAttentionRegressor",
    "HashingSequenceVectorizer",
    "PretrainedTextClassifier",
    "PretrainedTextEncoder",
    "SequenceVectorizer",
    "__version__",
]
