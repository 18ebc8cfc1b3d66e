"""The CDNOW data set, bundled with the package.

CDNOW is the online music store whose customers Fader, Hardie and Lee used to introduce the BG/NBD
and Gamma-Gamma models: 23,570 customers who made their first purchase in the first quarter of 1997,
followed until the end of June 1998.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. Journal of Marketing Research 42(4), 415-430.

The files are distributed by Bruce Hardie (brucehardie.com) with these papers.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_cdnow", "load_cdnow_sample"]

_COLUMNS = ["customer_id", "date", "quantity", "amount"]


def _read(name: str, names: list[str], header: int | None) -> pd.DataFrame:
    with resources.files("clvmodel").joinpath("data", name).open("r", encoding="ascii") as handle:
        frame = pd.read_csv(
            handle, sep=r"\s+", header=header, names=names, dtype={"customer_id": str, "date": str}
        )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    frame["quantity"] = frame["quantity"].astype("int64")
    frame["amount"] = frame["amount"].astype("float64")
    return frame[_COLUMNS].copy()


def load_cdnow() -> pd.DataFrame:
    """Load the full CDNOW transaction log (23,570 customers, 69,659 transactions).

    Returns
    -------
    pandas.DataFrame
        One row per transaction with columns ``customer_id`` (str), ``date`` (datetime64),
        ``quantity`` (number of CDs, int) and ``amount`` (dollars, float).

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow()
    >>> tx["customer_id"].nunique()
    23570
    """
    return _read("CDNOW_master.txt", _COLUMNS, header=0)


def load_cdnow_sample() -> pd.DataFrame:
    """Load the 1/10 CDNOW sample used in the BG/NBD and Gamma-Gamma papers (2,357 customers).

    Returns
    -------
    pandas.DataFrame
        One row per transaction (6,919 rows) with columns ``customer_id``, ``date``, ``quantity``
        and ``amount``, as in :func:`load_cdnow`.

    Examples
    --------
    >>> import clvmodel as clv
    >>> clv.datasets.load_cdnow_sample()["customer_id"].nunique()
    2357
    """
    names = ["customer_id", "master_id", "date", "quantity", "amount"]
    return _read("CDNOW_sample.txt", names, header=None)
