"""clvmodel.economics.naive_vs_model with segments indexed by ids of another type than the log's
(text against numbers): it was refused listing numpy reprs (np.int64(4)) and no reason."""

import pandas as pd
import pytest

import clvmodel as clv


def test_naive_vs_model_says_when_segment_ids_are_of_another_type(
    cdnow_sample, published_bg, published_gg
):
    """A segments Series indexed by text ids for a log of numeric ids was refused listing
    numpy reprs (np.int64(4)) and no reason."""
    from clvmodel.economics import naive_vs_model

    log = cdnow_sample.assign(customer_id=cdnow_sample["customer_id"].astype(int))
    segments = pd.Series("web", index=log["customer_id"].unique().astype(str))
    with pytest.raises(clv.InputError) as error:
        naive_vs_model(published_bg, published_gg, log, "1997-09-30", "1998-06-30", segments)
    message = str(error.value)
    assert "np.int64" not in message and "for example 4, " in message
    assert "segments are text and the transactions' are numbers" in message
