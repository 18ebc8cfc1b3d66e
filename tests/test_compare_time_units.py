"""compare_models without a holdout and models fitted beforehand: every model must be fitted in
the table's time unit.

Guards against comparing a model fitted in days on a table in weeks (or the reverse): it is
refused, naming both units, while a model fitted in the table's own unit is compared as usual."""

from __future__ import annotations

import numpy as np
import pytest
from fit_helpers import quiet_fit, rfm_table

import clvmodel as clv
from clvmodel.errors import InputError


# --- compare_models without a holdout: one time unit ----------------------------------------------
@pytest.mark.parametrize("fit_unit, table_unit", [("D", "W"), ("W", "D")])
def test_compare_without_holdout_refuses_a_model_fitted_in_another_unit(fit_unit, table_unit):
    fitted = quiet_fit(clv.BetaGeoModel(), rfm_table(unit=fit_unit))
    assert fitted.time_unit_ == fit_unit
    with pytest.raises(InputError, match="the time units differ") as caught:
        clv.compare_models(rfm_table(unit=table_unit), models=[fitted])
    assert repr(table_unit) in str(caught.value) and repr(fit_unit) in str(caught.value)


def test_compare_without_holdout_accepts_a_model_fitted_in_the_tables_unit():
    table = rfm_table()
    fitted = quiet_fit(clv.BetaGeoModel(), table)
    result = clv.compare_models(table, models=[fitted])
    assert result.models["BG/NBD"] is fitted
    assert np.isfinite(result.table["bic"].iloc[0])
