"""``clvmodel fit`` and ``clvmodel score``: batch work on files of any size, in bounded memory.

Importing this module registers both commands (:data:`clvmodel.cli.COMMANDS` names it for
them). The code lives in :mod:`~clvmodel.cli._batch_common` (reading a log),
:mod:`~clvmodel.cli._fit_command`, :mod:`~clvmodel.cli._score_command` and
:mod:`~clvmodel.cli._score_stream` (writing the scores); the old names stay reachable here.
:func:`score_customers` is looked up here while scoring, so patching it here takes effect.
"""

from __future__ import annotations

from clvmodel.cli._batch_common import amount_option as _amount_option
from clvmodel.cli._batch_common import connect_with_limit as _connect
from clvmodel.cli._batch_common import report_duplicates as _report_duplicates
from clvmodel.cli._batch_common import source_options as _source_options
from clvmodel.cli._batch_common import transaction_source as _transactions
from clvmodel.cli._fit_command import (
    _choose_by_holdout,
    _echo_choice,
    _number,
    _source_label,
    fit,
)
from clvmodel.cli._score_command import _is_log, _rejects_path, _rfm_spool, score
from clvmodel.cli._score_stream import scored_tables as _scored_tables
from clvmodel.cli._score_stream import stream_scores as _stream_scores
from clvmodel.cli._score_stream import stream_scores_to_postgres as _stream_scores_to_postgres
from clvmodel.scoring import score_customers

__all__ = [
    "_amount_option",
    "_choose_by_holdout",
    "_connect",
    "_echo_choice",
    "_is_log",
    "_number",
    "_rejects_path",
    "_report_duplicates",
    "_rfm_spool",
    "_scored_tables",
    "_source_label",
    "_source_options",
    "_stream_scores",
    "_stream_scores_to_postgres",
    "_transactions",
    "fit",
    "score",
    "score_customers",
]
