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
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._files import write_text_atomically
from clvmodel.errors import ClvWarning, InputError, ModelFileError, NotFittedError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models._covariates import covariate_names as _covariate_names
from clvmodel.models._persistence import model_from_document, read_json_document
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.rfm import (
    TIME_UNITS,
    _clean_log,
    _day_number,
    _parse_date,
    rfm_summary,
    validate_rfm,
)
from clvmodel.value import PERIOD_DAYS

__all__ = [
    "SEGMENTS",
    "DayOneEvaluation",
    "DayOneModel",
    "evaluate_day_one",
    "first_purchase_attributes",
]

DAYONE_FORMAT = "clvmodel-dayone"
DAYONE_VERSION = 1

#: Segment labels, from low to high predicted Day One value.
SEGMENTS: tuple[str, ...] = ("below average", "average", "above average")

_PROCESSES = ("purchase", "dropout", "spend")
_RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")
_EXAMPLES = 5


def _names(value, argument: str) -> list[str]:
    return [] if value is None else _covariate_names(value, argument)


def _examples(values) -> list:
    return list(values)[:_EXAMPLES]


def _check_frame(frame, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{what} must be a pandas DataFrame indexed by customer id, got {type(frame).__name__}."
        )
    if len(frame) == 0:
        raise InputError(f"{what} is empty: there are no customers in it.")
    if frame.index.has_duplicates:
        repeated = frame.index[frame.index.duplicated()].unique()
        raise InputError(
            f"{what} has {len(repeated)} customer id(s) more than once (for example "
            f"{_examples(repeated)}); give one row per customer."
        )
    return frame


def _require_columns(frame: pd.DataFrame, names, what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError(
            f"{what} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(map(str, frame.columns))}. Add the attribute, or fit the model without it."
        )


def _numeric_column(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    unparsed = converted.isna() & column.notna()
    if unparsed.any():
        raise InputError(
            f"attribute {name!r} in {what} is not numeric: {int(unparsed.sum())} value(s) are not "
            f"numbers (for example {_examples(column[unparsed])}). Fix them, or list {name!r} "
            "under categorical= if it is a category."
        )
    values = converted.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(
            f"attribute {name!r} in {what} has {int(bad.sum())} missing or infinite value(s) (for "
            f"customers {_examples(frame.index[bad])}); fill them (e.g. with the median, plus a "
            "0/1 'was missing' attribute) or drop those customers."
        )
    return values


def _categorical_column(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    column = frame[name]
    missing = column.isna().to_numpy()
    if missing.any():
        raise InputError(
            f"categorical attribute {name!r} in {what} has {int(missing.sum())} missing value(s) "
            f"(for customers {_examples(frame.index[missing])}); fill them with a level of their "
            "own, such as 'unknown'."
        )
    return column.astype(str).to_numpy()


# --------------------------------------------------------------------------------------------------
class DayOneModel:
    """Predict a new customer's value over a horizon from their signup attributes.

    Fitted on existing customers (an RFM table and their signup attributes), it predicts for a new
    signup the expected purchases, expected spend per purchase and the Day One value over a horizon:
    the known first purchase amount plus expected repeat purchases × expected spend (see the module
    docstring). Numeric attributes are optionally log-transformed and then standardised with the
    fitting customers' mean and standard deviation; categorical attributes become 0/1 indicators
    against a baseline level. Every encoded attribute enters the purchase rate, the dropout process
    and the spend scale (see the covariates of :class:`~clvmodel.BetaGeoModel` and
    the covariates of :class:`~clvmodel.GammaGammaModel`).

    Parameters
    ----------
    numeric : list of str
        Numeric signup attributes (for example the first purchase amount).
    categorical : list of str
        Categorical signup attributes (for example the acquisition channel).
    log : list of str
        Numeric attributes entered as log(1 + value) before standardising (amounts and counts,
        whose effects are closer to multiplicative); their values must be ≥ 0.
    baselines : dict, optional
        Baseline level per categorical attribute; by default its most frequent level among the
        fitting customers (ties broken by sorted order). The baseline is stored with the model.
    first_purchase_col : str, optional
        Attribute holding the first purchase amount, counted in the Day One value. Without it the
        Day One value counts repeat purchases only. It may also be listed in ``numeric``.
    horizon : float
        Default horizon, in ``horizon_unit`` periods (13 months by default).
    horizon_unit : {"D", "W", "M", "Y"}
        Period of ``horizon``: days, weeks, months of 365.25 / 12 = 30.4375 days
        (``clvmodel.value.PERIOD_DAYS["M"]``), or years of 365.25 days.
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
        horizon: float = 13.0,
        horizon_unit: str = "M",
        covariates_on=_PROCESSES,
        segment_band: float = 0.2,
        purchase_model: str = "bgnbd",
        max_iter: int = 2000,
        tol: float = 1e-6,
    ):
        if purchase_model not in PURCHASE_MODELS:
            raise InputError(
                f"purchase_model={purchase_model!r} is not known; choose from "
                f"{sorted(PURCHASE_MODELS)}."
            )
        self.purchase_model = purchase_model
        self.numeric = _names(numeric, "numeric")
        self.categorical = _names(categorical, "categorical")
        self.log = _names(log, "log")
        both = sorted(set(self.numeric) & set(self.categorical))
        if both:
            raise InputError(f"{both} are listed as both numeric and categorical; choose one.")
        stray = sorted(set(self.log) - set(self.numeric))
        if stray:
            raise InputError(f"log= names {stray}, which are not in numeric=; add them there.")
        self.baselines = dict(baselines or {})
        stray = sorted(set(self.baselines) - set(self.categorical))
        if stray:
            raise InputError(
                f"baselines= names {stray}, which are not categorical attributes "
                f"({self.categorical})."
            )
        if first_purchase_col is not None and (
            not isinstance(first_purchase_col, str) or not first_purchase_col
        ):
            raise InputError(
                f"first_purchase_col must be a column name, got {first_purchase_col!r}."
            )
        self.first_purchase_col = first_purchase_col
        self.horizon = _check_positive("horizon", horizon)
        self.horizon_unit = _check_period(horizon_unit)
        covariates_on = _names(covariates_on, "covariates_on")
        unknown = sorted(set(covariates_on) - set(_PROCESSES))
        if unknown:
            raise InputError(f"covariates_on= has {unknown}; choose from {list(_PROCESSES)}.")
        self.covariates_on = tuple(p for p in _PROCESSES if p in covariates_on)
        band = _check_positive("segment_band", segment_band)
        if band >= 1:
            raise InputError(f"segment_band must be between 0 and 1, got {segment_band!r}.")
        self.segment_band = band
        self.max_iter = max_iter
        self.tol = tol

    # ----------------------------------------------------------------------------------------------
    @property
    def attributes(self) -> list[str]:
        """The signup attributes the model uses (numeric, then categorical)."""
        return self.numeric + self.categorical

    @property
    def design_columns(self) -> list[str]:
        """Names of the encoded covariates: numeric attributes by name, then one
        ``attribute=level`` indicator per non-baseline level."""
        self._check_encoding()
        columns = [entry["name"] for entry in self.encoding_["numeric"]]
        for entry in self.encoding_["categorical"]:
            columns += [
                f"{entry['name']}={lv}" for lv in entry["levels"] if lv != entry["baseline"]
            ]
        return columns

    def _check_encoding(self) -> None:
        if not hasattr(self, "encoding_"):
            self._check_fitted()

    def _check_fitted(self) -> None:
        if not hasattr(self, "bg_"):
            raise NotFittedError(
                "this DayOneModel is not fitted yet: call fit(rfm, attributes) first, or load "
                "one with DayOneModel.load(path)."
            )

    def _learn_encoding(self, attributes: pd.DataFrame) -> dict[str, Any]:
        numeric = []
        for name in self.numeric:
            values = self._numeric_values(attributes, name, "the attributes")
            sd = float(values.std())
            if not sd > 0:
                raise InputError(
                    f"attribute {name!r} is constant ({values[0]:g} for every customer), so its "
                    "effect cannot be estimated; drop it."
                )
            numeric.append(
                {"name": name, "log": name in self.log, "mean": float(values.mean()), "sd": sd}
            )
        categorical = []
        for name in self.categorical:
            values = _categorical_column(attributes, name, "the attributes")
            levels, counts = np.unique(values, return_counts=True)
            if levels.size < 2:
                raise InputError(
                    f"categorical attribute {name!r} has a single level ({levels[0]!r}) among the "
                    "fitting customers, so its effect cannot be estimated; drop it."
                )
            baseline = self.baselines.get(name)
            if baseline is None:
                baseline = str(levels[np.argmax(counts)])
            elif str(baseline) not in set(levels):
                raise InputError(
                    f"baseline {baseline!r} of {name!r} is not one of its levels "
                    f"{levels.tolist()[:20]}; choose one of them."
                )
            categorical.append(
                {"name": name, "levels": [str(v) for v in levels], "baseline": str(baseline)}
            )
        return {"numeric": numeric, "categorical": categorical}

    def _numeric_values(self, frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
        values = _numeric_column(frame, name, what)
        if name in self.log:
            negative = values < 0
            if negative.any():
                raise InputError(
                    f"attribute {name!r} in {what} is entered as log(1 + value) but has "
                    f"{int(negative.sum())} negative value(s) (for example "
                    f"{_examples(values[negative])}); fix them or remove {name!r} from log=."
                )
            values = np.log1p(values)
        return values

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
        self._check_encoding()
        if unknown not in ("error", "baseline"):
            raise InputError(f"unknown= must be 'error' or 'baseline', got {unknown!r}.")
        attributes = _check_frame(attributes, "the signup attributes")
        _require_columns(attributes, self.attributes, "the signup attributes")
        columns: dict[str, np.ndarray] = {}
        for entry in self.encoding_["numeric"]:
            values = self._numeric_values(attributes, entry["name"], "the signup attributes")
            columns[entry["name"]] = (values - entry["mean"]) / entry["sd"]
        for entry in self.encoding_["categorical"]:
            name, levels, baseline = entry["name"], entry["levels"], entry["baseline"]
            values = _categorical_column(attributes, name, "the signup attributes")
            new = ~np.isin(values, levels)
            if new.any():
                seen = sorted(set(values[new]))
                if unknown == "error":
                    raise InputError(
                        f"categorical attribute {name!r} has level(s) {seen[:_EXAMPLES]} that the "
                        f"model never saw ({int(new.sum())} customer(s)); it knows {levels[:20]}. "
                        "Map them to a known level, or pass unknown='baseline' (--unknown "
                        f"baseline on the command line) to score them as the baseline {baseline!r}."
                    )
                warnings.warn(
                    f"{int(new.sum())} customer(s) have a level of {name!r} the model never saw "
                    f"({seen[:_EXAMPLES]}); they are scored as the baseline level {baseline!r}.",
                    ClvWarning,
                    stacklevel=3,
                )
            for level in levels:
                if level != baseline:
                    columns[f"{name}={level}"] = (values == level).astype("float64")
        return pd.DataFrame(columns, index=attributes.index, columns=self.design_columns)

    # ----------------------------------------------------------------------------------------------
    def fit(self, rfm: pd.DataFrame, attributes: pd.DataFrame, time_unit: str | None = None):
        """Fit the purchase, dropout and spend models on existing customers.

        Parameters
        ----------
        rfm : pandas.DataFrame
            RFM table of existing customers (:func:`clvmodel.rfm_summary`), with
            ``monetary_value``, indexed by customer id.
        attributes : pandas.DataFrame
            Their signup attributes, indexed by customer id; it must have a row for every customer
            of ``rfm`` (extra rows are ignored).
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
        rfm = _check_frame(rfm, "the RFM table")
        validate_rfm(rfm, require=_RFM_COLUMNS)
        unit = time_unit if time_unit is not None else rfm.attrs.get("time_unit")
        if unit not in TIME_UNITS:
            raise InputError(
                f"the time unit of the RFM table is {unit!r}; build it with "
                "clvmodel.rfm_summary(...), or pass time_unit='W' or 'D'."
            )
        attributes = _check_frame(attributes, "the signup attributes")
        _require_columns(attributes, self.attributes, "the signup attributes")
        if self.first_purchase_col is not None:
            _require_columns(attributes, [self.first_purchase_col], "the signup attributes")
        missing = rfm.index.difference(attributes.index)
        if len(missing):
            raise InputError(
                f"the signup attributes have no row for {len(missing)} of the {len(rfm)} "
                f"customers in the RFM table (for example {_examples(missing)}); give every "
                "customer a row (same ids as the RFM index), or drop those customers from the RFM "
                "table."
            )
        attributes = attributes.loc[rfm.index]
        self.encoding_ = self._learn_encoding(attributes)
        self.time_unit_ = unit
        design = self.encode(attributes)
        clash = sorted(set(design.columns) & set(rfm.columns))
        if clash:
            raise InputError(f"attribute names {clash} clash with RFM columns; rename them.")
        frame = pd.concat([rfm[list(_RFM_COLUMNS)], design], axis=1)
        frame.attrs["time_unit"] = unit
        columns = list(design.columns)

        def on(process):
            return columns if process in self.covariates_on else []

        settings = {"max_iter": self.max_iter, "tol": self.tol}
        purchase = PURCHASE_MODELS[self.purchase_model]
        self.bg_ = purchase(on("purchase"), on("dropout"), **settings).fit(frame)
        self.gg_ = GammaGammaModel(on("spend"), **settings).fit(frame)
        self._learn_segments(attributes)
        return self

    def _horizon(self, horizon, horizon_unit) -> float:
        """Horizon in the model's time unit."""
        horizon = self.horizon if horizon is None else _check_positive("horizon", horizon)
        unit = self.horizon_unit if horizon_unit is None else _check_period(horizon_unit)
        return horizon * PERIOD_DAYS[unit] / TIME_UNITS[self.time_unit_]

    def _first_purchase(self, signups: pd.DataFrame) -> np.ndarray:
        _require_columns(signups, [self.first_purchase_col], "the signups")
        values = _numeric_column(signups, self.first_purchase_col, "the signups")
        if (values < 0).any():
            raise InputError(
                f"first purchase amounts in {self.first_purchase_col!r} must be ≥ 0; "
                f"{int((values < 0).sum())} are negative."
            )
        return values

    def _day_one(self, design: pd.DataFrame, signups, t: float) -> pd.DataFrame:
        repeat = self.bg_.expected_purchases_new(t, data=design).to_numpy()
        spend = self.gg_.expected_spend_new(design).to_numpy()
        table = pd.DataFrame(index=design.index)
        first = self._first_purchase(signups) if self.first_purchase_col is not None else 0.0
        if self.first_purchase_col is not None:
            table["first_purchase"] = first
        table["expected_repeat_purchases"] = repeat
        table["expected_purchases"] = repeat + (1.0 if self.first_purchase_col else 0.0)
        table["expected_spend"] = spend
        table["expected_repeat_value"] = repeat * spend
        table["day_one_value"] = first + repeat * spend
        return table

    def predict(
        self,
        signups: pd.DataFrame,
        horizon: float | None = None,
        horizon_unit: str | None = None,
        unknown: str = "error",
    ) -> pd.DataFrame:
        """Day One predictions for new signups.

        Parameters
        ----------
        signups : pandas.DataFrame
            One row per new customer, indexed by customer id, with the model's attributes (and
            ``first_purchase_col`` when the model counts the first purchase).
        horizon : float, optional
            Horizon in ``horizon_unit`` periods; defaults to the model's (13 months).
        horizon_unit : {"D", "W", "M", "Y"}, optional
            Defaults to the model's.
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
        table["segment"] = self._place(values.to_numpy(), table.index)
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

    def _place(self, values: np.ndarray, index) -> pd.Categorical:
        low, high = self.segment_cuts_["low"], self.segment_cuts_["high"]
        codes = np.where(values < low, 0, np.where(values > high, 2, 1))
        return pd.Series(
            pd.Categorical.from_codes(codes, categories=list(SEGMENTS), ordered=True),
            index=index,
            name="segment",
        )

    def _learn_segments(self, attributes: pd.DataFrame) -> None:
        """Cut points from the fitting customers' Day One values, and each segment's profile."""
        design = self.encode(attributes)
        values = self._day_one(design, attributes, self._horizon(None, None))["day_one_value"]
        mean = float(values.mean())
        self.segment_cuts_ = {
            "mean": mean,
            "low": (1.0 - self.segment_band) * mean,
            "high": (1.0 + self.segment_band) * mean,
        }
        segment = self._place(values.to_numpy(), values.index)
        columns: dict[str, pd.Series] = {
            "day_one_value": values,
        }
        for name in self.numeric:
            columns[f"mean_{name}"] = pd.Series(
                _numeric_column(attributes, name, "the attributes"), index=attributes.index
            )
        for entry in self.encoding_["categorical"]:
            values_c = _categorical_column(attributes, entry["name"], "the attributes")
            for level in entry["levels"]:
                columns[f"share_{entry['name']}={level}"] = pd.Series(
                    (values_c == level).astype(float), index=attributes.index
                )
        frame = pd.DataFrame(columns)
        grouped = frame.groupby(segment, observed=True)
        profile = pd.DataFrame(
            {
                "customers": grouped.size(),
                "share": grouped.size() / len(frame),
                "mean_day_one_value": grouped["day_one_value"].mean(),
                "min_day_one_value": grouped["day_one_value"].min(),
                "max_day_one_value": grouped["day_one_value"].max(),
            }
        )
        others = [c for c in frame.columns if c != "day_one_value"]
        profile = profile.join(grouped[others].mean())
        profile.index = pd.Index([str(s) for s in profile.index], name="segment")
        self.segment_profiles_ = profile

    # ----------------------------------------------------------------------------------------------
    def predict_with_history(
        self,
        rfm: pd.DataFrame,
        attributes: pd.DataFrame,
        horizon: float | None = None,
        horizon_unit: str | None = None,
        unknown: str = "error",
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

        Returns
        -------
        pandas.DataFrame
            Indexed like ``rfm``: ``frequency``, ``recency``, ``T``, ``probability_alive``,
            ``expected_purchases`` in the horizon, ``expected_spend`` per purchase and
            ``expected_value`` (their product; past purchases are not included).
        """
        self._check_fitted()
        rfm = _check_frame(rfm, "the RFM table")
        checked = validate_rfm(rfm, require=_RFM_COLUMNS)
        unit = rfm.attrs.get("time_unit")
        if unit is not None and unit != self.time_unit_:
            raise InputError(
                f"the RFM table is in time unit {unit!r} but the model in {self.time_unit_!r}; "
                f"summarise the transactions with time_unit={self.time_unit_!r}."
            )
        attributes = _check_frame(attributes, "the signup attributes")
        missing = rfm.index.difference(attributes.index)
        if len(missing):
            raise InputError(
                f"the signup attributes have no row for {len(missing)} customer(s) of the RFM "
                f"table (for example {_examples(missing)}); give every customer a row."
            )
        design = self.encode(attributes.loc[rfm.index], unknown=unknown)
        frame = pd.DataFrame(
            {
                "frequency": checked.frequency,
                "recency": checked.recency,
                "T": checked.T,
                "monetary_value": checked.monetary_value,
            },
            index=rfm.index,
        ).join(design)
        t = self._horizon(horizon, horizon_unit)
        table = frame[["frequency", "recency", "T"]].copy()
        table["probability_alive"] = self.bg_.probability_alive(frame).to_numpy()
        table["expected_purchases"] = self.bg_.expected_purchases(frame, t).to_numpy()
        table["expected_spend"] = self.gg_.expected_spend(frame).to_numpy()
        table["expected_value"] = table["expected_purchases"] * table["expected_spend"]
        return table

    # ----------------------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """Coefficient table of both models: estimate, standard error, 95 % interval."""
        self._check_fitted()
        return pd.concat(
            [
                self.bg_.summary.assign(model=self.bg_.label),
                self.gg_.summary.assign(model="Gamma-Gamma"),
            ]
        )

    def __repr__(self) -> str:
        return (
            f"DayOneModel(numeric={self.numeric}, categorical={self.categorical}, "
            f"horizon={self.horizon:g}{self.horizon_unit})"
        )

    def _settings(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "categorical": self.categorical,
            "log": self.log,
            "baselines": self.baselines,
            "first_purchase_col": self.first_purchase_col,
            "horizon": self.horizon,
            "horizon_unit": self.horizon_unit,
            "covariates_on": list(self.covariates_on),
            "segment_band": self.segment_band,
            "purchase_model": self.purchase_model,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON-ready dictionary (see :meth:`save`)."""
        from clvmodel import __version__

        self._check_fitted()
        profiles = self.segment_profiles_
        return {
            "format": DAYONE_FORMAT,
            "format_version": DAYONE_VERSION,
            "clvmodel_version": __version__,
            "settings": self._settings(),
            "time_unit": self.time_unit_,
            "encoding": self.encoding_,
            "segment_cuts": self.segment_cuts_,
            "segment_profiles": {
                "index": [str(i) for i in profiles.index],
                "columns": [str(c) for c in profiles.columns],
                "data": [[float(v) for v in row] for row in profiles.to_numpy()],
            },
            "bg": self.bg_.to_dict(),
            "gg": self.gg_.to_dict(),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model as versioned JSON, atomically (no pickle).

        Returns
        -------
        pathlib.Path
            The path written. Load it with :meth:`DayOneModel.load`.
        """
        return write_text_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> DayOneModel:
        """Load a model written by :meth:`save` (or ``clvmodel dayone-fit``).

        Raises
        ------
        ModelFileError
            The file is missing, not JSON, or not a valid Day One model file.
        """
        document, source = read_json_document(path)
        return cls.from_dict(document, source)

    @classmethod
    def from_dict(cls, document, source: str = "Day One model document") -> DayOneModel:
        """Rebuild a model from :meth:`to_dict` output, validating every field."""

        def fail(problem: str):
            raise ModelFileError(f"{source} is not a valid Day One model file: {problem}.")

        if not isinstance(document, dict):
            fail("the top level is not a JSON object")
        if document.get("format") != DAYONE_FORMAT:
            hint = (
                "; load single models with clvmodel.load_model"
                if document.get("format") == "clvmodel-model"
                else ""
            )
            fail(f"'format' is {document.get('format')!r}, expected {DAYONE_FORMAT!r}{hint}")
        version = document.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            fail("'format_version' is missing or not a positive integer")
        if version > DAYONE_VERSION:
            fail(f"it was written in format version {version}, newer than this clvmodel reads")
        settings = document.get("settings")
        if not isinstance(settings, dict):
            fail("'settings' is missing or not an object")
        try:
            model = cls(**settings)
        except (TypeError, ValueError) as exc:
            fail(f"bad settings ({exc})")
        unit = document.get("time_unit")
        if unit not in TIME_UNITS:
            fail(f"'time_unit' is {unit!r}, expected one of {sorted(TIME_UNITS)}")
        model.time_unit_ = unit
        model.encoding_ = _check_encoding(document.get("encoding"), model, fail)
        cuts = document.get("segment_cuts")
        if not (
            isinstance(cuts, dict)
            and set(cuts) == {"mean", "low", "high"}
            and all(_finite_number(v) for v in cuts.values())
            and cuts["low"] <= cuts["high"]
        ):
            fail("'segment_cuts' must hold finite numbers mean, low ≤ high")
        model.segment_cuts_ = {k: float(v) for k, v in cuts.items()}
        profiles = document.get("segment_profiles")
        try:
            model.segment_profiles_ = pd.DataFrame(
                profiles["data"], index=profiles["index"], columns=profiles["columns"], dtype=float
            )
            model.segment_profiles_.index.name = "segment"
        except (TypeError, KeyError, ValueError) as exc:
            fail(f"'segment_profiles' is malformed ({exc!r})")
        model.bg_ = model_from_document(
            document.get("bg"), f"{source} (bg)", expected=PURCHASE_MODELS[model.purchase_model]
        )
        model.gg_ = model_from_document(
            document.get("gg"), f"{source} (gg)", expected=GammaGammaModel
        )
        columns = model.design_columns

        def expected(process):
            return columns if process in model.covariates_on else []

        if (
            model.bg_.purchase_covariates != expected("purchase")
            or model.bg_.dropout_covariates != expected("dropout")
            or model.gg_.spend_covariates != expected("spend")
        ):
            fail("the models' covariates do not match the attribute encoding")
        return model


def _finite_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_encoding(encoding, model: DayOneModel, fail) -> dict[str, Any]:
    if not isinstance(encoding, dict) or set(encoding) != {"numeric", "categorical"}:
        fail("'encoding' must have exactly the keys 'numeric' and 'categorical'")
    numeric, categorical = encoding["numeric"], encoding["categorical"]
    if not isinstance(numeric, list) or [e.get("name") for e in numeric if isinstance(e, dict)] != (
        model.numeric
    ):
        fail(f"'encoding' must describe the numeric attributes {model.numeric} in order")
    for entry in numeric:
        if not (
            isinstance(entry, dict)
            and set(entry) == {"name", "log", "mean", "sd"}
            and entry["log"] is (entry["name"] in model.log)
            and _finite_number(entry["mean"])
            and _finite_number(entry["sd"])
            and entry["sd"] > 0
        ):
            fail(f"the encoding of {entry.get('name')!r} needs log, a finite mean and sd > 0")
    if (
        not isinstance(categorical, list)
        or [e.get("name") for e in categorical if isinstance(e, dict)] != model.categorical
    ):
        fail(f"'encoding' must describe the categorical attributes {model.categorical} in order")
    for entry in categorical:
        levels = entry.get("levels") if isinstance(entry, dict) else None
        if not (
            isinstance(entry, dict)
            and set(entry) == {"name", "levels", "baseline"}
            and isinstance(levels, list)
            and len(levels) >= 2
            and all(isinstance(v, str) for v in levels)
            and len(set(levels)) == len(levels)
            and entry["baseline"] in levels
        ):
            fail(
                f"the encoding of {entry.get('name')!r} needs distinct string levels and a baseline"
            )
    return encoding


def _check_positive(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{name} must be positive and finite, got {value!r}.")
    return number


def _check_period(unit) -> str:
    if unit not in PERIOD_DAYS:
        raise InputError(
            f"horizon_unit={unit!r} is not supported; use one of {sorted(PERIOD_DAYS)} (days, "
            "weeks, months of 365.25/12 days, years)."
        )
    return unit


# --------------------------------------------------------------------------------------------------
def first_purchase_attributes(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    quantity_col: str | None = None,
) -> pd.DataFrame:
    """What a transaction log tells about each customer on their signup day.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names.
    quantity_col : str, optional
        Column with the number of items per purchase (CDNOW's ``quantity``: CDs bought).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``signup_date`` (day of the first purchase),
        ``first_purchase_amount`` (sum of that day's amounts), ``first_purchase_quantity`` (sum of
        that day's quantities, with ``quantity_col``) and ``signup_week`` (whole weeks from the
        earliest signup in the log to this one).

    Examples
    --------
    >>> import clvmodel as clv
    >>> signup = clv.dayone.first_purchase_attributes(
    ...     clv.datasets.load_cdnow_sample(), quantity_col="quantity")
    >>> signup.loc["00004", ["first_purchase_amount", "first_purchase_quantity"]].tolist()
    [29.33, 2.0]
    """
    log = _clean_log(transactions, customer_col, date_col, amount_col)
    starts = np.flatnonzero(np.r_[True, log.customer_code[1:] != log.customer_code[:-1]])
    first_day = log.day[starts]
    customers = log.customers[log.customer_code[starts]]
    table = pd.DataFrame(
        {
            "signup_date": first_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "first_purchase_amount": log.amount[starts],
        },
        index=customers,
    )
    if quantity_col is not None:
        _require_columns(transactions, [quantity_col], "the transactions")
        quantity = pd.to_numeric(transactions[quantity_col], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        if not np.all(np.isfinite(quantity)):
            raise InputError(
                f"{int((~np.isfinite(quantity)).sum())} value(s) of {quantity_col!r} are missing "
                "or not numbers; fix or drop those rows."
            )
        raw_dates = transactions[date_col]
        dates = (
            raw_dates
            if pd.api.types.is_datetime64_any_dtype(raw_dates)
            else pd.to_datetime(raw_dates, format="mixed")
        )
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        day = dates.to_numpy().astype("datetime64[D]").astype("int64")
        first_of_row = pd.Series(first_day, index=customers).reindex(
            transactions[customer_col].to_numpy()
        )
        on_first_day = day == first_of_row.to_numpy()
        ids = transactions[customer_col].to_numpy()[on_first_day]
        summed = pd.Series(quantity[on_first_day]).groupby(ids, sort=False).sum()
        table["first_purchase_quantity"] = summed.reindex(customers).to_numpy()
    table["signup_week"] = ((first_day - first_day.min()) // 7).astype("float64")
    table.index.name = customer_col
    return table


# --------------------------------------------------------------------------------------------------
@dataclass
class DayOneEvaluation:
    """Out-of-sample check of Day One predictions against what new customers actually spent.

    Attributes
    ----------
    metrics : pandas.DataFrame
        For the value of repeat purchases in each evaluation customer's first ``horizon`` (the part
        the model predicts): per model (``covariate model``, ``no-covariate baseline``) the
        Spearman rank correlation, mean absolute error, the share of realised value captured by
        the top predicted decile, and the mean predicted and realised values.
    metrics_total : pandas.DataFrame
        The same for the total value including the known first purchase (the Day One value).
    predictions : pandas.DataFrame
        Per evaluation customer: predicted and realised repeat value, for both models, and the
        first purchase amount.
    model, baseline : DayOneModel
        The fitted covariate model and the no-covariate model.
    fit_customers : pandas.Index
        The customers the models were fitted on (the others are in ``predictions``).
    details : dict
        Customer counts, horizon, seed and dates.
    """

    metrics: pd.DataFrame
    metrics_total: pd.DataFrame
    predictions: pd.DataFrame
    model: DayOneModel
    baseline: DayOneModel
    fit_customers: pd.Index
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        d = self.details
        lines = [
            f"Day One evaluation: fitted on {d['fit_customers']:,} customers (histories to "
            f"{d['observation_end']}), evaluated on {d['evaluation_customers']:,} others over "
            f"their first {d['horizon']:g} {d['horizon_unit']} after signup (seed {d['seed']}).",
            "",
            "Repeat purchases' value:",
            self.metrics.round(3).to_string(),
            "",
            "Including the known first purchase:",
            self.metrics_total.round(3).to_string(),
        ]
        return "\n".join(lines)


def _spearman(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Spearman's rank correlation with average ranks for ties; 0 when either side is constant
    (a constant prediction carries no ranking information)."""
    if np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return 0.0
    from scipy.stats import rankdata

    return float(np.corrcoef(rankdata(predicted), rankdata(actual))[0, 1])


def top_decile_share(predicted, actual, share: float = 0.1) -> float:
    """Share of the total realised value held by the customers with the highest predictions.

    Ties at the cut-off are shared out pro rata, so a constant prediction captures exactly
    ``share`` of the value (the expectation under random ordering).

    Parameters
    ----------
    predicted, actual : array_like
        Predicted and realised value per customer.
    share : float
        Top share of customers (0.1: the top decile).

    Returns
    -------
    float
        Between 0 and 1 (0 when nothing was realised).

    Examples
    --------
    >>> top_decile_share([1, 1, 1, 1], [0, 0, 0, 4], share=0.25)
    0.25
    >>> top_decile_share([4, 3, 2, 1], [4, 0, 0, 0], share=0.25)
    1.0
    """
    predicted = np.asarray(predicted, dtype="float64")
    actual = np.asarray(actual, dtype="float64")
    total = actual.sum()
    if total <= 0:
        return 0.0
    take = share * predicted.size
    values, inverse = np.unique(-predicted, return_inverse=True)  # highest prediction first
    group_size = np.bincount(inverse, minlength=values.size).astype(float)
    group_value = np.bincount(inverse, weights=actual, minlength=values.size)
    before = np.concatenate([[0.0], np.cumsum(group_size)[:-1]])
    fraction = np.clip((take - before) / group_size, 0.0, 1.0)
    return float(fraction @ group_value / total)


def _metrics(predicted: dict[str, np.ndarray], actual: np.ndarray) -> pd.DataFrame:
    rows = {}
    for name, values in predicted.items():
        rows[name] = {
            "spearman": _spearman(values, actual),
            "mae": float(np.mean(np.abs(values - actual))),
            "top_decile_share": top_decile_share(values, actual),
            "mean_predicted": float(values.mean()),
            "mean_actual": float(actual.mean()),
        }
    table = pd.DataFrame(rows).T
    table.index.name = "model"
    return table


def evaluate_day_one(
    transactions: pd.DataFrame,
    attributes: pd.DataFrame | None = None,
    *,
    numeric=("first_purchase_amount", "first_purchase_quantity", "signup_week"),
    categorical=(),
    log=("first_purchase_amount", "first_purchase_quantity"),
    first_purchase_col: str = "first_purchase_amount",
    covariates_on=_PROCESSES,
    horizon: float = 52.0,
    horizon_unit: str = "W",
    fit_share: float = 0.5,
    seed: int = 0,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    quantity_col: str | None = "quantity",
    time_unit: str = "W",
) -> DayOneEvaluation:
    """Fit Day One models on some customers and test them on the others' first months.

    The customers are split at random (``seed``) into a fitting share and an evaluation share. The
    models are fitted on the fitting customers' histories up to ``observation_end``; nothing of the
    evaluation customers is used except their signup attributes. Their Day One value over
    ``horizon`` is then compared with what they actually spent: the amounts of their purchase days
    after the signup day and within ``horizon`` of it (repeat value; the model's expected repeat
    purchases × expected spend), and the same plus the first purchase (the Day One value). The
    baseline is the same pipeline without covariates: plain BG/NBD and Gamma-Gamma, which give
    every new customer the population average.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    attributes : pandas.DataFrame, optional
        Signup attributes indexed by customer id; by default :func:`first_purchase_attributes`
        of the log (first purchase amount and quantity, signup week).
    numeric, categorical, log, first_purchase_col, covariates_on
        As in :class:`DayOneModel`.
    horizon : float
        Evaluation window after signup, in ``horizon_unit`` periods (52 weeks).
    horizon_unit : {"D", "W", "M", "Y"}
        Period of ``horizon``.
    fit_share : float
        Share of customers used for fitting.
    seed : int
        Seed of the random split.
    observation_end : date-like, optional
        End of the fitting customers' histories; defaults to the last transaction date. Every
        evaluation customer's window must end by then.
    customer_col, date_col, amount_col, quantity_col : str
        Column names of the log.
    time_unit : {"W", "D"}
        Time unit of the models.

    Returns
    -------
    DayOneEvaluation
        Metrics for both models; ``str()`` renders them.

    Notes
    -----
    Spearman's correlation of a constant prediction is undefined; it is reported as 0, and the top
    decile of a constant prediction captures 10 % of the value by construction. CDNOW's customers
    all signed up in the first quarter of 1997, so fitting and evaluation customers share the same
    calendar months; a later cohort would also face whatever changed in between.

    Examples
    --------
    >>> import clvmodel as clv
    >>> result = clv.dayone.evaluate_day_one(clv.datasets.load_cdnow_sample(),
    ...                                      covariates_on=("purchase", "spend"))
    >>> list(result.metrics.index)
    ['covariate model', 'no-covariate baseline']
    """
    share = _check_positive("fit_share", fit_share)
    if share >= 1:
        raise InputError(f"fit_share must be between 0 and 1, got {fit_share!r}.")
    if attributes is None:
        attributes = first_purchase_attributes(
            transactions, customer_col, date_col, amount_col, quantity_col
        )
    rfm = rfm_summary(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
        time_unit=time_unit,
    )
    log_ = _clean_log(transactions, customer_col, date_col, amount_col)
    if observation_end is None:
        end_day = int(log_.day.max())
    else:
        end_day = _day_number(_parse_date(observation_end, "observation_end"))
    window = horizon * PERIOD_DAYS[_check_period(horizon_unit)]
    # Realised value per customer: first day, and purchase days in (first, first + window].
    starts = np.flatnonzero(np.r_[True, log_.customer_code[1:] != log_.customer_code[:-1]])
    first_day = np.zeros(len(log_.customers), dtype="int64")
    first_day[log_.customer_code[starts]] = log_.day[starts]
    first_amount = np.zeros(len(log_.customers))
    first_amount[log_.customer_code[starts]] = log_.amount[starts]
    since = log_.day - first_day[log_.customer_code]
    in_window = (since > 0) & (since <= window)
    repeat_value = np.bincount(
        log_.customer_code[in_window],
        weights=log_.amount[in_window],
        minlength=len(log_.customers),
    )
    realised = pd.DataFrame(
        {"first_purchase": first_amount, "repeat_value": repeat_value, "first_day": first_day},
        index=log_.customers,
    ).loc[rfm.index]

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rfm))
    n_fit = int(round(share * len(rfm)))
    if n_fit < 10 or len(rfm) - n_fit < 10:
        raise InputError("too few customers to split into fitting and evaluation sets.")
    fit_ids = rfm.index[np.sort(order[:n_fit])]
    test_ids = rfm.index[np.sort(order[n_fit:])]
    late = realised.loc[test_ids, "first_day"].to_numpy() + window > end_day + 1e-9
    if late.any():
        raise InputError(
            f"{int(late.sum())} evaluation customer(s) signed up less than {horizon:g} "
            f"{horizon_unit} before the end of the log, so their window is not complete; use a "
            "shorter horizon or only customers who signed up early enough."
        )
    fit_rfm = rfm.loc[fit_ids]
    fit_rfm.attrs["time_unit"] = time_unit
    settings = dict(
        first_purchase_col=first_purchase_col,
        horizon=horizon,
        horizon_unit=horizon_unit,
    )
    model = DayOneModel(numeric, categorical, log=log, covariates_on=covariates_on, **settings).fit(
        fit_rfm, attributes
    )
    baseline = DayOneModel(**settings).fit(fit_rfm, attributes)
    signups = attributes.loc[test_ids]
    predicted = model.predict(signups)
    predicted_base = baseline.predict(signups)
    actual = realised.loc[test_ids, "repeat_value"].to_numpy()
    first = realised.loc[test_ids, "first_purchase"].to_numpy()
    repeat_model = predicted["expected_repeat_value"].to_numpy()
    repeat_base = predicted_base["expected_repeat_value"].to_numpy()
    metrics = _metrics(
        {"covariate model": repeat_model, "no-covariate baseline": repeat_base}, actual
    )
    metrics_total = _metrics(
        {"covariate model": first + repeat_model, "no-covariate baseline": first + repeat_base},
        first + actual,
    )
    table = pd.DataFrame(
        {
            "first_purchase": first,
            "predicted_repeat_value": repeat_model,
            "baseline_repeat_value": repeat_base,
            "actual_repeat_value": actual,
            "segment": predicted["segment"].to_numpy(),
        },
        index=test_ids,
    )
    details = {
        "fit_customers": len(fit_ids),
        "evaluation_customers": len(test_ids),
        "horizon": float(horizon),
        "horizon_unit": horizon_unit,
        "seed": seed,
        "observation_end": str(np.datetime64(end_day, "D")),
    }
    return DayOneEvaluation(metrics, metrics_total, table, model, baseline, fit_ids, details)
