"""Loader of the bundled Tatoeba English-French sentence pairs (CC BY 2.0 FR)."""

from sklearn.utils import Bunch

from ._base import _read_bundled

__all__ = ["load_tatoeba_en_fr"]

_DESCR = """Tatoeba English -> French sentence pairs
---------------------------------------

5,000 short English sentences with a French translation (about 2.4 English
words per sentence) from tatoeba.org. Each pair keeps its attribution: the
Tatoeba sentence numbers and the contributors of the English and the French
sentence.

Source: https://tatoeba.org
License: CC BY 2.0 FR (https://creativecommons.org/licenses/by/2.0/fr/); when
you redistribute the pairs, keep the ``attribution`` column.
"""


def load_tatoeba_en_fr(*, return_X_y=False, as_frame=False):
    """Load 5,000 English -> French sentence pairs from Tatoeba (translation).

    =================   ==============
    Samples total       5,000
    Source              English sentence (str)
    Target              French translation (str)
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` (English, French) instead of a Bunch.
    as_frame : bool, default=False
        ``data``, ``target`` and ``attribution`` as pandas Series, and
        ``frame`` as a DataFrame with columns ``source``, ``target`` and
        ``attribution``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (English sentences), ``target`` (French sentences),
        ``attribution`` (per pair: license, Tatoeba sentence numbers and
        contributors; keep it when redistributing), ``frame``, ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skattn.datasets import load_tatoeba_en_fr
    >>> pairs = load_tatoeba_en_fr()
    >>> pairs.data[3], pairs.target[3]
    ('Hi.', 'Salut !')
    >>> pairs.attribution[3]
    'CC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819 (Aiji)'
    """
    frame = _read_bundled("tatoeba_en_fr.csv.gz")
    columns = {name: frame[name] for name in ("source", "target", "attribution")}
    if not as_frame:
        columns = {name: col.to_numpy(dtype=object) for name, col in columns.items()}
    if return_X_y:
        return columns["source"], columns["target"]
    return Bunch(
        data=columns["source"],
        target=columns["target"],
        attribution=columns["attribution"],
        frame=frame if as_frame else None,
        feature_names=["source"],
        DESCR=_DESCR,
    )
