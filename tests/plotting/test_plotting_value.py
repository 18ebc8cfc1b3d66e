"""Predicted CLV beside the naive formula: the figures draw the table's numbers."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.plotting import plot_clv_vs_naive


@pytest.fixture(scope="module")
def table():
    tx = clv.datasets.load_cdnow_sample()
    rfm = clv.rfm_summary(tx, observation_end="1997-09-30", time_unit="W")
    bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    naive = clv.naive_clv(tx, lifespan=1.0, observation_end="1997-09-30")
    return clv.clv_table(bg, gg, rfm, horizon="12M", naive=naive, discount_rate=0.1)


def test_histogram_counts_every_customer_and_marks_naive_and_median(table, tmp_path):
    figures_before = plt.get_fignums()
    ax = plot_clv_vs_naive(table, value_label="predicted CLV, next 12 months")
    path = tmp_path / "hist.png"
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000
    # Without ax=, the figure is pyplot's: Jupyter displays it and plt.show() shows it.
    assert plt.get_fignums() == [*figures_before, ax.figure.number]

    bars = ax.containers[0]
    assert sum(bar.get_height() for bar in bars) == len(table)
    naive = float(table["naive_clv"].iloc[0])
    assert ax.lines[0].get_xdata()[0] == pytest.approx(naive)
    assert ax.lines[1].get_xdata()[0] == pytest.approx(table["predicted_clv"].median())
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"naive formula: {naive:,.2f}" in legend
    below = (table["predicted_clv"] < table["naive_clv"]).mean()
    assert f"{100 * below:.0f} % of customers" in ax.texts[0].get_text()


def test_concentration_curves_are_cumulative_shares(table):
    ax = plot_clv_vs_naive(table, kind="concentration")
    model, naive = ax.lines[0], ax.lines[1]
    values = np.sort(table["predicted_clv"].to_numpy())[::-1]
    np.testing.assert_allclose(
        model.get_ydata()[1:], 100 * np.cumsum(values) / values.sum(), rtol=1e-12
    )
    np.testing.assert_allclose(naive.get_ydata(), naive.get_xdata(), atol=1e-9)  # everyone equal
    assert model.get_xdata()[0] == 0 and model.get_xdata()[-1] == 100


def test_per_segment_naive_values_get_one_line_each():
    table = pd.DataFrame({"predicted_clv": [1.0, 5.0, 50.0, 8.0], "naive_clv": [10, 10, 40, 40.0]})
    ax = plot_clv_vs_naive(table)
    assert [float(line.get_xdata()[0]) for line in ax.lines[:2]] == [10.0, 40.0]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"predicted_clv": [1.0]}), {}, "naive_clv"),
        (pd.DataFrame({"predicted_clv": [1.0], "naive_clv": [np.nan]}), {}, "pass naive="),
        (pd.DataFrame({"predicted_clv": [1.0], "naive_clv": [2.0]}), {"kind": "pie"}, "kind"),
        (pd.DataFrame({"predicted_clv": [1.0], "naive_clv": [2.0]}), {"bins": 0}, "bins"),
        (pd.DataFrame({"predicted_clv": [0.0], "naive_clv": [2.0]}), {}, "every predicted"),
    ],
)
def test_bad_input_is_explained(frame, kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        plot_clv_vs_naive(frame, **kwargs)
