"""clvmodel.plotting.plot_model_comparison given the ranking table (comparison.table, a
DataFrame) instead of the ModelComparison: it was told "this comparison has no holdout results",
although the table came from compare_models(calibration, holdout)."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import (
    plot_model_comparison,
)


def _axes():
    return Figure().add_subplot()


def test_model_comparison_figure_given_the_ranking_table_says_what_it_needs():
    # Passing comparison.table (a DataFrame) was told "this comparison has no holdout
    # results", although it came from compare_models(calibration, holdout).
    table = pd.DataFrame({"model": ["BG/NBD"], "holdout_mae": [0.8]})
    with pytest.raises(clv.InputError, match=r"ModelComparison.*DataFrame"):
        plot_model_comparison(table, ax=_axes())
