"""Tests of ``net_clv`` and ``cac_payback``: horizons and service costs.

* A bare-number horizon is read in months with a FutureWarning pointing at the caller's line
  (the same numbers as ``'12M'``); an invalid one raises without the warning; the gross margin
  is the CLV of a horizon with its unit.
* The economics guide says what a BG/NBD customer without a repeat purchase pays: the expected
  active periods (22.3-22.7 of 24 months with the published CDNOW parameters), not the whole
  horizon.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.economics import cac_payback, net_clv

# Published CDNOW parameters: BG/NBD from Fader, Hardie and Lee (2005), "Counting your customers
# the easy way", Marketing Science 24(2); Gamma-Gamma from Fader, Hardie and Lee (2005), "RFM and
# CLV: using iso-value curves for customer base analysis", JMR 42(4).
BG_CDNOW = dict(r=0.2426, alpha=4.4137, a=0.7930, b=2.4262)
GG_CDNOW = dict(p=6.25, q=3.74, v=15.44)
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "economics.md"


@pytest.fixture(scope="module")
def models():
    return clv.BetaGeoModel.from_params(BG_CDNOW, "W"), clv.GammaGammaModel.from_params(GG_CDNOW)


@pytest.mark.parametrize("function", ["net_clv", "cac_payback"])
def test_bare_horizon_warns_and_counts_months(cdnow_rfm, models, function):
    bg, gg = models
    rfm = cdnow_rfm.iloc[:200]
    call = {
        "net_clv": lambda h, **kw: net_clv(bg, gg, rfm, h, 0.1, 0.3, **kw),
        "cac_payback": lambda h, **kw: cac_payback(bg, gg, rfm, 5.0, h, 0.1, 0.3, **kw),
    }[function]
    with pytest.warns(
        FutureWarning, match=rf"{function} reads horizon=12 .* write horizon='12M'"
    ) as record:
        bare = call(12)
    assert [w.filename for w in record if w.category is FutureWarning] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        with_unit = call("12M")
        explicit = call(12, time_unit="M")  # the period named: nothing to warn about
    pd.testing.assert_frame_equal(bare, with_unit)
    pd.testing.assert_frame_equal(explicit, with_unit)


def test_gross_margin_is_clv_for_a_horizon_with_its_unit(cdnow_rfm, models):
    bg, gg = models
    rfm = cdnow_rfm.iloc[:300]
    gross = net_clv(bg, gg, rfm, "12M", 0.1, 0.3)["gross_margin"]
    value = clv.customer_lifetime_value(bg, gg, rfm, "12M", 0.1, 0.3)
    np.testing.assert_allclose(gross.to_numpy(), value.to_numpy(), rtol=1e-12, atol=1e-12)
    assert "a horizon that carries its unit" in net_clv.__doc__
    assert re.search(r"horizon=\d", net_clv.__doc__ + cac_payback.__doc__) is None


def test_invalid_bare_horizon_raises_without_a_warning(cdnow_rfm, models):
    bg, gg = models
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        with pytest.raises(clv.InputError, match="horizon"):
            net_clv(bg, gg, cdnow_rfm.iloc[:10], 0)


def test_zero_repeat_customers_pay_for_their_expected_active_periods(cdnow_rfm, models):
    bg, gg = models
    table = net_clv(bg, gg, cdnow_rfm, "24M", cost_per_period=1.0)
    zero = table[cdnow_rfm["frequency"] == 0]
    assert len(zero) > 1000 and (zero["probability_alive"] == 1.0).all()
    active = zero["expected_active_periods"]
    # The range the guide quotes (22.3-22.7 of 24 months), measured with the published parameters.
    assert 22.3 <= active.min() < active.max() <= 22.7
    np.testing.assert_allclose(zero["service_costs"], active, rtol=1e-12)  # undiscounted, 1/period
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert "for the whole horizon" not in guide
    assert "22.3–22.7 of 24 months" in guide and "expected_active_periods" in guide
