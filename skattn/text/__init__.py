"""Attention estimators that take raw text."""

from ._classes import AttentionTextClassifier, AttentionTextRegressor

__all__ = ["AttentionTextClassifier", "AttentionTextRegressor"]
