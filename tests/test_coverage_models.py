"""clvmodel.coverage_comparison and interval_coverage: the models and options they take.

Model names (as compare_models takes them) were read letter by letter and told that "5 models share
the label(s) ['str']": coverage needs fitted models; one model alone is compared as its own
coverage; an option the model does not take (n_draw= for n_draws=) failed in
"PurchasePredictions.predict()", a class the caller never saw."""

import pytest

import clvmodel as clv


@pytest.mark.parametrize("models", ["bgnbd", ["bgnbd", "pnbd"]])
def test_coverage_comparison_of_model_names_says_it_needs_fitted_models(cdnow_split, models):
    # models="bgnbd" (as compare_models takes it) was read letter by letter and told
    # "5 models share the label(s) ['str']"; two names were told they share the label 'str'.
    cal, hold = cdnow_split
    with pytest.raises(clv.InputError, match=r"fitted purchase model") as caught:
        clv.coverage_comparison(models, cal, hold)
    assert "share the label" not in str(caught.value)


def test_coverage_comparison_of_one_model_is_its_coverage(cdnow_split):
    cal, hold = cdnow_split
    bg = clv.BetaGeoModel().fit(cal)
    table = clv.coverage_comparison(bg, cal, hold)
    alone = clv.interval_coverage(bg, cal, hold)
    assert list(table.index.get_level_values("model").unique()) == ["BG/NBD"]
    assert table.loc["BG/NBD", "observed_coverage"].tolist() == alone["observed_coverage"].tolist()


def test_coverage_options_the_model_does_not_take_are_named(cdnow_split):
    # interval_coverage(..., n_draw=500) failed in "PurchasePredictions.predict() got an
    # unexpected keyword argument 'n_draw'", a class the caller never saw.
    cal, hold = cdnow_split
    bg = clv.BetaGeoModel().fit(cal)
    with pytest.raises(clv.InputError, match=r"unknown option\(s\) \['n_draw'\].*n_draws"):
        clv.interval_coverage(bg, cal, hold, n_draw=500)
