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
from clvmodel.models._discounted_rows import DiscountedRows
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
    purchases : DiscountedRows, optional
        The purchase model's rows of ``data`` at ``times``, when the caller has them.

    Attributes
    ----------
    group : numpy.ndarray
        The distinct row of each customer.
    first : numpy.ndarray
        The first customer of each distinct row.
    """

    def __init__(self, bg, gg, data, times, discount_factors, margin: float, purchases=None):
        self._purchases = purchases or DiscountedRows(bg, data, times, discount_factors)
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        x = rfm.frequency
        m = np.where(x > 0, rfm.monetary_value, 0.0)  # as GammaGammaModel.expected_spend
        z = covariate_matrix(data, gg.spend_covariates, fitting=False)
        group, first = group_rows(self._purchases.group, m, *z.T)  # x is the history's
        # The distinct rows in the order of their histories' (x, T): neighbours rank the
        # parameter draws alike, which the percentiles' selection takes advantage of (a float
        # key: the order only needs to be roughly right).
        x_h, _, age_h = (v[self._purchases.group[first]] for v in self._purchases.histories)
        order = np.argsort(x_h * (age_h.max(initial=0.0) + 1.0) + age_h, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        self.group, self.first = rank[group], first[order]
        self._purchase_of = self._purchases.group[self.first]
        # Each distinct row's (x, m, covariates), of which its expected spend is a function.
        self._spend_rows = (x[self.first], m[self.first], z[self.first])
        self._margin, self._model = margin, bg

    def __call__(self, purchase_model, spend_model) -> np.ndarray:
        """Each distinct row's value at ``purchase_model``'s and ``spend_model``'s parameters
        (models of the same kinds and covariates as those given, e.g. ``parameter_samples``)."""
        return next(self.each([purchase_model], [spend_model]))

    def each(self, purchase_models, spend_models):
        """Each distinct row's value at each pair of ``purchase_models`` and ``spend_models``
        (as ``self(b, g)`` for each pair, in their order), one array per pair: the purchase
        model's part is evaluated for all the pairs together
        (:meth:`clvmodel.models._discounted_rows.DiscountedRows.each`)."""
        spend_models = list(spend_models)
        for spend_model in spend_models:
            spend_model._q_above_one()  # refuses q ≤ 1, as expected_spend does, before the work
        purchases = self._purchases.each(list(purchase_models))
        for spend_model, bought in zip(spend_models, purchases, strict=True):
            spend = self._spend(spend_model)
            yield self._margin * spend * bought[self._purchase_of]

    def draw_limits(self, purchase_models, spend_models, tail):
        """Each distinct row's ``tail`` and ``1 − tail`` percentiles of the values over the pairs
        of ``purchase_models`` and ``spend_models``, by the purchase model's own path
        (``_value_draw_limits``: BG/NBD's and MBG/NBD's), or None where it has none, or either
        model has covariates (then the percentiles of ``each``'s values apply)."""
        hook = getattr(self._model, "_value_draw_limits", None)
        x, m, z = self._spend_rows
        xt = self._purchases.xt_groups
        if hook is None or z.shape[1] > 0 or xt is None:
            return None
        spend = np.empty((2, len(spend_models)))
        for k, spend_model in enumerate(spend_models):
            p, q = spend_model._q_above_one()
            spend[:, k] = spend_model._check_fitted()[2], (q - 1.0) / p
        histories = (v[self._purchase_of] for v in self._purchases.histories)
        back, x_g, age_g = xt
        rows = (*histories, x * m, back[self._purchase_of])
        schedule = self._purchases.schedule
        return hook(list(purchase_models), spend, rows, (x_g, age_g), self._margin, schedule, tail)

    def _spend(self, spend_model) -> np.ndarray:
        """E[spend | x, m] of each distinct row at ``spend_model``'s parameters."""
        x, m, z = self._spend_rows
        p, q = spend_model._q_above_one()
        theta = spend_model._check_fitted()
        v = times_exp(theta[2], linear_predictor(z, theta[3:]))
        return conditional_spend(p, q, v, x, m)  # eq. (5), as GammaGammaModel.expected_spend
