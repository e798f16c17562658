"""Validation helpers."""

from ._validation import check_texts

__all__ = ["check_texts"]
