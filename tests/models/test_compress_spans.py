"""An absurd frequency is refused in words, not by numpy's allocator.

The compressed route built a table of every value a column spans: a frequency of 2e12 asked for
14.6 TiB ("Unable to allocate"), before the table's checks could refuse it.
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv


@pytest.mark.parametrize("frequency", [2e12, 5e8])
def test_a_frequency_beyond_any_table_of_values_is_refused_in_words(frequency):
    rfm = pd.DataFrame(
        {"frequency": [frequency, 1, 0, 3], "recency": [50.0, 20, 0, 30], "T": [60.0, 52, 40, 45]}
    )
    with pytest.raises(clv.InputError, match="frequency"):
        clv.BetaGeoModel().fit(rfm, time_unit="W")
