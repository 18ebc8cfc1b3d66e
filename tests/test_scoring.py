"""The per-customer score table agrees with the single-purpose functions it stands for."""

import numpy as np

import clvmodel as clv
from clvmodel.scoring import SCORE_COLUMNS, score_customers


def test_score_table_equals_the_single_functions(cdnow_rfm, fitted_bg, fitted_gg):
    table = score_customers(
        fitted_bg, fitted_gg, cdnow_rfm, horizon="6M", discount_rate=0.2, margin=0.4,
        naive_clv=12.5,
    )  # fmt: skip
    assert list(table.columns) == list(SCORE_COLUMNS)
    weeks = 6 * clv.value.PERIOD_DAYS["M"] / 7
    expected = {
        "probability_alive": fitted_bg.probability_alive(cdnow_rfm),
        "churn_risk": fitted_bg.probability_no_purchase(cdnow_rfm, weeks),
        "expected_purchases": fitted_bg.expected_purchases(cdnow_rfm, weeks),
        "expected_spend": fitted_gg.expected_spend(cdnow_rfm),
        "predicted_clv": clv.customer_lifetime_value(
            fitted_bg,
            fitted_gg,
            cdnow_rfm,
            horizon="6M",
            discount_rate=0.2,
            margin=0.4,
        ),  # fmt: skip
    }
    for column, values in expected.items():
        np.testing.assert_allclose(table[column], values, rtol=1e-12, err_msg=column)
    assert (table["naive_clv"] == 12.5).all()


def test_a_table_under_lifetimes_names_scores_as_the_plain_one(cdnow_rfm, fitted_bg, fitted_gg):
    # predict and customer_lifetime_value accept frequency_cal-style names: so does the table.
    renamed = cdnow_rfm.rename(columns=lambda c: f"{c}_cal")
    plain = score_customers(fitted_bg, fitted_gg, cdnow_rfm, horizon="6M")
    as_named = score_customers(fitted_bg, fitted_gg, renamed, horizon="6M")
    np.testing.assert_array_equal(as_named.to_numpy(), plain.to_numpy())


def test_a_table_without_amounts_scores_without_a_spend_model(cdnow_rfm, fitted_bg):
    table = score_customers(fitted_bg, None, cdnow_rfm.drop(columns="monetary_value"), horizon="6M")
    assert list(table.columns) == list(SCORE_COLUMNS)
    assert table["monetary_value"].isna().all() and table["predicted_clv"].isna().all()
    np.testing.assert_allclose(table["probability_alive"], fitted_bg.probability_alive(cdnow_rfm))
