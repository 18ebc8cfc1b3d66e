"""clvmodel.subscription_value.compare_retention_models: how it ranks the models, and the holdout it
takes.

Near-ties on the holdout error are broken by BIC, as compare_models does (with the same helper):
the order in which the models were listed chose the model. One model named by a string was read
letter by letter ("unknown retention model 's'"); holdout counts that are not numbers raised a raw
ValueError; holdout counts numbered from 1 (or overlapping the fitted periods) were compared with
the model's survivors after 1 … 5 periods, a ranking by a meaningless error."""

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.subscription_value import compare_retention_models

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


@pytest.mark.parametrize("bdw_first", [True, False])
def test_retention_models_tied_on_the_holdout_are_ranked_by_bic(bdw_first):
    rows = clv.subscriptions.from_survival_counts(REGULAR[:8])
    sbg = clv.ShiftedBetaGeoModel().fit(rows)
    # BdW with c = 1 is sBG: the same projection, one parameter more, so a higher BIC.
    params = dict(alpha=sbg.params_["alpha"], beta=sbg.params_["beta"], c=1.0)
    bdw = clv.BetaDiscreteWeibullModel.from_params(params)
    models = [bdw, "sbg"] if bdw_first else ["sbg", bdw]
    result = compare_retention_models(rows, holdout=REGULAR[8:], models=models)
    table = result.table
    assert table["holdout_mae"].iloc[0] == pytest.approx(table["holdout_mae"].iloc[1], rel=1e-9)
    # Was BdW first whenever it was listed first: the order of the list chose the model.
    assert table["model"].tolist() == ["sBG", "BdW"]
    assert table["bic"].is_monotonic_increasing
    assert table["note"].str.contains("tied with").all()


def test_retention_models_apart_on_the_holdout_keep_their_order():
    rows = clv.subscriptions.from_survival_counts(REGULAR[:8])
    result = compare_retention_models(rows, holdout=REGULAR[8:])
    # Fader and Hardie's regular cohort: BdW's holdout error (2.56) beats sBG's (2.88) by far.
    assert result.table["model"].tolist() == ["BdW", "sBG"]
    assert (result.table["note"] == "").all()


def test_one_retention_model_by_name():
    rows = clv.subscriptions.from_survival_counts(REGULAR[:8])
    # Was "unknown retention model 's'": the string was read letter by letter.
    result = compare_retention_models(rows, holdout=REGULAR[8:], models="sbg")
    assert result.table["model"].tolist() == ["sBG"]


@pytest.mark.parametrize("holdout", ["abc", ["223", "x"], {8: "many"}])
def test_retention_holdout_that_is_not_numbers_is_refused_in_words(holdout):
    rows = clv.subscriptions.from_survival_counts(REGULAR[:8])
    # Was a raw ValueError: could not convert string to float.
    with pytest.raises(clv.InputError, match="holdout"):
        compare_retention_models(rows, holdout=holdout)


@pytest.mark.parametrize("index", [[1, 2, 3, 4, 5], [7, 8, 9, 10, 11]])
def test_retention_holdout_within_the_fitted_periods_is_refused(index):
    """Counts of the holdout years numbered from 1 (or overlapping the data) were compared with
    the model's survivors after 1 … 5 periods: a ranking by a meaningless error."""
    rows = clv.subscriptions.from_survival_counts(REGULAR[:8])
    holdout = pd.Series(REGULAR[8:], index=index)
    with pytest.raises(clv.InputError, match="after the last period"):
        compare_retention_models(rows, holdout=holdout)
