"""Checks every command shares: messages in the command line's words, interruptions and models
that cannot be fitted (outputs that would destroy an input: ``_output_paths``; rates and
durations: ``_options``)."""

from __future__ import annotations

import re
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from clvmodel._postgres_connect import mask_password
from clvmodel.cli._option_words import reading_messages_in_cli_words
from clvmodel.errors import ClvError, ConvergenceError, InputError, OutsideRangeWarning

# ----------------------------------------------------------------------------------------------
# Options for reading a transaction log with pandas (evaluate, plan, dayone-fit)

DATE_FORMAT_HELP = (
    "strftime pattern of text dates, e.g. %d/%m/%Y or %Y%m%d; needed when day and month could be "
    "swapped (default: unambiguous dates such as 1997-01-31)."
)
DROP_DUPLICATES_HELP = (
    "Drop rows that repeat another row exactly (same customer, date and amount) instead of "
    "counting them as separate purchases."
)


def date_options(function):
    """Add --date-format and --drop-duplicates to a command."""
    import click

    function = click.option(
        "--drop-duplicates", is_flag=True, default=False, help=DROP_DUPLICATES_HELP
    )(function)
    return click.option("--date-format", default=None, help=DATE_FORMAT_HELP)(function)


def time_unit_option(function):
    """Add --time-unit (the model's time unit for a transaction log: W or D) to a command."""
    import click

    return click.option(
        "--time-unit",
        type=click.Choice(["W", "D"]),
        default="W",
        show_default=True,
        help="Model time unit: weeks (as in the papers) or days.",
    )(function)


def database_input_options(function):
    """Add --table and --query (reading a postgresql:// input) to a command."""
    import click

    function = click.option(
        "--query",
        default=None,
        help="With a postgresql:// input: a SELECT query to read instead of --table.",
    )(function)
    return click.option(
        "--table",
        default=None,
        help="With a postgresql:// input (postgresql://user@host:5432/db; password from "
        "PGPASSWORD or ~/.pgpass): the table to read, schema.table allowed.",
    )(function)


def database_output_options(function):
    """Add --output-table and --if-exists (writing to -o postgresql://...) to a command."""
    import click

    function = click.option(
        "--if-exists",
        type=click.Choice(["fail", "replace", "append"]),
        default="fail",
        show_default=True,
        help="With -o postgresql://...: when the table exists, stop before any work, swap in "
        "the new table in one transaction, or add the rows.",
    )(function)
    return click.option(
        "--output-table",
        default=None,
        help="With -o postgresql://...: the table to write (schema.table allowed).",
    )(function)


def read_input(path, table: str | None, query: str | None):
    """A whole table from a file, or from a PostgreSQL table or query."""
    from clvmodel._postgres_connect import is_postgres_uri
    from clvmodel.io import read_table

    if is_postgres_uri(path):
        return read_table(path, table=table, query=query)
    if table is not None or query is not None:
        raise InputError(
            f"--table and --query read from a postgresql:// database, not from {path!r}."
        )
    return read_table(path)


# ----------------------------------------------------------------------------------------------
# Messages in the command line's words

#: Python keyword arguments that the command line spells as options.
KEYWORD_FLAGS = {
    "customer_col": "--customer-col",
    "date_col": "--date-col",
    "amount_col": "--amount-col",
    "date_format": "--date-format",
    "drop_duplicates": "--drop-duplicates",
    "observation_end": "--observation-end",
    "calibration_end": "--calibration-end",
    "time_unit": "--time-unit",
    "horizon": "--horizon",
    "horizon_unit": "--horizon-unit",
    "clv_horizon": "--clv-horizon",
    "discount_rate": "--discount-rate",
    "margin": "--margin",
    "stage_wait": "--stage-wait",
    "start": "--start",
    "thresholds": "--thresholds",
    "quantiles": "--quantiles",
    "first_purchase_col": "--first-purchase-col",
    "covariates_on": "--covariates-on",
    "segment_band": "--segment-band",
    "unknown": "--unknown",
    "log": "--log",
    "categorical": "--categorical",
    "baselines": "--baseline",
}
_KEYWORD = re.compile(
    r"\b(" + "|".join(KEYWORD_FLAGS) + r")="
    r"('[^']*'|\"[^\"]*\"|True\b|None\b|[-+]?\.?\d[-+0-9.eE]*(?![\w(]))?"
)
# Bare names with an underscore are Python's ("a later observation_end"); plain words are not.
_BARE_NAME = re.compile(
    r"(?<![\w'\"-])(" + "|".join(name for name in KEYWORD_FLAGS if "_" in name) + r")(?![\w'\"])"
)
# Python-only ways out (on_invalid=, or the Python function that lists the rows), and code
# examples in parentheses, have no place on the command line.
_ON_INVALID = re.compile(
    r"\s*(?:Or pass on_invalid=(?:[^()]|\([^()]*\))*?\."
    r"|clvmodel\.rfm\.transaction_rejects lists every such row, to fix or drop first\.)(?=\s|$)"
)
_REJECTS_HINT = " `clvmodel fit` and `clvmodel score` leave such rows out and list them."
_CODE_ASIDE = re.compile(r"\s*\((?:e\.g\.\s*)?(?:df|pd|pandas)\b(?:[^()]|\([^()]*\))*\)")
_KEEP_QUOTES = re.compile(r"[\s'\"$`\\!*?;&|<>()#~]"), re.compile(r"\s*(?:\([^()]*\)\s*)?or '")
_DATE_HINT = "; give the format with --date-format, e.g. --date-format %d/%m/%Y or %Y%m%d"
_UNIT_HINT = "; refit it with `clvmodel fit TRANSACTIONS --time-unit W -o MODEL` (or --time-unit D)"
#: The command that takes each kind of model file, by the words that name the kind; _LOADER finds
#: "'m.json' holds a Day One model[, not ...]; load it with clvmodel.DayOneModel.load(path)".
MODEL_COMMANDS = {
    "a bundle of models": "`clvmodel score` (or `clvmodel plan`)",
    "a purchase model": "`clvmodel score` (or `clvmodel plan`)",
    "a Day One model": "`clvmodel dayone`",
    "a subscription model": "`clvmodel subscriptions score` (or `clvmodel subscriptions plan`)",
    "a spend model": "`clvmodel plan --spend-model`",
}
_LOADER = re.compile(r"holds (an? [^;]*?)((?:, not [^;]*)?); load it with clvmodel\.[\w.]+\(path\)")
_ZONE_HINT = "; write the dates in one time zone (UTC, say) in the file"
_FILE_CONTENTS = re.compile(r" is not a valid [\w ]*file: ")


def cli_words(message: str) -> str:
    """``message`` in the command line's words (options, quoted where a shell needs), one line."""
    if _FILE_CONTENTS.search(message):  # a model file's contents, not options never passed
        return " ".join(mask_password(message).split())

    def option(match: re.Match) -> str:
        flag = KEYWORD_FLAGS[match.group(1)]
        value = match.group(2)
        if not value or value == "True":  # a switch: --drop-duplicates
            return flag
        if value == "None":
            return "--no-amount" if flag == "--amount-col" else f"no {flag}"
        bare = value.strip(chr(39) + chr(34))
        keep = _KEEP_QUOTES[0].search(bare) or _KEEP_QUOTES[1].match(match.string, match.end())
        return f"{flag} {value if keep and bare != value else bare}"

    text = _ON_INVALID.sub(_REJECTS_HINT, reading_messages_in_cli_words(mask_password(message)))
    text = _LOADER.sub(lambda m: f"holds {m[1]}{m[2]}; {command_taking(m[1])}", text)
    text = _KEYWORD.sub(option, text)
    text = _BARE_NAME.sub(lambda match: KEYWORD_FLAGS[match.group(1)], text)
    text = _CODE_ASIDE.sub("", text)
    markers = [text.find(m) for m in ("pd.", "pandas.", "df[", "model.fit(") if m in text]
    if markers:  # keep the diagnosis, replace the Python recipe by what to do instead
        recipe = min(markers)
        cut = max(text.rfind(";", 0, recipe), text.rfind(": ", 0, recipe))
        if cut < 0:
            cut = text.replace("e.g. ", "e.g._").rfind(". ", 0, recipe)
        kept = text[:cut] if cut > 0 else text[:recipe]
        text = kept.rstrip(" .;:,") + _hint(kept) + "."
    return " ".join(text.split())


def command_taking(words: str) -> str:
    """The command that takes a model file of the kind ``words`` name (as ``describe_document``
    gives them: "a Day One model"), as "`clvmodel dayone` takes it"."""
    command = next((c for kind, c in MODEL_COMMANDS.items() if words.startswith(kind)), None)
    return f"{command} takes it" if command else "no clvmodel command takes it"


def _hint(diagnosis: str) -> str:
    if "time zone" in diagnosis or "offset" in diagnosis:
        return _ZONE_HINT
    if "comma" in diagnosis or "thousands" in diagnosis:
        return "; replace the commas in the file (29,33 becomes 29.33)"
    if "date" in diagnosis:
        return _DATE_HINT
    return _UNIT_HINT if "time unit" in diagnosis else ""


_PURCHASE_ADVICE = (
    "Check that the log has many customers, some with repeat purchases (`clvmodel score` lists "
    "the rows left out), or try the other --time-unit."
)
_SUBSCRIBER_ADVICE = (
    "Check that the table has many subscribers, some who renewed and some who cancelled (the "
    "rejects file lists the rows left out), or try another --billing-period."
)
_SPEND_ADVICE = (
    "Check the amounts (--amount-col): a few absurd values, or a unit gone wrong, can keep the "
    "spend model from settling; --no-amount fits purchases alone."
)


def convergence_message(exc: ConvergenceError) -> str:
    """A :class:`ConvergenceError` as one line of advice a command-line user can follow."""
    first = str(exc).split("Things to try")[0].strip().rstrip(".")
    if first.startswith(("ShiftedBetaGeoModel", "BetaDiscreteWeibullModel")):
        advice = _SUBSCRIBER_ADVICE
    elif first.startswith("GammaGammaModel"):
        advice = _SPEND_ADVICE
    else:
        advice = _PURCHASE_ADVICE
    return f"cannot fit: {first}. {advice}"


def check_fittable(customers: int, repeat_buyers: int, end_option="--observation-end") -> None:
    """Refuse, with the reason, data from which no purchase model can be estimated
    (``end_option`` is the option that ends the fitting period)."""
    if customers < 2:
        raise InputError(
            f"cannot fit: the log has {customers} customer(s) with a usable purchase; the models "
            "describe how customers differ, which takes many customers (hundreds at least)."
        )
    if repeat_buyers == 0:
        raise InputError(
            f"cannot fit: none of the {customers:,} customers bought again after their first "
            "purchase day, so the log says nothing about the repeat-purchase rate; use a longer "
            f"period (a later {end_option}) or a log with repeat purchases."
        )


def fitted(fit, *args, **kwargs):
    """``fit(*args, **kwargs)`` with its warnings shown as ``warning: ...`` lines and a numerical
    failure of the optimiser on degenerate data reported as "cannot fit" (not a crash)."""
    import click

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit(*args, **kwargs)
        except ClvError:
            raise
        except (ArithmeticError, ValueError) as exc:
            raise InputError(
                f"cannot fit: the optimiser failed on these data ({type(exc).__name__}: {exc}); "
                "the log probably has too few customers or too little variety in their "
                "purchases (check the rows left out with `clvmodel score`)."
            ) from None
    for warning in caught:
        click.echo(f"warning: {cli_words(str(warning.message))}", err=True)
    return result


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show every warning raised while the block runs as one ``warning: ...`` line on stderr, in
    the command line's words (no file name, line number or source line), each line once: a
    command that predicts twice from the same table (`subscriptions plan`) says it once. Covariates
    far outside their fitted range are added up over a batch job's batches and said at the end,
    one line per covariate."""
    import click

    shown: set[str] = set()
    outside: dict[tuple, list] = {}  # covariates far outside their range, summed over batches

    def show(message, category, filename, lineno, file=None, line=None):
        text = f"warning: {cli_words(str(message))}"
        if text in shown:  # the same rows predicted again
            return
        shown.add(text)
        if isinstance(message, OutsideRangeWarning) and message.name:
            key = (message.name, message.low, message.high, message.who)
            far, total, examples = outside.setdefault(key, [0, 0, []])
            outside[key] = [
                far + message.far,
                total + message.total,
                examples + [*message.examples],
            ]
        else:
            click.echo(text, err=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
    if outside:  # after a command that finished: one line per covariate
        from clvmodel.models._covariate_ranges import far_outside_message

        for (name, low, high, who), (far, total, examples) in outside.items():
            message = far_outside_message(name, far, total, examples, low, high, who)
            click.echo(f"warning: {cli_words(message)}", err=True)


# ----------------------------------------------------------------------------------------------
# Interruptions


class Interrupted(KeyboardInterrupt):
    """Raised by the signal handlers so that every ``finally`` runs (temporary files removed)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _SignalState:
    signum: int | None = None


@contextmanager
def interruptible() -> Iterator[_SignalState]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while the block runs.

    Only the first signal raises: a second one during the clean-up must not cut it short. The
    state records the signal, so a library error raised because of it (DuckDB reports an
    interrupted query as its own error) can still be told apart.
    """
    state = _SignalState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        if state.signum is None:
            state.signum = signum
            raise Interrupted(signum)

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup and `&` stay in force
            previous[signum] = signal.signal(signum, handler)
    try:
        yield state
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def interrupted_message(signum: int) -> str:
    """The one line printed when a command stops on a signal."""
    name = signal.Signals(signum).name
    return (
        f"error: interrupted by {name}; temporary files were removed and outputs not yet "
        "complete were not written (the previous files are unchanged)."
    )
