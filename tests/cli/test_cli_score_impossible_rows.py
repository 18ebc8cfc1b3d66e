"""`clvmodel score` on an RFM table with rows no transaction log can give: each is rejected with
its reason, and the other customers are scored.

``frequency`` counts repeat purchase days, so a repeat buyer's recency holds at least one day per
repeat purchase. A repeat buyer with recency 0 breaks that in any unit; one with more repeat
purchases than days in recency breaks it in the unit the command reads recency in: the model's,
or the one ``--rfm-time-unit`` gives (then converted to the model's). Python refuses such a table
as a whole (:func:`clvmodel.rfm.validate_rfm`); ``score`` rejects the rows, like its other bad
RFM rows, instead of refusing the run.
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel._rfm_sql import MORE_REPEATS_THAN_DAYS, REPEATS_WITHOUT_TIME
from clvmodel.engine import RfmSource
from clvmodel.models.bundle import ModelBundle

# Published CDNOW estimates (Fader, Hardie and Lee 2005): a models file without fitting.
BG = PUBLISHED_BG
GG = PUBLISHED_GG


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("impossible_rows")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "models.json")


def _table(rows: dict[str, tuple[float, float, float, float]]) -> pd.DataFrame:
    """An RFM table from ``id: (frequency, recency, T, monetary_value)``."""
    columns = ("frequency", "recency", "T", "monetary_value")
    values = {c: [row[k] for row in rows.values()] for k, c in enumerate(columns)}
    return pd.DataFrame({"customer_id": list(rows), **values})


def _score(model, frame: pd.DataFrame, tmp_path, *options):
    """Score ``frame`` written as a CSV; the run, the scores and the rejects."""
    table = tmp_path / "rfm.csv"
    frame.to_csv(table, index=False)
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, table, "-o", output, *options)
    assert result.returncode == 0, result.output
    scores = pd.read_csv(output, dtype={"customer_id": str})
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    # Every customer of the input is in the scores or in the rejects, once.
    assert sorted([*scores["customer_id"], *rejects["customer_id"]]) == sorted(frame["customer_id"])
    return result, scores, rejects


def test_a_repeat_buyer_with_recency_0_is_rejected_and_the_others_scored(model, tmp_path):
    frame = _table(
        {
            "a": (2.0, 10.0, 30.0, 20.0),
            "rec0": (3.0, 0.0, 10.0, 20.0),
            "b": (1.0, 5.0, 20.0, 15.0),
            "c": (0.0, 0.0, 25.0, 0.0),
        }
    )
    result, scores, rejects = _score(model, frame, tmp_path)
    assert sorted(scores["customer_id"]) == ["a", "b", "c"]
    assert scores["predicted_clv"].notna().all()
    assert rejects[["customer_id", "reason"]].values.tolist() == [["rec0", REPEATS_WITHOUT_TIME]]
    assert rejects.loc[0, "frequency"] == 3 and rejects.loc[0, "recency"] == 0
    assert "customers: 4 read = 3 scored + 1 rejected" in result.stdout
    assert "rows: 4 read, 1 rejected" in result.stdout


def test_more_repeat_purchases_than_days_are_rejected_in_the_models_unit(model, tmp_path):
    """The model is in weeks: 10 repeat purchase days need 10/7 weeks of recency."""
    frame = _table(
        {
            "x10_in_1day": (10.0, 1 / 7, 2.0, 20.0),
            "x7_in_7days": (7.0, 1.0, 2.0, 20.0),  # exactly one a day: possible
            "a": (2.0, 10.0, 30.0, 20.0),
        }
    )
    _, scores, rejects = _score(model, frame, tmp_path)
    assert sorted(scores["customer_id"]) == ["a", "x7_in_7days"]
    assert rejects[["customer_id", "reason"]].values.tolist() == [
        ["x10_in_1day", MORE_REPEATS_THAN_DAYS]
    ]


def test_the_days_bound_is_in_the_unit_rfm_time_unit_gives(model, tmp_path):
    """A table in days (--rfm-time-unit D, converted to the model's weeks): 3 repeat purchase
    days in 2 days are impossible; the same numbers in weeks (14 days) are not."""
    frame = _table(
        {
            "x3_in_2": (3.0, 2.0, 30.0, 20.0),
            "x3_in_3": (3.0, 3.0, 30.0, 20.0),
            "rec0": (1.0, 0.0, 30.0, 20.0),
        }
    )
    _, scores, rejects = _score(model, frame, tmp_path, "--rfm-time-unit", "D")
    assert list(scores["customer_id"]) == ["x3_in_3"]
    reasons = rejects.set_index("customer_id")["reason"].to_dict()
    assert reasons == {"x3_in_2": MORE_REPEATS_THAN_DAYS, "rec0": REPEATS_WITHOUT_TIME}

    # Read in weeks (the model's unit, assumed), 2 weeks hold the 3 repeat purchase days.
    _, scores, rejects = _score(model, frame, tmp_path)
    assert sorted(scores["customer_id"]) == ["x3_in_2", "x3_in_3"]
    assert rejects["customer_id"].tolist() == ["rec0"]


def test_a_table_of_only_impossible_rows_is_refused_with_the_reason(model, tmp_path):
    table = tmp_path / "rfm.csv"
    _table({"rec0": (3.0, 0.0, 10.0, 20.0)}).to_csv(table, index=False)
    result = run_cli("score", model, table, "-o", tmp_path / "scores.csv")
    assert result.returncode == 2, result.output
    assert REPEATS_WITHOUT_TIME in result.stderr and "'rec0'" in result.stderr, result.stderr
    assert "Traceback" not in result.output and "InputError" not in result.output


def test_rfm_source_without_a_unit_bounds_only_recency_0(tmp_path):
    path = tmp_path / "rfm.csv"
    _table({"x10_in_1day": (10.0, 1 / 7, 2.0, 20.0), "rec0": (3.0, 0.0, 10.0, 20.0)}).to_csv(
        path, index=False
    )
    unknown = RfmSource(path).rejects().set_index("customer_id")["reason"].to_dict()
    assert unknown == {"rec0": REPEATS_WITHOUT_TIME}
    weeks = RfmSource(path, time_unit="W").rejects().set_index("customer_id")["reason"].to_dict()
    assert weeks == {"rec0": REPEATS_WITHOUT_TIME, "x10_in_1day": MORE_REPEATS_THAN_DAYS}
    with pytest.raises(clv.InputError, match="time_unit='M' is not supported"):
        RfmSource(path, time_unit="M")


def test_score_and_plan_take_a_simulated_table_of_assumed_unit(tmp_path):
    # simulate_customers' continuous recency (a repeat purchase within a day) was
    # rejected by score and refused by plan once the model's unit was assumed for the CSV.
    parameters = {"r": 0.5, "alpha": 2.0, "a": 0.8, "b": 2.5}
    spend = {"p": 6.0, "q": 4.0, "v": 15.0}
    sim = clv.simulate_customers(400, parameters, T=39, gg_params=spend, seed=2)
    assert (sim["frequency"] > sim["recency"] * 7).any()
    sim.rename_axis("customer_id").to_csv(tmp_path / "sim.csv")
    model = clv.BetaGeoModel().fit(sim, time_unit="W")
    model.save(tmp_path / "m.json")
    for command in ("score", "plan"):
        output = tmp_path / f"{command}.csv"
        result = run_cli(command, tmp_path / "m.json", tmp_path / "sim.csv", "-o", output)
        assert result.exit_code == 0, result.output
        assert len(pd.read_csv(output)) == len(sim)
