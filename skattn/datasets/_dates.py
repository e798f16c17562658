"""Synthetic date normalisation: human-written dates -> ISO 8601."""

import datetime

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_dates", "DATE_FORMATS"]

_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Each format is a list of parts: a field name or a literal separator. Fields:
# d / dd: day without / with leading zero; m / mm: month number; mon / month:
# abbreviated / full month name; yy / yyyy: year; wd / weekday: day name.
# Numeric formats are day-first or year-first, never month-first, so that
# every string names one date.
DATE_FORMATS = (
    ["d", " ", "month", " ", "yyyy"],          # 3 March 2021
    ["month", " ", "d", ", ", "yyyy"],         # March 3, 2021
    ["dd", "/", "mm", "/", "yyyy"],            # 03/03/2021
    ["wd", " ", "d", " ", "mon", " ", "yy"],   # Wed 3 Mar 21
    ["d", " ", "mon", " ", "yyyy"],            # 3 Mar 2021
    ["mon", " ", "d", " ", "yyyy"],            # Mar 3 2021
    ["dd", ".", "mm", ".", "yyyy"],            # 03.03.2021
    ["dd", "-", "mm", "-", "yy"],              # 03-03-21
    ["yyyy", "/", "mm", "/", "dd"],            # 2021/03/03
    ["weekday", ", ", "month", " ", "d", ", ", "yyyy"],  # Wednesday, March 3, 2021
    ["d", ".", "m", ".", "yyyy"],              # 3.3.2021
    ["dd", " ", "mon", " ", "yyyy"],           # 03 Mar 2021
    ["month", " ", "yyyy", ", ", "d"],         # March 2021, 3
    ["d", " ", "month", " ", "yy"],            # 3 March 21
)

_FIELD = {"d": "day", "dd": "day", "m": "month", "mm": "month", "mon": "month",
          "month": "month", "yy": "year", "yyyy": "year"}


def _render(part, date):
    return {
        "d": str(date.day),
        "dd": f"{date.day:02d}",
        "m": str(date.month),
        "mm": f"{date.month:02d}",
        "mon": _MONTHS[date.month - 1][:3],
        "month": _MONTHS[date.month - 1],
        "yy": f"{date.year % 100:02d}",
        "yyyy": str(date.year),
        "wd": _DAYS[date.weekday()][:3],
        "weekday": _DAYS[date.weekday()],
    }.get(part, part)


def make_dates(n_samples=1000, *, random_state=None, return_spans=False):
    """Dates written in many human formats, with their ISO 8601 form.

    A sequence-to-sequence task whose alignment is known: the ISO year, month
    and day come from identifiable parts of the source. Dates are drawn
    uniformly from 1950-01-01 to 2049-12-31, so a two-digit year ``yy`` means
    ``19yy`` from 50 on and ``20yy`` below 50; numeric formats are day-first
    (``03/04/2021`` is 3 April) or year-first. Formats (see ``DATE_FORMATS``)
    include ``"3 March 2021"``, ``"March 3, 2021"``, ``"03/03/2021"``,
    ``"Wed 3 Mar 21"``, ``"2021/03/03"`` and ``"Wednesday, March 3, 2021"``.

    Parameters
    ----------
    n_samples : int, default=1000
    random_state : int, RandomState instance or None, default=None
    return_spans : bool, default=False
        Also return, for each sample, where the day, month and year are written
        in the source.

    Returns
    -------
    X : ndarray of str of shape (n_samples,)
        Human-written dates.
    y : ndarray of str of shape (n_samples,)
        ``YYYY-MM-DD``.
    spans : list of dict, only if ``return_spans``
        ``{"day": (start, stop), "month": (start, stop), "year": (start, stop)}``:
        character offsets of each field in ``X[i]``.

    Examples
    --------
    >>> from skattn.datasets import make_dates
    >>> X, y = make_dates(3, random_state=0)
    >>> len(X), all(len(t) == 10 and t[4] == "-" for t in y)
    (3, True)
    """
    rng = check_random_state(random_state)
    first = datetime.date(1950, 1, 1).toordinal()
    last = datetime.date(2049, 12, 31).toordinal()
    ordinals = rng.randint(first, last + 1, size=n_samples)
    formats = rng.randint(len(DATE_FORMATS), size=n_samples)
    X, y, spans = [], [], []
    for ordinal, fmt in zip(ordinals.tolist(), formats.tolist()):
        date = datetime.date.fromordinal(ordinal)
        text, span = "", {}
        for part in DATE_FORMATS[fmt]:
            piece = _render(part, date)
            if part in _FIELD:
                span[_FIELD[part]] = (len(text), len(text) + len(piece))
            text += piece
        X.append(text)
        y.append(date.isoformat())
        spans.append(span)
    X, y = np.array(X, dtype=object), np.array(y, dtype=object)
    return (X, y, spans) if return_spans else (X, y)
