"""What ``clvmodel score`` adds to its report: the notes after the counts (an RFM table's time
unit taken to be the model's, the value columns left empty) and, on stderr, an observation end
other than the one MODEL was fitted to."""

from __future__ import annotations

import click

from clvmodel.cli._plan_inputs import assumed_unit_note
from clvmodel.models._persistence import describe_model_file


def observation_end_note(model, bundle, end) -> str | None:
    """The note when a log is scored to another observation end than MODEL records, else None.

    Without --observation-end ``score`` measures T to the last purchase date in INPUT; a model
    fitted with --observation-end (or on a log that ended on another day) records its own end,
    which the user may mean instead.

    Parameters
    ----------
    model : str
        MODEL, as given.
    bundle : ModelBundle
        Its models; ``metadata["observation_end"]`` (``YYYY-MM-DD``, written by `clvmodel fit`)
        is the end it was fitted to, when recorded.
    end : datetime-like
        The observation end the scores use (the last purchase date in INPUT).

    Returns
    -------
    str or None
        One line naming both dates and --observation-end; None when MODEL records no end, or
        the same one. When INPUT goes on after MODEL's end (a newer log), the line says that
        the scores are as of INPUT's end, and that --observation-end leaves the later purchases
        out: it is not the fix for a newer log.
    """
    recorded = (getattr(bundle, "metadata", None) or {}).get("observation_end")
    used = f"{end:%Y-%m-%d}"
    if not recorded or str(recorded)[:10] == used:
        return None
    recorded = str(recorded)[:10]
    if recorded < used:  # ISO dates: in date order
        return (
            f"note: T is measured to {used}, the last purchase date in INPUT, after the "
            f"observation end {recorded} MODEL {model} was fitted to: the scores are as of "
            f"{used}. To score the customers as they were on {recorded}, pass --observation-end "
            f"{recorded} (the purchases after it are then left out)."
        )
    return (
        f"note: T is measured to {used}, the last purchase date in INPUT, but MODEL {model} was "
        f"fitted to the observation end {recorded}; pass --observation-end {recorded} to "
        "measure T to that date instead."
    )


def score_notes(model, bundle, unit: str, unit_assumed: bool, spend_dropped: bool) -> None:
    """Print the notes that follow the counts of `clvmodel score`.

    Parameters
    ----------
    model : str
        MODEL, as given.
    bundle : ModelBundle
        Its models as used (without the spend model with --no-amount).
    unit : str
        The model's time unit.
    unit_assumed : bool
        Whether an RFM table's recency and T were taken to be in ``unit``.
    spend_dropped : bool
        Whether --no-amount left out the spend model of MODEL.
    """
    if unit_assumed:
        click.echo(assumed_unit_note(unit))
    if bundle.gg is None:
        why = f"{model} has no spend model (fitted without amounts)"
        if spend_dropped:
            why = f"the spend model of {model} is not used because of --no-amount"
        elif (describe_model_file(model) or ("",))[0].startswith("a purchase model"):
            why = f"{model} is one purchase model (no spend model): scoring purchases only"
        click.echo(
            f"note: {why}, so monetary_value, expected_spend, predicted_clv and naive_clv are "
            "empty."
        )
