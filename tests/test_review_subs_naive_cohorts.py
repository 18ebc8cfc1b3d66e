"""naive_vs_model_on_simulated_cohorts: a drawn cohort that cannot be compared is named as a
drawn cohort, not as ``counts`` the caller never gave."""

from __future__ import annotations

import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_value import naive_vs_model_on_simulated_cohorts


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 50.0, "beta": 1.0},  # θ ≈ 0.98: the cohort is gone before fit_periods
        {"alpha": 0.01, "beta": 100.0},  # θ ≈ 1e-4: nobody cancels in 5 periods
    ],
)
def test_an_unusable_drawn_cohort_is_explained(params):
    # Before: "counts[3] is 0: …" / "no subscriber has cancelled …", about counts never passed.
    population = clv.ShiftedBetaGeoModel.from_params(params)
    with pytest.raises(InputError, match=r"^cohort 0 drawn from the model, survivors \[50, "):
        naive_vs_model_on_simulated_cohorts(population, 3, 2, n_cohorts=2, cohort_size=50,
                                            random_state=0)  # fmt: skip
