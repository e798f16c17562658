"""Inspecting learned attention: tidy tables, HTML highlighting and plots,
attention rollout, gradient attribution, faithfulness reports, bertviz export.

matplotlib is imported only inside the plotting functions.
"""

from ._alignment import plot_alignment
from ._attribution import embedding_attribution
from ._bertviz import to_bertviz
from ._features import plot_feature_attention, top_features
from ._faithfulness import delete_tokens, faithfulness_report, plot_faithfulness, rank_correlation
from ._rollout import attention_rollout, pooling_rollout
from ._tokens import HighlightedText, highlight_html, plot_top_tokens, top_tokens

__all__ = [
    "HighlightedText",
    "attention_rollout",
    "delete_tokens",
    "embedding_attribution",
    "faithfulness_report",
    "highlight_html",
    "plot_alignment",
    "plot_faithfulness",
    "plot_feature_attention",
    "plot_top_tokens",
    "pooling_rollout",
    "rank_correlation",
    "to_bertviz",
    "top_features",
    "top_tokens",
]
