"""clvmodel.metrics (brier_score, roc_auc, prediction_errors, reliability_table) refuse, in the
library's words, the inputs they scored silently wrong.

Each refusal failed before its fix: probabilities given as percentages (brier_score returned
1400.5; reliability_table binned them, a "mean_predicted" of 50); outcomes other than 0 and 1 (a
purchase count) were scored as if they were; text predictions raised numpy's "could not convert
string to float"; bins="3" raised a raw TypeError and bins=2.5 was used as 2.5 bins. Booleans, and
whole floats (evaluate_holdout passes bins=10.0), are still taken."""

import pytest

import clvmodel as clv
from clvmodel import metrics


def test_brier_score_refuses_probabilities_given_as_percentages():
    # brier_score([50, 20], [1, 0]) returned 1400.5 without a word.
    with pytest.raises(clv.InputError, match=r"probabilit.*between 0 and 1.*50"):
        metrics.brier_score([50.0, 20.0], [1, 0])


@pytest.mark.parametrize("function", [metrics.brier_score, metrics.roc_auc])
def test_outcomes_other_than_0_and_1_are_refused(function):
    # An outcome of 5 (a count, not bought or not) was scored silently: roc_auc read 0.3 as
    # "no" and 2 as "yes"; brier_score squared the distance to 5.
    with pytest.raises(clv.InputError, match=r"outcome.*0 or 1.*5"):
        function([0.5, 0.2, 0.4], [5, 0, 1])
    assert function([0.9, 0.2], [True, False]) == function([0.9, 0.2], [1, 0])


def test_text_predictions_are_refused_in_the_librarys_words():
    # numpy's "could not convert string to float" came out raw.
    with pytest.raises(clv.InputError, match=r"numbers"):
        metrics.prediction_errors(["a", "b"], [1, 2])
    with pytest.raises(clv.InputError, match=r"numbers"):
        metrics.roc_auc([0.1, 0.2], ["yes", "no"])


@pytest.mark.parametrize("bins", ["3", 2.5, True, None])
def test_reliability_bins_must_be_a_whole_number(bins):
    # bins="3" raised a raw TypeError and bins=2.5 was used as 2.5 bins.
    with pytest.raises(clv.InputError, match=r"bins must be a whole number"):
        metrics.reliability_table([0.5, 0.2], [1, 0], bins=bins)


def test_reliability_bins_as_a_whole_float_are_taken():
    # evaluate_holdout takes bins=10.0 and passes it on.
    table = metrics.reliability_table([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], bins=2.0)
    assert table["customers"].tolist() == [2, 2]


def test_reliability_table_refuses_outcomes_that_are_counts():
    # An outcome of 3 (a purchase count, not bought or not) gave an "observed_rate" of 3.0.
    with pytest.raises(clv.InputError, match=r"outcome.*0 or 1.*3"):
        metrics.reliability_table([0.2, 0.5, 0.7], [0, 3, 1], bins=3)


def test_reliability_table_refuses_probabilities_given_as_percentages():
    # 20, 50, 70 (percentages) were binned as probabilities, a "mean_predicted" of 50.
    with pytest.raises(clv.InputError, match=r"probabilit.*between 0 and 1.*50"):
        metrics.reliability_table([20.0, 50.0, 70.0], [0, 1, 1], bins=3)


def test_reliability_table_still_takes_booleans_and_keeps_its_numbers():
    table = metrics.reliability_table([0.2, 0.5, 0.7, 0.9], [False, True, True, True], bins=2)
    assert table["customers"].tolist() == [2, 2]
    assert table["mean_predicted"].tolist() == pytest.approx([0.35, 0.8])
    assert table["observed_rate"].tolist() == pytest.approx([0.5, 1.0])
