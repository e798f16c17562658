"""Real datasets bundled with skattn."""

from ._base import load_movie_reviews

__all__ = ["load_movie_reviews"]
