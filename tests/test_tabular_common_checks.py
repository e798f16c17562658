"""scikit-learn's common estimator checks for the feature attention estimators."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skattn.tabular import FeatureAttentionClassifier, FeatureAttentionRegressor

TINY = dict(embedding_dim=8, lr=0.05, batch_size=64, random_state=0)

# Enough epochs for check_classifiers_train (accuracy > 0.83) and
# check_regressors_train (R^2 > 0.5).
ESTIMATORS = [
    FeatureAttentionClassifier(max_epochs=5, **TINY),
    FeatureAttentionRegressor(max_epochs=10, **TINY),
]


# Tiny models train fastest on one thread (and do not fight other processes).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


SKORCH_INIT = (
    "skorch's NeuralNet.__init__ sets history_ and initialized_ (and checks the "
    "parameters), so attributes ending in '_' exist before fit"
)
SKORCH_SET_PARAMS = (
    "skorch's set_params re-initializes the callbacks, optimizer or module it "
    "touches, so invalid values raise there instead of being stored as-is"
)


SGD_WEIGHTS = (
    "minibatch SGD: repeating a sample changes the batches and the number of steps, "
    "while a weight scales its loss (weights of ones equal no weights: tested)"
)


FLOAT32_BATCHES = (
    "the network computes in float32 and the CPU's matrix kernels round differently "
    "for different batch sizes (seen on an AMD EPYC: one of 20 predictions off by "
    "1.8e-7); the check allows 1e-7 because predict returns float64. "
    "Passes on other CPUs (non-strict)"
)


def expected_failed_checks(estimator):
    failed = {
        "check_sample_weight_equivalence_on_dense_data": SGD_WEIGHTS,
        "check_no_attributes_set_in_init": SKORCH_INIT,
        "check_do_not_raise_errors_in_init_or_set_params": SKORCH_SET_PARAMS,
    }
    if isinstance(estimator, FeatureAttentionRegressor):
        failed["check_methods_subset_invariance"] = FLOAT32_BATCHES
    return failed


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
