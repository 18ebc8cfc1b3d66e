"""Leftovers of the data hunt: the Parquet route's rejected customers, the calibration table's
attrs, bare-number horizons of the unit economics, Day One levels of any dtype, the median payback
at exactly half, and the guide's sentence on BG/NBD service costs."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.economics import cac_payback, net_clv, unit_economics_summary

# Published CDNOW parameters: BG/NBD from Fader, Hardie and Lee (2005), "Counting your customers
# the easy way", Marketing Science 24(2); Gamma-Gamma from Fader, Hardie and Lee (2005), "RFM and
# CLV: using iso-value curves for customer base analysis", JMR 42(4).
BG_CDNOW = dict(r=0.2426, alpha=4.4137, a=0.7930, b=2.4262)
GG_CDNOW = dict(p=6.25, q=3.74, v=15.44)
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "economics.md"


@pytest.fixture(scope="module")
def models():
    return clv.BetaGeoModel.from_params(BG_CDNOW, "W"), clv.GammaGammaModel.from_params(GG_CDNOW)


# ----------------------------------------------------------------------------------------------
# 1. rfm_from_file's Parquet fast route counts the customers whose purchases all fall after the end


@pytest.mark.parametrize("ids", [["a", "a", "b", "c", "d"], [10, 10, 11, 13, 14]])
def test_parquet_route_counts_customers_only_after_the_end(tmp_path, monkeypatch, ids):
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.to_datetime(
                ["2020-01-01", "2020-01-05", "2020-01-02", "2020-02-01", "2020-02-03"]
            ),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    parquet, csv = tmp_path / "log.parquet", tmp_path / "log.csv"
    tx.to_parquet(parquet, index=False)
    tx.to_csv(csv, index=False)
    frame = clv.rfm_summary(tx, observation_end="2020-01-10")
    from_csv = clv.rfm_from_file(csv, observation_end="2020-01-10")

    def no_pandas_route(*args, **kwargs):
        raise AssertionError("the Parquet log should take the fast route")

    monkeypatch.setattr(clv.io, "read_table", no_pandas_route)
    from_parquet = clv.rfm_from_file(parquet, observation_end="2020-01-10")
    assert frame.attrs["rejected_customers"] == 2  # the last two customers buy after the end only
    assert from_parquet.attrs == frame.attrs == from_csv.attrs
    pd.testing.assert_frame_equal(from_parquet, frame, check_index_type=False)


def test_parquet_route_without_late_purchases_rejects_none(tmp_path):
    tx = pd.DataFrame(
        {
            "customer_id": [3, 3, 5],
            "date": pd.to_datetime(["2020-01-01", "2020-01-04", "2020-01-02"]),
        }
    )
    path = tmp_path / "log.parquet"
    tx.to_parquet(path, index=False)
    summary = clv.rfm_from_file(path, amount_col=None, observation_end="2020-01-04")
    expected = clv.rfm_summary(tx, amount_col=None, observation_end="2020-01-04")
    assert summary.attrs == expected.attrs
    assert summary.attrs["rejected_customers"] == summary.attrs["purchase_days_after_end"] == 0


# ----------------------------------------------------------------------------------------------
# 3. The calibration table carries rfm_summary's attrs for the calibration period


def _log_with_duplicates() -> pd.DataFrame:
    """Exact duplicate rows in both periods, a customer new in the holdout and one after it."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b", "c", "d"],
            "date": ["2020-01-01", "2020-01-01", "2020-01-05", "2020-01-02"]
            + ["2020-02-01", "2020-02-01", "2020-01-20", "2020-03-01"],
            "amount": [5.0, 5.0, 2.0, 3.0, 4.0, 4.0, 1.0, 1.0],
        }
    )


@pytest.mark.parametrize("drop_duplicates", [False, True])
def test_calibration_attrs_are_rfm_summarys(drop_duplicates):
    tx = _log_with_duplicates()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.errors.ClvWarning)
        summary = clv.rfm_summary(tx, observation_end="2020-01-10", drop_duplicates=drop_duplicates)
        cal, _ = clv.calibration_holdout_split(
            tx, "2020-01-10", "2020-02-01", drop_duplicates=drop_duplicates
        )
    # One duplicate in the calibration period (a's first row); b's is in the holdout.
    assert cal.attrs["duplicate_rows"] == 1
    assert cal.attrs["purchase_days_after_end"] == 3  # b on 02-01, c on 01-20, d on 03-01
    assert cal.attrs["rejected_customers"] == 2  # c and d buy after the calibration end only
    assert cal.attrs == summary.attrs
    pd.testing.assert_frame_equal(cal, summary[cal.columns])


def test_calibration_attrs_on_cdnow(cdnow_sample, cdnow_rfm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.errors.ClvWarning)
        cal, _ = clv.calibration_holdout_split(cdnow_sample, "1997-09-30", "1998-06-30")
    assert cal.attrs == cdnow_rfm.attrs
    assert cal.attrs["duplicate_rows"] == 9 and cal.attrs["purchase_days_after_end"] > 0


def test_calibration_attrs_without_amounts():
    tx = _log_with_duplicates()
    summary = clv.rfm_summary(tx, amount_col=None, observation_end="2020-01-10")
    cal, _ = clv.calibration_holdout_split(tx, "2020-01-10", "2020-02-01", amount_col=None)
    assert cal.attrs == summary.attrs
    assert set(cal.attrs) == {
        "duplicate_rows", "time_unit", "purchase_days_after_end", "rejected_rows",
        "rejected_customers",
    }  # fmt: skip


# ----------------------------------------------------------------------------------------------
# 2. net_clv and cac_payback read a bare-number horizon in months, and say so


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


# ----------------------------------------------------------------------------------------------
# 4. Day One levels read the same whatever the column's dtype


@pytest.fixture(scope="module")
def day_one(cdnow_sample):
    rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", drop_duplicates=True)
    signup = clv.dayone.first_purchase_attributes(cdnow_sample, quantity_col="quantity").loc[
        rfm.index
    ]
    signup["channel"] = np.where(signup["first_purchase_quantity"] > 1, 2, 1)  # int64 codes
    model = clv.DayOneModel(
        ["first_purchase_amount"], categorical=["channel"], log=["first_purchase_amount"]
    ).fit(rfm, signup)
    return model, rfm, signup


def test_float_and_text_codes_are_the_int_levels(day_one):
    model, _, signup = day_one
    new = signup.iloc[:40].copy()
    assert set(new["channel"]) == {1, 2}
    expected = model.predict(new)["day_one_value"]
    for codes in (new["channel"].astype(float), new["channel"].map({1: " 1.0", 2: "2 "})):
        with warnings.catch_warnings():
            warnings.simplefilter("error", clv.errors.ClvWarning)  # no 'never saw' warning
            for unknown in ("error", "baseline"):
                got = model.predict(new.assign(channel=codes), unknown=unknown)["day_one_value"]
                pd.testing.assert_series_equal(got, expected)
    assert model.encoding_["categorical"][0]["levels"] == ["1", "2"]


def test_float_fit_gives_integer_levels_and_trims_text(cdnow_sample, day_one):
    _, rfm, signup = day_one
    as_float = signup.assign(channel=signup["channel"].astype(float))
    as_text = signup.assign(channel=signup["channel"].map({1: " web", 2: "shop "}))
    fitted = {}
    for name, table in (("float", as_float), ("text", as_text)):
        fitted[name] = clv.DayOneModel(
            ["first_purchase_amount"], categorical=["channel"], log=["first_purchase_amount"],
            baselines={"channel": 2.0 if name == "float" else "shop"},
        ).fit(rfm, table)  # fmt: skip
    assert fitted["float"].encoding_["categorical"][0] == {
        "name": "channel", "levels": ["1", "2"], "baseline": "2",
    }  # fmt: skip
    assert fitted["text"].encoding_["categorical"][0]["levels"] == ["shop", "web"]
    new = as_text.iloc[:10].assign(channel=as_text["channel"].iloc[:10].str.strip())
    pd.testing.assert_series_equal(
        fitted["text"].predict(new)["day_one_value"],
        fitted["float"].predict(signup.iloc[:10])["day_one_value"],
    )


def test_a_model_file_with_float_levels_still_scores(day_one, tmp_path):
    """A model saved before levels were normalised holds '1.0' and '2.0' (and covariates named
    'channel=1.0'): it loads, and int, float and text codes all find their level."""
    model, _, signup = day_one
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())

    def older(value):
        if isinstance(value, dict):
            return {older(k): older(v) for k, v in value.items()}
        if isinstance(value, list):
            return [older(v) for v in value]
        return re.sub(r"channel=(\d)$", r"channel=\1.0", value) if isinstance(value, str) else value

    document = older(document)
    entry = document["encoding"]["categorical"][0]
    entry["levels"] = [level + ".0" for level in entry["levels"]]
    entry["baseline"] += ".0"
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(document))
    loaded = clv.DayOneModel.load(old_path)
    assert loaded.encoding_["categorical"][0]["levels"] == ["1.0", "2.0"]
    new = signup.iloc[:40]
    expected = model.predict(new)["day_one_value"].to_numpy()
    for codes in (new["channel"], new["channel"].astype(float), new["channel"].astype(str)):
        got = loaded.predict(new.assign(channel=codes))["day_one_value"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# 5. The median payback is NaN unless more than half pay back


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0.5, 24.0)), min_size=1, max_size=12))
def test_median_payback_is_finite_exactly_when_more_than_half_pay_back(paybacks):
    periods = np.array([np.nan if p is None else p for p in paybacks])
    table = pd.DataFrame(
        {
            "net_clv": 1.0,
            "acquisition_cost": 1.0,
            "payback_periods": periods,
            "paid_back": ~np.isnan(periods),
        }
    )
    row = unit_economics_summary(table, by=None).iloc[0]
    assert np.isfinite(row["median_payback"]) == (row["paid_back_share"] > 0.5)
    if row["paid_back_share"] > 0.5:
        paid = np.sort(periods[~np.isnan(periods)])
        assert paid[0] <= row["median_payback"] <= paid[-1]


def test_median_payback_at_exactly_half_is_nan_as_documented():
    table = pd.DataFrame(
        {
            "segment": ["web"] * 4,
            "net_clv": [30.0, 25.0, 1.0, 2.0],
            "acquisition_cost": [10.0] * 4,
            "payback_periods": [2.0, 3.0, np.nan, np.nan],
            "paid_back": [True, True, False, False],
        }
    )
    row = unit_economics_summary(table).loc["web"]
    assert row["paid_back_share"] == 0.5 and np.isnan(row["median_payback"])
    doc = " ".join(unit_economics_summary.__doc__.split())
    assert "NaN unless more than half pay back" in doc
    assert "fewer than half" not in doc


# ----------------------------------------------------------------------------------------------
# 6. The guide says what a BG/NBD customer without a repeat purchase pays


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
