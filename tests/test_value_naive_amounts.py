"""clvmodel.naive_clv needs the purchase amounts: amount_col=None read every purchase as worth 0
(an average order value and a naive CLV of 0, in object columns), not an error."""

import pandas as pd
import pytest

import clvmodel as clv


def test_naive_clv_refuses_a_log_read_without_amounts():
    """amount_col=None read every purchase as worth 0: an average order value and a naive CLV
    of 0 (in object columns), not an error."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2020-01-01", "2020-03-01", "2020-02-01"],
            "amount": [10.0, 20.0, 30.0],
        }
    )
    with pytest.raises(clv.InputError, match="naive_clv needs the purchase amounts"):
        clv.naive_clv(log, lifespan=1.0, amount_col=None)
    assert clv.naive_clv(log, lifespan=1.0).loc["all", "average_order_value"] == 20.0
