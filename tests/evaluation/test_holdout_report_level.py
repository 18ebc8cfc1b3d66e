"""The holdout report's JSON records the level of its interval coverage; build_report refuses
too early a calibration_end in Python's words."""

import json

import pytest

import clvmodel as clv

pytestmark = pytest.mark.filterwarnings("ignore:.*repeat another row exactly")


@pytest.fixture(scope="module")
def split():
    transactions = clv.datasets.load_cdnow_sample()
    cal, hold = clv.calibration_holdout_split(transactions, "1997-09-30")
    return cal, hold, clv.BetaGeoModel().fit(cal)


@pytest.mark.parametrize("level", [0.5, 0.9])
def test_to_dict_records_the_coverage_level(split, level):
    cal, hold, bg = split
    document = clv.evaluate_holdout(bg, cal, hold, interval=level).to_dict()
    assert document["coverage_interval"] == level
    assert document["coverage"][0]["group"] == "all"
    assert json.loads(json.dumps(document, allow_nan=False))["coverage_interval"] == level
    # The text's reading of the table, sentence by sentence, for a dashboard.
    text = str(clv.evaluate_holdout(bg, cal, hold, interval=level))
    assert document["coverage_reading"] and all(
        line in text for line in document["coverage_reading"]
    )


def test_to_dict_without_interval_has_no_level(split):
    cal, hold, bg = split
    document = clv.evaluate_holdout(bg, cal, hold).to_dict()
    assert document["coverage"] is None and document["coverage_interval"] is None
    assert document["coverage_reading"] is None


@pytest.mark.parametrize(("end", "customers"), [("1997-01-01", 18), ("1997-01-02", 40)])
def test_build_report_too_early_calibration_end_says_calibration_end(end, customers):
    # The fit's own message said "choose a later observation_end" (or "check the frequency
    # column"): neither helps when the calibration period is what is too short.
    with pytest.raises(clv.InputError) as caught:
        clv.build_report(clv.datasets.load_cdnow_sample(), end)
    message = str(caught.value)
    assert "a later calibration_end" in message and f"{customers} customers" in message
    assert "observation_end" not in message and "frequency column" not in message
