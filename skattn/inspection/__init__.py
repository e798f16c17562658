"""Inspecting learned attention: tidy tables, HTML highlighting and plots.

matplotlib is imported only inside the plotting functions.
"""

from ._alignment import plot_alignment
from ._tokens import HighlightedText, highlight_html, plot_top_tokens, top_tokens

__all__ = ["HighlightedText", "highlight_html", "plot_alignment", "plot_top_tokens", "top_tokens"]
