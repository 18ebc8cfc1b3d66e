"""Day One horizons as durations (issue #14): "13M" is horizon=13, horizon_unit="M"; the deprecated
``horizon_unit=`` still works with a DeprecationWarning at the caller; old model files load."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel._units import Duration

DATA = Path(__file__).parent / "data"
NUMERIC = ["first_purchase_amount"]


@pytest.fixture(scope="module")
def rfm():
    transactions = clv.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="W")


@pytest.fixture(scope="module")
def signups(rfm):
    transactions = clv.datasets.load_cdnow_sample()
    return clv.dayone.first_purchase_attributes(transactions).loc[rfm.index]


@pytest.fixture(scope="module")
def model(rfm, signups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        return clv.DayOneModel(
            NUMERIC, log=NUMERIC, first_purchase_col=NUMERIC[0], covariates_on=("spend",)
        ).fit(rfm, signups)


@pytest.mark.parametrize(
    ("duration", "number", "unit"),
    [("13M", 13.0, "M"), ("52W", 52.0, "W"), ("90D", 90.0, "D"), ("2Y", 2.0, "Y")],
)
def test_duration_is_the_number_and_unit(duration, number, unit):
    new = clv.DayOneModel(horizon=duration)
    with pytest.warns(DeprecationWarning):
        old = clv.DayOneModel(horizon=number, horizon_unit=unit)
    assert (new.horizon, new.horizon_unit) == (old.horizon, old.horizon_unit) == (number, unit)
    typed = clv.DayOneModel(horizon=Duration(number, unit))
    assert (typed.horizon, typed.horizon_unit) == (number, unit)


def test_defaults_and_bare_numbers_keep_their_meaning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        default = clv.DayOneModel()
        bare = clv.DayOneModel(horizon=6)
    assert (default.horizon, default.horizon_unit) == (13.0, "M")
    assert (bare.horizon, bare.horizon_unit) == (6.0, "M")  # a bare number counts months


def test_deprecated_spelling_warns_at_the_caller_and_names_the_fix():
    with pytest.warns(DeprecationWarning, match=r"horizon='52W'") as caught:
        clv.DayOneModel(horizon=52, horizon_unit="W")
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]


def test_predictions_are_identical_in_both_spellings(model, signups):
    new_customers = signups.head(20)[NUMERIC]
    new = model.predict(new_customers, horizon="26W")
    with pytest.warns(DeprecationWarning) as caught:
        old = model.predict(new_customers, horizon=26, horizon_unit="W")
    assert Path(caught[0].filename).name == Path(__file__).name
    pd.testing.assert_frame_equal(new, old)
    pd.testing.assert_frame_equal(model.predict(new_customers, horizon=Duration(26, "W")), new)
    # A bare number counts the model's own unit (months), as before.
    pd.testing.assert_frame_equal(
        model.predict(new_customers, horizon=6), model.predict(new_customers, horizon="6M")
    )
    # 26 weeks = 26 * 7 / (365.25 / 12) months.
    months = model.predict(new_customers, horizon=f"{26 * 7 / (365.25 / 12)!r}M")
    np.testing.assert_allclose(months["day_one_value"], new["day_one_value"], rtol=1e-12)


def test_history_predictions_are_identical_in_both_spellings(model, rfm, signups):
    customers = rfm.head(20)
    new = model.predict_with_history(customers, signups, horizon="1Y")
    with pytest.warns(DeprecationWarning):
        old = model.predict_with_history(customers, signups, horizon=1, horizon_unit="Y")
    pd.testing.assert_frame_equal(new, old)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": "13M", "horizon_unit": "W"}, r"already carries its unit"),
        ({"horizon": "13Q"}, r"not a duration"),
        ({"horizon": "101Y"}, r"at most 100 years"),
        ({"horizon": "0M"}, r"above 0"),
        ({"horizon": -1}, r"horizon must be positive"),
    ],
)
def test_bad_horizons_are_refused(kwargs, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(clv.InputError, match=message):
            clv.DayOneModel(**kwargs)


def test_saved_file_records_the_horizon_with_its_unit(rfm, signups, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        fitted = clv.DayOneModel(NUMERIC, log=NUMERIC, horizon="26W", covariates_on=("spend",))
        fitted.fit(rfm, signups)
    path = fitted.save(tmp_path / "dayone.json")
    settings = json.loads(path.read_text(encoding="utf-8"))["settings"]
    assert (settings["horizon"], settings["horizon_unit"]) == (26.0, "W")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        loaded = clv.DayOneModel.load(path)
    assert (loaded.horizon, loaded.horizon_unit) == (26.0, "W")


def test_old_model_file_loads_with_the_same_numbers():
    """The file and predictions were written by the clvmodel of before issue #14
    (tests/dayone/data/make_dayone_v1_model.py, with horizon=26, horizon_unit="W")."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model = clv.DayOneModel.load(DATA / "dayone_v1_model.json")
    assert (model.horizon, model.horizon_unit) == (26.0, "W")
    stored = pd.read_csv(DATA / "dayone_v1_predictions.csv", index_col=0, dtype={0: str})
    table = model.predict(stored[["first_purchase"]].rename(columns={"first_purchase": NUMERIC[0]}))
    table["segment"] = table["segment"].astype(str)
    pd.testing.assert_frame_equal(table, stored, check_exact=False, rtol=1e-12)


def test_file_without_a_horizon_unit_reads_months(tmp_path):
    document = json.loads((DATA / "dayone_v1_model.json").read_text(encoding="utf-8"))
    del document["settings"]["horizon_unit"]
    document["settings"]["horizon"] = 6.0
    model = clv.DayOneModel.from_dict(document)
    assert (model.horizon, model.horizon_unit) == (6.0, "M")


def test_evaluate_day_one_takes_a_duration():
    log = clv.datasets.load_cdnow_sample()
    first = log.groupby("customer_id")["date"].transform("min")
    small = log[log["customer_id"].isin(log["customer_id"].unique()[:400]) & (first < "1997-02")]
    settings = dict(numeric=NUMERIC, log=NUMERIC, covariates_on=("spend",), time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        new = clv.dayone.evaluate_day_one(small, horizon="26W", **settings)
        with pytest.warns(DeprecationWarning):
            old = clv.dayone.evaluate_day_one(small, horizon=26, horizon_unit="W", **settings)
    assert new.details == old.details
    assert (new.details["horizon"], new.details["horizon_unit"]) == (26.0, "W")
    pd.testing.assert_frame_equal(new.metrics, old.metrics)
    pd.testing.assert_frame_equal(new.predictions, old.predictions)
