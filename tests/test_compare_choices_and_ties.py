"""clvmodel.compare_models: the models it takes, and how it ranks them.

Each test failed before its fix: models=3 raised "TypeError: 'int' object is not iterable"; one
model named by a string was read letter by letter ("unknown purchase model 'b'"); a spend model in
the list was called an "unknown purchase model GammaGammaModel(...)", as if it were a name; a
ModelBundle was not pointed to its purchase model (by evaluate_holdout either). Models tied on the
holdout error were ranked by the order in which they were listed, not by BIC; a model whose
optimiser fails (a raw OverflowError) crashed the comparison instead of being noted."""

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError


@pytest.mark.parametrize("models", [3, 2.5])
def test_compare_models_refuses_models_that_are_not_names_or_models(models):
    # models=3 raised "TypeError: 'int' object is not iterable".
    calibration = clv.simulate_customers(50, dict(r=0.5, alpha=5.0, a=0.8, b=2.5), T=39, seed=1)
    with pytest.raises(clv.InputError, match=r"models must be a model name.*got 3|got 2.5"):
        clv.compare_models(calibration, models=models)


def test_one_purchase_model_by_name():
    cal, _ = clv.calibration_holdout_split(
        clv.datasets.load_cdnow_sample(), "1997-09-30", drop_duplicates=True
    )
    # Was "unknown purchase model 'b'".
    assert clv.compare_models(cal, models="bgnbd").table["model"].tolist() == ["BG/NBD"]


def test_compare_models_names_an_entry_that_is_not_a_purchase_model(cdnow_split, cdnow_split_gg):
    # Before: "unknown purchase model GammaGammaModel(p=..., q=..., v=...)", as if it were a name.
    cal, hold = cdnow_split
    with pytest.raises(InputError, match=r"models\[1\] is a GammaGammaModel: compare_models ranks"):
        clv.compare_models(cal, hold, models=["bgnbd", cdnow_split_gg])


def test_a_bundle_of_models_is_pointed_to_its_purchase_model(
    cdnow_split, cdnow_split_bg, cdnow_split_gg
):
    cal, hold = cdnow_split
    bundle = clv.ModelBundle(cdnow_split_bg, cdnow_split_gg)
    with pytest.raises(InputError, match=r"models\[0\]\.bg"):
        clv.compare_models(cal, hold, models=[bundle])
    with pytest.raises(InputError, match=r"bg=bundle\.bg, gg=bundle\.gg"):
        clv.evaluate_holdout(bundle, cal, hold)


def _tied_tables():
    """Twenty identical customers, half of whom buy once in the holdout: every model predicts
    the same p ≤ 1 for everybody, so every holdout MAE is (|p − 1| + p) / 2 = 0.5."""
    index = [f"c{i}" for i in range(20)]
    calibration = pd.DataFrame({"frequency": 1, "recency": 5.0, "T": 10.0}, index=index)
    holdout = pd.DataFrame({"frequency_holdout": [1, 0] * 10, "duration_holdout": 10.0}, index)
    calibration.attrs["time_unit"] = holdout.attrs["time_unit"] = "W"
    return calibration, holdout


def test_models_tied_on_the_holdout_error_are_ranked_by_bic_not_by_listing_order():
    # The order in which the models were listed chose among models with equal holdout errors,
    # and so the model `clvmodel evaluate --models` reports on.
    calibration, holdout = _tied_tables()
    results = [
        clv.compare_models(calibration, holdout, models=order)
        for order in (["mbgnbd", "pnbd", "bgnbd"], ["bgnbd", "pnbd", "mbgnbd"])
    ]
    for result in results:
        table = result.table
        assert (table["holdout_mae"] - 0.5).abs().max() < 1e-9
        assert table["bic"].is_monotonic_increasing, table[["model", "bic"]]
        assert table["note"].str.contains("tied with").all(), table["note"]
    assert results[0].table["model"].tolist() == results[1].table["model"].tolist()


def test_a_model_whose_optimiser_fails_is_noted_not_a_crash_of_the_comparison():
    # BG/NBD's fit overflows (a raw OverflowError) on this table of one-day-old customers; the
    # comparison crashed with it instead of ranking the other models and noting the failure.
    calibration = pd.DataFrame(
        {
            "frequency": [0, 0, 0, 0, 1, 0, 0, 0, 1],
            "recency": [0, 0, 0, 0, 1 / 7, 0, 0, 0, 1 / 7],
            "T": [1 / 7, 1 / 7, 0, 0, 1 / 7, 1 / 7, 1 / 7, 0, 1 / 7],
        },
        index=[f"c{i}" for i in range(9)],
    )
    holdout = pd.DataFrame(
        {"frequency_holdout": [1, 0, 0, 1, 2, 0, 0, 0, 1], "duration_holdout": 1.0},
        index=calibration.index,
    )
    table = clv.compare_models(calibration, holdout).table
    failed = table[table["note"].str.startswith("fit failed")]
    assert failed["holdout_mae"].isna().all() and len(failed) < len(table)
    assert table["holdout_mae"].notna().iloc[0]  # a fitted model is ranked first
