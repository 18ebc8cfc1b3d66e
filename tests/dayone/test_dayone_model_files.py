"""Day One model files that contradict themselves are refused on load, each with a message that
names the file and the contradiction (before, they loaded and scored signups wrongly)."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.errors import InputError, ModelFileError

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]
SOURCE = "'tampered.json'"


@pytest.fixture(scope="module")
def document(rfm, attributes):
    """A fitted model's file, in weeks, with a categorical attribute and a chosen baseline."""
    model = clv.DayOneModel(
        NUMERIC,
        ["channel"],
        log=NUMERIC,
        baselines={"channel": "web"},
        first_purchase_col=NUMERIC[0],
        covariates_on=("purchase", "spend"),
    ).fit(rfm, attributes)
    return model.to_dict()


def tampered(document, change) -> dict:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def refusal(document) -> str:
    with pytest.raises(ModelFileError) as caught:
        clv.DayOneModel.from_dict(document, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE} is not a valid Day One model file")
    return message


def test_the_untampered_file_loads(document):
    loaded = clv.DayOneModel.from_dict(copy.deepcopy(document), SOURCE)
    assert loaded.time_unit_ == "W" and loaded.baselines == {"channel": "web"}


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d.update(time_unit="D"), ["'time_unit' is 'D'", "'bg'", "time unit 'W'"]),
        (lambda d: d["bg"].update(time_unit="D"), ["'time_unit' is 'W'", "'bg'", "'D'"]),
        (lambda d: d["gg"].update(time_unit="D"), ["'time_unit' is 'W'", "'gg'", "'D'"]),
    ],
)
def test_a_time_unit_that_contradicts_the_models_is_refused(document, change, fragments):
    # With the top level in days the 13-month horizon became 395.7 "weeks": signup 00018 was
    # valued 151.95 instead of 58.88.
    message = refusal(tampered(document, change))
    for fragment in fragments:
        assert fragment in message


def test_cuts_that_do_not_follow_mean_and_band_are_refused(document):
    cuts = {"mean": 500.0, "low": 1.0, "high": 2.0}  # made every signup "above average"
    message = refusal(tampered(document, lambda d: d.update(segment_cuts=cuts)))
    assert "'segment_cuts' low = 1.0" in message and "400.0" in message  # (1 − 0.2) × 500


@settings(max_examples=30, deadline=None)
@given(
    mean=st.floats(1e-3, 1e6),
    band=st.floats(0.01, 0.99),
    shift=st.sampled_from([-1e-6, 1e-6]),
    key=st.sampled_from(["low", "high"]),
)
def test_cuts_load_exactly_when_they_are_the_band_around_the_mean(document, mean, band, shift, key):
    # segments.segment_cuts writes (1 ∓ band) × mean; a relative error of 1e-6 is a tampering.
    cuts = {"mean": mean, "low": (1 - band) * mean, "high": (1 + band) * mean}

    def change(d):
        d["settings"]["segment_band"] = band
        d["segment_cuts"] = dict(cuts)

    loaded = clv.DayOneModel.from_dict(tampered(document, change), SOURCE)
    assert loaded.segment_cuts_ == cuts
    cuts[key] *= 1 + shift
    assert f"'segment_cuts' {key}" in refusal(tampered(document, change))


def test_a_missing_model_is_named_missing(document):
    for key in ("bg", "gg"):
        message = refusal(tampered(document, lambda d, key=key: d.pop(key)))
        assert f"the {key!r} model is missing" in message
        assert "not a JSON object" not in message


@pytest.mark.parametrize("q", [0.5, 1.0])
def test_a_spend_model_without_a_mean_is_refused(document, q):
    # E[spend] = p v / (q − 1) needs q > 1 (GammaGammaModel raises ModelError when scoring).

    def change(d):
        # With the standard error the fit would write for it (√Σ_qq·q), so that the file is
        # consistent but for the mean.
        errors = d["gg"]["fit"]["standard_errors"]
        errors["q"] *= q / d["gg"]["params"]["q"]
        d["gg"]["params"]["q"] = q

    message = refusal(tampered(document, change))
    assert f"q = {q:.4g} ≤ 1" in message


@pytest.mark.parametrize(
    ("key", "value"), [("max_iter", -5), ("max_iter", 0), ("max_iter", 2.5), ("tol", -1.0)]
)
def test_optimiser_settings_are_checked(document, key, value):
    message = refusal(tampered(document, lambda d: d["settings"].update({key: value})))
    assert f"setting {key!r} = {value!r}" in message


def test_an_unknown_setting_is_named_not_shown_as_a_python_exception(document):
    # A purchase model's file with its 'format' changed to Day One's said "bad settings
    # (DayOneModel.__init__() got an unexpected keyword argument ...)".
    message = refusal(tampered(document, lambda d: d["settings"].update(purchase_covariates=[])))
    assert "unknown setting(s) ['purchase_covariates']" in message
    assert "__init__" not in message


def test_baselines_that_contradict_the_encoding_are_refused(document):
    message = refusal(tampered(document, lambda d: d["settings"].update(baselines={"channel": 1})))
    assert "'channel' the baseline 1" in message and "'web'" in message
    assert document["encoding"]["categorical"][0]["baseline"] == "web"


def test_attributes_acting_on_no_process_are_refused_on_load(document):
    message = refusal(tampered(document, lambda d: d["settings"].update(covariates_on=[])))
    assert "covariates_on= is empty" in message


def test_attributes_acting_on_no_process_are_refused_when_fitting(rfm, attributes):
    # Every signup got 56.831, the population value, with no word said.
    model = clv.DayOneModel(NUMERIC, log=NUMERIC, covariates_on=[])
    with pytest.raises(InputError, match="covariates_on= is empty"):
        model.fit(rfm, attributes)
    assert not hasattr(model, "bg_")


def test_a_model_without_attributes_stays_legal(rfm, attributes):
    model = clv.DayOneModel(first_purchase_col=NUMERIC[0], covariates_on=[]).fit(rfm, attributes)
    reloaded = clv.DayOneModel.from_dict(model.to_dict(), SOURCE)
    assert reloaded.attributes == [] and reloaded.covariates_on == ()
    assert math.isfinite(reloaded.segment_cuts_["mean"])


def test_a_repeated_customer_id_is_reported_in_plain_words(rfm, attributes):
    repeated = attributes.iloc[[0, 1, 0]]
    model = clv.DayOneModel(NUMERIC, log=NUMERIC)
    with pytest.raises(InputError, match=r"attributes lists 1 customer id\(s\) more than once"):
        model.fit(rfm, repeated)


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_horizon_is_refused(document, value):
    # `"horizon": true` loaded as 1 month (mean expected value 105.02 -> 14.23).
    message = refusal(tampered(document, lambda d: d["settings"].update(horizon=value)))
    assert f"horizon must be a number, got {value!r}" in message
    with pytest.raises(clv.InputError, match="horizon must be a number"):
        clv.DayOneModel(horizon=value)
