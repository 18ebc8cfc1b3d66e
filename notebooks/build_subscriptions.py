"""Write ``notebooks/subscriptions.ipynb`` from the cells below, with no outputs.

The notebook takes a subscription table from raw rows to a staged price-increase plan:

    python notebooks/build_subscriptions.py           # rewrites notebooks/subscriptions.ipynb
    python notebooks/build_subscriptions.py OUT.ipynb

``tests/test_notebook_subscriptions.py`` executes it top to bottom.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from notebook_cells import notebook_from_cells, write_notebook

NOTEBOOK = Path(__file__).resolve().parent / "subscriptions.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """\
# Subscriptions: from raw rows to a staged price increase

A subscription business sees its customers leave: a cancellation date is recorded. This notebook
takes a table of subscriptions (one row per subscriber: id, start date, cancellation date or
empty, price, plan) and walks it to a staged price-increase plan:

1. raw rows to whole billing periods per subscriber, bad rows set aside with a reason;
2. the retention model: shifted-beta-geometric (sBG, Fader & Hardie 2007), with the plan as a
   covariate, checked against the beta-discrete-Weibull;
3. why not "1 / churn rate": the naive constant-retention projection beside sBG;
4. per subscriber: the risk of cancelling within a year and the residual value
   (price × margin × DERL, Fader & Hardie 2010);
5. churn-risk tiers and a staged price increase, with the value at stake and the break-even extra
   churn per stage;
6. the same from the command line.

The table here is synthetic (drawn from known sBG populations, so the fit can be checked against
the truth). For your own data, replace the cell that makes `raw` with
`raw = pd.read_csv("subscriptions.csv")` and set the column names in the settings.""",
    ),
    (
        "code",
        """\
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import clvmodel as clv
from clvmodel.subscription_churn import (
    annual_to_period_rate,
    subscriber_churn_risk,
    subscriber_price_plan,
)
from clvmodel.subscription_value import compare_retention_models, naive_vs_model_retention

warnings.simplefilter("default", clv.ClvWarning)

# Settings: the columns of your table, the end of observation and the economics.
OBSERVATION_END = "2024-12-31"
BILLING_PERIOD = "M"                                       # months; "W" weeks, "Y" years
MARGIN = 0.6                                               # share of the price kept as profit
DISCOUNT = annual_to_period_rate(0.10, BILLING_PERIOD)    # 10 % a year, per month""",
    ),
    ("md", "## 1. Raw rows to subscriber periods"),
    (
        "code",
        """\
def population(alpha, beta, n, seed, prefix, plan, price):
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": alpha, "beta": beta})
    table = clv.subscriptions.simulate_subscription_table(
        model, n, "2021-01-01", OBSERVATION_END, random_state=seed
    )
    table["customer_id"] = prefix + table["customer_id"].str[1:]
    return table.drop(columns="lifetime").assign(plan=plan, price=price)


raw = pd.concat(
    [
        population(0.7, 1.5, 2000, 1, "B", "basic", 9.99),      # basic: churns faster
        population(0.7, 4.0, 1500, 2, "P", "premium", 19.99),   # premium: β 4.0 instead of 1.5
    ],
    ignore_index=True,
)
# Three broken rows, as real exports have them.
raw = pd.concat(
    [raw, pd.DataFrame({"customer_id": ["X1", None, "X3"],
                        "start": pd.to_datetime(["2023-05-01", "2023-01-01", None]),
                        "end": pd.to_datetime(["2023-02-01", None, None]),
                        "plan": "basic", "price": 9.99})],
    ignore_index=True,
)
raw.tail()""",
    ),
    (
        "code",
        """\
accepted, rejects, end = clv.subscriptions.screen_subscription_table(
    raw, observation_end=OBSERVATION_END, numeric_cols=["price"]
)
print(f"{len(raw):,} rows = {len(accepted):,} accepted + {len(rejects):,} rejected")
display(rejects)

subscribers = clv.subscriptions.from_subscription_table(
    accepted.assign(premium=(accepted["plan"] == "premium").astype(float)),
    observation_end=end, period=BILLING_PERIOD, keep=["plan", "premium", "price"],
)
print(subscribers.groupby("plan")[["periods", "cancelled"]].agg(["mean", "size"]).round(2))
subscribers.head()""",
    ),
    (
        "md",
        """\
`periods` counts whole months: for an active subscriber the renewals so far, for a cancelled one
the months paid for. Subscribers who started at different dates fit together; each carries their
own censoring point.

## 2. The retention model

sBG gives each subscriber a churn probability θ per period, drawn from Beta(α, β). The plan enters
through log-links, α_i = α₀·exp(γ_α·premium), β_i = β₀·exp(γ_β·premium). The simulation used
α = 0.7 for both plans and β = 1.5 → 4.0, i.e. γ_α = 0 and γ_β = ln(4/1.5) = 0.98.""",
    ),
    (
        "code",
        """\
sbg = clv.ShiftedBetaGeoModel(alpha_covariates=["premium"], beta_covariates=["premium"])
sbg.fit(subscribers)
print(f"billing period {sbg.period_}, log-likelihood {sbg.log_likelihood_:,.2f}")
sbg.summary.round(3)""",
    ),
    (
        "code",
        """\
# sBG against the beta-discrete-Weibull (duration dependence c; c = 1 is sBG), by BIC.
compare_retention_models(subscribers[["periods", "cancelled"]]).table.round(2)""",
    ),
    (
        "md",
        """\
## 3. Why not "1 / churn rate"?

Fader & Hardie's (2007) "regular" cohort: 1,000 subscribers followed for 12 years. Fitted on
years 1-7, sBG projects years 8-12 within a few subscribers; a constant retention rate falls
further behind every year, because the survivors are the loyal ones.""",
    ),
    (
        "code",
        """\
counts = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
naive = naive_vs_model_retention(counts, fit_periods=7, price=100.0, margin=0.3)
display(naive.errors.round(2))

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(range(len(counts)), counts, "ko", label="actual")
t = np.arange(len(counts))
ax.plot(t, 1000 * naive.model.survival_function(t), label="sBG (fitted on years 1-7)")
ax.plot(naive.projection.index, naive.projection["naive"], "--",
        label=f"constant retention {naive.retention:.3f}")
ax.axvline(7, color="grey", lw=0.8)
ax.set(xlabel="year", ylabel="subscribers still active", title="Regular cohort (FH 2007)")
ax.legend()
plt.show()""",
    ),
    (
        "md",
        """\
## 4. Churn risk and residual value per subscriber

Churn risk is the probability of cancelling at one of the next 12 renewal decisions, given the
months already paid for. The residual value is price × margin × DERL: the discounted payments
still to come (the next one undiscounted). Subscribers who have already cancelled are left out.""",
    ),
    (
        "code",
        """\
scores = subscriber_churn_risk(
    sbg, subscribers, 12, price="price", margin=MARGIN, discount_rate=DISCOUNT,
    quantiles=(1 / 3, 2 / 3),
)
print(f"{len(scores):,} active subscribers scored; "
      f"{scores.attrs['cancelled_left_out']:,} cancelled ones left out")
display(scores.groupby(subscribers.loc[scores.index, "plan"])[["churn_risk", "predicted_clv"]]
        .mean().round(3))
clv.churn_tier_summary(scores).round(3)""",
    ),
    (
        "md",
        """\
## 5. A staged price increase

The lowest-risk third gets +8 % first, the middle third +4 % four weeks later, the highest-risk
third nothing. Per stage the plan reports the residual value at stake, the extra revenue if nobody
extra cancels, and the break-even extra churn i / (m + i): the share of the stage's value that can
leave because of the increase before it loses money.""",
    ),
    (
        "code",
        """\
plan = subscriber_price_plan(
    sbg, subscribers, 12, (0.08, 0.04, 0.0), price="price", margin=MARGIN,
    discount_rate=DISCOUNT, quantiles=(1 / 3, 2 / 3), stage_wait=4, start="2025-02-03",
)
print(plan)""",
    ),
    (
        "code",
        """\
plan.assignments[["periods", "price", "churn_risk", "predicted_clv", "tier", "increase",
                  "start_date"]].head()""",
    ),
    (
        "md",
        """\
## 6. From the command line

The same steps run as batch jobs on a CSV or Parquet subscription table. Every input row ends up
in the output or in a rejects file with its reason, the counts printed add up, and outputs are
written atomically:

```
clvmodel subscriptions fit subscriptions.csv -o model.json --covariates plan --model auto
clvmodel subscriptions score model.json subscriptions.csv -o scores.csv --margin 0.6
clvmodel subscriptions plan model.json subscriptions.csv -o plan.csv \\
    --increases 8%,4%,0 --quantiles 33.3%,66.7% --margin 0.6 --stage-wait 4W --start 2025-02-03
```

`--billing-period M|W|Y` sets the billing period (months by default); the model file records it.
`--discount-rate` is annual and converted to the billing period.""",
    ),
]


def build() -> nbformat.NotebookNode:
    """The subscriptions notebook, without outputs, with stable cell ids."""
    return notebook_from_cells(CELLS)


if __name__ == "__main__":
    write_notebook(build(), sys.argv, NOTEBOOK)
