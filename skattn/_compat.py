"""The one place where skattn imports private scikit-learn APIs.

scikit-learn's parameter validation (``Interval``, ``StrOptions``,
``validate_parameter_constraints``, ``InvalidParameterError``), its
``_fit_context`` decorator and ``_check_sample_weight`` are what its own estimators use, but they live in
private modules that may move between releases. Every other skattn module
imports them from here, so a move is mended in one file.
"""

from sklearn.base import _fit_context
from sklearn.utils.validation import _check_sample_weight
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "check_sample_weight",
    "fit_context",
    "validate_parameter_constraints",
]

fit_context = _fit_context
check_sample_weight = _check_sample_weight
