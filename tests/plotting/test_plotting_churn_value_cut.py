"""clvmodel.plotting.plot_churn_risk_vs_value: a value_cut that is not a predicted CLV (text, a
list, a negative number, NaN) is named."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import (
    plot_churn_risk_vs_value,
)


def _flat_axes():
    return Figure().add_subplot()


@pytest.mark.parametrize("cut", ["5", [5.0], -1.0, float("nan")])
def test_churn_value_cut_that_is_not_a_clv_is_named(cut):
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    with pytest.raises(clv.InputError, match="value_cut must be a predicted CLV"):
        plot_churn_risk_vs_value(plan, value_cut=cut, ax=_flat_axes())
