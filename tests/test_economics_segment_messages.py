"""A segment that changes within a customer is refused naming the Python argument and a remedy:
``segment_col=`` of ``clv.naive_clv`` and ``segments=`` of ``clvmodel.economics.naive_vs_model``
(not an internal column name such as ``__segment__``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel.economics import naive_vs_model

# Published CDNOW estimates (Fader, Hardie and Lee 2005).
BG = PUBLISHED_BG
GG = PUBLISHED_GG


def test_changing_segment_names_the_argument_and_the_remedy():
    log = clv.datasets.load_cdnow_sample()
    log = log.assign(channel=np.where(np.arange(len(log)) % 2 == 0, "web", "shop"))
    with pytest.raises(clv.InputError) as info:
        clv.naive_clv(log, lifespan=1.0, segment_col="channel")
    message = str(info.value)
    assert message.startswith("segment_col='channel' changes within"), message
    assert "Pass as segment_col= a column that is fixed per customer" in message, message
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    gg = clv.GammaGammaModel.from_params(GG)
    with pytest.raises(clv.InputError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the log's repeated rows
        naive_vs_model(bg, gg, log, "1997-09-30", "1998-06-30", segments="channel")
    message = str(info.value)
    assert message.startswith("segments='channel' changes within"), message
    assert "__segment__" not in message and "Pass as segments= a column" in message, message
