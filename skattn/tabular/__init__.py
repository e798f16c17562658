"""Attention over the features of numeric tables: classifier and regressor."""

from ._classes import FeatureAttentionClassifier, FeatureAttentionRegressor

__all__ = ["FeatureAttentionClassifier", "FeatureAttentionRegressor"]
