"""``clv.rfm_from_file`` on a file without one of the named columns gives ``rfm_summary``'s
message, with its hint for a log without amounts (amount_col=None); before, it gave
``read_table``'s generic "has no column 'amount'; its columns are ..." without the hint."""

from __future__ import annotations

import pytest

import clvmodel as clv
from clvmodel.errors import InputError


@pytest.fixture
def log():
    return clv.datasets.load_cdnow_sample()[["customer_id", "date"]].head(200)


def _summary_advice(frame, **columns) -> str:
    """rfm_summary's advice for the missing column (after its list of the columns)."""
    with pytest.raises(InputError) as caught:
        clv.rfm_summary(frame, **columns)
    message = str(caught.value)
    return message[message.index(" Name the right ones") :]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_log_without_amounts_gets_rfm_summarys_hint(tmp_path, log, suffix):
    path = tmp_path / f"log.{suffix}"
    log.to_csv(path, index=False) if suffix == "csv" else log.to_parquet(path)
    with pytest.raises(InputError) as caught:
        clv.rfm_from_file(path)
    message = str(caught.value)
    assert message == (
        f"{str(path)!r} has no column 'amount'; its columns are ['customer_id', 'date']."
        + _summary_advice(log)
    )
    assert "amount_col=None for a log without amounts" in message
    # The hint's advice works.
    assert len(clv.rfm_from_file(path, amount_col=None)) == log["customer_id"].nunique()


def test_another_missing_column_gets_rfm_summarys_words_without_the_amounts_hint(tmp_path, log):
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        clv.rfm_from_file(path, customer_col="client", amount_col=None)
    message = str(caught.value)
    assert message.endswith(_summary_advice(log, customer_col="client", amount_col=None))
    assert "'client'" in message and "amount_col=None for" not in message


def test_a_missing_file_is_still_read_tables_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        clv.rfm_from_file(tmp_path / "none.csv")
