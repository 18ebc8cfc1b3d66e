"""Argument and table checks shared by the Day One modules (internal)."""

from __future__ import annotations

import datetime
import math
import re
import warnings

import numpy as np
import pandas as pd

from clvmodel._reading import TIME_SUFFIX, WHOLE_WITH_ZEROS
from clvmodel._reading_text import missing_text_mask, trimmed_text_list
from clvmodel._rfm_validate import readable
from clvmodel._units import PERIOD_DAYS, Duration, check_unit, parse_duration
from clvmodel.errors import InputError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models._covariates import covariate_names, parse_numbers
from clvmodel.models._persistence import finite_number

#: The processes signup attributes can act on.
PROCESSES = ("purchase", "dropout", "spend")
#: Columns of the RFM table the models are fitted on.
RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")
#: How many offending values an error message shows.
EXAMPLES = 5


def names(value, argument: str) -> list[str]:
    """Column names given as one name or a list; ``None`` means none."""
    return [] if value is None else covariate_names(value, argument)


def examples(values, *, quoted: bool = False) -> str:
    """The first few offending values, comma-separated as the rest of the library writes them
    (``-3, 2.5, 00004``: whole numbers without ``.0``, never numpy's ``np.float64(-3.0)``), with
    " ..." when there are more, for an error message; ``quoted`` puts text in quotes (``'tv'``),
    for categorical levels named beside a quoted baseline."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    shown = ", ".join(
        repr(value) if quoted and isinstance(value, str) else readable(value)
        for value in values[:EXAMPLES]
    )
    return shown + (" ..." if len(values) > EXAMPLES else "")


def check_frame(frame, what: str) -> pd.DataFrame:
    """A non-empty DataFrame with one row per customer."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{what} must be a pandas DataFrame indexed by customer id, got {type(frame).__name__}."
        )
    if len(frame) == 0:
        raise InputError(f"{what} is empty: there are no customers in it.")
    if frame.index.has_duplicates:
        repeated = frame.index[frame.index.duplicated()].unique()
        raise InputError(
            f"{what} lists {len(repeated)} customer id(s) more than once (for example "
            f"{examples(repeated)}); give one row per customer."
        )
    return frame


def require_columns(frame: pd.DataFrame, columns, what: str, *, fitting: bool = True) -> None:
    """Raise an :class:`~clvmodel.InputError` naming the columns ``frame`` lacks (or has more
    than once); ``fitting`` as in :func:`numeric_column`."""
    missing = [n for n in columns if n not in frame.columns]
    if missing:
        fix = (
            "Add the attribute, or fit the model without it."
            if fitting
            else "Add it: the model was fitted with it."
        )
        raise InputError(
            f"there is no column {', '.join(map(repr, missing))} in {what}; its columns are "
            f"{list(map(str, frame.columns))}. {fix}"
        )
    named = frame.columns[frame.columns.duplicated()]
    repeated = [n for n in dict.fromkeys(columns) if n in set(named)]
    if repeated:
        raise InputError(
            f"{what} have more than one column named {', '.join(map(repr, repeated))}; keep one "
            "column per attribute (rename or drop the others)."
        )


def numeric_column(
    frame: pd.DataFrame, name: str, what: str, *, fitting: bool = True
) -> np.ndarray:
    """A numeric attribute as finite floats (booleans count as 0/1).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table holding the attribute.
    name : str
        The attribute's column.
    what : str
        How messages name ``frame`` ("the signup attributes").
    fitting : bool
        Whether a model is being fitted, so that a message may suggest declaring the attribute
        categorical or adding a new attribute; a fitted model takes its attributes as they are.

    Returns
    -------
    numpy.ndarray
        The values as float64.
    """
    column = frame[name]
    missing = missing_text_mask(column)
    if missing.any():  # "NA" in text is missing, as it is when a CSV file is read
        column = column.mask(missing)
    converted, unparsed = parse_numbers(column)
    if unparsed.any():
        fix = (
            f"Fix them, or list {name!r} under categorical= if it is a category."
            if fitting
            else f"The model takes {name!r} as a number: fix them."
        )
        raise InputError(
            f"attribute {name!r} in {what} is not numeric: {int(unparsed.sum())} value(s) are not "
            f"numbers (for example {examples(column[unparsed])}). {fix}"
        )
    values = converted.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        fill = (
            "fill them (e.g. with the median, plus a 0/1 'was missing' attribute) or drop those "
            "customers."
            if fitting
            else "fill them or drop those customers."
        )
        raise InputError(
            f"attribute {name!r} in {what} has {int(bad.sum())} missing or infinite value(s) (for "
            f"customers {examples(frame.index[bad])}); {fill}"
        )
    return values


_WHOLE_TEXT = re.compile(WHOLE_WITH_ZEROS)
_MIDNIGHT_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00:00(\.0+)?")


def level_text(value, shown: str | None = None) -> str:
    """A categorical level as text, the same whatever the column's type and the other rows, by
    the rules of customer ids (:mod:`clvmodel._reading`): a whole number is written as an integer
    (``1``, ``1.0`` and the text ``"1.0"`` are all ``"1"``), text is trimmed of surrounding
    spaces; a date and time without time zone is written ``"1997-01-01"`` at midnight (as is the
    text ``"1997-01-01 00:00:00"``, the level of an older model fitted beside times of day), else
    ``"1997-01-01 12:00:00"``; anything else (booleans, fractions, dates with a time zone) is
    ``shown``, pandas' text of it, or else ``str(value)``."""
    if isinstance(value, str):
        text = value.strip(" ")
        if _MIDNIGHT_TEXT.fullmatch(text):
            return text[:10]
        return text[: text.index(".")] if _WHOLE_TEXT.fullmatch(text) else text
    if isinstance(value, datetime.datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None:
            return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    ):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
    return str(value) if shown is None else shown


def level_keys(levels: list[str]) -> list[str]:
    """The :func:`level_text` each stored level matches: itself for a model fitted since levels
    are normalised, ``"1"`` for the ``"1.0"`` of an older model fitted on floats; the levels as
    they are when two of them would become one."""
    keys = [level_text(level) for level in levels]
    return keys if len(set(keys)) == len(keys) else list(levels)


_DATE_TEXT = re.compile(r"\d{4}([-/.])\d{1,2}\1\d{1,2}|\d{1,2}([-/.])\d{1,2}\2\d{4}")
_TIME_OF_DAY = re.compile(TIME_SUFFIX)


def date_examples(column: pd.Series) -> list[str] | None:
    """A few distinct values of ``column`` (as :func:`level_text` writes them) when every value
    is a date: a datetime column, or dates written as text (``1997-01-31``, ``31/01/1997``, a
    time of day allowed); None when a value is not, or the column is empty.

    Parameters
    ----------
    column : pandas.Series
        An attribute.

    Returns
    -------
    list of str or None
    """
    uniques = pd.unique(column[~missing_text_mask(column)])
    if len(uniques) == 0:
        return None
    for value in uniques:
        if isinstance(value, str):
            if not _DATE_TEXT.fullmatch(_TIME_OF_DAY.sub("", value.strip())):
                return None
        elif not isinstance(value, datetime.date | np.datetime64):
            return None
    return [level_text(value) for value in uniques[:EXAMPLES]]


def categorical_column(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    """A categorical attribute as :func:`level_text` strings, with no missing value: a text that
    means missing (``NA``, ``N/A``, ``null``, ``None``, any case, spaces around it allowed:
    :data:`clvmodel._reading.MISSING_TEXTS`) is missing, as it is when a CSV file is read, not a
    level."""
    column = frame[name]
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    said = np.array([text is None for text in trimmed_text_list(uniques)], dtype=bool)
    missing = np.append(said, True)[codes]
    if missing.any():
        texts = [v for v, s in zip(uniques, said, strict=True) if s and str(v).strip(" ")]
        written = f", written {examples(texts, quoted=True)}" if texts else ""
        raise InputError(
            f"categorical attribute {name!r} in {what} has {int(missing.sum())} missing value(s) "
            f"(for customers {examples(frame.index[missing])}{written}); fill them with a level "
            "of their own, such as 'unknown' (NA, N/A, null and None mean missing, as in a CSV "
            "file)."
        )
    codes, uniques = pd.factorize(column)
    uniques = pd.Series(uniques)
    shown = uniques.astype(str).tolist()
    texts = [level_text(v, s) for v, s in zip(uniques.astype(object).tolist(), shown, strict=True)]
    return np.array(texts, dtype=object)[codes]


def check_positive(name: str, value) -> float:
    """A positive, finite number (not text or a boolean: True is a mistake, not 1)."""
    try:
        if isinstance(value, str | bytes) or type(value).__name__ in ("bool", "bool_"):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{name} must be positive and finite, got {value!r}.")
    return number


def check_period(unit) -> str:
    """A horizon unit of :data:`clvmodel._units.PERIOD_DAYS` ("D", "W", "M" or "Y")."""
    return check_unit(unit, "horizon_unit")


def check_horizon(horizon, horizon_unit, default: Duration, *, stacklevel: int) -> Duration:
    """The horizon as a :class:`~clvmodel._units.Duration`.

    ``horizon`` is a duration with its unit (``"13M"``, ``Duration(13, "M")``) or a bare number,
    read in the deprecated ``horizon_unit`` when given, else in ``default.unit``; ``None`` means
    ``default.value`` (in the same unit). ``stacklevel`` is the one the public caller would pass to
    :func:`warnings.warn`, so that the deprecation warning points at the user's line.
    """
    if horizon is None:
        horizon = default.value
    carries_unit = isinstance(horizon, Duration) or (
        isinstance(horizon, str) and horizon.strip()[-1:].upper() in PERIOD_DAYS
    )
    if horizon_unit is not None:
        unit = check_period(horizon_unit)
        if carries_unit:
            raise InputError(
                f"horizon={horizon!r} already carries its unit; drop horizon_unit={horizon_unit!r}."
            )
        shown = f"{horizon:g}" if finite_number(horizon) else str(horizon)
        warnings.warn(
            f"horizon_unit= is deprecated for the value period; pass horizon='{shown}{unit}' (a "
            "duration with its unit) instead of horizon_unit=.",
            DeprecationWarning,
            stacklevel=stacklevel + 1,
        )
    else:
        unit = default.unit
    if isinstance(horizon, Duration):
        horizon = Duration(check_positive("horizon", horizon.value), horizon.unit)
    elif not carries_unit and not isinstance(horizon, str):
        horizon = check_positive("horizon", horizon)
    return parse_duration(horizon, name="horizon", default_unit=unit)


def check_purchase_model(name) -> str:
    """A key of :data:`clvmodel.models.PURCHASE_MODELS`."""
    if name not in PURCHASE_MODELS:
        raise InputError(
            f"purchase_model={name!r} is not known; choose from {sorted(PURCHASE_MODELS)}."
        )
    return name


def check_column_name(argument: str, value) -> str | None:
    """A non-empty column name, or ``None``."""
    if value is not None and (not isinstance(value, str) or not value):
        raise InputError(f"{argument} must be a column name, got {value!r}.")
    return value


def check_processes(covariates_on) -> tuple[str, ...]:
    """The processes attributes act on, in the order of :data:`PROCESSES`."""
    covariates_on = names(covariates_on, "covariates_on")
    unknown = sorted(set(covariates_on) - set(PROCESSES))
    if unknown:
        raise InputError(f"covariates_on= has {unknown}; choose from {list(PROCESSES)}.")
    return tuple(p for p in PROCESSES if p in covariates_on)


def check_band(segment_band) -> float:
    """A segment band strictly between 0 and 1."""
    band = check_positive("segment_band", segment_band)
    if band >= 1:
        raise InputError(f"segment_band must be between 0 and 1, got {segment_band!r}.")
    return band


def check_effects(attributes, covariates_on) -> None:
    """Refuse attributes that act on no process: such a model gives every signup one value."""
    if len(attributes) and not len(covariates_on):
        raise InputError(
            f"covariates_on= is empty, so the attributes {list(attributes)} would act on no "
            f"process and every signup would get the same value; choose from {list(PROCESSES)}, "
            "or fit without attributes."
        )


def covariates_by_process(columns: list[str], covariates_on) -> dict[str, list[str]]:
    """The covariates of each process: all ``columns`` for those in ``covariates_on``, else none.

    Raises
    ------
    InputError
        There are ``columns`` but ``covariates_on`` is empty (see :func:`check_effects`).
    """
    check_effects(columns, covariates_on)
    return {process: columns if process in covariates_on else [] for process in PROCESSES}
