"""Bootstrap replicates in model files: bootstrap_params_ survive save and load, alone and in a
ModelBundle, so that a loaded model's method="bootstrap" intervals equal the saved model's; a
file's replicates tampered with (not a list, fewer than 2, of the wrong length, not positive
finite numbers) are refused naming 'bootstrap_params'."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import clvmodel as clv


# --- Bootstrap replicates survive a model file --------------------------------------------------
@pytest.fixture(scope="module")
def bootstrapped(cdnow_rfm):
    return clv.BetaGeoModel().fit(cdnow_rfm).bootstrap(cdnow_rfm, n_draws=8, seed=3)


def test_bootstrap_replicates_survive_save_and_load(bootstrapped, cdnow_rfm, tmp_path):
    loaded = clv.load_model(bootstrapped.save(tmp_path / "bg.json"))
    pd.testing.assert_frame_equal(loaded.bootstrap_params_, bootstrapped.bootstrap_params_)
    head = cdnow_rfm.head(20)
    expected = bootstrapped.predict(head, t=10, interval=0.9, method="bootstrap")
    pd.testing.assert_frame_equal(
        loaded.predict(head, t=10, interval=0.9, method="bootstrap"), expected
    )


def test_bootstrap_replicates_survive_a_bundle(bootstrapped, tmp_path):
    path = clv.ModelBundle(bg=bootstrapped).save(tmp_path / "models.json")
    loaded = clv.load(path)
    pd.testing.assert_frame_equal(loaded.bg.bootstrap_params_, bootstrapped.bootstrap_params_)


@pytest.mark.parametrize(
    ("replicates", "words"),
    [
        ("many", "is not a list"),
        ([[0.2, 4.4, 0.8, 2.4]], "at least 2"),
        ([[0.2, 4.4, 0.8], [0.2, 4.4, 0.8]], "4 numbers"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, -4.4, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, None, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, True, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, 1e999, 0.8, 2.4]], "positive"),
    ],
)
def test_tampered_bootstrap_replicates_are_refused(bootstrapped, replicates, words, tmp_path):
    document = bootstrapped.to_dict()
    document["bootstrap_params"] = replicates
    path = tmp_path / "bg.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="bootstrap_params") as caught:
        clv.load_model(path)
    assert words in str(caught.value)
