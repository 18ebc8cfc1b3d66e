"""The Day One model: a purchase model and Gamma-Gamma with signup attributes as covariates."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._units import Duration
from clvmodel.dayone import encoding, persistence, prediction, segments
from clvmodel.dayone._checks import (
    PROCESSES,
    check_band,
    check_column_name,
    check_horizon,
    check_processes,
    check_purchase_model,
)
from clvmodel.errors import NotFittedError
from clvmodel.models._table_unit import with_rfm_time_unit
from clvmodel.rfm import TIME_UNITS


class DayOneModel:
    """Predict a new customer's value over a horizon from their signup attributes.

    Fitted on existing customers (an RFM table and their signup attributes), it predicts for a new
    signup the expected purchases, expected spend per purchase and the Day One value over a horizon:
    the known first purchase amount plus expected repeat purchases × expected spend (see
    :mod:`clvmodel.dayone`). Numeric attributes are optionally log-transformed and then
    standardised with the fitting customers' mean and standard deviation; categorical attributes
    become 0/1 indicators against a baseline level. Every encoded attribute enters the purchase
    rate, the dropout process and the spend scale (see the covariates of
    :class:`~clvmodel.BetaGeoModel` and of :class:`~clvmodel.GammaGammaModel`).

    Parameters
    ----------
    numeric : list of str
        Numeric signup attributes (for example the first purchase amount).
    categorical : list of str
        Categorical signup attributes (for example the acquisition channel). Their levels are
        text read like customer ids: ``1``, ``1.0`` and ``" 1.0 "`` are one level, ``"1"``.
    log : list of str
        Numeric attributes entered as log(1 + value) before standardising (amounts and counts,
        whose effects are closer to multiplicative); their values must be ≥ 0.
    baselines : dict, optional
        Baseline level per categorical attribute; by default its most frequent level among the
        fitting customers (ties broken by sorted order). The baseline is stored with the model.
    first_purchase_col : str, optional
        Attribute holding the first purchase amount, counted in the Day One value. Without it the
        Day One value counts repeat purchases only. It may also be listed in ``numeric``.
    horizon : str, Duration or float
        Default horizon, a duration such as ``"13M"`` (the default) or ``"52W"``: days, weeks,
        months of 365.25 / 12 = 30.4375 days or years of 365.25 days. A bare number counts months.
        Stored as the number :attr:`horizon` and its unit :attr:`horizon_unit`.
    horizon_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the unit of a bare-number ``horizon``; write ``horizon="52W"`` instead.
    covariates_on : tuple of str
        Which processes the attributes act on: any of ``"purchase"``, ``"dropout"``, ``"spend"``.
    segment_band : float
        Half-width of the "average" segment relative to the mean predicted Day One value of the
        fitting customers: below (1 − band) × mean is "below average", above (1 + band) × mean
        "above average" (default ±20 %).
    purchase_model : {"bgnbd", "mbgnbd", "pnbd"}
        The purchase model: BG/NBD (default), MBG/NBD or Pareto/NBD, each with covariates.
    max_iter, tol
        Passed to the two covariate models.

    Attributes
    ----------
    bg_ : PurchaseModel
        Fitted purchase and dropout model (with covariates).
    gg_ : GammaGammaModel
        Fitted spend model.
    encoding_ : dict
        How attributes become covariates: numeric ones with ``log``, ``mean`` and ``sd``;
        categorical ones with their ``levels`` and ``baseline``.
    attribute_ranges_ : dict or None
        Fitting customers' ``min`` and ``max`` per numeric attribute (``None``: an older file).
    time_unit_ : str
        Time unit of the RFM table the model was fitted on ("D" or "W").
    segment_cuts_ : dict
        ``mean`` predicted Day One value of the fitting customers, and the ``low`` and ``high``
        cut points between the segments.
    segment_profiles_ : pandas.DataFrame
        Per segment: customers, share, predicted value (mean, min, max), mean of each numeric
        attribute (on its original scale) and the share of each categorical level.

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow_sample()
    >>> rfm = clv.rfm_summary(tx, observation_end="1998-06-30")
    >>> signup = clv.dayone.first_purchase_attributes(tx, quantity_col="quantity")
    >>> model = clv.DayOneModel(
    ...     numeric=["first_purchase_amount", "first_purchase_quantity"],
    ...     log=["first_purchase_amount", "first_purchase_quantity"],
    ...     first_purchase_col="first_purchase_amount", covariates_on=("purchase", "spend"),
    ... ).fit(rfm, signup)
    >>> new = signup.head(3)[["first_purchase_amount", "first_purchase_quantity"]]
    >>> table = model.predict(new)
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['first_purchase', 'expected_repeat_purchases', 'expected_purchases', 'expected_spend',
     'expected_repeat_value', 'day_one_value', 'segment']
    >>> bool((table["day_one_value"] >= table["first_purchase"]).all())
    True
    """

    def __init__(
        self,
        numeric=(),
        categorical=(),
        *,
        log=(),
        baselines=None,
        first_purchase_col: str | None = None,
        horizon: str | Duration | float = "13M",
        horizon_unit: str | None = None,
        covariates_on=PROCESSES,
        segment_band: float = 0.2,
        purchase_model: str = "bgnbd",
        max_iter: int = 2000,
        tol: float = 1e-6,
    ):
        self.purchase_model = check_purchase_model(purchase_model)
        self.numeric, self.categorical, self.log, self.baselines = encoding.check_attribute_lists(
            numeric, categorical, log, baselines
        )
        self.first_purchase_col = check_column_name("first_purchase_col", first_purchase_col)
        duration = check_horizon(horizon, horizon_unit, Duration(13.0, "M"), stacklevel=2)
        self.horizon, self.horizon_unit = duration.value, duration.unit
        self.covariates_on = check_processes(covariates_on)
        self.segment_band = check_band(segment_band)
        self.max_iter = max_iter
        self.tol = tol

    @property
    def attributes(self) -> list[str]:
        """The signup attributes the model uses (numeric, then categorical)."""
        return self.numeric + self.categorical

    @property
    def design_columns(self) -> list[str]:
        """Names of the encoded covariates: numeric attributes by name, then one
        ``attribute=level`` indicator per non-baseline level."""
        self._check_fitted("encoding_")
        return encoding.design_columns(self.encoding_)

    def _check_fitted(self, attribute: str = "bg_") -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(
                "this DayOneModel is not fitted yet: call fit(rfm, attributes) first, or load "
                "one with DayOneModel.load(path)."
            )

    def encode(self, attributes: pd.DataFrame, unknown: str = "error") -> pd.DataFrame:
        """Encode signup attributes as the model's covariates.

        Parameters
        ----------
        attributes : pandas.DataFrame
            One row per customer with the model's attributes.
        unknown : {"error", "baseline"}
            What to do with a categorical level not seen when fitting: raise an
            :class:`~clvmodel.InputError`, or treat it as the baseline level with a warning.

        Returns
        -------
        pandas.DataFrame
            Standardised numeric attributes and 0/1 indicators (:attr:`design_columns`), indexed
            like ``attributes``.
        """
        self._check_fitted("encoding_")
        ranges = getattr(self, "attribute_ranges_", None)
        return encoding.encode_attributes(
            self.encoding_, attributes, self.attributes, self.log, unknown, ranges
        )

    def fit(self, rfm: pd.DataFrame, attributes: pd.DataFrame, time_unit: str | None = None):
        """Fit the purchase, dropout and spend models on existing customers.

        Parameters
        ----------
        rfm : pandas.DataFrame
            RFM table of existing customers (:func:`clvmodel.rfm_summary`), with
            ``monetary_value``, indexed by customer id.
        attributes : pandas.DataFrame
            Their signup attributes, indexed by customer id; it must have a row for every customer
            of ``rfm`` (rows of other customers are left out, with a :class:`~clvmodel.ClvWarning`).
        time_unit : {"D", "W"}, optional
            Time unit of ``rfm``; by default the one :func:`clvmodel.rfm_summary` recorded.

        Returns
        -------
        self

        Raises
        ------
        InputError
            Missing, non-numeric, missing-valued or constant attributes, attributes that do not
            cover every customer, or an unusable RFM table.
        """
        rfm, attributes, unit = prediction.fitting_tables(
            rfm, attributes, time_unit, self.attributes, self.first_purchase_col
        )
        self.encoding_ = encoding.learn_encoding(
            attributes, self.numeric, self.categorical, self.log, self.baselines
        )
        self.time_unit_ = unit
        self.attribute_ranges_ = encoding.learn_ranges(attributes, self.numeric)
        design = self.encode(attributes)
        self.bg_, self.gg_ = prediction.fit_processes(
            rfm, design, unit, self.covariates_on, self.purchase_model, self.max_iter, self.tol
        )
        self._learn_segments(attributes)
        return self

    def _horizon(self, horizon=None, horizon_unit=None, stacklevel: int = 3) -> float:
        """Horizon in the model's time unit (by default the model's own); ``stacklevel`` points a
        ``horizon_unit=`` deprecation warning at the caller of the public method."""
        default = Duration(self.horizon, self.horizon_unit)
        duration = check_horizon(horizon, horizon_unit, default, stacklevel=stacklevel)
        return duration.days / TIME_UNITS[self.time_unit_]

    def _first_purchase(self, signups: pd.DataFrame) -> np.ndarray:  # also day_one_payback's
        return prediction.first_purchase_amounts(signups, self.first_purchase_col)

    def _day_one(self, design: pd.DataFrame, signups, t: float) -> pd.DataFrame:
        return prediction.day_one_table(
            self.bg_, self.gg_, design, signups, t, self.first_purchase_col
        )

    def predict(
        self,
        signups: pd.DataFrame,
        horizon: str | Duration | float | None = None,
        horizon_unit: str | None = None,
        unknown: str = "error",
    ) -> pd.DataFrame:
        """Day One predictions for new signups.

        Parameters
        ----------
        signups : pandas.DataFrame
            One row per new customer, indexed by customer id, with the model's attributes (and
            ``first_purchase_col`` when the model counts the first purchase).
        horizon : str, Duration or float, optional
            A duration such as ``"6M"`` or ``"26W"``; defaults to the model's (13 months). A bare
            number counts periods of the model's :attr:`horizon_unit`.
        horizon_unit : {"D", "W", "M", "Y"}, optional
            Deprecated: the unit of a bare-number ``horizon``; write ``horizon="26W"`` instead.
        unknown : {"error", "baseline"}
            Unseen categorical levels: raise :class:`~clvmodel.InputError`, or score them as the
            baseline level with a warning.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``signups``: ``first_purchase`` (the known amount; only with
            ``first_purchase_col``), ``expected_repeat_purchases`` over the horizon,
            ``expected_purchases`` (the same plus the first purchase, when counted),
            ``expected_spend`` per repeat purchase, ``expected_repeat_value`` (their product),
            ``day_one_value`` (first purchase + expected repeat value) and ``segment``, which
            always places the customer by the Day One value at the model's own horizon.
        """
        self._check_fitted()
        design = self.encode(signups, unknown=unknown)
        t = self._horizon(horizon, horizon_unit)
        table = self._day_one(design, signups, t)
        default_t = self._horizon(None, None)
        values = (
            table["day_one_value"]
            if math.isclose(t, default_t)
            else self._day_one(design, signups, default_t)["day_one_value"]
        )
        table["segment"] = segments.place(values.to_numpy(), table.index, self.segment_cuts_)
        return table

    def segment(self, signups: pd.DataFrame, unknown: str = "error") -> pd.DataFrame:
        """Place new signups in the below-average, average and above-average segments.

        Parameters
        ----------
        signups : pandas.DataFrame
            As in :meth:`predict`.
        unknown : {"error", "baseline"}
            As in :meth:`predict`.

        Returns
        -------
        pandas.DataFrame
            ``day_one_value`` at the model's horizon and ``segment`` (an ordered categorical);
            look the segment up in :attr:`segment_profiles_` for the attribute profile of
            customers like them.
        """
        return self.predict(signups, unknown=unknown)[["day_one_value", "segment"]]

    def _learn_segments(self, attributes: pd.DataFrame) -> None:
        """Cut points from the fitting customers' Day One values, and each segment's profile."""
        design = self.encode(attributes)
        values = self._day_one(design, attributes, self._horizon(None, None))["day_one_value"]
        self.segment_cuts_, self.segment_profiles_ = segments.learn_segments(
            values, self.segment_band, attributes, self.numeric, self.encoding_
        )

    def predict_with_history(
        self,
        rfm: pd.DataFrame,
        attributes: pd.DataFrame,
        horizon: str | Duration | float | None = None,
        horizon_unit: str | None = None,
        unknown: str = "error",
        *,
        rfm_time_unit: str | None = None,
    ) -> pd.DataFrame:
        """History-conditional predictions of the same model for customers with some history.

        Uses each customer's own α_i, a_i, b_i and v_i (from their signup attributes) in the
        BG/NBD conditional expectation (Fader, Hardie and Lee 2005, eq. 10) and the Gamma-Gamma
        conditional mean spend (Hardie's note, eq. 5). A customer with frequency 0 and T = 0 gets
        exactly the Day One expected repeat purchases and spend.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Their RFM table so far, in the model's time unit, indexed by customer id.
        attributes : pandas.DataFrame
            Their signup attributes, with a row for every customer of ``rfm``.
        horizon, horizon_unit, unknown
            As in :meth:`predict`; the horizon starts at the end of observation (age T).
        rfm_time_unit : {"D", "W"}, optional
            The time unit of the table's ``recency`` and ``T``, checked against the model's, for
            a table that does not record it (``rfm.join(attributes)``, merge and concat drop what
            :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``rfm``: ``frequency``, ``recency``, ``T``, ``probability_alive``,
            ``expected_purchases`` in the horizon, ``expected_spend`` per purchase and
            ``expected_value`` (their product; past purchases are not included).
        """
        self._check_fitted()
        rfm = with_rfm_time_unit(rfm, rfm_time_unit, function="DayOneModel.predict_with_history")
        checked, attributes = prediction.history_tables(rfm, attributes, self.time_unit_)
        design = self.encode(attributes, unknown=unknown)
        t = self._horizon(horizon, horizon_unit)
        return prediction.history_table(self.bg_, self.gg_, checked, design, t)

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficient table of both models: estimate, standard error, 95 % interval."""
        self._check_fitted()
        tables = [self.bg_.summary.assign(model=self.bg_.label)]
        return pd.concat(tables + [self.gg_.summary.assign(model="Gamma-Gamma")])

    def __repr__(self) -> str:
        return (
            f"DayOneModel(numeric={self.numeric}, categorical={self.categorical}, "
            f"horizon={self.horizon:g}{self.horizon_unit})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON-ready dictionary (see :meth:`save`)."""
        self._check_fitted()
        return {**persistence.to_document(self), **encoding.ranges_document(self)}

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model as versioned JSON, atomically (no pickle).

        Returns
        -------
        pathlib.Path
            The path written. Load it with :meth:`DayOneModel.load`.
        """
        return persistence.save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DayOneModel:
        """Load a model written by :meth:`save` (or ``clvmodel dayone-fit``).

        Raises
        ------
        ModelFileError
            The file is missing, not JSON, or not a valid Day One model file.
        """
        return persistence.load(cls, path)

    @classmethod
    def from_dict(cls, document, source: str = "Day One model document") -> DayOneModel:
        """Rebuild a model from :meth:`to_dict` output, validating every field."""
        model = persistence.from_document(cls, document, source)
        return encoding.read_ranges(model, document, source)
