"""`clvmodel score` with each kind of models file and with --no-amount: spend is predicted only
from amounts, covariate models are refused before any reading, and the notes say what the file
is; --date-format patterns strptime cannot use are refused in the command line's words."""

import warnings

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel._reading_dates import check_date_format
from clvmodel.errors import InputError
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import score_customers

END = "1997-09-30"
VALUE_COLUMNS = ["monetary_value", "expected_spend", "predicted_clv", "naive_clv"]
PURCHASE_COLUMNS = ["frequency", "recency", "T", "probability_alive", "churn_risk"]
# Average order value and purchases per year of a naive formula (any positive numbers serve).
NAIVE = {"average_order_value": 35.0, "purchases_per_year": 2.0}


@pytest.fixture(scope="module")
def files(tmp_path_factory, published_bg, published_gg):
    """Models files with the published CDNOW parameters (Fader, Hardie and Lee 2005; Fader,
    Hardie and Lee 2005b for Gamma-Gamma), in weeks."""
    folder = tmp_path_factory.mktemp("kinds")
    bundle = ModelBundle(bg=published_bg, gg=published_gg, naive=NAIVE)
    covariates = clv.BetaGeoModel.from_params(
        {**published_bg.params_, "purchase:z": -0.1}, time_unit="W", purchase_covariates=["z"]
    )
    spend = clv.GammaGammaModel.from_params(
        {**published_gg.params_, "spend:z": 0.1}, spend_covariates=["z"]
    )
    return {
        "spend covariates": ModelBundle(bg=published_bg, gg=spend).save(folder / "gg_cov.json"),
        "bundle": bundle.save(folder / "bundle.json"),
        "single": published_bg.save(folder / "single.json"),
        "covariates": ModelBundle(bg=covariates, gg=published_gg).save(folder / "cov.json"),
    }


def _scores(path):
    return pd.read_csv(path, dtype={"customer_id": str}).set_index("customer_id").sort_index()


def test_no_amount_leaves_out_the_spend_model_of_a_bundle(files, cdnow_log_files, tmp_path):
    csv, output = cdnow_log_files[0], tmp_path / "s.csv"
    result = run_cli(
        "score", files["bundle"], csv, "--observation-end", END, "--no-amount", "-o", output
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"note: the spend model of {files['bundle']} is not used because of --no-amount, so "
        "monetary_value, expected_spend, predicted_clv and naive_clv are empty."
    )
    scores = _scores(output)
    assert len(scores) == 2357
    for column in VALUE_COLUMNS:
        assert scores[column].isna().all(), column
    # Purchases, P(alive) and churn risk are those of the purchase model alone on the same log.
    tx = pd.read_csv(csv, dtype={"customer_id": str})
    with warnings.catch_warnings():  # its 9 repeated rows count as purchases, as in the CLI
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(tx, observation_end=END, time_unit="W")
    expected = score_customers(clv.load_models(files["bundle"]).bg, None, rfm).sort_index()
    assert list(scores.index) == list(expected.index)
    for column in PURCHASE_COLUMNS:
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9, err_msg=column)


def test_a_single_purchase_model_file_is_named_as_such(files, cdnow_log_files, tmp_path):
    output = tmp_path / "s.csv"
    result = run_cli("score", files["single"], cdnow_log_files[0], "--observation-end", END,
                     "-o", output)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "fitted without amounts" not in result.stdout
    assert result.stdout.splitlines()[-1] == (
        f"note: {files['single']} is one purchase model (no spend model): scoring purchases "
        "only, so monetary_value, expected_spend, predicted_clv and naive_clv are empty."
    )
    assert _scores(output)["expected_spend"].isna().all()


def test_a_spend_model_with_covariates_is_refused_before_reading(files, cdnow_log_files, tmp_path):
    # It was accepted, and scoring failed after reading with Python advice ("rfm.join").
    output = tmp_path / "s.csv"
    result = run_cli("score", files["spend covariates"], cdnow_log_files[0], "--observation-end",
                     END, "-o", output)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "has a spend model with covariates (z)" in result.stderr
    assert "repeat another row" not in result.stderr and "rfm.join" not in result.stderr
    assert not output.exists()
    # Without amounts the spend model is left out, and with it its covariates.
    result = run_cli("score", files["spend covariates"], cdnow_log_files[0], "--observation-end",
                     END, "--no-amount", "-o", output)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(_scores(output)) == 2357


def test_a_covariate_model_is_refused_before_reading(files, cdnow_log_files, tmp_path):
    output = tmp_path / "s.csv"
    result = run_cli("score", files["covariates"], cdnow_log_files[0], "--observation-end", END,
                     "-o", output)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "has a purchase model with covariates (z)" in result.stderr
    assert f"`clvmodel fit TRANSACTIONS -o {files['covariates']}`" in result.stderr
    # Nothing read (the log's repeated rows are reported while reading), no Python advice.
    assert "repeat another row" not in result.stderr
    for python in ("rfm.join", "--time-unit", "unexpected failure"):
        assert python not in result.stderr, python
    assert not output.exists()


def test_a_date_format_with_an_unknown_directive_names_the_option(files, cdnow_log_files, tmp_path):
    result = run_cli("score", files["bundle"], cdnow_log_files[0], "--date-format",
                     "%Y-%m-%d %Q", "-o", tmp_path / "s.csv")  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "unexpected failure" not in result.stderr
    assert "--date-format '%Y-%m-%d %Q' has '%Q', which is not a strptime directive" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("%Q", "has '%Q'"), ("%-d/%m/%Y", "has '%-'"), ("%d/%m/%Y%", "has '%'"),
     ("%Y-W%W", "cannot be used"), ("%Y%Y", "cannot be used: it gives a directive more than once"),
     ("%d/%m/%d", "cannot be used: it gives")],
)  # fmt: skip
def test_the_python_api_refuses_unusable_patterns(cdnow_sample, pattern, problem):
    tx = cdnow_sample.head(20).assign(date=lambda t: t["date"].dt.strftime("%Y-%m-%d"))
    with pytest.raises(InputError, match=f"date_format='{pattern}' {problem}"):
        clv.rfm_summary(tx, date_format=pattern)


@pytest.mark.parametrize("pattern", ["%d/%m/%Y", "%Y %%", "%G-%V-%u", "%d %b %Y"])
def test_usable_patterns_pass(pattern):
    check_date_format(pattern)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="%YmdbQGVuUW-/ e", max_size=8).map(lambda text: "%" + text))
def test_a_pattern_is_refused_as_input_or_usable_by_pandas(pattern):
    try:
        check_date_format(pattern)
    except InputError:
        return
    pd.to_datetime(pd.Series(["2020-01-02"], dtype=object), format=pattern, errors="coerce")
