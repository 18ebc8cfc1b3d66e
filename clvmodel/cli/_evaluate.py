"""``clvmodel evaluate``: fit on a calibration period, check the predictions on the holdout."""

from __future__ import annotations

import json
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import click
import pandas as pd

import clvmodel as clv
from clvmodel._files import write_atomically, write_text_atomically
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel.cli import _guard, _output_paths, main
from clvmodel.cli._options import FRACTION_HELP, INTERVAL
from clvmodel.cli._score_models import check_interval
from clvmodel.evaluation.alignment import HOLDOUT_END_ADVICE, HOLDOUT_END_SOURCE
from clvmodel.io import write_table
from clvmodel.plotting import (
    plot_conditional_expectation,
    plot_coverage,
    plot_model_comparison,
    plot_period_transactions,
    plot_predicted_vs_actual,
    plot_reliability,
    plot_tracking,
)

# File name → how to draw it from the report.
_FIGURES = {
    "holdout_tracking_cumulative.png": lambda report, ax: plot_tracking(report, ax=ax),
    "holdout_tracking_incremental.png": lambda report, ax: plot_tracking(
        report, ax=ax, kind="incremental"
    ),
    "holdout_conditional_expectation.png": lambda report, ax: plot_conditional_expectation(
        report, ax=ax
    ),
    "holdout_predicted_vs_actual.png": lambda report, ax: plot_predicted_vs_actual(report, ax=ax),
    "holdout_period_transactions.png": lambda report, ax: plot_period_transactions(report, ax=ax),
    "holdout_reliability.png": lambda report, ax: plot_reliability(report, ax=ax),
}
_DEFAULT_AMOUNT = "amount"


_HOLDOUT_END_ADVICE = (
    "Give an --observation-end no later than the last transaction, or leave it out to end the "
    "holdout there."
)


def holdout_words(message: str) -> str:
    """A library message in the command line's words, where the holdout period ends on
    --observation-end (not on the calibration end plus a ``duration_holdout`` column)."""
    text = message.replace(HOLDOUT_END_SOURCE, "(--observation-end)")
    return _guard.cli_words(text.replace(HOLDOUT_END_ADVICE, _HOLDOUT_END_ADVICE))


@contextmanager
def warning_lines(words=holdout_words):
    """Show each warning raised while the block runs once, as a ``warning: ...`` line in
    ``words`` (also when the block fails: they come before its error line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", clv.ClvWarning)
        try:
            yield
        finally:
            shown = dict.fromkeys(words(str(warning.message)) for warning in caught)
            for text in shown:
                click.echo(f"warning: {text}", err=True)


def check_columns(table: pd.DataFrame, source: str, columns) -> None:
    """Refuse, before any work, a --customer-col, --date-col or --amount-col (``columns``, in
    that order; ``None`` skipped) that names no column of the input ``source``."""
    from clvmodel._column_advice import ROLE_OPTIONS, missing_columns_advice

    postgres = is_postgres_uri(source)
    if postgres:
        source = display(source)
    missing = {
        role: name
        for role, name in zip(ROLE_OPTIONS, columns, strict=True)
        if name is not None and name not in table.columns
    }
    if missing:
        named = ", ".join(f"{name!r} ({ROLE_OPTIONS[role]})" for role, name in missing.items())
        raise clv.InputError(
            f"TRANSACTIONS {source} has no column {named}; its columns are "
            f"{list(map(str, table.columns))}. "
            + missing_columns_advice(missing, list(map(str, table.columns)), postgres)
        )


def _save_figure(draw, report, path: Path) -> None:
    from matplotlib.figure import Figure  # Figure objects need no backend state (Agg-safe)

    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    draw(report, figure.add_subplot())
    write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))


def _model_names(models: str) -> list[str]:
    """The --models list, checked."""
    names = [part.strip().lower() for part in models.split(",") if part.strip()]
    known = sorted(clv.models.PURCHASE_MODELS)
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        what = f"unknown model(s) {unknown}" if unknown else "it names no model"
        raise clv.InputError(
            f"--models {models!r}: {what}; choose from {', '.join(known)} "
            "(comma-separated, e.g. --models bgnbd,mbgnbd,pnbd)."
        )
    if len(set(names)) != len(names):
        raise clv.InputError(f"--models {models!r} names a model twice.")
    return names


def _output_folder(folder: str) -> Path:
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise clv.InputError(f"output folder {folder!r} is a file; give a folder name with -o.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise clv.InputError(f"cannot create output folder {folder!r}: {exc.strerror}.") from None
    return path


@main.command()
@click.argument("transactions", type=click.Path(dir_okay=False))
@click.option(
    "--calibration-end",
    required=True,
    metavar="DATE",
    help="Last day of the calibration period (YYYY-MM-DD).",
)
@click.option(
    "--observation-end",
    default=None,
    metavar="DATE",
    help="Last day of the holdout period; default: the last transaction date.",
)
@click.option("--customer-col", default="customer_id", show_default=True)
@click.option("--date-col", default="date", show_default=True)
@click.option(
    "--amount-col",
    default=None,
    help=f"Amount column, for the Gamma-Gamma spend model; default: {_DEFAULT_AMOUNT!r} when the "
    "file has it (without one, only purchases are evaluated).",
)
@_guard.time_unit_option
@_guard.date_options
@_guard.database_input_options
@click.option(
    "--models",
    default="bgnbd",
    show_default=True,
    metavar="LIST",
    help="Purchase models to fit and rank by holdout error, comma-separated from bgnbd, mbgnbd, "
    "pnbd (e.g. bgnbd,mbgnbd,pnbd); the full report is for the best.",
)
@click.option(
    "--interval",
    type=INTERVAL,
    default=None,
    metavar="LEVEL",
    help="Also measure the coverage of prediction intervals of holdout purchases at this level, "
    f"{FRACTION_HELP} (a 90 % interval is 0.9): a table in the report and "
    "holdout_coverage.png.",
)
@click.option(
    "-o",
    "--output",
    "output",
    default="holdout_evaluation",
    show_default=True,
    type=click.Path(),
    help="Folder for the figures (PNG) and the report (JSON); created if missing.",
)
def evaluate(
    transactions,
    calibration_end,
    observation_end,
    customer_col,
    date_col,
    amount_col,
    date_format,
    drop_duplicates,
    time_unit,
    models,
    interval,
    output,
    table,
    query,
):
    """Fit BG/NBD (or the --models, ranked by holdout error) and Gamma-Gamma on the calibration
    period of TRANSACTIONS, predict the holdout, and compare with what happened, beside the naive
    formula.

    TRANSACTIONS is a CSV or Parquet file with one row per purchase, or a postgresql:// database
    with --table or --query. The report is printed and
    written as JSON into the output folder, with figures as PNG: tracking of cumulative and
    weekly repeat transactions, conditional expectations by calibration frequency, predicted vs
    actual, the period-transactions histogram and the reliability of churn scores.
    """
    check_interval(interval)
    from clvmodel.cli._no_database import refuse_database_outputs

    refuse_database_outputs({"-o/--output": output}, "evaluate")
    names = _model_names(models)
    _output_paths.refuse_overwrite(
        {
            "-o/--output": output,
            **{
                f"-o/--output (its {name})": Path(output) / name
                for name in _written_names(names, interval)
            },
        },
        {"TRANSACTIONS": transactions},
    )
    if Path(output).exists() and not Path(output).is_dir():  # before the work, not after it
        raise clv.InputError(f"output folder {output!r} is a file; give a folder name with -o.")
    table = _guard.read_input(transactions, table, query)
    if amount_col is None and _DEFAULT_AMOUNT in table.columns:
        amount_col = _DEFAULT_AMOUNT
    check_columns(table, transactions, (customer_col, date_col, amount_col))
    from clvmodel.cli._database_rows import database_row_words

    with database_row_words(transactions):  # bad rows of a table: no header to count after
        calibration, holdout = clv.calibration_holdout_split(
            table,
            calibration_end=calibration_end,
            observation_end=observation_end,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            time_unit=time_unit,
            date_format=date_format,
            drop_duplicates=drop_duplicates,
        )
        _guard.check_fittable(
            len(calibration), int((calibration["frequency"] > 0).sum()), "--calibration-end"
        )
        bg, model_key, comparison = _purchase_model(names, calibration, holdout)
        interval = _coverage_level(interval, bg)
        gg = _spend_model(calibration) if amount_col is not None else None
        with warning_lines():  # the holdout ends on --observation-end, not on a duration_holdout
            report = clv.evaluate_holdout(bg, calibration, holdout, gg, transactions=table,
                                          customer_col=customer_col, date_col=date_col,
                                          date_format=date_format, interval=interval)  # fmt: skip
    click.echo(str(report))
    folder = _output_folder(output)
    report.customers.index.name = report.customers.index.name or customer_col
    written = _write_outputs(folder, report, bg, model_key, gg, comparison)
    click.echo(f"\nwrote {len(written)} files to {folder}: {', '.join(written)}")
    _warn_of_stale_files(folder, written)


def _warn_of_stale_files(folder: Path, written: list[str]) -> None:
    """Name the files of an earlier run with other options (``pnbd.json`` after ``--models
    bgnbd,pnbd``) that this run did not rewrite: they do not belong to its report."""
    every = _written_names(list(clv.models.PURCHASE_MODELS), 0.9)
    stale = [n for n in every if n not in written and (folder / n).exists()]
    if stale:
        click.echo(
            f"warning: {', '.join(stale)} in {folder} are left from an earlier run and do not "
            "belong to this report; remove them, or write each run to a new folder.",
            err=True,
        )


def _written_names(names, interval) -> list[str]:
    """The files evaluate writes into its folder (checked against the input before any work)."""
    written_names = [*_FIGURES, "holdout_report.json", "holdout_customers.csv"]
    if interval is not None:
        written_names.append("holdout_coverage.png")
    written_names += [f"{name}.json" for name in names] + ["gamma_gamma.json"]
    if len(names) > 1:
        written_names += ["model_comparison.csv", "model_comparison.png"]
    return written_names


def _purchase_model(names, calibration, holdout):
    """The purchase model fitted on the calibration period (the best of several by holdout
    error, the comparison printed), its key and the comparison (None for one model)."""
    if len(names) == 1:
        bg = _guard.fitted(clv.models.PURCHASE_MODELS[names[0]]().fit, calibration)
        return bg, names[0], None
    comparison = clv.compare_models(calibration, holdout, models=names)
    click.echo(str(comparison) + "\n")
    labels = {clv.models.PURCHASE_MODELS[n].label: n for n in names}
    return comparison.best, labels[comparison.table["model"][0]], comparison


def _coverage_level(interval, bg):
    """--interval, or None (with a warning line) when the fitted purchase model cannot give the
    uncertainty of its parameters: the rest of the evaluation stands without the coverage."""
    from clvmodel.models._interval_draws import COVARIANCE_PROBLEMS, covariance_problem

    problem = None if interval is None else covariance_problem(bg)
    if problem is None:
        return interval
    click.echo(
        f"warning: --interval {interval:g}: the coverage of prediction intervals is not "
        f"measured: the fitted {bg.label} {COVARIANCE_PROBLEMS[problem]}, so its intervals "
        "cannot be drawn (fit it on more data, or choose other --models).",
        err=True,
    )
    return None


def _spend_model(calibration):
    try:
        return _guard.fitted(clv.GammaGammaModel().fit, calibration)
    except clv.ClvError as exc:
        # evaluate has no --no-amount: without a spend model it evaluates the purchases alone,
        # so advice to fit without amounts goes.
        sentences = re.split(r"(?<=[.!?])\s+", _guard.cli_words(str(exc)))
        reason = " ".join(s for s in sentences if "--no-amount" not in s)
        click.echo(
            "warning: no spend model, so spend and value are not evaluated (purchases are): "
            f"{reason}",
            err=True,
        )
        return None


def _write_outputs(folder, report, bg, model_key, gg, comparison) -> list[str]:
    """Figures, the JSON report, per-customer table and models; the names written."""
    written = []
    for name, draw in _FIGURES.items():
        _save_figure(draw, report, folder / name)
        written.append(name)
    if report.coverage is not None:
        _save_figure(lambda r, ax: plot_coverage(r, ax=ax), report, folder / "holdout_coverage.png")
        written.append("holdout_coverage.png")
    document = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    write_text_atomically(folder / "holdout_report.json", document)
    write_table(report.customers, folder / "holdout_customers.csv", index=True)
    bg.save(folder / f"{model_key}.json")
    written += ["holdout_report.json", "holdout_customers.csv", f"{model_key}.json"]
    if comparison is not None:
        write_table(comparison.table, folder / "model_comparison.csv", index=False)
        _save_figure(
            lambda c, ax: plot_model_comparison(c, ax=ax),
            comparison,
            folder / "model_comparison.png",
        )
        written += ["model_comparison.csv", "model_comparison.png"]
    if gg is not None:
        gg.save(folder / "gamma_gamma.json")
        written.append("gamma_gamma.json")
    return written
