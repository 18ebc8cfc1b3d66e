"""A holdout or a tracking period that runs on past the data.

tracking_table tracked zero actual purchases up to any observation_end, even in 2099, silently (the
flat actual line read as a model that overpredicts): it warns past the data and refuses an end in
the future. evaluate_holdout warned only when given transactions=, so that on the documented
cal, hold route a holdout ending 18 months after the last purchase was scored silently, every model
overpredicting by the empty months: calibration_holdout_split warns, once."""

import pytest
from published import PUBLISHED_BG

import clvmodel as clv

PUBLISHED = PUBLISHED_BG


def test_tracking_past_the_data_warns_and_a_future_end_is_refused():
    # tracking_table tracked zero actual purchases up to any observation_end, even in 2099,
    # silently: the flat actual line read as a model that overpredicts.
    tx = clv.datasets.load_cdnow_sample()
    bg = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="W")
    with pytest.warns(clv.StatisticalWarning, match=r"no transaction in the last \d+ days"):
        clv.tracking_table(bg, tx, "1997-09-30", "1999-12-31")
    with pytest.raises(clv.InputError, match="in the future"):
        clv.tracking_table(bg, tx, "1997-09-30", "2099-12-31")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.StatisticalWarning)  # the data's own end: no warning
        table = clv.tracking_table(bg, tx, "1997-09-30", "1998-06-30")
    assert int(table["actual_cumulative"].iloc[-1]) == 4339


def test_a_holdout_running_on_past_the_data_is_warned_of_at_the_split():
    # evaluate_holdout warned only when given transactions=; without them (the documented
    # cal, hold route) a holdout ending 18 months after the last purchase was scored silently,
    # every model overpredicting by the empty months.
    import warnings

    tx = clv.datasets.load_cdnow_sample().drop_duplicates()
    with pytest.warns(clv.StatisticalWarning, match=r"no transaction in the last 549 days"):
        calibration, holdout = clv.calibration_holdout_split(tx, "1997-09-30", "1999-12-31")
    bg = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="W")
    with warnings.catch_warnings(record=True) as caught:  # said once, not again by evaluate
        warnings.simplefilter("always")
        clv.evaluate_holdout(bg, calibration, holdout, transactions=tx)
    assert not [w for w in caught if "no transaction in the last" in str(w.message)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.StatisticalWarning)  # the data's own end: no warning
        clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
