"""Day One value: what a customer is worth at signup, from what is known at signup.

A growth team has to decide how much to invest in a customer on the day they sign up, before any
repeat purchase exists. Plain BG/NBD and Gamma-Gamma give every new customer the same population
average; :class:`DayOneModel` makes the purchase rate, dropout and spend depend on signup attributes
(first purchase, product, channel, demographics) through the covariate mode of a purchase model
(BG/NBD by default, or MBG/NBD or Pareto/NBD) and of :class:`~clvmodel.GammaGammaModel` (Fader and
Hardie 2007; the covariate form of CLVTools, Bachmann, Meierer and Näf 2021), fitted on
existing customers' histories.

For a new signup with encoded attributes z the Day One value over a horizon t is

    day_one_value = first purchase amount + E[X(t) | z] · E[spend | z],

where E[X(t) | z] is the purchase model's expected number of repeat purchases of a new customer
(for BG/NBD Fader, Hardie and Lee 2005, eq. 9) with the customer's own parameters from z, and
E[spend | z] = p v_i / (q − 1) the Gamma-Gamma mean spend per transaction with v_i from z; the
first purchase is counted at its known amount (when the model is told which attribute holds it),
the repeat purchases at their expectation. Value is revenue, undiscounted. As the customer accrues
history, :meth:`DayOneModel.predict_with_history` gives the history-conditional prediction of the
same model.

The package, one job per module: :mod:`~clvmodel.dayone.attributes` (what a transaction log tells
about each customer at signup), :mod:`~clvmodel.dayone.encoding` (attributes → covariates),
:mod:`~clvmodel.dayone.model` (:class:`DayOneModel`), :mod:`~clvmodel.dayone.prediction` (the
prediction tables), :mod:`~clvmodel.dayone.segments`, :mod:`~clvmodel.dayone.persistence` (model
files) and :mod:`~clvmodel.dayone.evaluation` (:func:`evaluate_day_one`).
"""

from clvmodel.dayone.attributes import first_purchase_attributes
from clvmodel.dayone.evaluation import DayOneEvaluation, evaluate_day_one
from clvmodel.dayone.evaluation import top_decile_share as top_decile_share
from clvmodel.dayone.model import DayOneModel
from clvmodel.dayone.persistence import DAYONE_FORMAT as DAYONE_FORMAT
from clvmodel.dayone.persistence import DAYONE_VERSION as DAYONE_VERSION
from clvmodel.dayone.segments import SEGMENTS

__all__ = [
    "SEGMENTS",
    "DayOneEvaluation",
    "DayOneModel",
    "evaluate_day_one",
    "first_purchase_attributes",
]
