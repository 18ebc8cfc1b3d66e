"""Day One value for new signups: encoding, predictions, segments, persistence, errors, and the
CDNOW out-of-sample evaluation against the no-covariate baseline."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import SEGMENTS, evaluate_day_one, first_purchase_attributes, top_decile_share

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]
WEEKS_PER_13_MONTHS = 13 * (365.25 / 12) / 7  # clvmodel.value.PERIOD_DAYS["M"] = 365.25 / 12


@pytest.fixture(scope="module")
def model(rfm, attributes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        return clv.DayOneModel(
            NUMERIC, ["channel"], log=NUMERIC, first_purchase_col="first_purchase_amount"
        ).fit(rfm, attributes)


@pytest.fixture(scope="module")
def signups(attributes):
    return attributes.iloc[:50][NUMERIC + ["channel"]].copy()


# --------------------------------------------------------------------------------------------------
# first_purchase_attributes
def test_first_purchase_attributes_sum_the_first_day():
    log = pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "a", "b", "c"],
            "date": [
                "2024-01-03",
                "2024-01-01",
                "2024-01-01",
                "2024-01-20",
                "2024-01-03",
                "2024-02-01",
            ],
            "quantity": [1, 2, 3, 4, 5, 1],
            "amount": [10.0, 1.5, 2.5, 100.0, 5.0, 7.0],
        }
    )
    table = first_purchase_attributes(log, quantity_col="quantity")
    assert list(table.index) == ["b", "a", "c"]
    assert table.loc["a", "first_purchase_amount"] == 4.0
    assert table.loc["a", "first_purchase_quantity"] == 5.0
    assert table.loc["b", "first_purchase_amount"] == 15.0
    assert table.loc["b", "first_purchase_quantity"] == 6.0
    assert table["signup_week"].tolist() == [0.0, 0.0, 4.0]
    assert table.loc["c", "signup_date"] == pd.Timestamp("2024-02-01")


# --------------------------------------------------------------------------------------------------
# Encoding
def test_numeric_attributes_are_logged_and_standardised(model, rfm, attributes):
    for entry in model.encoding_["numeric"]:
        values = np.log1p(attributes.loc[rfm.index, entry["name"]].to_numpy(dtype=float))
        assert entry["log"] is True
        assert entry["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert entry["sd"] == pytest.approx(values.std(), rel=1e-12)
    design = model.encode(attributes.loc[rfm.index])
    np.testing.assert_allclose(design[NUMERIC].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(design[NUMERIC].std(ddof=0), 1.0, rtol=1e-12)


def test_categorical_attributes_are_one_hot_against_the_most_frequent_level(model, attributes):
    (entry,) = model.encoding_["categorical"]
    assert entry["levels"] == ["email", "store", "web"]
    assert entry["baseline"] == attributes["channel"].value_counts().idxmax() == "web"
    assert model.design_columns == NUMERIC + ["channel=email", "channel=store"]
    design = model.encode(attributes)
    expected_email = (attributes["channel"] == "email").astype(float)
    np.testing.assert_array_equal(design["channel=email"], expected_email)
    web = attributes["channel"] == "web"
    assert (design.loc[web, ["channel=email", "channel=store"]] == 0).all().all()


def test_stated_baseline_is_used(rfm, attributes):
    fitted = clv.DayOneModel(["first_purchase_amount"], ["channel"], baselines={"channel": "store"})
    fitted.fit(rfm, attributes)
    assert fitted.encoding_["categorical"][0]["baseline"] == "store"
    assert fitted.design_columns == ["first_purchase_amount", "channel=email", "channel=web"]


# --------------------------------------------------------------------------------------------------
# Predictions
def test_day_one_value_counts_first_purchase_plus_repeat_value(model, signups):
    table = model.predict(signups)
    assert list(table.columns) == [
        "first_purchase",
        "expected_repeat_purchases",
        "expected_purchases",
        "expected_spend",
        "expected_repeat_value",
        "day_one_value",
        "segment",
    ]
    assert table.index.equals(signups.index)
    np.testing.assert_array_equal(table["first_purchase"], signups["first_purchase_amount"])
    np.testing.assert_allclose(table["expected_purchases"], table["expected_repeat_purchases"] + 1)
    np.testing.assert_allclose(
        table["expected_repeat_value"], table["expected_repeat_purchases"] * table["expected_spend"]
    )
    np.testing.assert_allclose(
        table["day_one_value"], table["first_purchase"] + table["expected_repeat_value"]
    )
    numbers = table.drop(columns="segment").to_numpy()
    assert np.all(np.isfinite(numbers)) and np.all(numbers >= 0)


def test_default_horizon_is_13_months_in_model_weeks(model, signups):
    design = model.encode(signups)
    table = model.predict(signups)
    want = model.bg_.expected_purchases_new(design, WEEKS_PER_13_MONTHS)
    np.testing.assert_allclose(table["expected_repeat_purchases"], want, rtol=1e-12)
    in_weeks = model.predict(signups, horizon=clv.Duration(WEEKS_PER_13_MONTHS, "W"))
    np.testing.assert_allclose(in_weeks["day_one_value"], table["day_one_value"], rtol=1e-12)
    longer = model.predict(signups, horizon="2Y")
    assert (longer["expected_repeat_purchases"] > table["expected_repeat_purchases"]).all()
    # The segment always refers to the model's own horizon.
    assert (longer["segment"] == table["segment"]).all()


def test_attributes_change_the_prediction_as_the_coefficients_say(model, signups):
    low = signups.iloc[[0]].assign(first_purchase_quantity=1.0, channel="web")
    high = low.assign(first_purchase_quantity=6.0)
    ratio = (
        model.predict(high)["expected_spend"].iloc[0] / model.predict(low)["expected_spend"].iloc[0]
    )
    sd = model.encoding_["numeric"][1]["sd"]
    gamma = model.gg_.params_["spend:first_purchase_quantity"]
    assert ratio == pytest.approx(np.exp(gamma * (np.log(7.0) - np.log(2.0)) / sd), rel=1e-12)


def test_repeat_only_value_without_first_purchase_column(rfm, attributes, signups):
    fitted = clv.DayOneModel(NUMERIC, log=NUMERIC, covariates_on=("purchase", "spend"))
    fitted.fit(rfm, attributes)
    table = fitted.predict(signups[NUMERIC])
    assert "first_purchase" not in table.columns
    np.testing.assert_allclose(table["day_one_value"], table["expected_repeat_value"])
    np.testing.assert_allclose(table["expected_purchases"], table["expected_repeat_purchases"])


def test_without_covariates_everyone_gets_the_plain_population_average(rfm, attributes, signups):
    fitted = clv.DayOneModel(horizon="52W").fit(rfm, attributes)
    table = fitted.predict(signups)
    bg = clv.BetaGeoModel().fit(rfm)
    gg = clv.GammaGammaModel().fit(rfm)
    np.testing.assert_allclose(
        table["expected_repeat_purchases"], bg.expected_purchases_new(52.0), rtol=1e-4
    )
    np.testing.assert_allclose(table["expected_spend"], gg.population_mean_spend(), rtol=1e-4)
    assert (table["segment"] == "average").all()


def test_history_conditional_prediction(model, rfm, attributes):
    customers = rfm.index[:200]
    table = model.predict_with_history(rfm.loc[customers], attributes)
    assert list(table.columns) == [
        "frequency",
        "recency",
        "T",
        "probability_alive",
        "expected_purchases",
        "expected_spend",
        "expected_value",
    ]
    frame = rfm.loc[customers].join(model.encode(attributes.loc[customers]))
    np.testing.assert_allclose(
        table["expected_purchases"], model.bg_.expected_purchases(frame, WEEKS_PER_13_MONTHS)
    )
    np.testing.assert_allclose(table["expected_spend"], model.gg_.expected_spend(frame))
    assert ((table["probability_alive"] >= 0) & (table["probability_alive"] <= 1)).all()
    # History matters: heavy recent buyers are expected to buy more than their Day One forecast.
    day_one = model.predict(attributes.loc[customers])
    heavy = (table["frequency"] >= 5) & (table["T"] - table["recency"] < 5)
    assert heavy.any()
    assert (
        table.loc[heavy, "expected_purchases"] > day_one.loc[heavy, "expected_repeat_purchases"]
    ).all()


def test_history_prediction_at_signup_equals_day_one(model, signups):
    fresh = pd.DataFrame(
        {"frequency": 0, "recency": 0.0, "T": 0.0, "monetary_value": 0.0}, index=signups.index
    )
    fresh.attrs["time_unit"] = "W"
    conditional = model.predict_with_history(fresh, signups)
    day_one = model.predict(signups)
    np.testing.assert_allclose(
        conditional["expected_purchases"], day_one["expected_repeat_purchases"], rtol=1e-12
    )
    np.testing.assert_allclose(conditional["expected_spend"], day_one["expected_spend"])


def test_history_prediction_refuses_another_time_unit(model, transactions, attributes):
    days = clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="D")
    with pytest.raises(clv.InputError, match="time unit 'D' but the model in 'W'"):
        model.predict_with_history(days, attributes)


# --------------------------------------------------------------------------------------------------
# Unknown categories
def test_unknown_category_is_an_error_naming_the_fix(model, signups):
    new = signups.copy()
    new.loc[new.index[0], "channel"] = "tv"
    with pytest.raises(
        clv.InputError, match=r"'channel' has level\(s\) 'tv' that.*unknown='baseline'"
    ):
        model.predict(new)


def test_unknown_category_as_baseline_warns(model, signups):
    new = signups.copy()
    new.loc[new.index[0], "channel"] = "tv"
    with pytest.warns(clv.ClvWarning, match="scored as the baseline level 'web'"):
        table = model.predict(new, unknown="baseline")
    as_web = model.predict(new.assign(channel=new["channel"].replace("tv", "web")))
    pd.testing.assert_frame_equal(table, as_web)
    with pytest.raises(clv.InputError, match="unknown= must be"):
        model.predict(signups, unknown="ignore")


# --------------------------------------------------------------------------------------------------
# Segments
def test_segment_cut_points_are_mean_plus_minus_band(model, rfm, attributes):
    values = model.predict(attributes.loc[rfm.index])["day_one_value"]
    cuts = model.segment_cuts_
    assert cuts["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert cuts["low"] == pytest.approx(0.8 * values.mean())
    assert cuts["high"] == pytest.approx(1.2 * values.mean())


def test_segments_place_prospects_by_the_cut_points(model, signups):
    placed = model.segment(signups)
    assert list(placed.columns) == ["day_one_value", "segment"]
    assert list(placed["segment"].cat.categories) == list(SEGMENTS)
    low, high = model.segment_cuts_["low"], model.segment_cuts_["high"]
    expected = np.where(
        placed["day_one_value"] < low,
        "below average",
        np.where(placed["day_one_value"] > high, "above average", "average"),
    )
    np.testing.assert_array_equal(placed["segment"].astype(str), expected)


def test_segment_profiles_describe_the_fitting_customers(model, rfm, attributes):
    profiles = model.segment_profiles_
    fit_attributes = attributes.loc[rfm.index]
    placed = model.segment(fit_attributes)
    assert list(profiles.index) == list(SEGMENTS)
    assert profiles["customers"].sum() == len(rfm)
    assert profiles["share"].sum() == pytest.approx(1.0)
    by_segment = fit_attributes.assign(segment=placed["segment"].astype(str)).groupby("segment")
    for segment in SEGMENTS:
        assert profiles.loc[segment, "mean_first_purchase_amount"] == pytest.approx(
            by_segment["first_purchase_amount"].mean()[segment]
        )
        shares = [profiles.loc[segment, f"share_channel={lv}"] for lv in ("email", "store", "web")]
        assert sum(shares) == pytest.approx(1.0)
        assert profiles.loc[segment, "share_channel=email"] == pytest.approx(
            (by_segment["channel"].apply(lambda s: (s == "email").mean()))[segment]
        )
    # Higher segments have higher predicted value and, here, bigger first purchases.
    assert profiles["mean_day_one_value"].is_monotonic_increasing
    assert profiles["mean_first_purchase_amount"].is_monotonic_increasing


# --------------------------------------------------------------------------------------------------
# Persistence
def test_save_load_round_trip(model, signups, tmp_path):
    path = model.save(tmp_path / "dayone.json")
    loaded = clv.DayOneModel.load(path)
    pd.testing.assert_frame_equal(loaded.predict(signups), model.predict(signups))
    assert loaded.encoding_ == model.encoding_
    assert loaded.segment_cuts_ == model.segment_cuts_
    pd.testing.assert_frame_equal(loaded.segment_profiles_, model.segment_profiles_)
    pd.testing.assert_frame_equal(loaded.summary, model.summary)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "clvmodel-dayone"
    assert document["bg"]["settings"]["purchase_covariates"] == model.design_columns


def test_load_model_points_to_dayone_loader(model, tmp_path):
    path = model.save(tmp_path / "dayone.json")
    with pytest.raises(clv.ModelFileError, match=r"DayOneModel.load"):
        clv.load_model(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="clvmodel-model"), "'format' is 'clvmodel-model'"),
        (lambda d: d.update(format_version=99), "newer than this clvmodel reads"),
        (lambda d: d["encoding"]["numeric"][0].update(sd=0.0), "sd > 0"),
        (lambda d: d["encoding"]["categorical"][0].update(baseline="tv"), "baseline"),
        (lambda d: d["settings"].update(numeric=["first_purchase_amount"]), "numeric"),
        (lambda d: d["segment_cuts"].update(low="x"), "segment_cuts"),
        (lambda d: d["bg"]["settings"].update(dropout_covariates=[]), "params"),
        (lambda d: d["settings"].update(colour="red"), r"unknown setting\(s\) \['colour'\]"),
    ],
)
def test_tampered_dayone_files_are_refused(model, tmp_path, mutate, message):
    document = json.loads(json.dumps(model.to_dict()))
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match=message):
        clv.DayOneModel.load(path)


def test_unfitted_model_says_fit_first(signups):
    with pytest.raises(clv.NotFittedError, match="call fit"):
        clv.DayOneModel(NUMERIC).predict(signups)


# --------------------------------------------------------------------------------------------------
# Bad input
@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda a: a.drop(columns="channel"), {}, r"no column 'channel'"),
        (
            lambda a: a.assign(
                first_purchase_quantity=a["first_purchase_quantity"].astype(str)
            ).pipe(
                lambda t: t.assign(
                    first_purchase_quantity=t["first_purchase_quantity"].where(
                        t.index != t.index[3], "two"
                    )
                )
            ),
            {},
            r"'first_purchase_quantity'.*not numeric.*categorical=",
        ),
        (
            lambda a: a.assign(
                first_purchase_amount=a["first_purchase_amount"].where(a.index != a.index[2])
            ),
            {},
            r"'first_purchase_amount'.*1 missing or infinite.*fill them",
        ),
        (lambda a: a.assign(first_purchase_quantity=2.0), {}, r"constant.*drop it"),
        (lambda a: a.assign(channel="web"), {}, r"single level \('web'\).*drop it"),
        (
            lambda a: a.assign(channel=a["channel"].where(a.index != a.index[0])),
            {},
            r"'channel'.*1 missing value.*'unknown'",
        ),
        (lambda a: a.iloc[5:], {}, r"no row for 5 of the 2357 customers.*same ids"),
        (lambda a: pd.concat([a, a.iloc[:2]]), {}, r"2 customer id\(s\) more than once"),
        (
            lambda a: a.assign(first_purchase_amount=-a["first_purchase_amount"] - 1),
            {},
            r"log\(1 \+ value\).*negative",
        ),
        (lambda a: a, {"baselines": {"channel": "tv"}}, r"baseline 'tv' of 'channel'"),
    ],
)
def test_bad_attributes_are_named_with_the_fix(rfm, attributes, change, kwargs, message):
    fitted = clv.DayOneModel(NUMERIC, ["channel"], log=NUMERIC, **kwargs)
    with pytest.raises(clv.InputError, match=message):
        fitted.fit(rfm, change(attributes.copy()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"numeric": ["x"], "categorical": ["x"]}, "both numeric and categorical"),
        ({"numeric": ["x"], "log": ["y"]}, "not in numeric"),
        ({"horizon_unit": "Q"}, "horizon_unit='Q'"),
        ({"horizon": -1}, "horizon must be positive"),
        ({"covariates_on": ["churn"]}, "covariates_on"),
        ({"segment_band": 1.5}, "segment_band"),
        ({"baselines": {"x": "a"}}, "not categorical attributes"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        clv.DayOneModel(**kwargs)


def test_rfm_without_time_unit(rfm, attributes):
    bare = pd.DataFrame(rfm)
    bare.attrs = {}
    with pytest.raises(clv.InputError, match="time unit of the RFM table"):
        clv.DayOneModel(NUMERIC).fit(bare, attributes)


def test_prediction_input_errors(model, signups):
    with pytest.raises(clv.InputError, match="no column 'channel'"):
        model.predict(signups.drop(columns="channel"))
    bad = signups.assign(first_purchase_quantity=np.inf)
    with pytest.raises(clv.InputError, match="missing or infinite"):
        model.predict(bad)


# --------------------------------------------------------------------------------------------------
# Metrics helpers
def test_top_decile_share_shares_ties_pro_rata():
    actual = np.arange(20, dtype=float)
    assert top_decile_share(np.ones(20), actual) == pytest.approx(0.1)
    assert top_decile_share(actual, actual) == pytest.approx((19 + 18) / actual.sum())
    assert top_decile_share(-actual, actual) == pytest.approx(1 / actual.sum())
    # Two customers tied at the top for one place: half of each.
    assert top_decile_share([2, 2, 1, 1], [4, 0, 0, 0], share=0.25) == pytest.approx(0.5)
    assert top_decile_share([1, 2], [0, 0]) == 0.0


# --------------------------------------------------------------------------------------------------
# CDNOW: Day One value of unseen customers against what they actually spent.
@pytest.fixture(scope="module")
def cdnow_evaluation():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        return evaluate_day_one(clv.datasets.load_cdnow(), seed=0)


def test_cdnow_evaluation_uses_every_customer_once(cdnow_evaluation):
    details = cdnow_evaluation.details
    assert details["fit_customers"] + details["evaluation_customers"] == 23_570
    assert details["evaluation_customers"] == len(cdnow_evaluation.predictions) == 11_785
    fit_ids = cdnow_evaluation.fit_customers
    assert len(fit_ids) == details["fit_customers"]
    assert not set(cdnow_evaluation.predictions.index) & set(fit_ids)
    assert cdnow_evaluation.model.bg_.n_customers_ == details["fit_customers"]
    assert np.isfinite(cdnow_evaluation.metrics.to_numpy()).all()
    assert np.isfinite(cdnow_evaluation.metrics_total.to_numpy()).all()
    assert "Repeat purchases' value" in str(cdnow_evaluation)


def test_cdnow_covariate_model_beats_the_baseline(cdnow_evaluation):
    # Measured with seed 0: Spearman 0.19, top-decile share 0.27, MAE 70.5 vs 73.9 (baseline).
    metrics = cdnow_evaluation.metrics
    model, baseline = metrics.loc["covariate model"], metrics.loc["no-covariate baseline"]
    assert baseline["spearman"] == 0.0
    assert baseline["top_decile_share"] == pytest.approx(0.1)
    assert model["spearman"] > 0.15
    assert model["top_decile_share"] > 0.22
    assert model["mae"] < baseline["mae"] - 2.0
    # Both are calibrated on average: within 10 % of the realised mean repeat value.
    assert model["mean_predicted"] == pytest.approx(model["mean_actual"], rel=0.1)
    total = cdnow_evaluation.metrics_total
    assert total.loc["covariate model", "mae"] < total.loc["no-covariate baseline", "mae"]


def test_cdnow_realised_value_is_first_52_weeks_of_repeat_purchases(cdnow_evaluation):
    tx = clv.datasets.load_cdnow()
    table = cdnow_evaluation.predictions
    some = table.index[:300]
    day = tx.groupby(["customer_id", "date"])["amount"].sum().reset_index()
    day = day[day["customer_id"].isin(some)]
    first = day.groupby("customer_id")["date"].transform("min")
    window = (day["date"] > first) & (day["date"] <= first + pd.Timedelta(days=364))
    realised = day[window].groupby("customer_id")["amount"].sum().reindex(some, fill_value=0.0)
    np.testing.assert_allclose(table.loc[some, "actual_repeat_value"], realised)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["encoding"]["numeric"].append(5), "'encoding' 'numeric' holds 5"),
        (lambda d: d["encoding"]["categorical"].append("oops"), "'categorical' holds 'oops'"),
        (lambda d: d["encoding"].update(numeric={"name": "x"}), "'numeric' is not a list"),
        (lambda d: d["segment_cuts"].update(low=10**400), "segment_cuts"),
        (lambda d: d["segment_cuts"].update(high=-(10**400)), "segment_cuts"),
        (lambda d: d["encoding"]["numeric"][0].update(sd=10**400), "sd > 0"),
        (lambda d: d["segment_profiles"]["data"][0].__setitem__(0, 10**400), "segment_profiles"),
        (lambda d: d["settings"].update(segment_band=10**400), "setting 'segment_band'"),
        (lambda d: d["settings"].update(horizon=10**400), "setting 'horizon'"),
    ],
)
def test_dayone_files_with_stray_entries_or_huge_numbers_are_refused(
    model, tmp_path, mutate, message
):
    document = json.loads(json.dumps(model.to_dict()))
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    for load in (clv.DayOneModel.load, clv.load):
        with pytest.raises(clv.ModelFileError, match=message):
            load(path)
