"""The report's section on customers below, around and above average net CLV."""

from __future__ import annotations

import pandas as pd

from clvmodel.report._analysis import BANDS, Analysis
from clvmodel.report._format import (
    Cell,
    Section,
    Table,
    count,
    decimal,
    first_upper,
    money,
    percent,
    segment_label,
)
from clvmodel.rfm import TIME_UNITS

_EXAMPLES = 5  # customer ids listed per band
_TOP = 10  # customers in the top-customer table


def bands_section(a: Analysis) -> Section:
    s = a.settings
    econ = a.economics
    v = a.values
    table = _bands_table(a)
    top = econ.assign(band=a.bands, frequency=v["frequency"]).nlargest(_TOP, "net_clv")
    formats = {
        "frequency": ("Repeat purchases", lambda x: count(x)),
        "probability_alive": ("P(alive)", percent),
        "expected_purchases": (f"Expected purchases, {s.horizon_words}", decimal),
        "gross_margin": ("Gross margin", money),
        "net_clv": ("Net CLV", money),
    }
    top_table = Table.from_frame(
        "top-customers", f"The {_TOP} customers with the highest net CLV", top, formats, "Customer"
    )
    blocks = [table, top_table]
    if "segment" in econ.columns:
        crosstab = pd.crosstab(econ["segment"], a.bands).reindex(columns=list(BANDS), fill_value=0)
        blocks.insert(
            1,
            Table.from_frame(
                "bands-by-segment",
                f"Customers per band, by {segment_label(a)}",
                crosstab,
                {band: (band.capitalize(), count) for band in BANDS},
                first_upper(segment_label(a)),
            ),
        )
    negative = int((econ["net_clv"] < 0).sum())
    return Section(
        "bands",
        "Below, around and above average",
        [
            f"Each customer's net CLV over the next {s.horizon_words} (margin minus the cost "
            "to serve) places them below, around or above the average customer. "
            + (
                f"{count(negative)} customers are predicted to cost more to serve than they "
                "bring in (net CLV below 0)."
                if negative
                else "No customer is predicted to cost more to serve than they bring in."
            ),
        ],
        blocks,
    )


def _bands_table(a: Analysis) -> Table:
    """Per band of net CLV: customers, value, history and the highest-valued customers."""
    econ, v = a.economics, a.values
    unit_weeks = TIME_UNITS[a.settings.time_unit] / 7.0
    frame = pd.DataFrame(
        {
            "band": a.bands,
            "net": econ["net_clv"],
            "frequency": v["frequency"],
            "silent_weeks": (v["T"] - v["recency"]) * unit_weeks,
            "alive": v["probability_alive"],
        }
    )
    shares, why_not = _value_shares(frame["net"], frame["band"])
    rows = []
    for band in BANDS:
        part = frame[frame["band"] == band]
        examples = part["net"].sort_values(ascending=False).index[:_EXAMPLES]
        share_value = float("nan") if shares is None else shares[band]
        cells = [
            Cell(count(len(part))),
            Cell(percent(len(part) / len(frame))),
            Cell(money(part["net"].mean()) if len(part) else "n/a"),
            Cell(percent(share_value)),
            Cell(decimal(part["frequency"].mean(), 1) if len(part) else "n/a"),
            Cell(decimal(part["silent_weeks"].mean(), 1) if len(part) else "n/a"),
            Cell(percent(part["alive"].mean()) if len(part) else "n/a"),
            Cell(", ".join(map(str, examples)) or "none", numeric=False),
        ]
        rows.append((band, cells))
    return Table(
        "bands",
        f"Customers below, around (within ±20 % of the mean net CLV, "
        f"{money(a.band_cuts['mean'])}) and above average",
        [
            "Band",
            "Customers",
            "Share of customers",
            "Mean net CLV",
            "Share of net CLV",
            "Mean repeat purchases",
            "Mean weeks since last purchase",
            "Mean P(alive)",
            "Examples (highest net CLV)",
        ],
        rows,
        note=why_not,
    )


def _value_shares(net: pd.Series, bands: pd.Series) -> tuple[pd.Series | None, str | None]:
    """Each band's share of the total net CLV when they are shares (the total above 0 and no
    band's sum below 0, so each is within 0 to 100 %); else None, and a note saying why not."""
    sums = net.groupby(bands, observed=False).sum().reindex(list(BANDS), fill_value=0.0)
    total = float(net.sum())
    negative = [band for band in BANDS if sums[band] < 0]
    if total > 0 and not negative:
        return sums / total, None
    if total > 0:
        why = (
            f"the customers {' and '.join(negative)} add up to a negative net CLV "
            f"({', '.join(money(sums[band]) for band in negative)}) while the total is "
            f"{money(total)}, so the shares would fall below 0 % and above 100 %"
        )
    else:
        why = (
            f"the customers' net CLV adds up to {money(total)}, not more than 0, so there is "
            "no value to share out (a band that earns would get a negative share)"
        )
    return None, f"Share of net CLV is n/a: {why}."
