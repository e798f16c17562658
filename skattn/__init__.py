"""skattn: scikit-learn compatible attention estimators."""

from .feature_extraction import SequenceVectorizer
from .text import AttentionTextClassifier, AttentionTextRegressor

__version__ = "0.1.0"

__all__ = [
    "AttentionTextClassifier",
    "AttentionTextRegressor",
    "SequenceVectorizer",
    "__version__",
]
