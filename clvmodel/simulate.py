"""Draw customers from known BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma parameters.

Used to check that fitting recovers the parameters it was given, and to make synthetic logs of any
size for benchmarks and demos. The draws follow the models' stories exactly. Every model gives each
customer a purchase rate λ ~ Gamma(r, α) and Poisson purchases while alive; they differ in dropout:

* BG/NBD (Fader, Hardie and Lee 2005): p ~ Beta(a, b); dropout with probability p right after each
  repeat purchase.
* MBG/NBD (Batislam, Denizel and Filiztekin 2007): the same coin also right after the first
  purchase (time 0).
* Pareto/NBD (Schmittlein, Morrison and Colombo 1987): μ ~ Gamma(s, β); an exponential lifetime
  with rate μ, in continuous time.

Each transaction's value ~ Gamma(p_spend, ν) with ν ~ Gamma(q, γ) per customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
import pandas as pd

from clvmodel._random import random_generator
from clvmodel._simulate_covariates import covariate_values, individual_params, spend_scale
from clvmodel._units import MAX_HORIZON_DAYS
from clvmodel.errors import InputError

__all__ = ["simulate_customers", "simulate_customers_with_covariates", "simulate_transactions"]
_MOST_PURCHASES = 1e15  # expected purchases of one customer (numpy's Poisson stops near 9e18)
_MOST_ROWS = 100_000_000  # customers, or rows of a log: about 1 GB a column, several while drawn


def _params(params: Mapping[str, float], names: tuple[str, ...], model: str, argument: str):
    """``names`` of ``params`` (the argument ``argument``), each a positive finite float."""
    if not isinstance(params, Mapping):
        raise InputError(f"{argument} must be a mapping of the {model} parameters, such as "
                         f"{dict.fromkeys(names, 1.0)}; got {params!r}.")  # fmt: skip
    values = []
    for name in names:
        try:
            values.append(np.nan if isinstance(params[name], bool) else float(params[name]))
        except KeyError:
            raise InputError(f"{argument} needs {list(names)}; {name!r} is missing.") from None
        except (TypeError, ValueError):
            values.append(np.nan)
        if not (np.isfinite(values[-1]) and values[-1] > 0):
            raise InputError(f"{argument}[{name!r}] must be a positive finite number (a {model} "
                             f"parameter), got {params[name]!r}.")  # fmt: skip
    return values


#: The purchase models that can be simulated, with the names of their parameters.
_MODELS = {
    "bgnbd": (("r", "alpha", "a", "b"), "BG/NBD"),
    "mbgnbd": (("r", "alpha", "a", "b"), "MBG/NBD"),
    "pnbd": (("r", "alpha", "s", "beta"), "Pareto/NBD"),
}


def _model_params(model, params):
    if model not in _MODELS:
        raise InputError(f"model must be one of {sorted(_MODELS)}, got {model!r}.")
    return _params(params, *_MODELS[model], "bg_params")


def _draw(rng, n, model, r, alpha, c, d, age):
    """(x, t_x) of n customers; (c, d) are (a, b) or (s, β); α, c, d may be arrays (covariates).

    The draws of BG/NBD are made in a fixed order (λ, p, dropout purchase, arrivals, t_x) that
    keeps simulations reproducible from one version to the next for the same seed.
    """
    rate = rng.gamma(r, 1.0 / alpha, n)
    with np.errstate(over="ignore", invalid="ignore"):
        most = np.max(rate * age, initial=0.0)
    if not most <= _MOST_PURCHASES:  # inf and nan too
        raise InputError(f"bg_params r and alpha give a customer {most:.3g} expected purchases "
                         f"(at most {_MOST_PURCHASES:.0e}; the rates are per unit of T): lower r "
                         "or raise alpha.")  # fmt: skip
    if model == "pnbd":
        # λ, μ, the lifetime, then Poisson purchases over the time alive within (0, T].
        death = rng.gamma(c, 1.0 / d, n)
        active = np.minimum(rng.exponential(1.0, n) / np.maximum(death, 1e-300), age)
        x = rng.poisson(rate * active)
        t_x = np.zeros(n)
        buyers = x > 0
        # Given x arrivals in (0, active], the last is the maximum of x uniforms.
        t_x[buyers] = active[buyers] * rng.beta(x[buyers], 1.0)
        return x, t_x
    dropout = rng.beta(c, d, n)
    # Purchase after which the customer drops out: repeat purchase 1, 2, ... in BG/NBD; in MBG/NBD
    # the first purchase (0) counts too.
    last_possible = rng.geometric(np.clip(dropout, 1e-300, 1.0))
    if model == "mbgnbd":
        last_possible = last_possible - 1
    arrivals = rng.poisson(rate * age)
    x = np.minimum(last_possible, arrivals)
    # Given N arrivals in (0, T], the x-th is the x-th order statistic of N uniforms.
    t_x = np.zeros(n)
    buyers = x > 0
    t_x[buyers] = age[buyers] * rng.beta(x[buyers], arrivals[buyers] - x[buyers] + 1)
    return x, t_x


def simulate_customers(
    n_customers: int,
    bg_params: Mapping[str, float],
    T=52.0,
    gg_params: Mapping[str, float] | None = None,
    seed=None,
    model: str = "bgnbd",
) -> pd.DataFrame:
    """Simulate an RFM table from known purchase-model (and optionally Gamma-Gamma) parameters.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    bg_params : mapping
        The parameters of the chosen ``model`` in the time unit of ``T`` (the name is kept from
        when only BG/NBD was simulated): ``r``, ``alpha``, ``a``, ``b`` for BG/NBD and MBG/NBD,
        ``r``, ``alpha``, ``s``, ``beta`` for Pareto/NBD.
    T : float or array_like
        Each customer's age at the end of observation: one value for all, or one per customer.
    gg_params : mapping, optional
        ``p``, ``q``, ``v``; adds ``monetary_value`` (mean spend of the repeat purchases).
    seed : int or numpy.random.Generator, optional
        For reproducible draws.
    model : {"bgnbd", "mbgnbd", "pnbd"}
        BG/NBD, MBG/NBD or Pareto/NBD (see the module docstring). BG/NBD draws are the same as
        before this option existed, for the same seed.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (and ``monetary_value``), one row per customer.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.simulate_customers(1000, dict(r=0.25, alpha=4.0, a=0.8, b=2.5), T=39, seed=1)
    >>> list(rfm.columns)
    ['frequency', 'recency', 'T']
    >>> pareto = dict(r=0.55, alpha=10.6, s=0.61, beta=11.7)
    >>> rfm = clv.simulate_customers(1000, pareto, T=39, seed=1, model="pnbd")
    """
    rng, age = random_generator(seed), _ages(T, _count(n_customers))
    x, t_x = _draw(rng, n_customers, model, *_model_params(model, bg_params), age)
    table = pd.DataFrame({"frequency": x.astype("int64"), "recency": t_x, "T": age})
    if gg_params is not None:
        table["monetary_value"] = _mean_spend(rng, x, gg_params)
    return table


def simulate_transactions(
    n_customers: int,
    bg_params: Mapping[str, float],
    gg_params: Mapping[str, float] | None = None,
    start: str = "2024-01-01",
    acquisition_days: int = 365,
    observation_days: int = 730,
    seed=None,
    model: str = "bgnbd",
) -> pd.DataFrame:
    """Simulate a transaction log (one row per customer and purchase day) with daily dates.

    Customers make their first purchase on a uniformly drawn day of the acquisition window and are
    observed until the start of day ``start + observation_days - 1`` (their T in days: from the
    first purchase to that day, as ``rfm_summary(..., observation_end=that day)`` counts it). A
    repeat purchase falls on the day before it at the latest; only a first purchase, with
    ``acquisition_days == observation_days``, on it. Model parameters are per day.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    bg_params : mapping
        The chosen ``model``'s parameters in days: ``r``, ``alpha``, ``a``, ``b`` (BG/NBD,
        MBG/NBD) or ``r``, ``alpha``, ``s``, ``beta`` (Pareto/NBD).
    gg_params : mapping, optional
        ``p``, ``q``, ``v``: draws the amounts (otherwise each purchase counts 1).
    start : date-like
        First day of the acquisition window.
    acquisition_days, observation_days : int
        Length of the acquisition window and of the whole observation period, in days:
        0 < ``acquisition_days`` ≤ ``observation_days`` ≤ 36,525 (100 years).
    seed : int or numpy.random.Generator, optional
        For reproducible draws.
    model : {"bgnbd", "mbgnbd", "pnbd"}
        The purchase model drawn from (see :func:`simulate_customers`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int64), ``date`` (datetime64) and ``amount`` (float), sorted by customer
        and date. Purchase times are continuous and shown as their day: a customer's purchases on
        one day make one row, their amounts added up (in cents, at least 0.01), as
        :func:`clvmodel.rfm_summary` would add them.
    """
    n_customers = _count(n_customers)
    acquisition_days, observation_days = _check_days(acquisition_days, observation_days)
    first_day, rng = _first_day(start, observation_days), random_generator(seed)
    first = rng.integers(0, acquisition_days, n_customers)
    age = (observation_days - 1 - first).astype("float64")
    x, t_x = _draw(rng, n_customers, model, *_model_params(model, bg_params), age)
    counts = x + 1
    if counts.sum() > _MOST_ROWS:
        raise InputError(f"bg_params give these customers {counts.sum():,} purchases, more than "
                         f"the {_MOST_ROWS:,} a log can hold in memory: give fewer n_customers, "
                         "shorter windows, or lower r or raise alpha.")  # fmt: skip
    customer = np.repeat(np.arange(n_customers, dtype="int64"), counts)
    # Repeat purchases: x - 1 uniform times before t_x, then t_x itself; the first purchase at 0.
    offsets = np.repeat(t_x, counts) * rng.random(customer.size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets[starts] = 0.0
    repeaters = x > 0  # their last purchase at t_x
    offsets[(starts + counts - 1)[repeaters]] = t_x[repeaters]
    day = np.repeat(first, counts) + np.floor(offsets).astype("int64")
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    if gg_params is None:
        amount = np.ones(customer.size)
    else:
        shape, q, v = _params(gg_params, ("p", "q", "v"), "Gamma-Gamma", "gg_params")
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            nu = rng.gamma(q, 1.0 / v, n_customers)
            amount = _finite_spend(rng.gamma(shape, 1.0 / nu[customer]))
    # One row per customer and day, its purchases added up (as rfm_summary adds them): rows on one
    # day with equal amounts would read as copies. Amounts in cents, at least one.
    first_of_day = np.flatnonzero(np.diff(customer, prepend=-1) | np.diff(day, prepend=-1))
    customer, day = customer[first_of_day], day[first_of_day]
    amount = np.maximum(np.round(np.add.reduceat(amount, first_of_day), 2), 0.01)
    dates = (first_day + day).astype("datetime64[ns]")
    return pd.DataFrame({"customer_id": customer, "date": dates, "amount": amount})


def _count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= _MOST_ROWS:
        raise InputError(f"n_customers must be a positive whole number, at most {_MOST_ROWS:,} "
                         f"(memory), got {n!r}; draw more in parts, other seeds.")  # fmt: skip
    return int(n)


def _finite_spend(spend: np.ndarray) -> np.ndarray:
    """Drawn spends, refused when some leave the floats (a Gamma-Gamma tail too heavy)."""
    if not np.all(np.isfinite(spend)):
        raise InputError("gg_params give some customers spends beyond floating point (ν ~ "
                         "Gamma(q, v) drew 0, or p, v huge): raise q, lower p or v.")  # fmt: skip
    return spend


def _ages(T, n: int, index: pd.Index | None = None) -> np.ndarray:
    """Each customer's T; a Series ``T`` by customer id when ``index`` gives the ids."""
    if isinstance(T, pd.Series) and index is not None and not T.index.equals(index):
        missing = index[~index.isin(T.index)]
        if not T.index.is_unique or len(missing):
            problem = (
                "its ids repeat"
                if not T.index.is_unique
                else f"it has no T for {len(missing)} customer(s), e.g. {list(missing[:3])}"
            )
            raise InputError(
                f"T is a Series by customer id, but {problem}; give one T per id of covariates' "
                "index, or the ages in covariates' row order (a list or array)."
            )
        T = T.reindex(index)
    try:
        age = np.broadcast_to(np.asarray(T, dtype="float64"), (n,)).copy()
        if np.all(np.isfinite(age)) and (age >= 0).all():
            return age
    except (TypeError, ValueError):
        pass
    raise InputError(f"T must be finite and ≥ 0 for every customer: one number, or {n} numbers.")


def _check_days(acquisition, observation) -> tuple[int, int]:
    """The windows in whole days: not empty, in order, at most 100 years (a timestamp's range)."""
    for name, days in {"acquisition_days": acquisition, "observation_days": observation}.items():
        if isinstance(days, bool) or not (isinstance(days, Real) and float(days).is_integer()):
            raise InputError(f"{name}={days!r} must be a whole number of days.")
        if not 0 < days <= MAX_HORIZON_DAYS:
            raise InputError(f"{name}={days!r} must be more than 0 days and at most 100 years "
                             f"({MAX_HORIZON_DAYS:,.0f} days).")  # fmt: skip
    if acquisition > observation:
        raise InputError(f"acquisition_days={acquisition!r} is longer than observation_days="
                         f"{observation!r}; the acquisition window lies inside the observation "
                         "period.")  # fmt: skip
    return int(acquisition), int(observation)


def _first_day(start, observation_days) -> np.datetime64:
    """``start`` as a day; the observation period must stay within 1677-09-22 to 2262-04-11."""
    try:  # a number is no date (pandas reads 20240101 as nanoseconds after 1970)
        first = pd.NaT if isinstance(start, int | float | np.number) else pd.Timestamp(start)
    except (TypeError, ValueError):
        first = pd.NaT
    if first is pd.NaT:
        raise InputError(f"start={start!r} is not a date; give one like '2024-01-01'.")
    if first.tz is not None:  # its day in UTC, as before
        first = first.tz_convert(None)
    low, high = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    if not low <= first <= high - pd.Timedelta(days=observation_days):
        raise InputError(f"start={start!r} with observation_days={observation_days!r} leaves the "
                         f"dates a timestamp holds, {low:%Y-%m-%d} to {high:%Y-%m-%d}; start "
                         "inside them.")  # fmt: skip
    return first.to_datetime64().astype("datetime64[D]")


def _mean_spend(rng, x, gg_params, z=None, columns=(), spend_coefficients=None) -> np.ndarray:
    """Mean spend of the x repeat purchases (0 without any): Gamma-Gamma, with ν ~ Gamma(q, v_i),
    v_i = v₀ exp(γᵀz_i) with covariates ``z`` (else v₀)."""
    p, q, v = _params(gg_params, ("p", "q", "v"), "Gamma-Gamma", "gg_params")
    if z is not None:
        v = spend_scale(v, z, columns, spend_coefficients)
    safe_x = np.maximum(x, 1)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        nu = rng.gamma(q, 1.0 / v, x.size)
        # The mean of x Gamma(p, ν) values is Gamma(p x, ν x).
        mean_spend = rng.gamma(p * safe_x, 1.0 / (nu * safe_x))
    return np.where(x > 0, _finite_spend(mean_spend), 0.0)


def simulate_customers_with_covariates(
    covariates: pd.DataFrame,
    bg_params: Mapping[str, float],
    T=52.0,
    purchase_coefficients: Mapping[str, float] | None = None,
    dropout_coefficients: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    spend_coefficients: Mapping[str, float] | None = None,
    seed=None,
    model: str = "bgnbd",
) -> pd.DataFrame:
    """Simulate an RFM table from a purchase model and Gamma-Gamma with time-invariant covariates.

    Customer i draws from the chosen model with its own parameters (the CLVTools form; Fader and
    Hardie 2007): for BG/NBD and MBG/NBD α_i = α₀ exp(−γ_purchaseᵀz_i),
    a_i = a₀ exp(γ_dropoutᵀz_i) and b_i = b₀ exp(γ_dropoutᵀz_i); for Pareto/NBD
    α_i = α₀ exp(−γ_purchaseᵀz_i) and β_i = β₀ exp(−γ_dropoutᵀz_i). Spend per transaction is
    Gamma(p, ν_i) with ν_i ~ Gamma(q, v_i), v_i = v₀ exp(γ_spendᵀz_i): the models of
    :class:`~clvmodel.BetaGeoCovariateModel` and :class:`~clvmodel.GammaGammaCovariateModel`.

    Parameters
    ----------
    covariates : pandas.DataFrame
        One row per customer, numeric columns; the output keeps its index and columns.
    bg_params : mapping
        Base parameters of the chosen ``model`` (at z = 0), in the time unit of ``T``:
        ``r``, ``alpha``, ``a``, ``b`` (BG/NBD, MBG/NBD) or ``r``, ``alpha``, ``s``, ``beta``
        (Pareto/NBD).
    T : float, array_like or pandas.Series
        Each customer's age at the end of observation: one value, or one per customer (a Series
        by the ids of ``covariates``' index, anything else in its row order).
    purchase_coefficients, dropout_coefficients, spend_coefficients : mapping, optional
        Coefficient per covariate column (columns not named get 0).
    gg_params : mapping, optional
        Base ``p``, ``q``, ``v``; adds ``monetary_value`` (mean spend of the repeat purchases).
    seed : int or numpy.random.Generator, optional
        For reproducible draws.
    model : {"bgnbd", "mbgnbd", "pnbd"}
        BG/NBD, MBG/NBD or Pareto/NBD; BG/NBD draws are unchanged by this option.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (and ``monetary_value``), then the covariate columns,
        indexed like ``covariates``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import clvmodel as clv
    >>> z = pd.DataFrame({"z": np.linspace(-1, 1, 5)})
    >>> rfm = clv.simulate_customers_with_covariates(
    ...     z, dict(r=0.5, alpha=5.0, a=0.8, b=2.5), purchase_coefficients={"z": 0.5}, seed=1)
    >>> list(rfm.columns)
    ['frequency', 'recency', 'T', 'z']
    """
    z, columns = covariate_values(covariates)
    rng, age, n = random_generator(seed), _ages(T, len(z), covariates.index), len(z)
    r, alpha_i, c_i, d_i = individual_params(
        model,
        _model_params(model, bg_params),
        z,
        columns,
        purchase_coefficients,
        dropout_coefficients,
    )
    x, t_x = _draw(rng, n, model, r, alpha_i, c_i, d_i, age)
    table = pd.DataFrame(
        {"frequency": x.astype("int64"), "recency": t_x, "T": age}, index=covariates.index
    )
    if gg_params is not None:
        table["monetary_value"] = _mean_spend(rng, x, gg_params, z, columns, spend_coefficients)
    elif spend_coefficients:
        raise InputError("spend_coefficients need gg_params (the base p, q, v).")
    for column in columns:
        table[column] = covariates[column].to_numpy()
    return table
