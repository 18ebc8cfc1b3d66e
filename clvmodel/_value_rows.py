"""Customer lifetime value at many parameter vectors of both models, on the distinct rows.

A customer's value, margin × E[spend] × discounted expected purchases, depends on their history
and purchase covariates (through the purchase model) and on their frequency, mean spend and spend
covariates (through the Gamma-Gamma model) only. :class:`ValueRows` validates and groups a table
once; each call then evaluates both models' formulas on the distinct rows, so that hundreds of
parameter draws cost hundreds of evaluations on distinct rows, not hundreds of passes over the
table. Percentiles over the draws are taken on the distinct rows too, and scattered back once.
"""

from __future__ import annotations

import numpy as np

from clvmodel._grouping import group_rows
from clvmodel.models._covariates import covariate_matrix, linear_predictor, times_exp
from clvmodel.models._predictions import DiscountedRows
from clvmodel.models.gamma_gamma import conditional_spend
from clvmodel.rfm import validate_rfm

__all__ = ["ValueRows"]


class ValueRows:
    """The values of a table's distinct rows at other parameters of a purchase and a spend model.

    Parameters
    ----------
    bg : PurchaseModel
        The fitted purchase model (the table passes its checks once).
    gg : GammaGammaModel
        The fitted spend model.
    data : pandas.DataFrame
        RFM table with ``monetary_value`` (and the covariate columns).
    times, discount_factors : numpy.ndarray
        The period ends and discount factors of :func:`clvmodel.value.discount_schedule`.
    margin : float
        Share of revenue that is profit.

    Attributes
    ----------
    group : numpy.ndarray
        The distinct row of each customer.
    first : numpy.ndarray
        The first customer of each distinct row.
    """

    def __init__(self, bg, gg, data, times, discount_factors, margin: float):
        self._purchases = DiscountedRows(bg, data, times, discount_factors)
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        x = rfm.frequency
        m = np.where(x > 0, rfm.monetary_value, 0.0)  # as GammaGammaModel.expected_spend
        z = covariate_matrix(data, gg.spend_covariates, fitting=False)
        spend_group, spend_first = group_rows(x, m, *z.T)
        self._spend_rows = (x[spend_first], m[spend_first], z[spend_first])
        self.group, self.first = group_rows(self._purchases.group, spend_group)
        self._purchase_of = self._purchases.group[self.first]
        self._spend_of = spend_group[self.first]
        self._margin = margin

    def __call__(self, purchase_model, spend_model) -> np.ndarray:
        """Each distinct row's value at ``purchase_model``'s and ``spend_model``'s parameters
        (models of the same kinds and covariates as those given, e.g. ``parameter_samples``)."""
        x, m, z = self._spend_rows
        p, q = spend_model._q_above_one()  # refuses q ≤ 1, as expected_spend does
        theta = spend_model._check_fitted()
        v = times_exp(theta[2], linear_predictor(z, theta[3:]))
        spend = conditional_spend(p, q, v, x, m)  # eq. (5), as GammaGammaModel.expected_spend
        purchases = self._purchases(purchase_model)
        return self._margin * spend[self._spend_of] * purchases[self._purchase_of]
