"""Inspecting learned attention: tidy tables, HTML highlighting and plots,
faithfulness reports, bertviz export.

The explanation algorithms themselves (attention rollout, gradient
attribution) live below the estimators, in ``skattn._explain``; they are
re-exported here. Nothing else in skattn imports this package.

matplotlib is imported only inside the plotting functions.
"""

from .._explain import (
    attention_rollout,
    attribute_embeddings,
    embedding_attribution,
    pooling_rollout,
)
from ._alignment import plot_alignment
from ._bertviz import to_bertviz
from ._features import plot_feature_attention, top_features
from ._faithfulness import (
    comprehensiveness_scorer,
    delete_tokens,
    eraser_scores,
    faithfulness_report,
    keep_tokens,
    plot_faithfulness,
    rank_correlation,
    sufficiency_scorer,
)
from ._tokens import HighlightedText, highlight_html, plot_top_tokens, top_tokens

__all__ = [
    "HighlightedText",
    "attention_rollout",
    "attribute_embeddings",
    "comprehensiveness_scorer",
    "delete_tokens",
    "embedding_attribution",
    "eraser_scores",
    "faithfulness_report",
    "highlight_html",
    "keep_tokens",
    "plot_alignment",
    "plot_faithfulness",
    "plot_feature_attention",
    "plot_top_tokens",
    "pooling_rollout",
    "rank_correlation",
    "sufficiency_scorer",
    "to_bertviz",
    "top_features",
    "top_tokens",
]
