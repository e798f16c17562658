"""Real datasets bundled with skattn."""

from ._base import load_movie_reviews
from ._dates import make_dates
from ._tatoeba import load_tatoeba_en_fr

__all__ = ["load_movie_reviews", "load_tatoeba_en_fr", "make_dates"]
