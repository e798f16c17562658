"""Text -> token-id arrays for sequence models (no torch)."""

from ._sequence import HashingSequenceVectorizer, SequenceVectorizer

__all__ = ["SequenceVectorizer", "HashingSequenceVectorizer"]
