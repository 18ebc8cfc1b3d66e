"""clvmodel.plotting.plot_coverage on coverage tables, comparisons and holdout reports.

The bars of a coverage_comparison were labelled "('BG/NBD', 'all')"; for a report made with
interval=0.9 whose model had no parameter covariance (report.coverage None), the figure asked to
make the report with interval=0.9; groups without customers warned (RuntimeWarning, All-NaN slice).
A table read back from CSV (every value text) is drawn at its values."""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.plotting import (
    plot_coverage,
)


def _axes():
    return Figure().add_subplot()


def _flat_axes():
    return Figure().add_subplot()


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The table as read_table gives it back from a CSV file: every value text."""
    return table.astype(str).set_axis(table.index.astype(str))


def test_coverage_figure_of_a_comparison_names_model_and_group(cdnow_split):
    # plot_coverage(coverage_comparison(...)) labelled its bars "('BG/NBD', 'all')".
    from clvmodel.plotting import plot_coverage

    cal, hold = cdnow_split
    table = clv.coverage_comparison([clv.BetaGeoModel().fit(cal)], cal, hold)
    ax = plot_coverage(table, ax=_axes())
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert labels[0] == f"BG/NBD: all\n(n={len(cal):,})"
    assert not any("(" in label.split("\n")[0] for label in labels)


def test_coverage_from_text_bars_have_the_shares():
    table = pd.DataFrame(
        {"customers": [100, 50], "observed_coverage": [0.9, 0.8], "predicted_mass": [0.92, 0.9]},
        index=["0", "1+"],
    )
    ax = plot_coverage(_as_text(table), ax=_flat_axes())
    assert [b.get_height() for b in ax.containers[0]] == [0.9, 0.8]


def test_coverage_of_a_report_whose_intervals_could_not_be_drawn_says_so():
    # evaluate_holdout(..., interval=0.9) leaves report.coverage None (with a warning) when the
    # model has no parameter covariance; plot_coverage then asked for the interval= it was given.
    tx = clv.datasets.load_cdnow_sample().drop_duplicates()
    cal, hold = clv.calibration_holdout_split(tx, "1997-09-30")
    bg = clv.BetaGeoModel.from_params(
        PUBLISHED_BG, time_unit="W"
    )  # Fader, Hardie & Lee (2005): parameters only, no covariance
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = clv.evaluate_holdout(bg, cal, hold, interval=0.9)
    assert report.coverage is None and any("coverage" in str(w.message) for w in caught)
    with pytest.raises(clv.InputError) as raised:
        plot_coverage(report, ax=_axes())
    message = str(raised.value)
    assert "this report has no coverage table" in message
    assert "parameter uncertainty could not be drawn" in message


def test_coverage_of_groups_without_customers_draws_without_warnings():
    table = pd.DataFrame(
        {"observed_coverage": [np.nan], "predicted_mass": [np.nan], "customers": [0]},
        index=["7+"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was: RuntimeWarning, All-NaN slice encountered
        plot_coverage(table, ax=_axes())
