"""predict scatters its columns back to the customers into one float64 block (issue #15): the
same values and dtypes as gathering each column, with other dtypes kept column by column."""

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel.models._predictions import _scattered


def test_predict_columns_equal_gathering_each_one(cdnow_rfm):
    bg = clv.BetaGeoModel().fit(cdnow_rfm)
    table = bg.predict(
        cdnow_rfm, 39.0, interval=0.9, method="draws", n_draws=30, discounting=([13, 26], [1, 0.9])
    )
    assert table.index.equals(cdnow_rfm.index)
    assert (table.dtypes == np.float64).all() and table.shape[1] == 13
    np.testing.assert_array_equal(
        table["expected_purchases"], bg.expected_purchases(cdnow_rfm, 39.0).to_numpy()
    )
    np.testing.assert_array_equal(
        table["probability_alive"], bg.probability_alive(cdnow_rfm).to_numpy()
    )
    table.iloc[0, 0] = -1.0  # the frame owns its block: writing to it is allowed and local
    assert table.iloc[0, 0] == -1.0


def test_scattered_keeps_other_dtypes_and_no_columns():
    group = np.array([1, 0, 1, 2])
    index = pd.Index(list("abcd"), name="customer_id")
    floats = {"u": np.array([0.5, 1.5, 2.5]), "v": np.array([3.0, 4.0, 5.0])}
    table = _scattered(floats, group, index)
    assert table["u"].tolist() == [1.5, 0.5, 1.5, 2.5] and table["v"].tolist() == [4, 3, 4, 5]
    assert table.index.equals(index) and list(table.columns) == ["u", "v"]
    mixed = _scattered({**floats, "n": np.array([7, 8, 9])}, group, index)
    assert mixed["n"].dtype == np.int64 and mixed["n"].tolist() == [8, 7, 8, 9]
    assert _scattered({}, group, index).shape == (4, 0)
