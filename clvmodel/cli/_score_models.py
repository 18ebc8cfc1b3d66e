"""MODEL of ``clvmodel score`` (and ``plan``), checked before any work: a models file that
holds purchase models with a time unit and no covariates, able to give --interval."""

from __future__ import annotations

from dataclasses import replace

import clvmodel as clv
from clvmodel.cli import _guard
from clvmodel.errors import InputError
from clvmodel.models._interval_draws import COVARIANCE_PROBLEMS, covariance_problem
from clvmodel.models._persistence import describe_model_file
from clvmodel.models.bundle import foreign_file


def check_interval(interval) -> None:
    """Refuse an --interval that is not a level strictly between 0 and 1."""
    if interval is not None and not 0.0 < interval < 1.0:
        raise InputError(
            f"--interval {interval:g} is not a level strictly between 0 and 1; a 90 % interval "
            "is --interval 0.9."
        )


def check_model_file(model, command: str = "score") -> None:
    """Refuse, before any work, a MODEL that does not hold purchase models: another kind of
    clvmodel file (naming the command that takes it), or a file clvmodel did not write.

    Parameters
    ----------
    model : str
    command : str
        The command given MODEL (``"score"``, ``"plan"``), named in the message.
    """
    takes = f"`clvmodel {command}` takes the models file that `clvmodel fit` writes"
    described = describe_model_file(model)  # (what the file holds, in words; its loader)
    if described is None and (foreign := foreign_file(model)) is not None:
        raise InputError(f"MODEL {model} is not a clvmodel model file: {foreign}; {takes}.")
    if described is not None and not described[0].startswith(("a bundle", "a purchase model")):
        raise InputError(
            f"MODEL {model} is {described[0]}, not purchase models: "
            f"{_guard.command_taking(described[0])}; {takes}."
        )


def load_bundle(model, interval, no_amount: bool = False):
    """MODEL's models, refused before any work if not purchase models, with no time unit, with
    covariates, or unable to give --interval.

    Parameters
    ----------
    model : str
        MODEL, as given.
    interval : float or None
        --interval.
    no_amount : bool
        --no-amount: the spend model and the naive formula are left out.

    Returns
    -------
    tuple of (ModelBundle, bool)
        The models, and whether --no-amount left out a spend model MODEL holds.
    """
    check_model_file(model)
    bundle = clv.load_models(model)
    if bundle.bg.time_unit_ is None:
        raise InputError(
            f"MODEL {model} does not record its time unit (weeks or days: the unit of recency "
            "and T it was fitted on), so INPUT cannot be scored with it; refit it with "
            f"`clvmodel fit TRANSACTIONS --time-unit W -o {model}` (or --time-unit D)."
        )
    spend_dropped = no_amount and bundle.gg is not None
    if spend_dropped:  # no amounts read: the spend model and the naive formula have no input
        bundle = replace(bundle, gg=None, naive=None)
    spend = () if bundle.gg is None else bundle.gg.spend_covariates
    for part, names in (("purchase", bundle.bg.purchase_covariates + bundle.bg.dropout_covariates),
                        ("spend", list(spend))):  # fmt: skip
        if names:
            raise InputError(f"MODEL {model} has a {part} model with covariates ({', '.join(names)}"
                             f"), not in INPUT: `clvmodel score` takes none; refit it with "
                             f"`clvmodel fit TRANSACTIONS -o {model}`.")  # fmt: skip
    for part, fitted in (("purchase model", bundle.bg), ("spend model", bundle.gg)):
        problem = None if interval is None or fitted is None else covariance_problem(fitted)
        if problem is not None:
            advice = {"missing": ", whose file stores the covariance"}.get(
                problem, " on more data, or with another --model"
            )
            raise InputError(
                f"--interval needs the uncertainty of the parameters, which MODEL {model} cannot "
                f"give: its {part} {COVARIANCE_PROBLEMS[problem]}. Refit it with `clvmodel fit`"
                f"{advice}, or leave --interval out."
            )
    return bundle, spend_dropped
