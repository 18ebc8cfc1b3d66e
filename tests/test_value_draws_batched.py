"""CLV intervals take all parameter vectors at once (issue #15, scale): the purchase model's
discounted sums are tabulated per distinct (x, T) and vector in one call, and the percentiles
over the vectors are selected by a compiled loop. Both must give what the one-vector-at-a-time
path and ``numpy.quantile`` give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import clvmodel as clv
from clvmodel._value_rows import ValueRows
from clvmodel.models._column_percentiles import column_percentiles
from clvmodel.models._discounted_rows import DiscountedRows
from clvmodel.value import discount_schedule


@settings(max_examples=60, deadline=None)
@given(
    values=hnp.arrays(
        "float64",
        st.tuples(st.integers(1, 60), st.integers(1, 40)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    tail=st.floats(0.0, 0.5),
)
def test_column_percentiles_are_numpy_quantiles(values, tail):
    lower, upper = column_percentiles(values, tail)
    expected = np.quantile(values, [tail, 1.0 - tail], axis=0)
    scale = np.abs(values).max(axis=0) + 1.0
    # numpy interpolates from the upper order statistic above the midpoint: the last bits differ.
    assert np.all(np.abs(lower - expected[0]) <= 1e-14 * scale)
    assert np.all(np.abs(upper - expected[1]) <= 1e-14 * scale)


def test_column_percentiles_of_columns_ranked_alike_use_the_warm_start_correctly():
    rng = np.random.default_rng(4)
    # Neighbouring columns rank the draws alike (the warm start's case), with ties and a column
    # of equal values among them.
    base = rng.lognormal(size=(200, 1))
    values = base * rng.lognormal(size=(1, 3000)) * (1 + 0.01 * rng.normal(size=(200, 3000)))
    values[:, 7] = 2.5
    values[:, 100:110] = np.round(values[:, 100:110], 0)
    lower, upper = column_percentiles(values, 0.05)
    expected = np.quantile(values, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(lower, expected[0], rtol=1e-14)
    np.testing.assert_allclose(upper, expected[1], rtol=1e-14)
    assert lower[7] == upper[7] == 2.5


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pnbd"])
def test_all_vectors_at_once_equal_one_at_a_time(cdnow_rfm, name):
    model = clv.models.PURCHASE_MODELS[name]().fit(cdnow_rfm)
    schedule = discount_schedule(model, "12M", 0.1)
    rows = DiscountedRows(model, cdnow_rfm, *schedule)
    points = model.parameter_samples("draws", 8, np.random.default_rng(1))
    together = list(rows.each(points))
    assert len(together) == 8
    for point, values in zip(points, together, strict=True):
        alone = rows(point)
        if name == "pnbd":  # the closed form, broadcast over a grid
            np.testing.assert_allclose(values, alone, rtol=1e-13)
        else:  # the same compiled series, element by element: bit for bit
            np.testing.assert_array_equal(values, alone)
    assert not np.allclose(together[0], together[1])  # the vectors differ, and so do the values


def test_a_model_given_several_times_is_evaluated_once(cdnow_rfm, fitted_bg, monkeypatch):
    model = fitted_bg  # BetaGeoModel().fit(cdnow_rfm), shared
    rows = DiscountedRows(model, cdnow_rfm, *discount_schedule(model, "6M", 0.1))
    widths = []
    hook = clv.BetaGeoModel._discounted_if_alive_draws

    def counted(p, x, T, schedule):
        widths.append(p["r"].size)
        return hook(p, x, T, schedule)

    monkeypatch.setattr(clv.BetaGeoModel, "_discounted_if_alive_draws", staticmethod(counted))
    other = model.parameter_samples("delta")[0]
    values = list(rows.each([model, other, model, model]))
    assert widths == [2]
    np.testing.assert_array_equal(values[0], values[2])
    np.testing.assert_array_equal(values[0], rows(model))
    np.testing.assert_array_equal(values[1], rows(other))


def test_value_rows_scatter_back_to_each_customers_value(cdnow_rfm, fitted_bg, fitted_gg):
    bg, gg = fitted_bg, fitted_gg  # BetaGeoModel() and GammaGammaModel() fitted on cdnow_rfm
    schedule = discount_schedule(bg, "12M", 0.1)
    rows = ValueRows(bg, gg, cdnow_rfm, *schedule, 0.3)
    point = clv.customer_lifetime_value(bg, gg, cdnow_rfm, "12M", 0.1, 0.3).to_numpy()
    np.testing.assert_allclose(rows(bg, gg)[rows.group], point, rtol=1e-12)
    np.testing.assert_array_equal(rows.group[rows.first], np.arange(rows.first.size))
    samples = list(zip(bg.parameter_samples("delta"), gg.parameter_samples("delta"), strict=False))
    each = list(rows.each([b for b, _ in samples], [g for _, g in samples]))
    for (b, g), values in zip(samples, each, strict=True):
        np.testing.assert_array_equal(values, rows(b, g))


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd"])
def test_own_path_limits_equal_the_percentiles_of_every_value(cdnow_rfm, fitted_gg, name):
    bg = clv.models.PURCHASE_MODELS[name]().fit(cdnow_rfm)
    gg = fitted_gg  # GammaGammaModel().fit(cdnow_rfm), shared
    rows = ValueRows(bg, gg, cdnow_rfm, *discount_schedule(bg, "12M", 0.1), 0.3)
    rng = np.random.default_rng(5)
    purchase = bg.parameter_samples("draws", 40, rng)
    spend = gg.parameter_samples("draws", 40, rng)
    own = rows.draw_limits(purchase, spend, 0.05)
    assert own is not None  # BG/NBD's own path, not the generic one
    stacked = np.stack(list(rows.each(purchase, spend)))
    expected = np.quantile(stacked, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(own[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(own[1], expected[1], rtol=1e-12)
    assert (own[1] > own[0]).mean() > 0.9


def test_the_generic_path_serves_models_without_their_own(cdnow_rfm):
    rng = np.random.default_rng(2)
    table = cdnow_rfm.assign(z=rng.normal(size=len(cdnow_rfm)))
    table.attrs.update(cdnow_rfm.attrs)
    for bg, gg in [
        (clv.ParetoNBDModel().fit(table), clv.GammaGammaModel().fit(table)),
        (clv.BetaGeoModel(["z"]).fit(table), clv.GammaGammaModel().fit(table)),
        (clv.BetaGeoModel().fit(table), clv.GammaGammaModel(spend_covariates=["z"]).fit(table)),
    ]:
        rows = ValueRows(bg, gg, table, *discount_schedule(bg, "3M", 0.1), 0.3)
        assert rows.draw_limits([bg, bg], [gg, gg], 0.05) is None


@pytest.mark.parametrize(
    ("a", "b", "r"),
    [(0.8, 2.5, 0.5), (1.0, 0.01, 0.3), (0.01, 0.005, 2.0), (50.0, 80.0, 0.2), (1e-3, 1e4, 7.0)],
)
def test_discounted_grid_by_runs_of_x_equals_one_period_end_at_a_time(a, b, r):
    """The compiled series over runs of one x (all T of a draw together) gives, bit for bit, the
    sums of the per-element loop, also where the series gives way to the quadrature."""
    from clvmodel.models import _beta_geo_draws as draws

    rng = np.random.default_rng(7)
    n = 30
    params = [np.full(n, v) * rng.lognormal(0.0, 0.1, n) for v in (r, 60.0, a, b)]
    x = rng.integers(0, 25, 400).astype(float)
    age = rng.integers(0, 730, 400).astype(float)
    times = np.r_[0.0, np.arange(1, 13) * 30.4, 3650.0]
    factors = 1.1 ** -(times / 365.0)
    expected = np.zeros((x.size, n))
    previous = np.zeros_like(expected)
    for time, factor in zip(times, factors, strict=True):
        cumulative = draws._expected_if_alive_grid(*params, x, age, time)
        expected += factor * (cumulative - previous)
        previous = cumulative
    found = draws.discounted_if_alive_grid(*params, x, age, (times, factors))
    np.testing.assert_array_equal(found, expected)
    assert np.isfinite(found).all() and (found >= 0).all()


def test_numba_is_imported_by_the_draws_not_by_the_point_predictions():
    """The compiled loops are imported on first use: the point predictions, the CLI's scoring
    modules and the value functions run without numba (0.5–1 s to import; the supported-floor
    job installs the core without it)."""
    import subprocess
    import sys

    code = (
        "import sys, warnings\n"
        "import clvmodel as clv, clvmodel.value, clvmodel.scoring, clvmodel.engine, clvmodel.io\n"
        "import clvmodel.coverage, clvmodel.evaluation, clvmodel.churn\n"
        "warnings.simplefilter('ignore')\n"
        "rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end='1997-09-30',"
        " time_unit='W')\n"
        "bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)\n"
        "clv.customer_lifetime_value(bg, gg, rfm, '12M', 0.1)\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
