"""Write ``notebooks/clv_walkthrough.ipynb`` from the cells below, with no outputs.

The notebook is the artifact; this script is its source, so that it can be reviewed and regenerated
without stored outputs or random cell ids:

    python notebooks/build_walkthrough.py           # rewrites notebooks/clv_walkthrough.ipynb
    python notebooks/build_walkthrough.py OUT.ipynb

``tests/test_notebook.py`` executes the notebook top to bottom.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from notebook_cells import notebook_from_cells, write_notebook

NOTEBOOK = Path(__file__).resolve().parent / "clv_walkthrough.ipynb"

# (kind, source) pairs, in order; "md" for markdown, "code" for code.
CELLS: list[tuple[str, str]] = [
    (
        "md",
        """\
# Customer lifetime value, customer by customer: a walkthrough on CDNOW

Marketing teams usually compute customer lifetime value (CLV) with one formula for everybody:
average order value × purchases per year × expected lifespan. This notebook replaces that single
number with a **predicted value for each customer**, and checks the prediction against what the
customers actually did next. It uses the CDNOW data bundled with `clvmodel` (an online music store;
customers who first bought in early 1997, followed to mid-1998), the data on which the models were
published.

The story, one step per section:

1. the naive formula and its one-number-per-segment answer;
2. from a transaction log to one RFM row per customer;
3. fitting the BG/NBD (purchasing and dropout) and Gamma-Gamma (spend) models;
4. expected purchases and the chance a customer is still active, across frequency and recency;
5. checking the predictions on a holdout period, beside the naive formula;
6. per-customer CLV and how it differs from the naive formula; net CLV after the cost to serve,
   CLV:CAC and payback, and an HTML report for marketers;
7. churn-risk tiers and a staged price increase;
8. Day One value: what a new signup is worth on the day they sign up;
9. the same as a nightly batch job from the command line;
10. a checklist for running it on your own data.

**Running it.** From a clone of the repository, `pip install -e '.[dev]' jupyterlab`, then
`jupyter lab notebooks/clv_walkthrough.ipynb` and *Run All* (or, headless,
`jupyter execute notebooks/clv_walkthrough.ipynb`). It takes well under a minute. Nothing is
written outside a temporary folder.

**Your own data.** You need one row per purchase with a customer id, a date and an amount. Change
the settings cell below (column names, dates) and the line that loads the data; everything else
follows.""",
    ),
    ("md", "## 0. Setup"),
    (
        "code",
        """\
import shlex
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import clvmodel as clv
from clvmodel.metrics import roc_auc
from clvmodel.plotting import (
    plot_churn_risk_vs_value,
    plot_churn_tiers,
    plot_clv_vs_naive,
    plot_conditional_expectation,
    plot_frequency_recency,
    plot_model_comparison,
    plot_tracking,
)

pd.set_option("display.width", 120)
pd.set_option("display.precision", 3)
warnings.simplefilter("once", clv.StatisticalWarning)  # show each data warning once
print(f"clvmodel {clv.__version__}")""",
    ),
    (
        "code",
        """\
# Settings: adapt these to your own data.
CUSTOMER, DATE, AMOUNT = "customer_id", "date", "amount"  # column names of the transaction log
CALIBRATION_END = "1997-09-30"  # fit the models on purchases up to this day ...
OBSERVATION_END = "1998-06-30"  # ... and check their predictions on the purchases after it
TIME_UNIT = "W"  # models count time in weeks ("W") or days ("D")
HORIZON_MONTHS = 12  # how far ahead CLV counts
DISCOUNT_RATE = 0.10  # annual discount rate for future revenue

# Your data: tx = pd.read_csv("transactions.csv", parse_dates=[DATE]), or pd.read_parquet(...).
tx = clv.datasets.load_cdnow_sample()  # the 1/10 sample of CDNOW used in the papers
print(
    f"{len(tx):,} purchases by {tx[CUSTOMER].nunique():,} customers, "
    f"{tx[DATE].min():%Y-%m-%d} to {tx[DATE].max():%Y-%m-%d}"
)
tx.head()""",
    ),
    (
        "md",
        """\
## 1. The naive formula: one number for everybody

The usual spreadsheet formula is

> CLV = average order value × purchases per customer per year × expected lifespan (years)

measured here on the first 39 weeks (up to `CALIBRATION_END`), with a lifespan of one year so that
it is comparable with the 12-month predictions below. `clv.naive_clv` computes it exactly as a
spreadsheet would (orders are customer-days, as everywhere in `clvmodel`).""",
    ),
    (
        "code",
        """\
naive = clv.naive_clv(
    tx,
    lifespan=1.0,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    observation_end=CALIBRATION_END,
)
naive[["customers", "orders", "average_order_value", "purchases_per_year", "naive_clv"]]""",
    ),
    (
        "md",
        """\
A common refinement is one number per segment. Here the segment is the size of the customer's
first order — something known on day one (we return to it in section 8). Each segment still gets
a single value, and nothing in the formula tells a customer who keeps buying from one who bought
once and never came back.""",
    ),
    (
        "code",
        """\
signup_sample = clv.dayone.first_purchase_attributes(
    tx, customer_col=CUSTOMER, date_col=DATE, amount_col=AMOUNT
)
SIZES = ["under $15", "$15-30", "$30-60", "$60 and over"]
size = pd.cut(signup_sample["first_purchase_amount"], [0, 15, 30, 60, np.inf], right=False)
first_order = size.cat.rename_categories(SIZES).astype(str).rename("first_order")
naive_by_size = clv.naive_clv(
    tx.assign(first_order=tx[CUSTOMER].map(first_order)),
    lifespan=1.0,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    segment_col="first_order",
    observation_end=CALIBRATION_END,
).reindex(SIZES)
naive_by_size[["customers", "average_order_value", "purchases_per_year", "naive_clv"]]""",
    ),
    (
        "md",
        """\
## 2. From transactions to RFM

The models need three numbers per customer, plus the average spend:

| column | meaning |
| --- | --- |
| `frequency` | number of **repeat** purchase days (purchases on the same day count once) |
| `recency` | time from the first to the last purchase (0 without a repeat purchase) |
| `T` | time from the first purchase to the end of observation: the customer's "age" |
| `monetary_value` | mean amount of the repeat purchase days (0 without a repeat purchase) |

Time is in weeks (`TIME_UNIT = "W"`), as in the papers. Purchases after `CALIBRATION_END` are left
out (and counted in `rfm.attrs`), so the same log serves the holdout check later.""",
    ),
    (
        "code",
        """\
rfm = clv.rfm_summary(
    tx,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    observation_end=CALIBRATION_END,
    time_unit=TIME_UNIT,
)
print(
    f"{len(rfm):,} customers; {(rfm['frequency'] == 0).mean():.0%} made no repeat purchase "
    f"in the first {rfm['T'].max():.0f} weeks; "
    f"{rfm.attrs['purchase_days_after_end']:,} purchase days after {CALIBRATION_END} left out"
)
display(rfm.head())
rfm.describe().T[["mean", "50%", "max"]]""",
    ),
    (
        "md",
        """\
## 3. Fitting BG/NBD and Gamma-Gamma

**BG/NBD** (Fader, Hardie & Lee 2005) describes each customer by two hidden quantities:

- a purchase rate while active, which varies across customers as a Gamma distribution with shape
  `r` and rate `alpha` (mean `r / alpha` purchases per week);
- a probability of dropping out right after each purchase, which varies as a Beta distribution
  with parameters `a` and `b` (mean `a / (a + b)`).

The fit is by maximum likelihood; the standard errors come from the curvature of the likelihood
at the optimum, and `lower_95`/`upper_95` is a 95 % interval.""",
    ),
    (
        "code",
        """\
bg = clv.BetaGeoModel().fit(rfm)
display(bg.summary)

r, alpha, a, b = bg.params_[["r", "alpha", "a", "b"]]
print(f"Purchase rate while active: {r / alpha:.3f} a week on average, {52 * r / alpha:.1f} a year")
print(f"Chance of dropping out after a purchase: {a / (a + b):.0%} on average")
print(f"A new customer's expected repeat purchases in a year: {bg.expected_purchases_new(52):.2f}")
print(f"Log-likelihood {bg.log_likelihood_:.2f} (published: -9582.43)")""",
    ),
    (
        "md",
        """\
The estimates reproduce the published ones (r = 0.2426, α = 4.4137, a = 0.7930, b = 2.4262). The
purchase parameters are tight (standard errors 5–9 % of the estimates); the dropout parameters much
less so (23–29 %): 39 weeks show a lot about how often people buy and less about when they leave.

**Gamma-Gamma** (Fader, Hardie & Lee 2005; Hardie 2013) models the spend per purchase. Each
customer's purchases scatter around their own mean (shape `p`), and the customers' means vary
across the population (`q`, `v`); the expected spend of a customer shrinks their observed average
towards the population mean `p·v / (q − 1)`, the more so the fewer purchases they made. It is
fitted on repeat buyers only, and assumes that how much people spend does not depend on how often
they buy — which we check.""",
    ),
    (
        "code",
        """\
gg = clv.GammaGammaModel().fit(rfm)
display(gg.summary)

repeat_buyers = rfm[rfm["frequency"] > 0]
correlation = repeat_buyers["frequency"].corr(repeat_buyers["monetary_value"])
print(f"Population mean spend per purchase: {gg.population_mean_spend():.2f}")
print(
    f"Correlation of frequency and average spend among {len(repeat_buyers):,} repeat buyers: "
    f"{correlation:.2f} (Gamma-Gamma assumes none; a weak correlation is fine)"
)""",
    ),
    (
        "md",
        """\
## 4. Expected purchases and P(alive) across frequency and recency

For customers of the same age, BG/NBD's predictions depend only on how often they bought
(frequency) and how recently (recency). The heat maps show every combination for customers who
first bought 39 weeks ago:

- **left**: expected purchases in the next 39 weeks;
- **right**: the probability that the customer is still active, P(alive).

Read them row by row. A customer with 10 repeat purchases whose last one was 30 weeks ago (top
left) has probably left: had they stayed, they would have kept buying. The same 10 purchases with
the last one last week (top right) make the best customer in the base. Frequency without recency
is misleading, and so is recency without frequency.

The bottom row is special: a customer who never bought again has P(alive) = 1, because BG/NBD
lets customers drop out only right after a purchase. Their low expected purchases come from a low
purchase rate instead. This is why P(alive) on its own is a poor churn score (section 7).""",
    ),
    (
        "code",
        """\
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
plot_frequency_recency(bg, rfm, kind="expected_purchases", t=39, max_frequency=20, ax=left)
plot_frequency_recency(bg, rfm, kind="probability_alive", max_frequency=20, ax=right);""",
    ),
    (
        "code",
        """\
# Three customers of the same age: the same frequency with different recency, and a one-time buyer.
age = rfm["T"].max()
examples = pd.DataFrame(
    {"frequency": [5, 5, 0], "recency": [37.0, 10.0, 0.0], "T": [age, age, age]},
    index=[
        "5 repeat purchases, last in week 37",
        "5 repeat purchases, last in week 10",
        "no repeat purchase",
    ],
)
examples.assign(
    p_alive=bg.probability_alive(examples),
    expected_purchases_39_weeks=bg.expected_purchases(examples, t=39),
)""",
    ),
    (
        "md",
        """\
## 5. Does it work? Calibration and holdout

A prediction is only worth trusting once it has been checked against what customers did next. We
fit the models on the 39 weeks up to `CALIBRATION_END` (the *calibration* period: the same data
as above) and predict the following 39 weeks up to `OBSERVATION_END` (the *holdout*), then compare
customer by customer. Two baselines sit beside the model: the **naive formula** (the calibration
purchase rate, first purchases included, times the holdout length: the same for everybody) and
each customer's **own past rate** (their repeat purchases per week so far, carried forward).""",
    ),
    (
        "code",
        """\
cal, hold = clv.calibration_holdout_split(
    tx,
    calibration_end=CALIBRATION_END,
    observation_end=OBSERVATION_END,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    time_unit=TIME_UNIT,
)
bg_cal = clv.BetaGeoModel().fit(cal)
gg_cal = clv.GammaGammaModel().fit(cal)
report = clv.evaluate_holdout(bg_cal, cal, hold, gg=gg_cal, transactions=tx)
report.metrics.loc["purchases"][
    ["mae", "rmse", "spearman", "total_predicted", "total_actual", "total_error_pct"]
]""",
    ),
    (
        "md",
        """\
Per customer, the model's mean absolute error is less than half the naive formula's; in total it
predicts the holdout purchases 12 % low, where the naive formula is two and a half times too high.
The tracking plot follows the cumulative repeat purchases week by week through calibration and
holdout; the second plot groups customers by their calibration repeat purchases and compares the
mean holdout purchases (black) with the model (blue) and the naive formula (red).""",
    ),
    (
        "code",
        """\
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
plot_tracking(report, ax=left)
plot_conditional_expectation(report, ax=right);""",
    ),
    (
        "code",
        """\
# The same check for value (spend) in the holdout, and for the churn scores.
display(report.metrics.loc["value"][["mae", "total_predicted", "total_actual", "total_error_pct"]])
report.churn_scores""",
    ),
    (
        "md",
        """\
For value (what customers spent in the holdout), the model is 16 % low in total and the naive
formula more than two and a half times too high. `print(report)` shows every table as text,
`report.customers` has the per-customer predictions and outcomes, and `report.to_dict()` is
JSON-ready. The churn scores are discussed in section 7.

### Which model? Let the holdout decide

BG/NBD is one of three standard purchase models. They share the purchase process and differ in how
customers leave: BG/NBD only right after a *repeat* purchase (so every one-time buyer counts as
still active), MBG/NBD after any purchase including the first, Pareto/NBD at any time.
`clv.compare_models` fits all three on the same calibration period and ranks them by their holdout
error, with the churn score's quality and a check that matters for one-time buyers: the share of
them who stay silent in the holdout, predicted and observed.""",
    ),
    (
        "code",
        """\
comparison = clv.compare_models(cal, hold)
columns = ["model", "log_likelihood", "bic", "holdout_mae", "churn_auc"]
columns += ["one_time_no_purchase_predicted", "one_time_no_purchase_observed"]
display(comparison.table[columns])
plot_model_comparison(comparison);""",
    ),
    (
        "md",
        """\
On CDNOW, Pareto/NBD predicts the holdout best (lowest error, best churn ranking), although BG/NBD
and MBG/NBD have the higher likelihood on the calibration data: in-sample fit is not out-of-sample
accuracy. Every function below takes any of the three models (`comparison.best` is the winner,
fitted on the calibration period); we keep BG/NBD in the rest of the walkthrough because its
published numbers are the ones quoted.

## 6. Per-customer CLV, and how it differs from the naive formula

A customer's predicted CLV is their expected purchases in each coming month (from BG/NBD, given
their own history) times their expected spend (from Gamma-Gamma), discounted at 10 % a year and
summed over 12 months. `clv.clv_table` puts it beside the naive formula. Pass `margin=0.3` to
count profit instead of revenue, and `acquisition_cost=` to get CLV:CAC ratios.""",
    ),
    (
        "code",
        """\
table = clv.clv_table(
    bg,
    gg,
    rfm,
    horizon=f"{HORIZON_MONTHS}M",
    naive=naive,
    discount_rate=DISCOUNT_RATE,
)
value = table["predicted_clv"]
print(
    f"Predicted {HORIZON_MONTHS}-month CLV: total {value.sum():,.0f} "
    f"(naive formula: {table['naive_clv'].sum():,.0f}); median {value.median():.2f}, "
    f"90th percentile {value.quantile(0.9):.2f}, top customer {value.max():,.2f}"
)
table.sort_values("predicted_clv", ascending=False).head(10)""",
    ),
    (
        "code",
        """\
label = f"predicted CLV, next {HORIZON_MONTHS} months"
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
plot_clv_vs_naive(table, ax=left, value_label=label)
plot_clv_vs_naive(table, ax=right, kind="concentration", value_label=label);""",
    ),
    (
        "md",
        """\
The naive formula gives every customer about 98. The models give the median customer about 10,
and a small group far more: the top 10 % of customers hold more than half of the predicted value.
The naive number is an average over the whole cohort's first months, first purchases included, so
it overstates the future of a cohort in which most customers never buy again.

Per segment, the picture is the same. The segment means of the predicted value are two to five
times lower than the naive formula's segment values, and the typical (median) customer of every
segment is worth about the same small amount: a big first order says more about the few who come
back than about the many who do not.""",
    ),
    (
        "code",
        """\
segment = first_order.reindex(table.index)
by_size = table.groupby(segment)["predicted_clv"].agg(
    customers="size", mean_predicted="mean", median_predicted="median"
)
by_size.join(naive_by_size["naive_clv"]).reindex(SIZES)""",
    ),
    (
        "md",
        """\
### Net CLV, CLV:CAC and payback

Revenue is not profit. `cac_payback` takes the margin, the cost to serve (per order, and per month
a customer stays) and the acquisition cost (CAC), here one per first-order segment as if each were
an acquisition channel, and gives each customer's **net CLV** over 24 months, **CLV:CAC** and the
**payback**: the month in which their expected discounted net margin covers what they cost to
win ("not within the horizon" when it never does). `unit_economics_summary` sums it up per
segment.""",
    ),
    (
        "code",
        """\
from clvmodel.economics import cac_payback, unit_economics_summary

CAC = {"under $15": 6.0, "$15-30": 8.0, "$30-60": 10.0, "$60 and over": 12.0}  # per channel
COSTS = {"margin": 0.3, "cost_per_order": 1.5, "cost_per_period": 0.1}
economics = cac_payback(
    bg,
    gg,
    rfm,
    acquisition_cost=CAC,
    horizon="24M",
    discount_rate=DISCOUNT_RATE,
    segments=first_order.reindex(rfm.index),
    **COSTS,
)
unit_economics_summary(economics).reindex(SIZES)""",
    ),
    (
        "md",
        """\
Every segment's CLV:CAC is above 1 on average, yet most customers never pay back within two
years (`paid_back_share`): the mean is carried by the few customers who keep buying.

### A report for marketers

`clv.build_report` puts all of this, with the holdout check and the price plan of section 7, into
one self-contained HTML file (figures embedded) to open in a browser or send by e-mail; on the
command line it is `clvmodel report transactions.csv --calibration-end DATE -o report.html`.
Below it goes to a temporary folder; give it a path of your own to keep it.""",
    ),
    (
        "code",
        """\
report_folder = tempfile.TemporaryDirectory(prefix="clv_report_")
report_path = Path(report_folder.name) / "report.html"
clv.build_report(
    tx,
    CALIBRATION_END,
    report_path,
    observation_end=OBSERVATION_END,
    segments=first_order,
    acquisition_cost=CAC,
    **COSTS,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    time_unit=TIME_UNIT,
)
print(f"{report_path.stat().st_size / 1024:,.0f} KB written to {report_path}")
report_folder.cleanup()""",
    ),
    (
        "md",
        """\
## 7. Churn-risk tiers and a staged price increase

A price increase is safest for the customers least likely to leave. The churn risk of a customer
is the probability that they make **no purchase in the next 39 weeks**, given their history. It is
not 1 − P(alive): BG/NBD gives P(alive) = 1 to everybody without a repeat purchase, so 1 − P(alive)
would call the one-time buyers the safest customers, although most of them never buy again.

The scores are made at the end of calibration; the holdout shows how well they rank customers.""",
    ),
    (
        "code",
        """\
scores = clv.churn_risk(bg_cal, cal, horizon=39, gg=gg_cal)  # tiers cut at 50 % and 80 % risk
no_purchase = (hold["frequency_holdout"] == 0).reindex(scores.index).to_numpy()
print(
    f"ROC AUC for 'no purchase in the 39 holdout weeks': churn risk "
    f"{roc_auc(scores['churn_risk'], no_purchase):.3f}, 1 - P(alive) "
    f"{roc_auc(1 - scores['probability_alive'], no_purchase):.3f} (0.5 = guessing)"
)
clv.churn_tier_summary(scores)""",
    ),
    (
        "md",
        """\
The plan raises prices by tier, lowest risk first: +5 % for the low-risk tier, +2.5 % eight
weeks later for the medium tier, nothing for the high-risk tier. For each stage it reports the
value at stake, the extra revenue if nobody leaves because of the increase, and the **break-even
churn**: how many of the stage's customers may leave because of the increase before it loses
money.""",
    ),
    (
        "code",
        """\
plan = clv.price_increase_plan(
    scores, increases=(0.05, 0.025, 0.0), stage_wait=8, start="2025-01-06"
)
print(plan)""",
    ),
    (
        "code",
        """\
fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
plot_churn_tiers(plan, ax=ax);""",
    ),
    (
        "code",
        """\
fig, ax = plt.subplots(figsize=(8.5, 4.8), layout="constrained")
plot_churn_risk_vs_value(plan, ax=ax);""",
    ),
    (
        "md",
        """\
The low-risk tier is a small share of the customers but most of the predicted value, and it can
absorb a few percent of extra churn before the increase stops paying. `plan.assignments` is the
list to hand over: every customer with their tier, stage, increase and start date.""",
    ),
    (
        "code",
        """\
columns = ["tier", "stage", "increase", "start_date", "churn_risk", "predicted_clv"]
plan.assignments[columns].head()""",
    ),
    (
        "md",
        """\
## 8. Day One value for new signups

A new signup has no history, so plain BG/NBD and Gamma-Gamma give every one of them the same
population average. `clv.DayOneModel` lets the purchase rate, the dropout and the spend depend on
what is known at signup — here, the amount and the number of CDs of the first order; in your data
also the acquisition channel, campaign or region (`categorical=[...]`). The Day One value is the
known first purchase plus the expected value of the repeat purchases over the horizon.

We use the full CDNOW log (23,570 customers). First the honest check: `evaluate_day_one` fits on a
random half of the customers and predicts, for the other half, the value of their repeat purchases
in their first 52 weeks, beside the no-attribute baseline. (Two warnings below: the full log has
255 rows that repeat another exactly, kept as separate purchases as the original data set has
them; and one customer's repeat purchases are all $0, which the spend model, needing positive
amounts, leaves out.)""",
    ),
    (
        "code",
        """\
tx_full = clv.datasets.load_cdnow()
signup = clv.dayone.first_purchase_attributes(
    tx_full, customer_col=CUSTOMER, date_col=DATE, amount_col=AMOUNT, quantity_col="quantity"
)
ATTRIBUTES = ["first_purchase_amount", "first_purchase_quantity"]
evaluation = clv.dayone.evaluate_day_one(
    tx_full,
    signup,
    numeric=ATTRIBUTES,
    log=ATTRIBUTES,  # amounts and counts act multiplicatively: enter them as log(1 + x)
    horizon="52W",
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    time_unit=TIME_UNIT,
)
print(evaluation)""",
    ),
    (
        "md",
        """\
Without attributes every new customer gets the same prediction, which ranks nobody (Spearman 0,
and its top decile holds 10 % of the value by construction). With the first order's size the
model ranks the new customers, and its top predicted decile holds more than a quarter of the
realised repeat value.

Now the model for production, fitted on every customer's full history, and a few new signups:""",
    ),
    (
        "code",
        """\
rfm_full = clv.rfm_summary(
    tx_full,
    customer_col=CUSTOMER,
    date_col=DATE,
    amount_col=AMOUNT,
    observation_end=OBSERVATION_END,
    time_unit=TIME_UNIT,
)
day_one = clv.DayOneModel(
    numeric=ATTRIBUTES,
    log=ATTRIBUTES,
    first_purchase_col="first_purchase_amount",
    horizon=f"{HORIZON_MONTHS}M",
).fit(rfm_full, signup)
day_one.summary""",
    ),
    (
        "md",
        """\
The coefficients act on log(1 + attribute), standardised. A positive `purchase:` coefficient
means a higher purchase rate, a positive `dropout:` coefficient a higher chance of leaving after
each purchase, and a positive `spend:` coefficient a higher spend per purchase.""",
    ),
    (
        "code",
        """\
new_signups = pd.DataFrame(
    {"first_purchase_amount": [12.0, 30.0, 75.0, 150.0], "first_purchase_quantity": [1, 2, 5, 10]},
    index=pd.Index(["A", "B", "C", "D"], name=CUSTOMER),
)
display(day_one.predict(new_signups))
day_one.segment_profiles_""",
    ),
    (
        "md",
        """\
`segment` places a new signup below, around (±20 %) or above the average Day One value of the
existing customers, and `segment_profiles_` describes who is in each segment. Save the model with
`day_one.save("dayone.json")`; `clvmodel dayone-fit` and `clvmodel dayone` do the same from the
command line.

## 9. The same as a nightly batch job

Everything above runs from the command line on CSV or Parquet files (or a DuckDB table), without
writing Python. The heavy lifting happens in DuckDB, so the log never has to fit in memory; rows
that cannot be used go to a rejects file with a reason each, and outputs are written atomically.
A nightly job refits on everything up to yesterday and rescores every customer:

```bash
clvmodel fit transactions.parquet --observation-end "$(date -d yesterday +%F)" -o models.json
clvmodel score models.json transactions.parquet --observation-end "$(date -d yesterday +%F)" \\
    --horizon 12M --discount-rate 0.1 -o scores.parquet
clvmodel plan models.json transactions.parquet --observation-end "$(date -d yesterday +%F)" \\
    --horizon 39W --increases 5%,2.5%,0 -o price_plan.csv
```

for example from cron: `0 3 * * * cd /data/clv && ./nightly.sh`. Below, the first two commands run
on the CDNOW sample in a temporary folder (as `python -m clvmodel.cli`, which is the `clvmodel`
command of the Python running this notebook).""",
    ),
    (
        "code",
        """\
workdir = tempfile.TemporaryDirectory(prefix="clv_nightly_")
folder = Path(workdir.name)
tx.to_csv(folder / "transactions.csv", index=False)


def clvmodel_cli(command):
    \"\"\"Run `clvmodel COMMAND` in the folder, print what it prints, stop on failure.\"\"\"
    print(f"$ clvmodel {command}")
    done = subprocess.run(
        [sys.executable, "-m", "clvmodel.cli", *shlex.split(command)],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    print(done.stdout + done.stderr)
    done.check_returncode()


clvmodel_cli(f"fit transactions.csv --observation-end {OBSERVATION_END} -o models.json")""",
    ),
    (
        "code",
        """\
clvmodel_cli(
    f"score models.json transactions.csv --observation-end {OBSERVATION_END} "
    f"--horizon {HORIZON_MONTHS}M --discount-rate {DISCOUNT_RATE} -o scores.parquet"
)
scores_file = pd.read_parquet(folder / "scores.parquet")
scores_file.sort_values("predicted_clv", ascending=False).head()""",
    ),
    (
        "code",
        """\
workdir.cleanup()  # remove the temporary folder""",
    ),
    (
        "md",
        """\
The last line of `clvmodel score` accounts for every customer and every row, so a nightly job can
check that nothing was lost. `clvmodel evaluate` runs the holdout check of section 5 and writes its
figures; `clvmodel COMMAND --help` lists every option.

## 10. On your own data: a checklist

- **Load** your log with `pd.read_csv(..., parse_dates=[DATE])` or `pd.read_parquet(...)` and set
  `CUSTOMER`, `DATE`, `AMOUNT` in the settings cell. Refunds and test orders should be removed
  first; bad rows raise a `clv.InputError` that says what to fix.
- **Choose the periods**: hold out the most recent stretch, about as long as the horizon you care
  about, as `OBSERVATION_END`, and calibrate on what comes before. Check section 5 before trusting
  section 6; then refit on everything (as in the nightly job) for production.
- **Time unit**: weeks suit most retail data; `TIME_UNIT = "D"` for very frequent purchases.
- **Value**: `margin=` turns revenue into profit, `discount_rate=` discounts it, and
  `acquisition_cost=` gives CLV:CAC ratios (`clv.clv_table`).
- **Day One**: add signup attributes you know for every customer (channel, campaign, region) to
  `DayOneModel(numeric=..., categorical=...)`, and check them with `evaluate_day_one`.
- **Scale**: for millions of customers use the command line of section 9; it streams.

To regenerate the README's figures from the same functions: `python docs/make_figures.py`.""",
    ),
]


def build() -> nbformat.NotebookNode:
    """The walkthrough notebook, without outputs, with stable cell ids."""
    return notebook_from_cells(CELLS)


if __name__ == "__main__":
    write_notebook(build(), sys.argv, NOTEBOOK)
