"""Loaders for the real datasets bundled with skattn (see data/ATTRIBUTION.md)."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_movie_reviews"]


def _read_bundled(filename):
    with resources.files(__package__).joinpath("data", filename).open("rb") as f:
        return pd.read_csv(f, compression="gzip", keep_default_na=False)


def _text_bunch(frame, *, descr, return_X_y, as_frame):
    """Package a ``text,label`` frame the way scikit-learn's loaders do."""
    data, target = frame["text"], frame["label"]
    if not as_frame:
        data = data.to_numpy(dtype=object)
        target = target.to_numpy(dtype=object)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame if as_frame else None,
        target_names=np.unique(frame["label"].to_numpy(dtype=object)),
        feature_names=["text"],
        DESCR=descr,
    )


_MR_DESCR = """Movie review sentence polarity (sentence polarity dataset v1.0)
---------------------------------------------------------------

10,662 snippets of Rotten Tomatoes reviews, 5,331 labelled "pos" and 5,331
"neg"; lowercased and tokenized by the authors (about 21 tokens each).

Source: Bo Pang and Lillian Lee, "Seeing stars: Exploiting class relationships
for sentiment categorization with respect to rating scales", Proceedings of ACL
2005. https://www.cs.cornell.edu/people/pabo/movie-review-data/
License: CC BY 4.0. Shipped gzipped and unchanged in content.

Reference (Kim 2014, 10-fold CV): CNN from pretrained word2vec about 81%,
NBSVM about 79%.
"""


def load_movie_reviews(*, return_X_y=False, as_frame=False):
    """Load the movie-review sentence polarity data (binary classification).

    =================   ==============
    Samples total       10,662
    Classes             2 ("neg", "pos"), balanced
    Features            one text column
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` and ``target`` as pandas Series, and ``frame`` as a DataFrame
        with columns ``text`` and ``label``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (documents, ndarray of str of shape (10662,) or Series),
        ``target`` (labels), ``frame``, ``target_names``, ``feature_names``,
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skattn.datasets import load_movie_reviews
    >>> X, y = load_movie_reviews(return_X_y=True)
    >>> X.shape, sorted(set(y))
    ((10662,), ['neg', 'pos'])
    """
    return _text_bunch(
        _read_bundled("movie_reviews.csv.gz"),
        descr=_MR_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )
