"""Day One segments: below-average, average and above-average predicted value.

The cut points are a band around the mean predicted Day One value of the fitting customers; each
segment's profile (size, value range, mean numeric attributes, share of each categorical level)
tells what the customers in it look like at signup.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvmodel.dayone._checks import categorical_column, level_keys, numeric_column

#: Segment labels, from low to high predicted Day One value.
SEGMENTS: tuple[str, ...] = ("below average", "average", "above average")


def segment_cuts(values: pd.Series, band: float) -> dict[str, float]:
    """``mean`` Day One value and the ``low`` and ``high`` cut points, (1 ∓ band) × mean."""
    mean = float(values.mean())
    return {"mean": mean, "low": (1.0 - band) * mean, "high": (1.0 + band) * mean}


def place(values: np.ndarray, index, cuts: dict[str, float]) -> pd.Series:
    """The segment of each Day One value, as an ordered categorical Series named ``segment``."""
    low, high = cuts["low"], cuts["high"]
    codes = np.where(values < low, 0, np.where(values > high, 2, 1))
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(SEGMENTS), ordered=True),
        index=index,
        name="segment",
    )


def learn_segments(
    values: pd.Series,
    band: float,
    attributes: pd.DataFrame,
    numeric: list[str],
    encoding: dict[str, Any],
) -> tuple[dict[str, float], pd.DataFrame]:
    """The cut points and profiles of the segments of the fitting customers' Day One ``values``."""
    cuts = segment_cuts(values, band)
    segment = place(values.to_numpy(), values.index, cuts)
    return cuts, segment_profiles(values, segment, attributes, numeric, encoding)


def segment_profiles(
    values: pd.Series,
    segment: pd.Series,
    attributes: pd.DataFrame,
    numeric: list[str],
    encoding: dict[str, Any],
) -> pd.DataFrame:
    """Per segment: customers, share, Day One value (mean, min, max), the mean of each numeric
    attribute on its original scale and the share of each categorical level."""
    columns: dict[str, pd.Series] = {
        "day_one_value": values,
    }
    for name in numeric:
        columns[f"mean_{name}"] = pd.Series(
            numeric_column(attributes, name, "the attributes"), index=attributes.index
        )
    for entry in encoding["categorical"]:
        values_c = categorical_column(attributes, entry["name"], "the attributes")
        for level, key in zip(entry["levels"], level_keys(entry["levels"]), strict=True):
            columns[f"share_{entry['name']}={level}"] = pd.Series(
                (values_c == key).astype(float), index=attributes.index
            )
    frame = pd.DataFrame(columns)
    grouped = frame.groupby(segment, observed=True)
    profile = pd.DataFrame(
        {
            "customers": grouped.size(),
            "share": grouped.size() / len(frame),
            "mean_day_one_value": grouped["day_one_value"].mean(),
            "min_day_one_value": grouped["day_one_value"].min(),
            "max_day_one_value": grouped["day_one_value"].max(),
        }
    )
    others = [c for c in frame.columns if c != "day_one_value"]
    profile = profile.join(grouped[others].mean())
    profile.index = pd.Index([str(s) for s in profile.index], name="segment")
    return profile
