"""Predictions for a customer just acquired (no history yet): E[X(t)], P(X(t) = n) and the
individual parameters, from the model's functions (see :mod:`.base`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.models._alignment import align_to_index, first_offenders
from clvmodel.models._covariate_ranges import warn_model_ranges
from clvmodel.models._covariates import covariate_matrix
from clvmodel.models._horizon import check_horizon

__all__ = ["NewCustomerPredictions"]


class NewCustomerPredictions:
    """The new-customer prediction methods of :class:`~clvmodel.models.base.PurchaseModel`."""

    def _new_params(self, data):
        """Parameters of new customers: the model's own, or per row of ``data`` (required with
        covariates); the index of the result when ``data`` is given."""
        theta = self._check_fitted()
        if data is None:
            if self.has_covariates:
                raise InputError(
                    f"this {type(self).__name__} has covariates "
                    f"{self.purchase_covariates + self.dropout_covariates}: pass data= with one "
                    "row per new customer holding those columns."
                )
            return self._individual(theta, np.empty((1, 0)), np.empty((1, 0))), None
        z_p = covariate_matrix(data, self.purchase_covariates, fitting=False)
        z_d = covariate_matrix(data, self.dropout_covariates, fitting=False)
        warn_model_ranges(self, (self.purchase_covariates, z_p), (self.dropout_covariates, z_d))
        index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(len(z_p))
        return self._individual(theta, z_p, z_d), index

    def expected_purchases_new(self, t, data=None):
        """E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired.

        Parameters
        ----------
        t : float, array_like, pandas.Series or duration
            Time since the first purchase, in the model's time unit or as a duration such as
            ``"12M"`` (converted to it); with ``data``, one value or one per row (a Series is
            matched to the rows of ``data`` by its index).
        data : pandas.DataFrame, optional
            One row per new customer holding the covariate columns (required with covariates).

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            A number (or an array like ``t``); with ``data`` a Series indexed like ``data``.
        """
        if isinstance(t, pd.DataFrame):  # the (data, t) order of the former covariate class
            t, data = data, t
        p, index = self._new_params(data)
        rows = None if index is None else len(index)
        horizon = check_horizon(t, rows, _ids(data, index), unit=getattr(self, "time_unit_", None))
        with np.errstate(all="ignore"):
            values = type(self)._expected_new(p, horizon)
        return _shaped(values, index, "expected_purchases_new")

    def probability_of_purchases(self, n, t, data=None):
        """P(X(t) = n): probability that a customer just acquired makes n repeat purchases in
        (0, t].

        Parameters
        ----------
        n : int or array_like of int
            Number of repeat purchases (≥ 0); with ``data``, one number or one per row (a
            Series is matched to the rows of ``data`` by its index).
        t : float, array_like, pandas.Series or duration
            Length of the period, in the model's time unit (as ``n``) or as a duration such as
            ``"12M"`` (converted to it).
        data : pandas.DataFrame, optional
            With covariates: one row per new customer holding the covariate columns.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Probabilities broadcast over ``n`` and ``t`` (a Series per customer with covariates).
        """
        p, index = self._new_params(data)
        rows, ids = (None, None) if index is None else (len(index), _ids(data, index))
        counts = _check_counts(n, rows, ids)
        horizon = check_horizon(t, rows, ids, unit=getattr(self, "time_unit_", None))
        try:
            np.broadcast_shapes(counts.shape, horizon.shape, *(() if rows is None else [(rows,)]))
        except ValueError:
            raise InputError(
                f"n (shape {counts.shape}) and t (shape {horizon.shape}) do not match; give one "
                "number for either, or arrays of the same length."
            ) from None
        with np.errstate(all="ignore"):
            values = np.clip(type(self)._pmf_new(p, counts, horizon), 0.0, 1.0)
        return _shaped(values, index, "probability")

    def individual_params(self, data) -> pd.DataFrame:
        """Each customer's own parameters from their covariates (the same for all without).

        Parameters
        ----------
        data : pandas.DataFrame
            A table with the covariate columns.

        Returns
        -------
        pandas.DataFrame
            One column per parameter of the model, indexed like ``data``.
        """
        p, index = self._new_params(data)
        n = len(index)
        return pd.DataFrame({k: np.broadcast_to(v, n) for k, v in p.items()}, index=index)


def _shaped(values, index, name):
    values = np.asarray(values, dtype="float64")
    if index is not None:
        return pd.Series(np.broadcast_to(values, len(index)), index=index, name=name)
    return float(values) if values.ndim == 0 else values


def _ids(data, index):
    """The ids a Series argument is matched to: the index of a DataFrame ``data`` (a mapping's
    rows have no ids, so its arguments are read by position)."""
    return index if isinstance(data, pd.DataFrame) else None


def _check_counts(n, rows: int | None, index) -> np.ndarray:
    """Numbers of repeat purchases: whole, ≥ 0; given ``rows``, one or one per row (a Series
    matched to ``index`` by id)."""
    counts = np.asarray(align_to_index(n, index, "n"), dtype="float64")
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        named = counts  # by position, or by id for a Series (in the table's order once matched)
        if isinstance(n, pd.Series) and counts.ndim == 1:
            named = pd.Series(counts, index=n.index if index is None else index)
        shown = repr(n) if counts.ndim == 0 else first_offenders(named, bad)
        raise InputError(f"n must be whole numbers ≥ 0; got {shown}.")
    if rows is not None and (counts.ndim > 1 or counts.size not in (1, rows)):
        raise InputError(
            f"n has shape {counts.shape}; with data= give one number, or one per row of data "
            f"({rows})."
        )
    return counts
