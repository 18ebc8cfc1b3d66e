"""Ranks, correlations and the chi-square p-value of clvmodel._correlation against scipy.stats,
which the metrics, the Day One evaluation and the coverage check used before (scipy.stats is
the reference implementation here; the library no longer imports it)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from clvmodel._correlation import average_ranks, equal_counts_pvalue, pearson, spearman

# Few distinct values, so that ties are common; and values far apart in magnitude.
_VALUES = st.one_of(
    st.lists(st.integers(0, 5).map(float), min_size=1, max_size=40),
    st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=1, max_size=40),
)


@given(values=_VALUES)
def test_average_ranks_equal_scipys_rankdata(values):
    np.testing.assert_array_equal(average_ranks(values), stats.rankdata(values))


@given(data=st.data(), n=st.integers(3, 40))
def test_correlations_equal_scipys(data, n):
    draw = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n)
    x, y = np.array(data.draw(draw)), np.array(data.draw(draw))
    for side in (x, y):
        if np.ptp(side) <= 1e-9 * max(1.0, np.max(np.abs(side))):
            return  # constant: the callers never ask (their answer is NaN or 0)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)


@given(counts=st.lists(st.integers(0, 10_000), min_size=2, max_size=20))
def test_equal_counts_pvalue_equals_scipys_chisquare(counts):
    if sum(counts) == 0:
        return  # no observations: the coverage check always has some
    expected = stats.chisquare(counts).pvalue
    assert equal_counts_pvalue(counts) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_evaluating_predictions_does_not_import_scipy_stats():
    """The metrics, the coverage table and the Day One evaluation's correlation run without
    scipy.stats, whose import cost each ``clvmodel evaluate`` run 0.3-0.6 CPU s."""
    code = (
        "import sys\n"
        "import clvmodel as clv\n"
        "tx = clv.datasets.load_cdnow_sample()\n"
        "cal, hold = clv.calibration_holdout_split(tx, calibration_end='1997-09-30',\n"
        "    observation_end='1998-06-30')\n"
        "bg = clv.BetaGeoModel().fit(cal)\n"
        "clv.evaluate_holdout(bg, cal, hold)\n"
        "clv.interval_coverage(bg, cal, hold)\n"
        "clv.metrics.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
