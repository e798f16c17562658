"""Text -> token-id arrays for sequence models (no torch)."""

from ._sequence import SequenceVectorizer

__all__ = ["SequenceVectorizer"]
