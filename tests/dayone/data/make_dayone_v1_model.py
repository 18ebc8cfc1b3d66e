"""Write ``dayone_v1_model.json`` and ``dayone_v1_predictions.csv`` with the clvmodel of before
issue #14 (a Day One model file whose horizon is a bare number beside ``horizon_unit``).

Run against the old code, not the working tree, e.g.::

    git archive bed3d9e clvmodel | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/dayone/data/make_dayone_v1_model.py

tests/dayone/test_dayone_vocabulary.py loads the file with the current code and compares its
predictions with the stored ones.
"""

from pathlib import Path

import clvmodel as clv

HERE = Path(__file__).parent


def main() -> None:
    transactions = clv.datasets.load_cdnow_sample()
    rfm = clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="W")
    signups = clv.dayone.first_purchase_attributes(transactions).loc[rfm.index]
    model = clv.DayOneModel(
        ["first_purchase_amount"],
        log=["first_purchase_amount"],
        first_purchase_col="first_purchase_amount",
        horizon=26,
        horizon_unit="W",
        covariates_on=("spend",),
    ).fit(rfm, signups)
    model.save(HERE / "dayone_v1_model.json")
    table = model.predict(signups.head(5)[["first_purchase_amount"]])
    table["segment"] = table["segment"].astype(str)
    table.to_csv(HERE / "dayone_v1_predictions.csv", float_format="%.17g")


if __name__ == "__main__":
    main()
