"""Real datasets bundled with skattn."""

from ._base import load_movie_reviews
from ._dates import make_dates

__all__ = ["load_movie_reviews", "make_dates"]
